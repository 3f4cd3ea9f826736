"""What a controller's own analysis says: Argo Rollouts AnalysisRuns and Experiments, summarised.

These are the controller's verdicts (its metrics, its limits), shown beside rolldeck's judge so
on-call sees *why* a rollout is Degraded or paused on ``InconclusiveAnalysisRun``: per metric the
phase, the successful / failed / inconclusive / error counts, the last value and message.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AnalysisPhase(StrEnum):
    """Argo's AnalysisPhase (AnalysisRuns, their metrics, and Experiments)."""

    PENDING = "Pending"
    RUNNING = "Running"
    SUCCESSFUL = "Successful"
    FAILED = "Failed"
    ERROR = "Error"
    INCONCLUSIVE = "Inconclusive"
    UNKNOWN = "Unknown"

    @classmethod
    def of(cls, value: object) -> AnalysisPhase:
        try:
            return cls(str(value))
        except ValueError:
            return cls.UNKNOWN if value else cls.PENDING

    @property
    def bad(self) -> bool:
        return self in (AnalysisPhase.FAILED, AnalysisPhase.ERROR, AnalysisPhase.INCONCLUSIVE)


class AnalysisKind(StrEnum):
    """Where in the rollout the run sits (Argo's ``rollout-type`` label)."""

    STEP = "step"
    BACKGROUND = "background"
    PRE_PROMOTION = "pre-promotion"
    POST_PROMOTION = "post-promotion"
    EXPERIMENT = "experiment"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class MetricResult:
    name: str
    phase: AnalysisPhase
    count: int = 0
    successful: int = 0
    failed: int = 0
    inconclusive: int = 0
    error: int = 0
    last_value: str = ""  # the newest measurement's value, as the provider wrote it
    message: str = ""

    def describe(self) -> str:
        counts = f"✔ {self.successful} ✖ {self.failed} ? {self.inconclusive} ⚠ {self.error}"
        last = f" · last {self.last_value}" if self.last_value else ""
        note = f" · {self.message}" if self.message else ""
        return f"{self.name}: {self.phase.value} ({counts}){last}{note}"


@dataclass(frozen=True, slots=True)
class AnalysisSummary:
    name: str
    kind: AnalysisKind
    phase: AnalysisPhase
    metrics: tuple[MetricResult, ...] = ()
    message: str = ""

    @property
    def successful(self) -> int:
        return sum(m.successful for m in self.metrics)

    @property
    def failed(self) -> int:
        return sum(m.failed for m in self.metrics)

    @property
    def inconclusive(self) -> int:
        return sum(m.inconclusive for m in self.metrics)

    @property
    def error(self) -> int:
        return sum(m.error for m in self.metrics)

    def describe(self) -> str:
        """The plugin's tree line: ``step analysis checkout-7c9-3: Inconclusive ✔ 4 ✖ 4 ? 1 ⚠ 1``."""
        counts = " ".join(f"{sign} {n}" for sign, n in (("✔", self.successful), ("✖", self.failed), ("?", self.inconclusive), ("⚠", self.error)) if n)
        return f"{self.kind.value} analysis {self.name}: {self.phase.value}" + (f" {counts}" if counts else "")


@dataclass(frozen=True, slots=True)
class ExperimentTemplate:
    name: str
    image: str  # tag or short digest, as versions show it
    ready: int = 0
    replicas: int = 0


@dataclass(frozen=True, slots=True)
class ExperimentSummary:
    name: str
    phase: AnalysisPhase
    message: str = ""
    templates: tuple[ExperimentTemplate, ...] = ()
    analyses: tuple[AnalysisSummary, ...] = ()

    def describe(self) -> str:
        pods = ", ".join(f"{t.name} {t.image} {t.ready}/{t.replicas}" for t in self.templates)
        return f"experiment {self.name}: {self.phase.value}" + (f" ({pods})" if pods else "") + (f" · {self.message}" if self.message else "")
