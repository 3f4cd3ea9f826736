"""The canary judge: anytime-valid, noise-aware sequential tests on counts, per region then per release.

``ReleaseEvidence`` (``evidence.py``) is the judge: stateful across looks, one per release and step,
fed cumulative totals and answering a ``Judgement`` (Pass, Fail, Inconclusive = hold, Error =
freeze) with one line of evidence. The method and its guarantee are in docs/judge.md. The autopilot
and the console keep one per release and bake in the engine's bake tracker (``engine.bakes``).
"""

from rolldeck.engine.judge.config import JudgeConfig
from rolldeck.engine.judge.counts import METRICS, Counts, Metric, Missing, Observed, Totals, counts_since, problem, release_totals
from rolldeck.engine.judge.evidence import ReleaseEvidence, observed_versions
from rolldeck.engine.judge.verdict import Judgement, MetricResult, Reason, RegionJudgement, Verdict

__all__ = [
    "METRICS",
    "Counts",
    "JudgeConfig",
    "Judgement",
    "Metric",
    "MetricResult",
    "Missing",
    "Observed",
    "Reason",
    "RegionJudgement",
    "ReleaseEvidence",
    "Totals",
    "Verdict",
    "counts_since",
    "observed_versions",
    "problem",
    "release_totals",
]
