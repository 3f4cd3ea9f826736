"""Flag verbs plan like every verb: preconditions, a typed change carrying the flag seen, one-line diff;
the operator refuses a flag change when the flag moved since the operator looked."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.changes import KillFlag, RestoreFlag, SetFlagRollout, stale
from rolldeck.engine.model import Flag, FlagState, FleetState
from rolldeck.engine.operator import Operator
from rolldeck.engine.plans import Plan, plan_action
from rolldeck.engine.port import ApplyResult
from tests.engine.factories import CANARY, canary_release, fleet

NEW_CHECKOUT = Flag(
    key="new-checkout",
    state=FlagState.ENABLED,
    variants=("on", "off"),
    default_variant="off",
    shares=(("on", 5.0), ("off", 95.0)),
    environment="prod",
    targeting="fractional on targetingKey: on 5%, off 95%",
    last_changed_by="alice",
)


def plan(subject: Flag = NEW_CHECKOUT, kind: ActionKind = ActionKind.KILL_FLAG, **kw) -> Plan:
    kw.setdefault("flag", subject.key)
    flag = subject
    return plan_action(fleet(canary_release(10, flags=(flag,))), Action(kind, CANARY, **kw))


def test_kill_switch_plan_carries_the_flag_seen_and_says_who_is_affected():
    result = plan()
    assert result.ok
    assert result.change == KillFlag("new-checkout", expect=NEW_CHECKOUT)
    assert result.diff == (
        "kill flag new-checkout (prod): off for 5% of evaluations, callers get their code default in prod-eu-west-1/checkout"
    )
    assert result.before["flags"]["new-checkout"]["state"] == "ENABLED"
    assert result.after["flags"]["new-checkout"] == {"state": "DISABLED", "shares": {"on": 5.0, "off": 95.0}}


def test_kill_needs_an_enabled_flag_and_restore_a_killed_one():
    killed = replace(NEW_CHECKOUT, state=FlagState.DISABLED)
    assert "flag new-checkout is already killed: restore it" in plan(killed).refusal
    assert "flag new-checkout is on, not killed" in plan(NEW_CHECKOUT, ActionKind.RESTORE_FLAG).refusal
    restore = plan(killed, ActionKind.RESTORE_FLAG)
    assert restore.ok and restore.change == RestoreFlag("new-checkout", expect=killed)
    assert restore.diff.startswith("restore flag new-checkout (prod): on again with on 5%, off 95%")


def test_an_unknown_flag_is_refused_by_name():
    result = plan(NEW_CHECKOUT, flag="no-such-flag")
    assert not result.ok and result.refusal == "cannot kill-flag prod-eu-west-1/checkout: no flag no-such-flag on checkout: its flags are new-checkout"


def test_releases_without_flags_keep_their_audit_shape():
    result = plan_action(fleet(canary_release(10)), Action(ActionKind.STEP_UP, CANARY))
    assert "flags" not in result.before


def test_step_up_moves_the_treatment_to_the_next_rollout_step():
    result = plan(kind=ActionKind.FLAG_STEP_UP)
    assert result.ok
    assert result.change == SetFlagRollout("new-checkout", (("on", 25.0), ("off", 75.0)), expect=NEW_CHECKOUT)
    assert result.diff == "flag new-checkout (prod): on 5% → 25% in prod-eu-west-1/checkout"
    assert result.after["flags"]["new-checkout"]["shares"] == {"on": 25.0, "off": 75.0}
    down = plan(kind=ActionKind.FLAG_STEP_DOWN)
    assert down.change.shares == (("on", 1.0), ("off", 99.0))


def test_step_edges_are_refused():
    full = replace(NEW_CHECKOUT, shares=(("on", 100.0), ("off", 0.0)))
    assert "flag new-checkout is at its last step (100%)" in plan(full, ActionKind.FLAG_STEP_UP).refusal
    dark = replace(NEW_CHECKOUT, shares=(("on", 0.0), ("off", 100.0)))
    assert "at its first step (0%)" in plan(dark, ActionKind.FLAG_STEP_DOWN).refusal


@pytest.mark.parametrize(
    ("shares", "reason"),
    [
        ((("on", 60.0), ("off", 60.0)), "shares sum to 120%, not 100%"),
        ((("on", 120.0), ("off", -20.0)), "a share is outside 0–100%"),
        ((("blue", 50.0), ("off", 50.0)), "unknown variants blue: the flag's own are on, off"),
        ((("on", 5.0), ("off", 95.0)), "already at on 5%, off 95%: nothing to change"),
    ],
)
def test_bad_shares_are_refused_with_the_reason(shares, reason):
    result = plan(kind=ActionKind.SET_FLAG_ROLLOUT, shares=shares)
    assert not result.ok and reason in result.refusal


def test_set_rollout_by_treatment_percent_and_on_a_killed_flag():
    killed = replace(NEW_CHECKOUT, state=FlagState.DISABLED)
    result = plan(killed, ActionKind.SET_FLAG_ROLLOUT, percent=1.0)
    assert result.ok and result.change.shares == (("on", 1.0), ("off", 99.0))
    assert "(stays killed until restored)" in result.diff


def test_multi_variant_flags_take_explicit_shares_and_do_not_step():
    colours = replace(NEW_CHECKOUT, variants=("red", "green", "blue"), default_variant="red", shares=(("red", 100.0), ("green", 0.0), ("blue", 0.0)))
    assert "does not have two variants to step between" in plan(colours, ActionKind.FLAG_STEP_UP).refusal
    result = plan(colours, ActionKind.SET_FLAG_ROLLOUT, shares=(("green", 10.0), ("red", 80.0), ("blue", 10.0)))
    assert result.ok and result.change.shares == (("red", 80.0), ("green", 10.0), ("blue", 10.0))
    assert result.diff.startswith("flag new-checkout (prod): red 100%, green 0%, blue 0% → red 80%, green 10%, blue 10%")


def test_stale_names_the_flag_difference():
    release = canary_release(10, flags=(replace(NEW_CHECKOUT, shares=(("on", 25.0), ("off", 75.0))),))
    rollout = SetFlagRollout("new-checkout", (("on", 50.0), ("off", 50.0)), expect=NEW_CHECKOUT)
    assert stale(rollout, release) == "flag new-checkout now on 25%, off 75% (you saw on 5%, off 95%)"
    # a kill moves toward safety: a colleague's share step does not block it
    assert stale(KillFlag("new-checkout", expect=NEW_CHECKOUT), release) is None
    killed = canary_release(10, flags=(replace(NEW_CHECKOUT, state=FlagState.DISABLED),))
    assert stale(KillFlag("new-checkout", expect=NEW_CHECKOUT), killed) == "flag new-checkout now killed (you saw on)"
    assert stale(KillFlag("new-checkout", expect=NEW_CHECKOUT), canary_release(10)) == "flag new-checkout is gone"


def test_read_only_and_rbac_refuse_flag_verbs_too():
    state = fleet(canary_release(10, flags=(NEW_CHECKOUT,)), read_only=True)
    assert "read-only context: prod-eu-west-1" in plan_action(state, Action(ActionKind.KILL_FLAG, CANARY, flag="new-checkout")).refusal
    denied = fleet(canary_release(10, flags=(NEW_CHECKOUT,), denied=(("kill-flag", "featureflags: patch forbidden"),)))
    assert "featureflags: patch forbidden" in plan_action(denied, Action(ActionKind.KILL_FLAG, CANARY, flag="new-checkout")).refusal


class FlagWorld:
    """A backend port double holding one release's flags: applies a flag change at once."""

    name = "flag world"

    def __init__(self, flag: Flag) -> None:
        self.state = fleet(canary_release(10, flags=(flag,)))
        self.applied: list[object] = []
        self.clock = self

    def now(self) -> float:
        return self.state.time

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def snapshot(self) -> FleetState:
        return self.state

    def set_flag(self, flag: Flag) -> None:
        self.state = fleet(canary_release(10, flags=(flag,)))

    async def apply(self, plan: Plan) -> ApplyResult:
        self.applied.append(plan.change)
        return ApplyResult(self.now())


