"""The autopilot stays under the operator's hand: take-over, approval, hold and the off switch."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.autopilot import Autopilot, TrackState
from rolldeck.engine.model import ReleaseRef
from rolldeck.engine.operator import Operator
from rolldeck.engine.rollout_plans import CanaryPlan, CanaryStepPlan, RolloutPlan
from rolldeck.simulator.autopilot_plans import judge_config
from rolldeck.simulator.backend import SimulatorBackend
from rolldeck.simulator.library import load_scenario

CHECKOUT = ReleaseRef("prod-eu-west-1", "checkout")


def setup(steps, tmp_path):
    scenario = load_scenario("canary-5xx").model_copy(update={"faults": []})
    backend = SimulatorBackend(scenario, paused=True, autopilot=True)
    operator = Operator(backend, AuditLog(tmp_path / "audit.jsonl", wall_clock=lambda: 0.0))
    plan = RolloutPlan("checkout", CanaryPlan(tuple(steps)))
    # Bakes here are 30-60 s (these tests are about supervision): the judge gathers evidence per 10 s,
    # so a bake holds its minimum of three intervals.
    judge = replace(judge_config(scenario), interval_s=10.0)
    return backend, operator, Autopilot(operator, [plan], judge, interval_s=10)


async def run(backend, pilot, until):
    while pilot.next_look <= until:
        backend.run_until(pilot.next_look)
        await pilot.look()


@pytest.mark.asyncio
async def test_an_operator_pause_takes_over_and_resume_hands_back(tmp_path):
    backend, operator, pilot = setup([CanaryStepPlan(10, 60), CanaryStepPlan(25, 60), CanaryStepPlan(100)], tmp_path)
    await run(backend, pilot, 30)
    assert pilot.view(CHECKOUT).state is TrackState.BAKING
    await operator.execute(operator.plan(Action(ActionKind.PAUSE, CHECKOUT)), actor="alice")
    await run(backend, pilot, 200)
    assert pilot.view(CHECKOUT).state is TrackState.OPERATOR
    assert backend.snapshot().release(CHECKOUT).desired.weight("canary") == 10  # it did not move on
    await operator.execute(operator.plan(Action(ActionKind.RESUME, CHECKOUT)), actor="alice")
    await run(backend, pilot, 260)
    assert backend.snapshot().release(CHECKOUT).desired.weight("canary") == 25


@pytest.mark.asyncio
async def test_an_approval_step_pauses_until_a_human_resumes(tmp_path):
    steps = [CanaryStepPlan(10, 30), CanaryStepPlan(50, 30, approval=True), CanaryStepPlan(100)]
    backend, operator, pilot = setup(steps, tmp_path)
    await run(backend, pilot, 120)
    view = pilot.view(CHECKOUT)
    assert view.state is TrackState.APPROVAL and backend.snapshot().release(CHECKOUT).paused
    assert backend.snapshot().release(CHECKOUT).desired.weight("canary") == 10
    await operator.execute(operator.plan(Action(ActionKind.RESUME, CHECKOUT)), actor="alice")
    await run(backend, pilot, 200)
    assert backend.snapshot().release(CHECKOUT).desired.weight("canary") == 50
    audit = AuditLog.read(tmp_path / "audit.jsonl")
    assert [(r["actor"], r["action"]) for r in audit][:4] == [
        ("autopilot", "set-weight"), ("autopilot", "pause"), ("alice", "resume"), ("autopilot", "set-weight"),
    ]
    assert "approval required" in audit[1]["evidence"]


@pytest.mark.asyncio
async def test_switching_the_autopilot_off_stops_every_decision(tmp_path):
    backend, operator, pilot = setup([CanaryStepPlan(10, 30), CanaryStepPlan(50, 30), CanaryStepPlan(100)], tmp_path)
    await run(backend, pilot, 20)
    pilot.enabled = False
    await run(backend, pilot, 300)
    assert backend.snapshot().release(CHECKOUT).desired.weight("canary") == 10
    pilot.enabled = True
    await run(backend, pilot, 400)
    assert backend.snapshot().release(CHECKOUT).desired.weight("canary") > 10


@pytest.mark.asyncio
async def test_the_view_shows_step_countdown_and_evidence_meter(tmp_path):
    backend, operator, pilot = setup([CanaryStepPlan(10, 300), CanaryStepPlan(100)], tmp_path)
    await run(backend, pilot, 100)
    view = pilot.view(CHECKOUT)
    assert (view.step, view.steps, view.target_weight) == (1, 2, 10)
    assert 200 <= view.countdown_s <= 300
    assert view.verdict is not None and 0 < view.evidence_n and view.evidence_needed == 1000
    assert view.evidence.startswith("eu-west-1: canary")


@pytest.mark.asyncio
async def test_the_switch_is_recorded_by_the_engine_in_the_operators_audit_log(tmp_path):
    backend, operator, pilot = setup([CanaryStepPlan(10, 30), CanaryStepPlan(100)], tmp_path)
    await run(backend, pilot, 20)
    record = pilot.switch(False, actor="alice")
    assert not pilot.enabled
    assert (record.action, record.result, record.before, record.after) == ("autopilot-off", "applied", {"autopilot": True}, {"autopilot": False})
    assert record.diff == f"autopilot off: 1 release(s) return to manual control ({CHECKOUT})"
    assert record.backend_time == backend.clock.now()
    again = pilot.switch(False, actor="alice")  # nothing to switch: refused, and still recorded
    assert (again.result, again.reason) == ("refused", "the autopilot is already off")
    records = AuditLog.read(tmp_path / "audit.jsonl")
    assert [(r["actor"], r["action"], r["result"]) for r in records][-2:] == [("alice", "autopilot-off", "applied"), ("alice", "autopilot-off", "refused")]
    assert operator.audit.recent()[-2:] == [record, again]


@pytest.mark.asyncio
async def test_a_read_only_console_refuses_the_switch_and_records_the_refusal(tmp_path):
    scenario = load_scenario("canary-5xx").model_copy(update={"faults": []})
    backend = SimulatorBackend(scenario, paused=True, autopilot=True)
    operator = Operator(backend, AuditLog(tmp_path / "audit.jsonl", wall_clock=lambda: 0.0), read_only=True)
    pilot = Autopilot(operator, [RolloutPlan("checkout", CanaryPlan((CanaryStepPlan(100),)))], judge_config(scenario))
    record = pilot.switch(False, actor="alice")
    assert pilot.enabled
    assert (record.result, record.reason, record.after) == ("refused", "the console is read-only", {"autopilot": True})
    assert [(r["action"], r["result"]) for r in AuditLog.read(tmp_path / "audit.jsonl")] == [("autopilot-off", "refused")]


@pytest.mark.asyncio
async def test_a_switch_the_audit_file_refuses_leaves_the_autopilot_as_it_was(tmp_path):
    scenario = load_scenario("canary-5xx").model_copy(update={"faults": []})
    backend = SimulatorBackend(scenario, paused=True, autopilot=True)
    folder = tmp_path / "audit.jsonl"
    folder.mkdir()
    operator = Operator(backend, AuditLog(folder, wall_clock=lambda: 0.0))
    pilot = Autopilot(operator, [RolloutPlan("checkout", CanaryPlan((CanaryStepPlan(100),)))], judge_config(scenario))
    record = pilot.switch(False, actor="alice")
    assert pilot.enabled and record.result == "refused"
    assert record.reason.startswith(f"audit log {folder}: cannot write (") and record.reason.endswith("; the autopilot was not switched")
    assert operator.audit.recent() == [record]  # still shown in :audit
