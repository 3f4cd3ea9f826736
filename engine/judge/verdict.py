"""What the judge answers: a verdict per metric, per region and per release, each with its evidence."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rolldeck.engine.judge.counts import Counts, Metric


class Verdict(StrEnum):
    PASS = "Pass"
    FAIL = "Fail"
    INCONCLUSIVE = "Inconclusive"  # not enough evidence yet: hold
    ERROR = "Error"  # no usable data: freeze


class Reason(StrEnum):
    """Why a metric got its verdict, beyond the verdict itself."""

    NONE = ""
    ABSOLUTE = "absolute"  # the canary is above the budget (plus tolerance)
    RELATIVE = "relative"  # the canary is worse than the stable
    ENVIRONMENT = "environment"  # above the budget, but so is the stable: the world, not the release
    INPUT = "input"  # the counts themselves are unusable
    UNSETTLED = "unsettled"  # no Fail proven, but the canary reads worse than a boundary: never a Pass


# Worst first: a failing region fails the release, missing data beats "not enough yet".
SEVERITY: tuple[Verdict, ...] = (Verdict.FAIL, Verdict.ERROR, Verdict.INCONCLUSIVE, Verdict.PASS)


@dataclass(frozen=True, slots=True)
class MetricResult:
    metric: Metric
    verdict: Verdict
    reason: Reason
    e_absolute: float  # evidence against "canary within budget + tolerance" (1 = none)
    e_relative: float  # evidence against "canary ≤ ratio × stable" (1 = none, or no stable)
    threshold: float  # 1/α for one test: Fail once either e-value reaches it
    dispersion: float  # φ̂ of the absolute test: how much noisier than binomial the canary's counts are
    needed: int  # canary requests a Pass needs at this noise level (n_min × φ̂)


@dataclass(frozen=True, slots=True)
class RegionJudgement:
    region: str
    verdict: Verdict
    metrics: tuple[MetricResult, ...]
    canary: Counts | None  # evidence so far: counts over the closed intervals of this step
    baseline: Counts | None
    evidence: str  # one line an operator reads in five seconds
    intervals: int = 0  # closed intervals with canary traffic
    needed: int = 0  # canary requests a Pass needs (the largest over metrics)


@dataclass(frozen=True, slots=True)
class Judgement:
    verdict: Verdict
    regions: tuple[RegionJudgement, ...]
    evidence: str
    canary_requests: int  # the smallest region's, for the evidence meter
    n_min: int  # what the evidence meter fills towards

    @property
    def failing_regions(self) -> list[str]:
        return [r.region for r in self.regions if r.verdict is Verdict.FAIL]

    @property
    def intervals(self) -> int:
        """Closed intervals behind this judgement (the fewest of any region)."""
        return min((r.intervals for r in self.regions), default=0)

    @property
    def environment(self) -> bool:
        """The judge blames the environment (both versions breach the budget): a human decides."""
        return any(m.reason is Reason.ENVIRONMENT for region in self.regions for m in region.metrics)


def worst(verdicts: list[Verdict]) -> Verdict:
    return next((v for v in SEVERITY if v in verdicts), Verdict.ERROR)
