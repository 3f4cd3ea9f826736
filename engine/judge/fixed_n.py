"""The fixed-n judge (issue 5), kept until its callers move to the sequential judge (``evidence``).

Its α is spent over a planned number of looks (``max_looks``), so past them it has no guarantee;
``engine.judge.evidence`` replaces it. What follows is its original description.

The canary judge: count-based binomial tests with an evidence gate, per region then per release.

Method (../shared/reference/canary-judgment.md §4): for each metric (errors, slow requests) on counts
accumulated since the current step began,

1. an exact one-sided binomial test of the canary's bad fraction against the absolute SLO budget;
2. a conditional binomial test of canary vs baseline: given B = x_canary + x_baseline bad requests,
   under H0 "canary rate ≤ r × baseline rate", x_canary ~ Binomial(B, r·n_c / (r·n_c + n_b));
3. an evidence gate: without a significant failure, fewer than n_min canary requests is Inconclusive.

Repeated looks are controlled by spending α evenly over the planned looks and over regions
(Bonferroni), so a canary checked every interval for a whole bake keeps its false-rollback rate ≤ α.
A failure may be declared before n_min — the tests already account for the sample size — but a pass
never is. "No data" is Error, never Pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from scipy.special import bdtrc

from rolldeck.engine.judge.config import JudgeConfig
from rolldeck.engine.judge.counts import Counts
from rolldeck.engine.judge.verdict import Judgement, RegionJudgement, Verdict
from rolldeck.engine.model import ReleaseState


@dataclass(frozen=True, slots=True)
class MetricResult:
    metric: str
    verdict: Verdict
    p_absolute: float
    p_relative: float
    reason: str  # "absolute" / "relative" for a failure, "" otherwise


def binomial_tail(bad: int, n: int, p: float) -> float:
    """P(X ≥ bad) for X ~ Binomial(n, p): the one-sided exact p-value."""
    if bad <= 0:
        return 1.0
    if n <= 0 or bad > n:
        return 0.0 if bad > n else 1.0
    return float(bdtrc(bad - 1, n, p))


def _test_metric(metric: str, canary: Counts, baseline: Counts | None, cfg: JudgeConfig, alpha: float) -> MetricResult:
    x_c, n_c = canary.bad(metric), canary.requests
    p_abs = binomial_tail(x_c, n_c, cfg.budget(metric))
    p_rel = 1.0
    if baseline is not None and baseline.requests > 0:
        x_b, n_b = baseline.bad(metric), baseline.requests
        total_bad = x_c + x_b
        if total_bad > 0 and n_c > 0:
            r = cfg.ratio(metric)
            p_rel = binomial_tail(x_c, total_bad, r * n_c / (r * n_c + n_b))
    if p_abs < alpha:
        if baseline is not None and binomial_tail(baseline.bad(metric), baseline.requests, cfg.budget(metric)) < alpha:
            # Both versions breach the SLO: the world is bad (a dependency, the region, a spike),
            # not the release. Hold for a human instead of rolling back — unless canary is also worse.
            if p_rel >= alpha:
                return MetricResult(metric, Verdict.INCONCLUSIVE, p_abs, p_rel, "environment")
            return MetricResult(metric, Verdict.FAIL, p_abs, p_rel, "relative")
        return MetricResult(metric, Verdict.FAIL, p_abs, p_rel, "absolute")
    if p_rel < alpha:
        return MetricResult(metric, Verdict.FAIL, p_abs, p_rel, "relative")
    if n_c < cfg.n_min(metric):
        return MetricResult(metric, Verdict.INCONCLUSIVE, p_abs, p_rel, "")
    return MetricResult(metric, Verdict.PASS, p_abs, p_rel, "")


def judge_region(
    region: str, canary: Counts | None, baseline: Counts | None, cfg: JudgeConfig, *, regions: int = 1
) -> RegionJudgement:
    if canary is None:
        return RegionJudgement(region, Verdict.ERROR, (), None, baseline, f"{region}: no data for the canary (metrics unavailable)")
    alpha = cfg.alpha / max(1, cfg.max_looks) / max(1, regions)
    results = tuple(_test_metric(m, canary, baseline, cfg, alpha) for m in ("errors", "slow"))
    verdicts = {r.verdict for r in results}
    if Verdict.FAIL in verdicts:
        verdict = Verdict.FAIL
    elif Verdict.INCONCLUSIVE in verdicts:
        verdict = Verdict.INCONCLUSIVE
    else:
        verdict = Verdict.PASS
    return RegionJudgement(region, verdict, results, canary, baseline, _evidence(region, verdict, results, canary, baseline, cfg))


def judge_release(counts: Mapping[str, tuple[Counts | None, Counts | None]], cfg: JudgeConfig) -> Judgement:
    """Judge each region's canary against its own baseline; a failing region fails the release."""
    regions = tuple(judge_region(name, c, b, cfg, regions=len(counts)) for name, (c, b) in sorted(counts.items()))
    order = (Verdict.FAIL, Verdict.ERROR, Verdict.INCONCLUSIVE)
    verdict = next((v for v in order if any(r.verdict is v for r in regions)), Verdict.PASS)
    if not regions:
        verdict = Verdict.ERROR
    worst = next((r for r in regions if r.verdict is verdict), None)
    evidence = worst.evidence if worst else "no regions to judge"
    smallest = min((r.canary.requests for r in regions if r.canary), default=0)
    return Judgement(verdict, regions, evidence, smallest, cfg.evidence_needed)


