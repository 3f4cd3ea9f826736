"""Planning is pure: an action against a FleetState gives preconditions, a change and a diff."""

from __future__ import annotations

import pytest

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.changes import Abort, Promote, Resume, SetWeights, SwitchSlot
from rolldeck.engine.model import Owner, Phase, ReleaseRef, Split
from rolldeck.engine.plans import plan_action
from tests.engine.factories import BLUE_GREEN, CANARY, blue_green_release, canary_release, fleet


def plan(state, kind, ref=CANARY, **kw):
    return plan_action(state, Action(kind, ref, **kw))


def test_step_up_moves_to_the_next_configured_step_with_a_one_line_diff():
    result = plan(fleet(canary_release(10)), ActionKind.STEP_UP)
    assert result.ok
    assert result.change == SetWeights(Split.of(stable=75, canary=25), expect=Split.of(stable=90, canary=10))
    assert result.diff == "canary 10% → 25% in prod-eu-west-1/checkout"
    assert "\n" not in result.diff
    assert result.before["desired"] == {"stable": 90, "canary": 10}
    assert result.after["desired"] == {"stable": 75, "canary": 25}


def test_step_list_is_configurable_per_release():
    state = fleet(canary_release(10, weight_steps=(0, 10, 20, 40, 100)))
    assert plan(state, ActionKind.STEP_UP).change.weights.weight("canary") == 20
    assert plan(state, ActionKind.STEP_DOWN).change.weights.weight("canary") == 0


def test_cannot_step_past_100_or_below_0():
    top = plan(fleet(canary_release(100)), ActionKind.STEP_UP)
    assert not top.ok and "already at the last step (100%)" in top.refusal
    bottom = plan(fleet(canary_release(0)), ActionKind.STEP_DOWN)
    assert not bottom.ok and "already at the first step (0%)" in bottom.refusal


@pytest.mark.parametrize("weight", [-1, 101, None])
def test_set_weight_outside_0_to_100_is_refused(weight):
    result = plan(fleet(canary_release(10)), ActionKind.SET_WEIGHT, weight=weight)
    assert not result.ok and "outside 0–100%" in result.refusal


def test_raising_weight_needs_ready_canary_pods():
    result = plan(fleet(canary_release(10, canary_ready=0)), ActionKind.SET_WEIGHT, weight=50)
    assert not result.ok and "canary has no ready pods (0/2)" in result.refusal
    # lowering is always allowed: it is the way out
    assert plan(fleet(canary_release(10, canary_ready=0)), ActionKind.SET_WEIGHT, weight=0).ok


@pytest.mark.parametrize("owner", [Owner.ARGO_ROLLOUTS, Owner.FLAGGER])
def test_owner_rule_no_manual_weights_on_controller_owned_routes(owner):
    result = plan(fleet(canary_release(10, owner=owner)), ActionKind.SET_WEIGHT, weight=50)
    assert not result.ok and "manual weights are refused" in result.refusal


def test_abort_sends_all_traffic_to_stable_and_keeps_the_candidate():
    result = plan(fleet(canary_release(25)), ActionKind.ABORT)
    assert result.ok
    assert result.change == Abort(to="stable")
    assert "kept for diagnosis" in result.diff
    assert result.after["phase"] == Phase.DEGRADED.value and result.after["aborted"] is True
    assert result.after["desired"] == {"stable": 100, "canary": 0}  # the audit's after derives from the change


def test_abort_twice_is_refused():
    result = plan(fleet(canary_release(0, aborted=True, phase=Phase.DEGRADED)), ActionKind.ABORT)
    assert not result.ok and "already aborted" in result.refusal


def test_promote_canary_needs_every_candidate_pod_ready():
    assert not plan(fleet(canary_release(25, canary_ready=1)), ActionKind.PROMOTE).ok
    result = plan(fleet(canary_release(25)), ActionKind.PROMOTE)
    assert result.ok and result.change == Promote(full=True, to="canary", at_step=None)
    assert result.after["desired"] == {"stable": 0, "canary": 100} and result.after["phase"] == Phase.HEALTHY.value


def test_pause_and_resume_preconditions():
    running = fleet(canary_release(10))
    assert plan(running, ActionKind.PAUSE).ok
    assert not plan(running, ActionKind.RESUME).ok
    paused = fleet(canary_release(10, paused=True, phase=Phase.PAUSED))
    assert not plan(paused, ActionKind.PAUSE).ok
    assert isinstance(plan(paused, ActionKind.RESUME).change, Resume)
    assert plan(paused, ActionKind.RESUME).after["paused"] is False


def test_cannot_switch_to_a_slot_whose_pods_are_not_ready():
    result = plan(fleet(blue_green_release(green_ready=2)), ActionKind.SWITCH_SLOT, ref=BLUE_GREEN)
    assert not result.ok and "green pods not all ready (2/4)" in result.refusal
    ready = plan(fleet(blue_green_release()), ActionKind.SWITCH_SLOT, ref=BLUE_GREEN)
    assert ready.ok and ready.change == SwitchSlot("green", expect_active="blue")
    assert ready.diff.startswith("switch active slot blue → green (v8, candidate)")


def test_switch_slot_is_for_blue_green_only_and_weights_for_canaries_only():
    assert "canary release: it has no slots to switch" in plan(fleet(canary_release(10)), ActionKind.SWITCH_SLOT).refusal
    assert "blue-green release: weights are for canaries" in plan(fleet(blue_green_release()), ActionKind.STEP_UP, ref=BLUE_GREEN).refusal


def test_blue_green_abort_returns_to_the_stable_slot():
    state = fleet(blue_green_release(active_slot="green", preview_slot="blue", phase=Phase.PROGRESSING))
    result = plan(state, ActionKind.ABORT, ref=BLUE_GREEN)
    assert result.ok and result.change == Abort(to="blue")
    assert result.after["active_slot"] == "blue" and result.after["aborted"] is True


def test_read_only_and_unreachable_clusters_refuse_everything():
    assert "read-only context" in plan_action(fleet(canary_release(10)), Action(ActionKind.PAUSE, CANARY), read_only=True).refusal
    assert "read-only context" in plan(fleet(canary_release(10), read_only=True), ActionKind.PAUSE).refusal
    assert "is unreachable" in plan(fleet(canary_release(10), reachable=False), ActionKind.PAUSE).refusal


def test_unknown_release_is_refused_not_crashed():
    result = plan(fleet(canary_release(10)), ActionKind.ABORT, ref=ReleaseRef("prod-eu-west-1", "nope"))
    assert not result.ok and "no release prod-eu-west-1/nope in the fleet" in result.refusal


@pytest.mark.parametrize("owner", [Owner.ARGO_ROLLOUTS, Owner.FLAGGER])
def test_controller_verbs_stay_available_on_controller_owned_releases(owner):
    state = fleet(canary_release(25, owner=owner))
    for kind in (ActionKind.PROMOTE, ActionKind.ABORT, ActionKind.PAUSE):
        assert plan(state, kind).ok, kind
