"""The operator is the one mutation path: re-plan, apply through the backend, audit every outcome."""

from __future__ import annotations

import json
import os

import pytest

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.audit import AuditLog, GateAnswer
from rolldeck.engine.model import Gate, ReleaseRef
from rolldeck.engine.operator import Operator
from rolldeck.engine.plans import Plan
from rolldeck.engine.port import ApplyError, ApplyResult, GateAnswers
from rolldeck.simulator.backend import SimulatorBackend
from rolldeck.simulator.library import load_scenario
from tests.conftest import manual_canary

CHECKOUT = ReleaseRef("prod-eu-west-1", "checkout")
WALL = 1_790_000_000.0


class ConflictingBackend(SimulatorBackend):
    """A backend whose API answers every write with a conflict (as a 409 would)."""

    async def apply(self, plan: Plan) -> ApplyResult:
        raise ApplyError("409 Conflict: the route changed since it was read")


def make(backend_cls, tmp_path):
    # checkout on a hand-made route at 10 %: the manual weights these tests step need owner unmanaged
    backend = backend_cls(manual_canary(load_scenario("canary-5xx"), "checkout", 10), paused=True)
    backend.run_until(30)
    audit = AuditLog(tmp_path / "audit.jsonl", wall_clock=lambda: WALL)
    return backend, Operator(backend, audit)


@pytest.mark.asyncio
async def test_applied_action_changes_state_and_writes_one_fsynced_record(tmp_path):
    backend, operator = make(SimulatorBackend, tmp_path)
    plan = operator.plan(Action(ActionKind.STEP_UP, CHECKOUT))
    outcome = await operator.execute(plan, actor="alice")
    assert outcome.ok
    backend.run_until(31)
    assert backend.snapshot().release(CHECKOUT).desired.weight("canary") == 25
    records = AuditLog.read(tmp_path / "audit.jsonl")
    assert len(records) == 1
    record = records[0]
    assert record["actor"] == "alice"
    assert record["wall_time"] == WALL
    assert record["backend_time"] == 30.0
    assert record["cluster"] == "prod-eu-west-1" and record["region"] == "eu-west-1"
    assert record["release"] == "prod-eu-west-1/checkout"
    assert record["action"] == "step-up" and record["result"] == "applied"
    assert record["before"]["desired"] == {"stable": 90, "canary": 10}
    assert record["after"]["desired"] == {"stable": 75, "canary": 25}
    assert oct(os.stat(tmp_path / "audit.jsonl").st_mode & 0o777) == "0o600"


@pytest.mark.asyncio
async def test_failed_apply_writes_a_failed_record_and_changes_nothing(tmp_path):
    backend, operator = make(ConflictingBackend, tmp_path)
    before = backend.snapshot().release(CHECKOUT)
    outcome = await operator.execute(operator.plan(Action(ActionKind.ABORT, CHECKOUT)), actor="alice")
    assert not outcome.ok and "409 Conflict" in outcome.message
    backend.run_until(60)
    after = backend.snapshot().release(CHECKOUT)
    assert after.desired == before.desired and not after.aborted
    (record,) = AuditLog.read(tmp_path / "audit.jsonl")
    assert record["result"] == "failed" and "409" in record["reason"]
    assert record["after"] == record["before"]


@pytest.mark.asyncio
async def test_refused_plan_is_audited_and_not_applied(tmp_path):
    backend, operator = make(SimulatorBackend, tmp_path)
    stale = operator.plan(Action(ActionKind.RESUME, CHECKOUT))  # not paused: refused
    outcome = await operator.execute(stale, actor="bob")
    assert not outcome.ok
    backend.run_until(40)
    assert not backend.world.command_log
    (record,) = AuditLog.read(tmp_path / "audit.jsonl")
    assert record["result"] == "refused" and "not paused (Progressing): nothing to resume" in record["reason"]


