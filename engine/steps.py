"""A release's steps as typed values, filled by each backend: Argo Rollouts' ``spec.strategy.canary.steps``,
Flagger's ``stepWeights`` / ``stepWeight`` + ``maxWeight`` (or its iterations), the scenario's plan.

``ReleaseState.step`` indexes them the way Argo's ``status.currentStepIndex`` does: the steps before
it are done, ``step == len(steps)`` means every step is done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WeightStep:
    """Send ``weight`` percent to the candidate (Argo ``setWeight``, one of Flagger's step weights)."""

    weight: int


@dataclass(frozen=True, slots=True)
class PauseStep:
    """Bake: wait ``duration_s``, or until a human continues it when None (Argo ``pause``)."""

    duration_s: float | None = None


@dataclass(frozen=True, slots=True)
class AnalysisStep:
    """Run an analysis (Argo ``analysis`` templates, one of Flagger's iterations) before moving on."""

    name: str = ""


@dataclass(frozen=True, slots=True)
class PromotionStep:
    """Blue-green: cut traffic over to the preview (after ``auto_after_s``, or when promoted)."""

    auto_after_s: float | None = None


@dataclass(frozen=True, slots=True)
class OtherStep:
    """A step rolldeck shows but does not interpret: ``experiment``, ``setCanaryScale``,
    ``setHeaderRoute``, ``setMirrorRoute``, ``plugin``."""

    kind: str


Step = WeightStep | PauseStep | AnalysisStep | PromotionStep | OtherStep


def set_weight_at(steps: Sequence[Step], index: int | None) -> int | None:
    """The last weight set at or before ``index`` (Argo's ``GetCurrentSetWeight``); None before any."""
    if index is None:
        return None
    for step in reversed(steps[: index + 1]):
        if isinstance(step, WeightStep):
            return step.weight
    return None


def step_weights(steps: Sequence[Step]) -> tuple[int, ...]:
    """The weights the steps set, in order."""
    return tuple(s.weight for s in steps if isinstance(s, WeightStep))


def step_label(step: Step) -> str:
    match step:
        case WeightStep(weight=weight):
            return f"{weight}%"
        case PauseStep(duration_s=None):
            return "pause"
        case PauseStep():
            return "pause"  # the duration is shown beside it (bake_s)
        case AnalysisStep(name=name):
            return f"analysis {name}".strip()
        case PromotionStep():
            return "promote"
        case OtherStep(kind=kind):
            return kind


def bake_of(step: Step) -> float | None:
    """How long the step holds, when it has a fixed length."""
    match step:
        case PauseStep(duration_s=duration):
            return duration
        case PromotionStep(auto_after_s=after):
            return after
        case _:
            return None
