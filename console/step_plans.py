"""The step plan a release follows, with its current step and the time left in it.

Two sources: the autopilot's plan (it knows its own countdown) and the release's own steps, which
every backend puts in the model (``ReleaseState.steps``). A controller step is timed from when the
backend says it began, else from when the engine's bake tracker saw its bake begin, so a step already
under way at start-up shows its length but no countdown rather than a wrong one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from rolldeck.engine.autopilot import Autopilot, TrackView
from rolldeck.engine.bakes import BakeTracker
from rolldeck.engine.model import AnalysisStep, ReleaseState, Step
from rolldeck.engine.rollout_plans import BlueGreenPlan, CanaryPlan, FlagPlan
from rolldeck.engine.steps import bake_of, step_label


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


def canary_steps(plan: CanaryPlan) -> tuple[PlannedStep, ...]:
    return tuple(PlannedStep(f"{s.weight}%", s.bake_s, s.analysis, s.approval) for s in plan.steps)


def blue_green_steps(plan: BlueGreenPlan) -> tuple[PlannedStep, ...]:
    return (PlannedStep("switch"), PlannedStep("watch", plan.watch_s, plan.analysis))


def flag_steps(plan: FlagPlan) -> tuple[PlannedStep, ...]:
    """A flag rollout's shares; the first names the flag, since the release's weight does not move."""
    return tuple(
        PlannedStep(f"flag {plan.flag} {s.share:g}%" if index == 0 else f"{s.share:g}%", s.bake_s, s.analysis)
        for index, s in enumerate(plan.steps)
    )


def controller_steps(release: ReleaseState) -> tuple[PlannedStep, ...]:
    """The release's own steps (from the model: Argo's, Flagger's, the scenario's), for display."""
    return _planned(release.steps)


@lru_cache(maxsize=4096)  # the frame builder asks for every release on every tick; steps rarely change
def _planned(steps: tuple[Step, ...]) -> tuple[PlannedStep, ...]:
    return tuple(PlannedStep(step_label(s), bake_of(s), analysis=isinstance(s, AnalysisStep)) for s in steps)


def autopilot_steps(autopilot: Autopilot | None) -> dict[str, tuple[PlannedStep, ...]]:
    """Planned steps per application name, from the autopilot's rollout plans."""
    if autopilot is None:
        return {}
    steps: dict[str, tuple[PlannedStep, ...]] = {}
    for rollout in autopilot.plans:
        plan = rollout.plan
        if isinstance(plan, CanaryPlan):
            steps[rollout.release] = canary_steps(plan)
        elif isinstance(plan, FlagPlan):
            steps[rollout.release] = flag_steps(plan)
        else:
            steps[rollout.release] = blue_green_steps(plan)
    return steps


def step_plan_view(
    release: ReleaseState,
    now: float,
    track: TrackView | None,
    autopilot_plans: Mapping[str, tuple[PlannedStep, ...]],
    bakes: BakeTracker,
) -> StepPlanView | None:
    if track is not None and release.name in autopilot_plans:
        steps = autopilot_plans[release.name]
        current = min(max(track.step - 1, 0), len(steps) - 1) if steps else None
        if len(steps) == 2 and steps[0].label == "switch":  # blue-green: switch, then watch while baking
            current = 1 if track.state.value in ("baking", "done") else 0
        return StepPlanView(steps, current, track.countdown_s, "autopilot", track.state.value)
    steps = controller_steps(release)
    if not steps:
        return None
    current = release.step if release.step is not None and release.step < len(steps) else None
    countdown = None
    # The backend's own fact first; else when the tracker saw the bake begin (None if it was under way).
    started = release.step_started if release.step_started is not None else bakes.started_at(release.ref)
    bake = steps[current].bake_s if current is not None else None
    if started is not None and bake is not None and not release.paused:
        countdown = max(0.0, started + bake - now)
    return StepPlanView(steps, current, countdown, "controller")
