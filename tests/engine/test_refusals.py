"""Every precondition has a failure phrasing that says what is wrong and what to do.

``CASES`` holds, for every ``Requirement``, a state and an action whose first failed precondition is
that requirement: a requirement added without a case fails ``test_every_requirement_is_triggered``,
so the table cannot grow a condition nobody has seen refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.model import Flag, FlagState, FleetState, Owner, Phase, ReleaseRef, Replicas, Role, Router, Strategy, VersionState
from rolldeck.engine.plans import Plan, plan_action
from rolldeck.engine.steps import PauseStep, WeightStep
from rolldeck.engine.preconditions import PHRASINGS, Requirement
from tests.engine.factories import BLUE_GREEN, CANARY, blue_green_release, canary_release, fleet

R = Requirement
FLAG = Flag("new-checkout", FlagState.ENABLED, ("on", "off"), "off", (("on", 5.0), ("off", 95.0)))
COLOURS = Flag("colour", FlagState.ENABLED, ("red", "green", "blue"), "red", (("red", 100.0), ("green", 0.0), ("blue", 0.0)))


def on(state: FleetState, kind: ActionKind, ref: ReleaseRef = CANARY, read_only: bool = False, **kw: object) -> Callable[[], Plan]:
    return lambda: plan_action(state, Action(kind, ref, **kw), read_only=read_only)


def flagged(kind: ActionKind, subject: Flag = FLAG, **kw: object) -> Callable[[], Plan]:
    kw.setdefault("flag", subject.key)
    return on(fleet(canary_release(10, flags=(subject,))), kind, **kw)


ARGO = canary_release(25, owner=Owner.ARGO_ROLLOUTS, step=1, steps=(WeightStep(25), PauseStep(), WeightStep(50)))
ROLLING = canary_release(
    25,
    strategy=Strategy.ROLLING,
    router=Router.NONE,
    versions=(VersionState("stable", "v1", Role.STABLE, Replicas(8, 8, 8)), VersionState("canary", "v2", Role.CANDIDATE, Replicas(2, 2, 2))),
)
NO_CANDIDATE = canary_release(0, versions=(VersionState("stable", "v1", Role.STABLE, Replicas(8, 8, 8)),))
FLAGGER_BG = blue_green_release(owner=Owner.FLAGGER)
ARGO_BG = blue_green_release(owner=Owner.ARGO_ROLLOUTS, paused=False, phase=Phase.PROGRESSING)

CASES: dict[Requirement, Callable[[], Plan]] = {
    R.RELEASE_FOUND: on(fleet(canary_release(10)), ActionKind.ABORT, ref=ReleaseRef("prod-eu-west-1", "nope")),
    R.WRITABLE: on(fleet(canary_release(10), read_only=True), ActionKind.PAUSE),
    R.REACHABLE: on(fleet(canary_release(10), reachable=False), ActionKind.PAUSE),
    R.PERMITTED: on(fleet(canary_release(10, denied=(("pause", "RBAC: you may not patch rollouts in shop"),))), ActionKind.PAUSE),
    R.CANARY_STRATEGY: on(fleet(blue_green_release()), ActionKind.SET_WEIGHT, ref=BLUE_GREEN, weight=50),
    R.BLUE_GREEN_STRATEGY: on(fleet(canary_release(10)), ActionKind.SWITCH_SLOT),
    R.MANUAL_WEIGHTS: on(fleet(ARGO), ActionKind.SET_WEIGHT, weight=50),
    R.MANUAL_MIRROR: on(fleet(ARGO), ActionKind.SET_MIRROR, percent=10.0),
    R.ROUTE_TAKES_WEIGHTS: on(fleet(canary_release(10, router=Router.OTHER)), ActionKind.SET_WEIGHT, weight=50),
    R.ROUTE_MIRRORS: on(fleet(canary_release(10, router=Router.HTTP_ROUTE)), ActionKind.SET_MIRROR, percent=10.0),
    R.COHORTS_OURS: on(fleet(canary_release(10, strategy=Strategy.AB)), ActionKind.PROMOTE),
    R.OWNER_RETRIES: on(fleet(canary_release(0, aborted=True, phase=Phase.DEGRADED)), ActionKind.RETRY),
    R.OWNER_UNDOES: on(fleet(canary_release(10, owner=Owner.FLAGGER, revisions=(1, 2))), ActionKind.UNDO),
    R.STRATEGY_PROMOTES: on(fleet(ROLLING), ActionKind.PROMOTE),
    R.SLOTS_OURS: on(fleet(FLAGGER_BG), ActionKind.SWITCH_SLOT, ref=BLUE_GREEN),
    R.NOT_ABORTED: on(fleet(replace(ARGO, aborted=True, phase=Phase.DEGRADED)), ActionKind.PROMOTE),
    R.NOT_ALREADY_ABORTED: on(fleet(canary_release(0, aborted=True, phase=Phase.DEGRADED)), ActionKind.ABORT),
    R.WAS_ABORTED: on(fleet(ARGO), ActionKind.RETRY),
    R.IN_PROGRESS: on(fleet(canary_release(0, phase=Phase.HEALTHY)), ActionKind.ABORT),
    R.ANALYSIS_RUNNING: on(fleet(canary_release(0, owner=Owner.FLAGGER, phase=Phase.HEALTHY)), ActionKind.STEP_UP),
    R.NOT_PAUSED: on(fleet(canary_release(10, paused=True, phase=Phase.PAUSED)), ActionKind.PAUSE),
    R.PAUSED: on(fleet(canary_release(10)), ActionKind.RESUME),
    R.WAITS_FOR_PROMOTION: on(fleet(ARGO_BG), ActionKind.STEP_UP, ref=BLUE_GREEN),
    R.STEPS_REMAIN: on(fleet(replace(ARGO, step=3)), ActionKind.STEP_UP),
    R.DEPLOYMENT_RUNNING: on(fleet(canary_release(10, paused=True, phase=Phase.PAUSED, revisions=(1, 2))), ActionKind.UNDO),
    R.CANDIDATE_EXISTS: on(fleet(NO_CANDIDATE), ActionKind.PROMOTE),
    R.STABLE_AND_CANDIDATE: on(fleet(NO_CANDIDATE), ActionKind.ABORT),
    R.CANDIDATE_HAS_READY_PODS: on(fleet(canary_release(10, canary_ready=0)), ActionKind.SET_WEIGHT, weight=50),
    R.CANDIDATE_ALL_READY: on(fleet(canary_release(25, canary_ready=1)), ActionKind.PROMOTE),
    R.SWITCH_TO_PREVIEW: on(fleet(blue_green_release(owner=Owner.ARGO_ROLLOUTS)), ActionKind.SWITCH_SLOT, ref=BLUE_GREEN, slot="blue"),
    R.SLOT_EXISTS: on(fleet(blue_green_release()), ActionKind.SWITCH_SLOT, ref=BLUE_GREEN, slot="purple"),
    R.SLOT_NOT_ACTIVE: on(fleet(blue_green_release()), ActionKind.SWITCH_SLOT, ref=BLUE_GREEN, slot="blue"),
    R.SLOT_READY: on(fleet(blue_green_release(green_ready=2)), ActionKind.SWITCH_SLOT, ref=BLUE_GREEN),
    R.WEIGHT_IN_RANGE: on(fleet(canary_release(10)), ActionKind.SET_WEIGHT, weight=101),
    R.WEIGHT_DIFFERS: on(fleet(canary_release(10)), ActionKind.SET_WEIGHT, weight=10),
    R.STEP_ABOVE: on(fleet(canary_release(100)), ActionKind.STEP_UP),
    R.STEP_BELOW: on(fleet(canary_release(0)), ActionKind.STEP_DOWN),
    R.MIRROR_IN_RANGE: on(fleet(canary_release(10)), ActionKind.SET_MIRROR, percent=150.0),
    R.MIRROR_DIFFERS: on(fleet(canary_release(10)), ActionKind.SET_MIRROR, percent=0.0),
    R.EARLIER_REVISION: on(fleet(canary_release(10, revisions=(3,))), ActionKind.UNDO),
    R.REVISION_KEPT: on(fleet(canary_release(10, revisions=(1, 2))), ActionKind.UNDO, revision=7),
    R.REVISION_NOT_CURRENT: on(fleet(canary_release(10, revisions=(1, 2))), ActionKind.UNDO, revision=2),
    R.FLAG_EXISTS: flagged(ActionKind.KILL_FLAG, flag="no-such-flag"),
    R.FLAG_ON: flagged(ActionKind.KILL_FLAG, replace(FLAG, state=FlagState.DISABLED)),
    R.FLAG_KILLED: flagged(ActionKind.RESTORE_FLAG),
    R.SHARES_GIVEN: flagged(ActionKind.SET_FLAG_ROLLOUT),
    R.VARIANTS_KNOWN: flagged(ActionKind.SET_FLAG_ROLLOUT, shares=(("blue", 50.0), ("off", 50.0))),
    R.SHARES_IN_RANGE: flagged(ActionKind.SET_FLAG_ROLLOUT, shares=(("on", 120.0), ("off", -20.0))),
    R.SHARES_SUM_TO_100: flagged(ActionKind.SET_FLAG_ROLLOUT, shares=(("on", 60.0), ("off", 60.0))),
    R.SHARES_DIFFER: flagged(ActionKind.SET_FLAG_ROLLOUT, shares=(("on", 5.0), ("off", 95.0))),
    R.FLAG_TWO_VARIANTS: flagged(ActionKind.FLAG_STEP_UP, COLOURS),
    R.FLAG_STEP_ABOVE: flagged(ActionKind.FLAG_STEP_UP, replace(FLAG, shares=(("on", 100.0), ("off", 0.0)))),
    R.FLAG_STEP_BELOW: flagged(ActionKind.FLAG_STEP_DOWN, replace(FLAG, shares=(("on", 0.0), ("off", 100.0)))),
}


def test_every_requirement_is_phrased_and_triggered():
    assert set(PHRASINGS) == set(Requirement)
    assert set(CASES) == set(Requirement)


@pytest.mark.parametrize("requirement", list(Requirement))
def test_each_refusal_says_the_failure_not_the_condition(requirement):
    plan = CASES[requirement]()
    failed = next(p for p in plan.preconditions if not p.ok)
    assert failed.requirement is requirement
    assert failed.failure and failed.failure != failed.text
    assert plan.refusal == f"cannot {plan.action.kind.value} {plan.action.target}: {failed.failure}"
    assert "{" not in failed.failure and "\n" not in failed.failure


@pytest.mark.parametrize("requirement", list(Requirement))
def test_a_held_precondition_keeps_its_condition_for_the_confirm_modal(requirement):
    # the templates' fields are exactly what the planner must pass; the condition reads as a check
    phrasing = PHRASINGS[requirement]
    assert phrasing.condition != phrasing.failure
    assert all(field.isidentifier() for field in phrasing.fields)


def test_the_refusals_the_issue_quoted_now_tell_the_truth():
    aborted = CASES[R.NOT_ABORTED]().refusal
    assert aborted == "cannot promote prod-eu-west-1/checkout: aborted: retry first, or undo"
    weights = CASES[R.MANUAL_WEIGHTS]().refusal
    assert weights.endswith("owned by Argo Rollouts: manual weights are refused — promote or abort instead")
    undo = CASES[R.OWNER_UNDOES]().refusal
    assert "no undo on Flagger: abort" in undo and "support undo" not in undo


@pytest.mark.parametrize(
    ("owner", "next_step"),
    [(Owner.ARGO_ROLLOUTS, "retry first, or undo"), (Owner.FLAGGER, "retry first"), (Owner.UNMANAGED, "set the weights again, or undo")],
)
def test_the_way_out_of_an_abort_is_the_owners_own(owner, next_step):
    state = fleet(canary_release(0, owner=owner, aborted=True, phase=Phase.DEGRADED))
    refusal = plan_action(state, Action(ActionKind.ABORT, CANARY)).refusal
    assert refusal.startswith("cannot abort prod-eu-west-1/checkout: already aborted: traffic is on stable;")
    assert next_step in refusal