@pytest.mark.asyncio
async def test_a_plan_made_stale_by_another_change_is_refused(tmp_path):
    backend, operator = make(SimulatorBackend, tmp_path)
    shown = operator.plan(Action(ActionKind.STEP_UP, CHECKOUT))  # 10 → 25 shown to the operator
    await operator.execute(operator.plan(Action(ActionKind.SET_WEIGHT, CHECKOUT, weight=50)), actor="carol")
    backend.run_until(31)
    outcome = await operator.execute(shown, actor="alice")  # would now mean 50 → 100
    assert not outcome.ok
    assert outcome.message == "refused: checkout changed since you looked: canary now 50% (you saw 10%); review the new plan"
    assert backend.snapshot().release(CHECKOUT).desired.weight("canary") == 50
    results = [r["result"] for r in AuditLog.read(tmp_path / "audit.jsonl")]
    assert results == ["applied", "refused"]


@pytest.mark.asyncio
async def test_a_colleagues_edit_is_not_overwritten_by_a_plan_that_replans_the_same(tmp_path):
    """25 % → 50 % confirmed; a colleague sets 40 % meanwhile. Stepping up from 40 % is 50 % as well,
    so re-planning alone cannot see it: the change carries the 25 % the operator saw."""
    backend, operator = make(SimulatorBackend, tmp_path)
    await operator.execute(operator.plan(Action(ActionKind.SET_WEIGHT, CHECKOUT, weight=25)), actor="alice")
    backend.run_until(31)
    shown = operator.plan(Action(ActionKind.STEP_UP, CHECKOUT))
    assert shown.diff.startswith("canary 25% → 50%")
    await operator.execute(operator.plan(Action(ActionKind.SET_WEIGHT, CHECKOUT, weight=40)), actor="carol")
    backend.run_until(32)
    replanned = operator.plan(Action(ActionKind.STEP_UP, CHECKOUT))
    assert replanned.change.weights == shown.change.weights  # the same target: only `expect` differs
    outcome = await operator.execute(shown, actor="alice")
    assert not outcome.ok
    assert outcome.record.reason == "checkout changed since you looked: canary now 40% (you saw 25%); review the new plan"
    backend.run_until(40)
    assert backend.snapshot().release(CHECKOUT).desired.weight("canary") == 40
    records = AuditLog.read(tmp_path / "audit.jsonl")
    assert [(r["actor"], r["result"]) for r in records] == [("alice", "applied"), ("carol", "applied"), ("alice", "refused")]
    assert records[-1]["after"] == records[-1]["before"] and records[-1]["before"]["desired"] == {"stable": 75, "canary": 25}
    assert [c.label for c in backend.world.command_log] == ["set-weight", "set-weight"]  # nothing queued for alice


def test_audit_lines_are_json_objects(tmp_path):
    path = tmp_path / "a.jsonl"
    log = AuditLog(path, wall_clock=lambda: 1.0)
    assert log.recent() == []
    path.write_text('{"a": 1}\n\n')
    assert AuditLog.read(path) == [{"a": 1}]
    json.loads(path.read_text().splitlines()[0])


class GateServingBackend(SimulatorBackend):
    """A backend that answers a controller's gates (as ``KubeBackend`` does for Flagger)."""

    listener = None

    def report_gate_answers(self, listener) -> None:
        self.listener = listener


def test_gate_answers_a_backend_reports_go_to_the_operators_one_audit_log(tmp_path):
    backend, operator = make(GateServingBackend, tmp_path)
    assert isinstance(backend, GateAnswers)
    assert backend.listener is not None  # building the operator attached its audit log
    answer = GateAnswer(str(CHECKOUT), CHECKOUT.cluster, "eu-west-1", "shop", "checkout", Gate.CONFIRM_PROMOTION, "alice", 42.0)
    backend.listener(answer)
    (record,) = AuditLog.read(tmp_path / "audit.jsonl")
    assert (record["actor"], record["action"], record["result"], record["release"]) == ("alice", "gate:confirm-promotion", "applied", str(CHECKOUT))
    assert (record["backend_time"], record["wall_time"]) == (42.0, WALL)
    assert [r.action for r in operator.audit.recent()] == ["gate:confirm-promotion"]  # what :audit shows


