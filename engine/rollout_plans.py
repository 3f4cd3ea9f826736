"""Declarative plans the autopilot runs: canary steps, blue-green cutovers, multi-region phases.

Plans are data; ``engine.autopilot`` executes them through the operator. A scenario (or, on real
clusters, a config file) builds them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CanaryStepPlan:
    weight: int
    bake_s: float | None = None  # None: bake until the judge has enough evidence (≤ max_bake_s)
    analysis: bool = True  # judge while baking; without it the step only waits
    approval: bool = False  # a human must resume before this step's weight is set


@dataclass(frozen=True, slots=True)
class CanaryPlan:
    steps: tuple[CanaryStepPlan, ...]
    max_bake_s: float = 1800.0

    @property
    def analysed_steps(self) -> int:
        """Steps the judge looks at: the rollout's false-rollback budget is shared between them."""
        return max(1, sum(1 for step in self.steps if step.analysis and step.weight < 100))


@dataclass(frozen=True, slots=True)
class BlueGreenPlan:
    watch_s: float = 120.0  # judge the new slot this long after the switch; must be < scale-down delay
    analysis: bool = True


@dataclass(frozen=True, slots=True)
class FlagStepPlan:
    share: float  # the treatment's percent of the flag's evaluations
    bake_s: float | None = None  # None: bake until the cohort's judge has enough evidence (≤ max_bake_s)
    analysis: bool = True  # judge the flag's cohort (flag on against flag off) while baking


@dataclass(frozen=True, slots=True)
class FlagPlan:
    """A flag's rollout, the release's version staying as it is: each step sets the treatment's share,
    bakes judged on the flag's cohort, and a failing cohort is answered with the kill switch."""

    flag: str
    steps: tuple[FlagStepPlan, ...]
    max_bake_s: float = 1800.0


@dataclass(frozen=True, slots=True)
class RegionPhase:
    clusters: tuple[str, ...]
    soak_s: float = 0.0  # wait this long after the phase completes before the next one starts


@dataclass(frozen=True, slots=True)
class RolloutPlan:
    release: str  # the application name; one track per cluster that runs it
    plan: CanaryPlan | BlueGreenPlan | FlagPlan
    phases: tuple[RegionPhase, ...] = ()  # empty: every cluster at once

    def phase_of(self, cluster: str) -> int:
        for index, phase in enumerate(self.phases):
            if cluster in phase.clusters:
                return index
        return len(self.phases)  # clusters not named run after the named phases
