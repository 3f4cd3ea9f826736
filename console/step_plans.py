"""The step plan a release follows, with its current step and the time left in it.

Two sources: the autopilot's plan (it knows its own countdown) and the controller's steps, which a
backend may describe (the simulator's scenario does; Argo Rollouts tells only ``step N of M``). For
controller steps the console times a step from when it saw the step begin, so a step already under
way at start-up shows its length but no countdown rather than a wrong one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rolldeck.engine.autopilot import Autopilot, TrackView
from rolldeck.engine.model import FleetState, ReleaseRef, ReleaseState
from rolldeck.engine.rollout_plans import BlueGreenPlan, CanaryPlan


@dataclass(frozen=True, slots=True)
class PlannedStep:
    label: str  # "10%", "switch", "watch"
    bake_s: float | None = None  # None: until promoted (controller) or until enough evidence (autopilot)
    analysis: bool = False
    approval: bool = False


@dataclass(frozen=True, slots=True)
class StepPlanView:
    steps: tuple[PlannedStep, ...]
    current: int | None  # 0-based index into steps; None before the first step or when unknown
    countdown_s: float | None
    source: str  # "autopilot" or "controller"
    state: str = ""  # the autopilot's track state
    step_count: int | None = None  # when only "step N of M" is known (no step list)


def canary_steps(plan: CanaryPlan) -> tuple[PlannedStep, ...]:
    return tuple(PlannedStep(f"{s.weight}%", s.bake_s, s.analysis, s.approval) for s in plan.steps)


def blue_green_steps(plan: BlueGreenPlan) -> tuple[PlannedStep, ...]:
    return (PlannedStep("switch"), PlannedStep("watch", plan.watch_s, plan.analysis))


class StepClock:
    """When each release's controller step began, as far as the console saw it happen."""

    def __init__(self) -> None:
        self._seen: dict[ReleaseRef, tuple[int | None, float | None]] = {}

    def update(self, state: FleetState) -> None:
        for release in state.releases():
            previous = self._seen.get(release.ref)
            if previous is None:
                self._seen[release.ref] = (release.step, None)  # already under way: start unknown
            elif previous[0] != release.step:
                self._seen[release.ref] = (release.step, state.time)

    def started_at(self, ref: ReleaseRef) -> float | None:
        seen = self._seen.get(ref)
        return seen[1] if seen else None


def autopilot_steps(autopilot: Autopilot | None) -> dict[str, tuple[PlannedStep, ...]]:
    """Planned steps per application name, from the autopilot's rollout plans."""
    if autopilot is None:
        return {}
    steps: dict[str, tuple[PlannedStep, ...]] = {}
    for rollout in autopilot.plans:
        plan = rollout.plan
        steps[rollout.release] = canary_steps(plan) if isinstance(plan, CanaryPlan) else blue_green_steps(plan)
    return steps


def step_plan_view(
    release: ReleaseState,
    now: float,
    track: TrackView | None,
    autopilot_plans: Mapping[str, tuple[PlannedStep, ...]],
    controller_plans: Mapping[str, tuple[PlannedStep, ...]],
    clock: StepClock,
) -> StepPlanView | None:
    if track is not None and release.name in autopilot_plans:
        steps = autopilot_plans[release.name]
        current = min(max(track.step - 1, 0), len(steps) - 1) if steps else None
        if len(steps) == 2 and steps[0].label == "switch":  # blue-green: switch, then watch while baking
            current = 1 if track.state.value in ("baking", "done") else 0
        return StepPlanView(steps, current, track.countdown_s, "autopilot", track.state.value)
    steps = controller_plans.get(str(release.ref), ())
    if steps:
        current = release.step if release.step is not None and release.step < len(steps) else None
        countdown = None
        started = release.step_started if release.step_started is not None else clock.started_at(release.ref)
        bake = steps[current].bake_s if current is not None else None
        if started is not None and bake is not None and not release.paused:
            countdown = max(0.0, started + bake - now)
        return StepPlanView(steps, current, countdown, "controller")
    if release.step is not None and release.step_count is not None:
        return StepPlanView((), release.step, None, "controller", step_count=release.step_count)
    return None
