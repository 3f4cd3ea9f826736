"""A plan's typed facts: which way it moves traffic, and whether it ends the rollout."""

from __future__ import annotations

import pytest

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.model import Owner, PauseStep, Phase, WeightStep, Wait, WaitKind
from rolldeck.engine.plan_facts import Completion, Direction
from rolldeck.engine.plans import plan_action
from tests.engine.factories import BLUE_GREEN, CANARY, blue_green_release, canary_release, fleet

DONE = Completion("canary", "v2")
# Argo-shaped: 10 %, a 60 s bake, 50 %, a pause a human ends, 100 %.
STEPS = (WeightStep(10), PauseStep(60.0), WeightStep(50), PauseStep(None), WeightStep(100))


def plan(release, kind, ref=CANARY, **kw):
    return plan_action(fleet(release), Action(kind, ref, **kw))


@pytest.mark.parametrize(
    ("kind", "weight", "direction"),
    [
        (ActionKind.STEP_UP, 10, Direction.FORWARD),
        (ActionKind.STEP_DOWN, 10, Direction.BACK),
        (ActionKind.PROMOTE, 10, Direction.FORWARD),
        (ActionKind.ABORT, 10, Direction.BACK),
        (ActionKind.PAUSE, 10, Direction.BACK),
        (ActionKind.SET_MIRROR, 10, Direction.OTHER),
    ],
)
def test_direction_says_which_way_traffic_moves(kind, weight, direction):
    options = {"percent": 5.0} if kind is ActionKind.SET_MIRROR else {}
    assert plan(canary_release(weight), kind, **options).direction is direction


def test_a_slot_switch_forward_to_the_candidate_and_back_to_stable():
    forward = plan(blue_green_release(), ActionKind.SWITCH_SLOT, BLUE_GREEN)
    assert forward.direction is Direction.FORWARD and forward.completes == Completion("green", "v8")
    back = plan(blue_green_release(active_slot="green"), ActionKind.SWITCH_SLOT, BLUE_GREEN)
    assert back.direction is Direction.BACK and back.completes is None


def test_promote_completes_and_a_step_short_of_100_does_not():
    assert plan(canary_release(10), ActionKind.PROMOTE).completes == DONE
    assert plan(canary_release(10), ActionKind.STEP_UP).completes is None
    assert plan(canary_release(50), ActionKind.SET_WEIGHT, weight=100).completes == DONE
    assert plan(canary_release(50), ActionKind.SET_WEIGHT, weight=99).completes is None


def test_an_argo_promote_completes_only_past_the_last_step_that_holds():
    argo = dict(owner=Owner.ARGO_ROLLOUTS, steps=STEPS)
    at_human_pause = canary_release(50, step=3, paused=True, phase=Phase.PAUSED, wait=Wait(WaitKind.PAUSE_STEP), **argo)
    assert plan(at_human_pause, ActionKind.STEP_UP).completes == DONE  # only 100 % is left
    at_first_bake = canary_release(10, step=1, **argo)
    assert plan(at_first_bake, ActionKind.STEP_UP).completes is None  # the human pause still holds


def test_resume_completes_when_the_last_bake_is_over_and_nothing_else_holds():
    argo = dict(owner=Owner.ARGO_ROLLOUTS, steps=(WeightStep(10), PauseStep(60.0), WeightStep(100)), paused=True, phase=Phase.PAUSED)
    over = canary_release(10, step=1, step_started=10.0, **argo)  # the fleet's time is 100 s
    assert plan(over, ActionKind.RESUME).completes == DONE
    baking = canary_release(10, step=1, step_started=90.0, **argo)
    assert plan(baking, ActionKind.RESUME).completes is None  # 50 s of the bake left: it holds


def test_an_argo_resume_leaves_a_pause_condition_to_promote():
    waiting = canary_release(
        50, owner=Owner.ARGO_ROLLOUTS, steps=STEPS, step=3, paused=True, phase=Phase.PAUSED, wait=Wait(WaitKind.PAUSE_STEP)
    )
    assert plan(waiting, ActionKind.RESUME).completes is None  # resume is spec.paused only (mechanics §7.1)
