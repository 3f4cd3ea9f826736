"""The canary judge: anytime-valid, noise-aware sequential tests on counts, per region then per release.

``ReleaseEvidence`` (``evidence.py``) is the judge: stateful across looks, one per release and step,
fed cumulative totals and answering a ``Judgement`` (Pass, Fail, Inconclusive = hold, Error =
freeze) with one line of evidence. The method and its guarantee are in docs/judge.md.

``judge_release`` / ``judge_since`` (``fixed_n.py``) are the fixed-n judge it replaces, kept until
the autopilot and the console hold a ``ReleaseEvidence`` per step.
"""

from rolldeck.engine.judge.config import JudgeConfig
from rolldeck.engine.judge.counts import METRICS, Counts, Metric, Missing, Observed, problem
from rolldeck.engine.judge.evidence import ReleaseEvidence, observed_versions
from rolldeck.engine.judge.fixed_n import binomial_tail, counts_since, judge_region, judge_release, judge_since, release_totals
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
    "Verdict",
    "binomial_tail",
    "counts_since",
    "judge_region",
    "judge_release",
    "judge_since",
    "observed_versions",
    "problem",
    "release_totals",
]
