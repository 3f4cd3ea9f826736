"""Planners for the verbs real clusters add (pure): controller steps, retry, undo, mirror, RBAC
refusals and Argo CD warnings. The simulator's own verbs are covered in tests/engine."""

from __future__ import annotations

import pytest

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.changes import Promote, Resume, Retry, SetMirror, Undo
from rolldeck.engine.model import AnalysisStep, Gate, GitOpsState, Mirror, Owner, PauseStep, Phase, Router, Wait, WaitKind, WeightStep
from rolldeck.engine.plans import plan_action
from tests.engine.factories import BLUE_GREEN, CANARY, blue_green_release, canary_release, fleet


FIVE = (WeightStep(20), PauseStep(None), WeightStep(50), AnalysisStep("rate"), WeightStep(80))


def plan(release, kind, ref=CANARY, **options):
    return plan_action(fleet(release), Action(kind, ref, **options))


ARGO_STEPS = [
    ({"paused": True, "wait": Wait(WaitKind.PAUSE_STEP, reason="CanaryPauseStep")}, "promote: continue past CanaryPauseStep at step 1/5"),
    ({"paused": True, "wait": Wait(WaitKind.INCONCLUSIVE, reason="InconclusiveAnalysisRun")}, "promote past the inconclusive analysis: step 1/5 → 2/5"),
    ({"paused": True}, "promote: end the manual pause and skip step 1/5 → 2/5"),
    ({}, "promote: skip step 1/5 → 2/5"),
]


@pytest.mark.parametrize(("changes", "diff"), ARGO_STEPS)
def test_step_up_on_argo_is_promote_with_the_branch_in_the_diff(changes, diff):
    result = plan(canary_release(20, owner=Owner.ARGO_ROLLOUTS, step=1, steps=FIVE, **changes), ActionKind.STEP_UP)
    assert result.ok and result.diff == f"{diff} in {CANARY}"
    assert result.change == Promote(full=False, to="canary", at_step=1)  # the controller's verb, not a route edit
    assert result.after["paused"] is False and result.after["step"] == 2


def test_argo_step_up_refused_when_aborted_or_done():
    assert "aborted: retry first, or undo" in plan(canary_release(0, owner=Owner.ARGO_ROLLOUTS, aborted=True, step=2, steps=FIVE), ActionKind.STEP_UP).refusal
    assert "at the last step (step 5/5)" in plan(canary_release(100, owner=Owner.ARGO_ROLLOUTS, step=5, steps=FIVE), ActionKind.STEP_UP).refusal
    # stepping down is a route edit: still the owner rule
    assert "owned by Argo Rollouts" in plan(canary_release(20, owner=Owner.ARGO_ROLLOUTS), ActionKind.STEP_DOWN).refusal


def test_flagger_step_up_approves_a_traffic_increase():
    result = plan(canary_release(20, owner=Owner.FLAGGER, step=2, steps=FIVE), ActionKind.STEP_UP)
    assert result.ok and result.diff.startswith("approve the next traffic increase (canary 20%, step 2/5)")


def test_retry_only_after_an_abort_and_only_for_controllers():
    aborted = canary_release(0, owner=Owner.ARGO_ROLLOUTS, aborted=True, phase=Phase.DEGRADED)
    result = plan(aborted, ActionKind.RETRY)
    assert result.ok and result.change == Retry() and result.after["aborted"] is False
    assert "aborted or failed" in plan(canary_release(20, owner=Owner.ARGO_ROLLOUTS), ActionKind.RETRY).refusal
    assert "no retry on plain Deployments" in plan(canary_release(0, aborted=True), ActionKind.RETRY).refusal


def test_undo_picks_the_previous_revision_and_checks_the_target():
    release = canary_release(20, owner=Owner.ARGO_ROLLOUTS, revisions=(3, 4, 5))
    assert plan(release, ActionKind.UNDO).change == Undo(4, expect_current=5)
    assert plan(release, ActionKind.UNDO, revision=3).change == Undo(3, expect_current=5)
    assert "revision 9 is not kept (have 3, 4, 5)" in plan(release, ActionKind.UNDO, revision=9).refusal
    assert "is already the current one" in plan(release, ActionKind.UNDO, revision=5).refusal
    assert "earlier revision" in plan(canary_release(20, owner=Owner.UNMANAGED, revisions=(1,)), ActionKind.UNDO).refusal
    paused = canary_release(20, owner=Owner.UNMANAGED, revisions=(1, 2), paused=True)
    assert "the Deployment is paused" in plan(paused, ActionKind.UNDO).refusal


def test_mirror_needs_an_unmanaged_virtual_service():
    release = canary_release(0, owner=Owner.UNMANAGED, router=Router.VIRTUAL_SERVICE)
    result = plan(release, ActionKind.SET_MIRROR, percent=10)
    assert result.ok and result.change == SetMirror("canary", 10.0, expect=None) and result.diff.startswith("mirror 10% of traffic to canary (was 0%)")
    assert "Istio VirtualService" in plan(canary_release(0, owner=Owner.UNMANAGED, router=Router.HTTP_ROUTE), ActionKind.SET_MIRROR, percent=10).refusal
    assert "owned by Flagger" in plan(canary_release(0, owner=Owner.FLAGGER, router=Router.VIRTUAL_SERVICE), ActionKind.SET_MIRROR, percent=10).refusal
    mirrored = canary_release(0, owner=Owner.UNMANAGED, router=Router.VIRTUAL_SERVICE, mirror=Mirror("canary", 10.0))
    assert plan(mirrored, ActionKind.SET_MIRROR, percent=0).diff.startswith("stop mirroring to canary")


