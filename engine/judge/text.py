"""One line of evidence per region: what an operator reads in five seconds before acting."""

from __future__ import annotations

import math

from dataclasses import dataclass

from rolldeck.engine.judge.config import JudgeConfig
from rolldeck.engine.judge.counts import Counts, Metric
from rolldeck.engine.judge.verdict import MetricResult, Reason, Verdict


@dataclass(frozen=True, slots=True)
class Subjects:
    """What the judge compares, in the evidence line's words: a canary with its stable, or a flag's
    cohort on the treatment path with the rest of the version's requests."""

    treated: str = "canary"
    baseline: str = "stable"


CANARY_VS_STABLE = Subjects()


def count(value: float | None) -> str:
    return "?" if value is None else f"{value:,.0f}"


def e_value(value: float) -> str:
    """3 → "3", 41,000 → "4.1e4": evidence spans many orders of magnitude."""
    if not math.isfinite(value):
        return "≥1e300"
    if value < 1e4:
        return f"{value:,.0f}"
    exponent = int(math.floor(math.log10(value)))
    return f"{value / 10.0**exponent:.1f}e{exponent}"


def _versions(region: str, metric: Metric, canary: Counts, baseline: Counts | None, cfg: JudgeConfig, names: Subjects) -> str:
    line = f"{region}: {names.treated} {count(canary.bad(metric))} {metric.noun(cfg.latency_label)} in {count(canary.requests)} requests"
    if baseline is not None and (baseline.requests or 0) > 0:
        line += f" vs {names.baseline} {count(baseline.bad(metric))} in {count(baseline.requests)}"
    return line


def _worse(canary: Counts, baseline: Counts, metric: Metric, names: Subjects) -> str:
    rate_c = (canary.bad(metric) or 0.0) / (canary.requests or 1.0)
    rate_b = (baseline.bad(metric) or 0.0) / (baseline.requests or 1.0)
    return f"{rate_c / rate_b:.0f}× worse" if rate_b > 0 else f"{names.baseline} had none"


def evidence_line(
    region: str,
    verdict: Verdict,
    results: tuple[MetricResult, ...],
    canary: Counts,
    baseline: Counts | None,
    cfg: JudgeConfig,
    intervals: int,
    needed: int,
    names: Subjects = CANARY_VS_STABLE,
) -> str:
    failing = next((r for r in results if r.verdict is Verdict.FAIL), None)
    if failing is not None:
        line = _versions(region, failing.metric, canary, baseline, cfg, names)
        over = f"over {intervals} intervals"
        if failing.reason is Reason.RELATIVE and baseline is not None:
            return f"{line} — {_worse(canary, baseline, failing.metric, names)}, evidence {e_value(failing.e_relative)} ≥ {e_value(failing.threshold)} {over}"
        budget = cfg.budget(failing.metric)
        return f"{line} — above the {budget:.1%} budget, evidence {e_value(failing.e_absolute)} ≥ {e_value(failing.threshold)} {over}"
    environment = next((r for r in results if r.reason is Reason.ENVIRONMENT), None)
    if environment is not None and baseline is not None:
        metric = environment.metric
        return (
            f"{region}: both {'versions' if names == CANARY_VS_STABLE else 'cohorts'} breach the {cfg.budget(metric):.1%} budget "
            f"({names.treated} {count(canary.bad(metric))} {metric.noun(cfg.latency_label)} in {count(canary.requests)}, "
            f"{names.baseline} {count(baseline.bad(metric))} in {count(baseline.requests)}) — not the {'release' if names == CANARY_VS_STABLE else 'flag'}: hold"
        )
    unsettled = next((r for r in results if r.reason is Reason.UNSETTLED), None)
    if unsettled is not None and verdict is Verdict.INCONCLUSIVE:
        metric = unsettled.metric
        line = _versions(region, metric, canary, baseline, cfg, names)
        rate = (canary.bad(metric) or 0.0) / (canary.requests or 1.0)
        worse = f"{rate:.2%} {metric.noun(cfg.latency_label)}, over the {cfg.budget(metric):.1%} budget" if rate > cfg.null_rate(metric) else (
            _worse(canary, baseline, metric, names) if baseline is not None else "worse")
        return f"{line} — reads {worse}, but the counts are {max(r.dispersion for r in results):.0f}× noisier than binomial: no verdict yet, not a pass"
    line = _versions(region, Metric.ERRORS, canary, baseline, cfg, names)
    if verdict is Verdict.INCONCLUSIVE:
        if intervals < cfg.min_intervals:
            return f"{line} — not enough evidence yet ({intervals}/{cfg.min_intervals} intervals)"
        noisy = max(r.dispersion for r in results)
        noise = f", counts {noisy:.1f}× noisier than binomial" if noisy >= 1.5 else ""
        return f"{line} — not enough evidence yet ({count(canary.requests)}/{count(needed)}{noise})"
    return f"{line} — within SLO and no worse than {names.baseline}"