@pytest.mark.asyncio
async def test_operator_refuses_a_rollout_step_when_a_colleague_moved_the_flag(tmp_path):
    world = FlagWorld(NEW_CHECKOUT)
    operator = Operator(world, AuditLog(tmp_path / "audit.jsonl", wall_clock=lambda: 0.0))
    shown = operator.plan(Action(ActionKind.FLAG_STEP_UP, CANARY, flag="new-checkout"))  # 5 → 25 shown
    world.set_flag(replace(NEW_CHECKOUT, shares=(("on", 25.0), ("off", 75.0)), last_changed_by="bob"))
    outcome = await operator.execute(shown, actor="alice")
    assert not outcome.ok
    assert outcome.message == (
        "refused: checkout changed since you looked: flag new-checkout now on 25%, off 75% (you saw on 5%, off 95%); review the new plan"
    )
    assert world.applied == []
    (record,) = AuditLog.read(tmp_path / "audit.jsonl")
    assert record["action"] == "flag-step-up" and record["result"] == "refused"


@pytest.mark.asyncio
async def test_operator_applies_a_kill_after_a_share_step_and_audits_it(tmp_path):
    world = FlagWorld(NEW_CHECKOUT)
    operator = Operator(world, AuditLog(tmp_path / "audit.jsonl", wall_clock=lambda: 0.0))
    shown = operator.plan(Action(ActionKind.KILL_FLAG, CANARY, flag="new-checkout"))
    world.set_flag(replace(NEW_CHECKOUT, shares=(("on", 25.0), ("off", 75.0))))
    outcome = await operator.execute(shown, actor="alice")
    # the kill re-planned against the moved flag carries what is there now
    assert outcome.ok
    (applied,) = world.applied
    assert applied.key == "new-checkout" and applied.expect.share("on") == 25.0
    assert "off for 25% of evaluations" in outcome.record.diff
    (record,) = AuditLog.read(tmp_path / "audit.jsonl")
    assert record["result"] == "applied" and record["after"]["flags"]["new-checkout"]["state"] == "DISABLED"


def test_a_sorted_read_back_keeps_the_rollout_order_and_is_not_a_change():
    """An API server returns flagd's variants map sorted (off, on); the fractional list keeps its order,
    and flagd buckets by list position: the new shares must keep it so users on the treatment stay on."""
    sorted_back = replace(NEW_CHECKOUT, variants=("off", "on"), on_variant="on")
    step = plan(sorted_back, ActionKind.FLAG_STEP_UP)
    assert step.change.shares == (("on", 25.0), ("off", 75.0))
    reordered = replace(NEW_CHECKOUT, shares=(("off", 95.0), ("on", 5.0)))
    rollout = SetFlagRollout("new-checkout", (("on", 25.0), ("off", 75.0)), expect=NEW_CHECKOUT)
    assert stale(rollout, canary_release(10, flags=(reordered,))) is None