def test_mirror_percent_is_a_float_end_to_end():
    release = canary_release(0, owner=Owner.UNMANAGED, router=Router.VIRTUAL_SERVICE, mirror=Mirror("canary", 0.5))
    result = plan(release, ActionKind.SET_MIRROR, percent=2.5)
    assert result.change == SetMirror("canary", 2.5, expect=Mirror("canary", 0.5))
    assert result.diff.startswith("mirror 2.5% of traffic to canary (was 0.5%)")
    assert result.before["mirror"] == ["canary", 0.5] and result.after["mirror"] == ["canary", 2.5]
    assert "already mirroring 0.5%" in plan(release, ActionKind.SET_MIRROR, percent=0.5).refusal


def test_rbac_denial_is_the_refusal():
    release = canary_release(20, owner=Owner.ARGO_ROLLOUTS, denied=(("pause", "RBAC: you may not patch rollouts.argoproj.io in shop"),))
    assert plan(release, ActionKind.PAUSE).refusal == f"cannot pause {CANARY}: RBAC: you may not patch rollouts.argoproj.io in shop"
    assert plan(release, ActionKind.ABORT).ok


def test_argo_blue_green_switch_goes_forward_only_and_flagger_slots_are_refused():
    argo = blue_green_release(owner=Owner.ARGO_ROLLOUTS)
    assert plan(argo, ActionKind.SWITCH_SLOT, ref=BLUE_GREEN).ok
    back = blue_green_release(owner=Owner.ARGO_ROLLOUTS)
    assert "go back with abort or undo" in plan(back, ActionKind.SWITCH_SLOT, ref=BLUE_GREEN, slot="blue").refusal
    assert "Flagger's" in plan(blue_green_release(owner=Owner.FLAGGER), ActionKind.SWITCH_SLOT, ref=BLUE_GREEN).refusal


@pytest.mark.parametrize(
    ("owner", "kind", "warned"),
    [
        (Owner.ARGO_ROLLOUTS, ActionKind.PAUSE, True),
        (Owner.ARGO_ROLLOUTS, ActionKind.ABORT, False),  # status subresource: not drift
        (Owner.UNMANAGED, ActionKind.SET_WEIGHT, True),
        (Owner.FLAGGER, ActionKind.PROMOTE, False),  # a gate answer edits nothing
    ],
)
def test_argo_cd_warnings_only_for_edits_it_reverts(owner, kind, warned):
    gitops = GitOpsState("shop", sync="Synced", health="Healthy", auto_sync=True, self_heal=True)
    release = canary_release(20, owner=owner, gitops=gitops)
    result = plan(release, kind, weight=50 if kind is ActionKind.SET_WEIGHT else None)
    assert bool(result.warnings) is warned
    if warned:
        assert result.diff.endswith("⚠ Argo CD app shop self-heals: it will revert this edit")


def test_auto_sync_without_self_heal_is_a_milder_warning():
    release = canary_release(20, owner=Owner.UNMANAGED, gitops=GitOpsState("shop", auto_sync=True))
    assert plan(release, ActionKind.SET_WEIGHT, weight=50).warnings == ("Argo CD app shop auto-syncs: this edit is drift until Git matches",)
    assert plan(canary_release(20, owner=Owner.UNMANAGED, gitops=GitOpsState("shop")), ActionKind.SET_WEIGHT, weight=50).warnings == ("Argo CD app shop will show OutOfSync",)


def test_resume_says_whether_it_ends_the_wait_by_owner():
    pause_step = Wait(WaitKind.PAUSE_STEP, reason="CanaryPauseStep")
    argo = plan(canary_release(20, owner=Owner.ARGO_ROLLOUTS, paused=True, wait=pause_step, step=1, steps=FIVE), ActionKind.RESUME)
    assert argo.change == Resume(at_step=1, completes=False)  # Argo's resume is spec.paused only
    assert "CanaryPauseStep still waits — step up continues it" in argo.diff
    flagger = plan(canary_release(0, owner=Owner.FLAGGER, phase=Phase.PAUSED, wait=Wait.at_gate(Gate.CONFIRM_ROLLOUT)), ActionKind.RESUME)
    assert flagger.change == Resume(at_step=None, completes=True) and flagger.diff.startswith("resume rollout: continues past the confirm-rollout")


@pytest.mark.parametrize("router", [Router.OTHER, Router.NONE])
def test_weights_need_a_router_that_takes_them(router):
    refusal = plan(canary_release(10, owner=Owner.UNMANAGED, router=router), ActionKind.SET_WEIGHT, weight=20).refusal
    assert refusal is not None and f"routed by {router.label}, which rolldeck does not weight" in refusal