def _fmt_p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _evidence(region, verdict, results, canary: Counts, baseline: Counts | None, cfg: JudgeConfig) -> str:
    failing = next((r for r in results if r.verdict is Verdict.FAIL), None)
    metric = failing.metric if failing else "errors"
    noun = "errors" if metric == "errors" else f"slower than {cfg.latency_label}"
    x_c, n_c = canary.bad(metric), canary.requests
    line = f"{region}: canary {x_c:,} {noun} in {n_c:,} requests"
    if baseline is not None and baseline.requests > 0:
        x_b, n_b = baseline.bad(metric), baseline.requests
        line += f" vs stable {x_b:,} in {n_b:,}"
        if failing and failing.reason == "relative":
            rate_b = x_b / n_b
            factor = (x_c / n_c) / rate_b if rate_b > 0 else float("inf")
            worse = f"{factor:.0f}× worse" if factor != float("inf") else "stable had none"
            return f"{line} — {worse}, {_fmt_p(failing.p_relative)}"
    if failing and failing.reason == "absolute":
        return f"{line} — above the {cfg.budget(metric):.1%} budget, {_fmt_p(failing.p_absolute)}"
    environment = next((r for r in results if r.reason == "environment"), None)
    if environment is not None:
        metric = environment.metric
        noun = "errors" if metric == "errors" else f"slower than {cfg.latency_label}"
        x_b, n_b = baseline.bad(metric), baseline.requests
        return (
            f"{region}: both versions breach the {cfg.budget(metric):.1%} budget "
            f"(canary {canary.bad(metric):,} {noun} in {n_c:,}, stable {x_b:,} in {n_b:,}) — not the release: hold"
        )
    if verdict is Verdict.INCONCLUSIVE:
        return f"{line} — not enough evidence yet ({n_c:,}/{cfg.evidence_needed:,})"
    return f"{line} — within SLO and no worse than stable"


def release_totals(release: ReleaseState) -> tuple[Counts, Counts] | None:
    """(candidate, stable) cumulative counts, or None when the metrics source has no data."""
    canary, stable = release.candidate, release.stable
    if canary is None or stable is None or canary.totals is None or stable.totals is None:
        return None
    return Counts.of(canary.totals), Counts.of(stable.totals)


def counts_since(
    release: ReleaseState, start: tuple[Counts, Counts] | None
) -> tuple[Counts | None, Counts | None]:
    """(candidate, stable) counts accumulated since ``start`` (a step's beginning); (None, None) = no data."""
    now = release_totals(release)
    if now is None:
        return (None, None)
    if start is None:
        return now
    return now[0] - start[0], now[1] - start[1]


def judge_since(release: ReleaseState, start: tuple[Counts, Counts] | None, cfg: JudgeConfig) -> Judgement:
    """Judge one release's canary on what happened since ``start``."""
    return judge_release({release.region: counts_since(release, start)}, cfg)