class RecordingBackend(SimulatorBackend):
    """Reads the audit file at the moment it applies: what a crash right then would leave on disk."""

    audit_path = None
    on_disk_when_applied: list[dict] = []
    break_audit_when_applied = False

    async def apply(self, plan: Plan) -> ApplyResult:
        type(self).on_disk_when_applied = AuditLog.read(self.audit_path)
        if self.break_audit_when_applied:  # the disk goes away between applying and recording
            self.audit_path.rename(self.audit_path.with_suffix(".kept"))
            self.audit_path.mkdir()
        return await super().apply(plan)


@pytest.mark.asyncio
async def test_the_intent_is_on_disk_before_the_backend_applies_and_the_outcome_after(tmp_path):
    backend, operator = make(RecordingBackend, tmp_path)
    backend.audit_path = tmp_path / "audit.jsonl"
    outcome = await operator.execute(operator.plan(Action(ActionKind.STEP_UP, CHECKOUT)), actor="alice")
    assert outcome.ok
    (intent,) = backend.on_disk_when_applied  # a crash during apply leaves this: visible, not silent
    assert (intent["result"], intent["action"], intent["after"]) == ("intent", "step-up", outcome.plan.after)
    lines = [json.loads(line) for line in backend.audit_path.read_text().splitlines()]
    assert [line["result"] for line in lines] == ["intent", "applied"] and lines[0]["entry"] == lines[1]["entry"] != ""
    (record,) = AuditLog.read(backend.audit_path)  # one record per action
    assert record["result"] == "applied"
    assert [r.result for r in operator.audit.recent()] == ["applied"]  # :audit shows outcomes


@pytest.mark.asyncio
async def test_an_unwritable_audit_log_refuses_before_anything_is_applied(tmp_path):
    backend = SimulatorBackend(load_scenario("canary-5xx"), paused=True)
    backend.run_until(30)
    folder = tmp_path / "audit.jsonl"
    folder.mkdir()
    audit = AuditLog(folder, wall_clock=lambda: WALL)
    assert audit.check() == f"audit log {folder}: is a folder, not a file"
    operator = Operator(backend, audit)
    before = backend.snapshot().release(CHECKOUT).desired
    outcome = await operator.execute(operator.plan(Action(ActionKind.ABORT, CHECKOUT)), actor="alice")
    assert not outcome.ok and outcome.message.startswith(f"refused: audit log {folder}: cannot write (") and outcome.message.endswith("; nothing was applied")
    backend.run_until(60)
    release = backend.snapshot().release(CHECKOUT)
    assert not release.aborted and release.desired == before and [c.label for c in backend.world.command_log if c.label == "abort"] == []
    assert [(r.action, r.result) for r in audit.recent()] == [("abort", "refused")]  # :audit still says so


@pytest.mark.asyncio
async def test_an_outcome_the_disk_refuses_after_applying_says_applied_and_leaves_the_intent(tmp_path):
    backend, operator = make(RecordingBackend, tmp_path)
    backend.audit_path = tmp_path / "audit.jsonl"
    backend.break_audit_when_applied = True
    outcome = await operator.execute(operator.plan(Action(ActionKind.ABORT, CHECKOUT)), actor="alice")
    assert outcome.ok and "applied, but its outcome is not on record (audit log" in outcome.message  # never "failed"
    (lone,) = AuditLog.read(tmp_path / "audit.kept")
    assert (lone["action"], lone["result"]) == ("abort", "intent")


@pytest.mark.asyncio
async def test_a_read_only_simulator_refuses_whatever_plan_reaches_it(tmp_path):
    backend = SimulatorBackend(load_scenario("canary-5xx"), paused=True, read_only=True)
    backend.run_until(30)
    plan = Operator(backend, AuditLog(None, wall_clock=lambda: WALL)).plan(Action(ActionKind.ABORT, CHECKOUT))
    assert plan.ok  # planned by an operator that was not told: the backend's own guard still holds
    with pytest.raises(ApplyError, match="^the console is read-only$"):
        await backend.apply(plan)
    assert [c.label for c in backend.world.command_log if c.label == "abort"] == []
