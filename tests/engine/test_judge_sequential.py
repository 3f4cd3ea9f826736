"""The sequential judge (engine.judge.evidence): anytime-valid, noise-aware, total over its inputs.

Counts come from this file's own seeded generator (Poisson requests, binomial or beta-binomial bad
events per one-minute interval), never from the simulator, and reach the judge through the call the
autopilot and console make: ``ReleaseEvidence.observe(now, totals)`` with cumulative totals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from scipy.stats import binom

from rolldeck.engine.judge import Counts, JudgeConfig, Metric, Missing, Reason, ReleaseEvidence, Verdict
from rolldeck.engine.judge.sequential import ALTERNATIVES, AbsoluteTest, RelativeTest

MINUTE = 60.0


@dataclass(frozen=True)
class Traffic:
    """One canary and its stable, per one-minute interval."""

    rps: float
    weight: float  # canary share of requests
    canary_errors: float
    stable_errors: float
    canary_slow: float = 0.0
    stable_slow: float = 0.0
    cv: float = 0.0  # minute-to-minute variation of each version's rates (beta-binomial)
    shared: bool = False  # True: both versions' rates move together (the environment), else each its own


def _rates(rng: np.random.Generator, mean: float, multiplier: float | None, cv: float) -> float:
    if cv <= 0 or mean <= 0:
        return mean
    factor = multiplier if multiplier is not None else rng.gamma(1 / cv**2, cv**2)
    return min(1.0, mean * factor)


def minutes(traffic: Traffic, rng: np.random.Generator, count: int, weights: list[float] | None = None):
    """Per-minute (canary, stable) Counts."""
    for i in range(count):
        weight = weights[i] if weights is not None else traffic.weight
        n_c = int(rng.poisson(traffic.rps * MINUTE * weight))
        n_b = int(rng.poisson(traffic.rps * MINUTE * (1 - weight)))
        shared = rng.gamma(1 / traffic.cv**2, traffic.cv**2) if traffic.cv > 0 and traffic.shared else None
        c_err = _rates(rng, traffic.canary_errors, shared, traffic.cv)
        b_err = _rates(rng, traffic.stable_errors, shared, traffic.cv)
        c_slow = _rates(rng, traffic.canary_slow, shared, traffic.cv)
        b_slow = _rates(rng, traffic.stable_slow, shared, traffic.cv)
        yield (
            Counts(n_c, int(rng.binomial(n_c, c_err)), int(rng.binomial(n_c, c_slow))),
            Counts(n_b, int(rng.binomial(n_b, b_err)), int(rng.binomial(n_b, b_slow))),
        )


def run(traffic: Traffic, seed: int, count: int, cfg: JudgeConfig = JudgeConfig(), *, looks_per_minute: int = 1,
        steps: int = 1, weights: list[float] | None = None) -> tuple[int | None, ReleaseEvidence]:
    """Feed ``count`` minutes, looking ``looks_per_minute`` times a minute; the minute of the first Fail."""
    rng = np.random.default_rng(seed)
    judge = ReleaseEvidence(cfg, steps=steps)
    canary_total, stable_total = Counts(0, 0, 0), Counts(0, 0, 0)
    judge.observe(0.0, {"r1": (canary_total, stable_total)})
    for minute, (canary, stable) in enumerate(minutes(traffic, rng, count, weights), 1):
        for look in range(1, looks_per_minute + 1):
            # Counts arrive spread over the minute; the judge only sees cumulative totals.
            share = look / looks_per_minute
            c = canary_total + Counts(*(round(v * share) for v in (canary.requests, canary.errors, canary.slow)))
            s = stable_total + Counts(*(round(v * share) for v in (stable.requests, stable.errors, stable.slow)))
            judgement = judge.observe((minute - 1 + share) * MINUTE, {"r1": (c, s)})
            if judgement.verdict is Verdict.FAIL:
                return minute, judge
        canary_total, stable_total = canary_total + canary, stable_total + stable
    return None, judge


# --- anytime-valid ------------------------------------------------------------------------------------


def test_looking_thousands_of_times_at_the_null_boundary_stays_within_alpha():
    """Every test at its H0 boundary at once, 2,160 looks (six hours at one look per 10 s) per run."""
    cfg = JudgeConfig(alpha=0.2)  # large, so that the rate is measurable in 100 runs
    null = cfg.null_rate(Metric.ERRORS)  # canary exactly at the budget plus tolerance …
    boundary = Traffic(rps=20, weight=0.25, canary_errors=null, stable_errors=null / cfg.ratio_errors,  # … and exactly r× the stable
                       canary_slow=cfg.null_rate(Metric.SLOW), stable_slow=cfg.null_rate(Metric.SLOW) / cfg.ratio_slow)
    runs = 100
    failed = sum(run(boundary, seed, 360, cfg, looks_per_minute=6)[0] is not None for seed in range(runs))
    assert failed / runs <= cfg.alpha + 3 * math.sqrt(cfg.alpha * (1 - cfg.alpha) / runs)


def test_a_naive_repeated_test_on_the_same_counts_would_not_stay_within_alpha():
    """The counter-example that makes the test above mean something: a fixed-n binomial test at α
    repeated at every interval on cumulative counts rolls back far more than α of the same runs."""
    alpha, runs, rng = 0.05, 150, np.random.default_rng(3)
    failed = 0
    for _ in range(runs):
        n = rng.poisson(20 * MINUTE * 0.25, 360).cumsum()
        x = rng.binomial(rng.poisson(20 * MINUTE * 0.25, 360), 0.0125).cumsum()
        failed += bool((binom.sf(x - 1, n, 0.0125) < alpha).any())
    assert failed / runs > 3 * alpha


def test_evidence_does_not_depend_on_how_often_one_looks():
    bad = Traffic(rps=50, weight=0.05, canary_errors=0.02, stable_errors=0.002)
    at_minutes = run(bad, 11, 20)[1].judgement
    every_ten_seconds = run(bad, 11, 20, looks_per_minute=6)[1].judgement
    assert at_minutes.verdict is every_ten_seconds.verdict
    first, second = at_minutes.regions[0].metrics[0], every_ten_seconds.regions[0].metrics[0]
    assert first.e_absolute == pytest.approx(second.e_absolute) and first.e_relative == pytest.approx(second.e_relative)


def test_relative_e_value_is_the_mixture_of_per_interval_likelihood_ratios_across_weight_changes():
    """Weight 1 % → 5 % → 25 % inside one step: each interval's ratio uses its own traffic split."""
    test = RelativeTest(2.0)
    rows = [(60, 3, 5940, 4), (300, 9, 5700, 6), (1500, 20, 4500, 8)]
    for row in rows:
        test.add(*row)
    log_lrs = []
    for g in ALTERNATIVES:
        total = 0.0
        for n_c, x_c, n_b, x_b in rows:
            null = 2.0 * n_c / (2.0 * n_c + n_b)
            alt = 2.0 * g * n_c / (2.0 * g * n_c + n_b)
            total += binom.logpmf(x_c, x_c + x_b, alt) - binom.logpmf(x_c, x_c + x_b, null)
        log_lrs.append(total)
    assert test.log_e(1.0) == pytest.approx(math.log(np.mean(np.exp(log_lrs))), rel=1e-9)


def test_weight_changes_within_a_step_neither_inflate_false_fails_nor_waste_evidence():
    weights = [0.01] * 5 + [0.05] * 5 + [0.25] * 20
    healthy = Traffic(rps=200, weight=0.01, canary_errors=0.002, stable_errors=0.002)
    assert sum(run(healthy, seed, 30, weights=weights)[0] is not None for seed in range(100)) <= 1
    bad = Traffic(rps=200, weight=0.01, canary_errors=0.02, stable_errors=0.002)
    caught = [run(bad, seed, 30, weights=weights)[0] for seed in range(30)]
    assert all(minute is not None and minute <= 12 for minute in caught)


def test_alpha_is_split_over_tests_regions_and_steps():
    cfg = JudgeConfig(alpha=0.01)
    assert ReleaseEvidence(cfg, regions=1, steps=1).threshold == pytest.approx(4 / 0.01)
    assert ReleaseEvidence(cfg, regions=3, steps=5).threshold == pytest.approx(4 * 3 * 5 / 0.01)
    # Judging three regions at once spends α three ways even when the caller said one.
    judge = ReleaseEvidence(cfg, regions=1, steps=1)
    judge.observe(0.0, {r: (Counts(0, 0, 0), Counts(0, 0, 0)) for r in ("a", "b", "c")})
    assert judge.threshold == pytest.approx(4 * 3 / 0.01)
    # The same borderline canary fails a one-step rollout sooner than a ten-step one.
    bad = Traffic(rps=100, weight=0.05, canary_errors=0.008, stable_errors=0.002)
    one = [run(bad, seed, 40, steps=1)[0] or 99 for seed in range(20)]
    ten = [run(bad, seed, 40, steps=10)[0] or 99 for seed in range(20)]
    assert all(a <= b for a, b in zip(one, ten, strict=True)) and sum(one) < sum(ten)


# --- noise-aware ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("traffic", "limit"),
    [
        (Traffic(rps=1000, weight=0.05, canary_errors=0.001, stable_errors=0.001, canary_slow=0.002, stable_slow=0.002, cv=1.0), 0.05),
        (Traffic(rps=1000, weight=0.05, canary_errors=0.01, stable_errors=0.01, cv=0.3), 0.01),
        (Traffic(rps=1000, weight=0.01, canary_errors=0.001, stable_errors=0.001, cv=1.0), 0.05),
    ],
    ids=["0.1% errors, CV 1.0", "1% errors at the budget, CV 0.3", "1% weight, CV 1.0"],
)
def test_per_version_noise_is_tempered_not_mistaken_for_a_regression(traffic, limit):
    """The audit's cases: the fixed-n judge failed 40 % and 56 % of these healthy canaries."""
    runs = 100
    failed = sum(run(traffic, seed, 30)[0] is not None for seed in range(runs))
    assert failed / runs <= limit


def test_the_dispersion_estimate_follows_the_noise():
    quiet = Traffic(rps=1000, weight=0.05, canary_errors=0.01, stable_errors=0.01)
    noisy = Traffic(rps=1000, weight=0.05, canary_errors=0.01, stable_errors=0.01, cv=0.3)
    phi_quiet = run(quiet, 5, 30)[1].judgement.regions[0].metrics[0].dispersion
    phi_noisy = run(noisy, 5, 30)[1].judgement.regions[0].metrics[0].dispersion
    expected = 1 + 3000 * 0.01 * 0.3**2  # beta-binomial: 1 + (bad per interval) × CV²
    assert phi_quiet < 2.0 and expected / 2 < phi_noisy < expected * 2


def test_a_pass_needs_more_requests_when_the_counts_are_noisy():
    noisy = Traffic(rps=1000, weight=0.05, canary_errors=0.005, stable_errors=0.005, cv=1.0)
    judgement = run(noisy, 2, 10)[1].judgement
    region = judgement.regions[0]
    assert region.needed > JudgeConfig().n_min_errors * 3 and judgement.n_min == region.needed


def test_no_fail_before_several_intervals_however_bad_and_however_often_one_looks():
    dead = Traffic(rps=100, weight=0.05, canary_errors=1.0, stable_errors=0.001)
    minute, judge = run(dead, 1, 10, looks_per_minute=60)
    assert minute == JudgeConfig().min_intervals
    assert judge.judgement.regions[0].intervals == JudgeConfig().min_intervals


def test_shared_noise_never_fails_the_canary():
    """Both versions' rates move together (a slow dependency, a bad minute for the region)."""
    for traffic in (
        Traffic(rps=1000, weight=0.05, canary_errors=0.001, stable_errors=0.001, canary_slow=0.002, stable_slow=0.002, cv=1.0, shared=True),
        Traffic(rps=1000, weight=0.05, canary_errors=0.009, stable_errors=0.009, cv=1.0, shared=True),
        Traffic(rps=200, weight=0.01, canary_errors=0.005, stable_errors=0.005, cv=1.0, shared=True),
    ):
        for seed in range(60):
            minute, judge = run(traffic, seed, 30)
            assert minute is None, judge.judgement.evidence


def test_an_environment_above_the_budget_holds_instead_of_rolling_back():
    bad_world = Traffic(rps=500, weight=0.1, canary_errors=0.03, stable_errors=0.03)
    minute, judge = run(bad_world, 4, 20)
    assert minute is None
    judgement = judge.judgement
    assert judgement.verdict is Verdict.INCONCLUSIVE and judgement.environment
    assert "both versions breach the 1.0% budget" in judgement.evidence and "not the release: hold" in judgement.evidence


# --- margins ---------------------------------------------------------------------------------------------


def test_a_canary_at_1_03_percent_against_a_stable_at_0_98_percent_is_not_a_fail():
    """At 1000 rps, half the traffic on the canary, for two hours: harmless is harmless."""
    near = Traffic(rps=1000, weight=0.5, canary_errors=0.0103, stable_errors=0.0098)
    for seed in range(40):
        minute, judge = run(near, seed, 120)
        assert minute is None, judge.judgement.evidence
    assert judge.judgement.verdict is Verdict.PASS


def test_a_canary_clearly_over_its_budget_still_fails_the_absolute_test():
    over = Traffic(rps=100, weight=0.1, canary_errors=0.03, stable_errors=0.001)
    minute, judge = run(over, 8, 30)
    assert minute is not None
    assert {m.reason for m in judge.judgement.regions[0].metrics if m.verdict is Verdict.FAIL} <= {Reason.ABSOLUTE, Reason.RELATIVE}


# --- total over its inputs ----------------------------------------------------------------------------------


def _judge_after(looks: list[tuple[object, object]]) -> ReleaseEvidence:
    judge = ReleaseEvidence(JudgeConfig())
    for i, (canary, stable) in enumerate(looks):
        judge.observe(i * MINUTE, {"eu-west-1": (canary, stable)})  # type: ignore[dict-item]
    return judge


GOOD = Counts(6000, 6, 12)
STABLE = Counts(114000, 114, 228)


@pytest.mark.parametrize(
    ("canary", "stable", "reason"),
    [
        (Counts(6000, math.nan, 12), STABLE, "eu-west-1: canary errors is NaN"),
        (Counts(math.inf, 6, 12), STABLE, "eu-west-1: canary requests is infinite"),
        (GOOD, Counts(114000, -4, 228), "eu-west-1: stable errors is negative (-4)"),
        (Counts(1000, 1200, 0), STABLE, "eu-west-1: canary has more errors (1,200) than requests (1,000)"),
        (GOOD, Counts(114000, None, 228), "eu-west-1: stable errors series is missing"),
        (GOOD, Missing("no data for the stable (prometheus: timeout)"), "eu-west-1: no data for the stable (prometheus: timeout)"),
        (None, STABLE, "eu-west-1: no data for the canary (metrics unavailable)"),
        (Counts(6000, "6", 12), STABLE, "eu-west-1: canary errors is not a number (str)"),
    ],
    ids=["nan", "inf", "negative", "errors>requests", "missing-series", "missing-version", "no-canary", "not-a-number"],
)
def test_garbage_in_is_error_with_one_line_never_pass_or_fail(canary, stable, reason):
    judge = _judge_after([(Counts(0, 0, 0), Counts(0, 0, 0)), (GOOD, STABLE), (canary, stable)])
    judgement = judge.judgement
    assert judgement.verdict is Verdict.ERROR
    assert judgement.evidence == reason and "\n" not in judgement.evidence


def test_a_counter_reset_is_error_then_counting_resumes_from_the_new_totals():
    judge = _judge_after([(Counts(0, 0, 0), Counts(0, 0, 0)), (Counts(6000, 6, 12), STABLE)])
    assert judge.observe(2 * MINUTE, {"eu-west-1": (Counts(1000, 1, 2), STABLE + STABLE)}).verdict is Verdict.ERROR
    assert judge.judgement.evidence == "eu-west-1: canary requests went backwards (6,000 → 1,000: a counter reset?) — counting again from here"
    after = judge.observe(3 * MINUTE, {"eu-west-1": (Counts(7000, 7, 14), STABLE + STABLE + STABLE)})
    assert after.verdict is not Verdict.ERROR
    assert after.regions[0].canary == Counts(12000, 12, 24)  # the two good intervals, nothing from the reset


def test_a_reset_that_already_grew_past_the_interval_start_is_still_caught():
    judge = ReleaseEvidence(JudgeConfig())
    judge.observe(0.0, {"r": (Counts(100, 0, 0), Counts(1000, 0, 0))})
    judge.observe(50.0, {"r": (Counts(150, 0, 0), Counts(1500, 0, 0))})
    assert judge.observe(55.0, {"r": (Counts(120, 0, 0), Counts(1550, 0, 0))}).verdict is Verdict.ERROR


def test_impossible_interval_counts_are_error():
    """Each total is fine, but between two looks errors grew by more than requests did."""
    judgement = _judge_after([(Counts(1000, 0, 0), STABLE), (Counts(1010, 40, 0), STABLE + STABLE)]).judgement
    assert judgement.verdict is Verdict.ERROR
    assert judgement.evidence == "eu-west-1: canary has more errors (40) than requests (10) in the last interval"


def test_a_stable_missing_its_errors_never_makes_a_normal_canary_fail():
    looks = [(Counts(0, 0, 0), Counts(0, 0, 0))]
    looks += [(Counts(i * 6000, i * 6, 0), Counts(i * 114000, None, 0)) for i in range(1, 20)]
    judgement = _judge_after(looks).judgement
    assert judgement.verdict is Verdict.ERROR and "stable errors series is missing" in judgement.evidence


def test_canary_only_regions_are_judged_on_the_absolute_test():
    healthy = [(Counts(i * 3000, i * 3, i * 6), None) for i in range(0, 12)]
    judgement = _judge_after(healthy).judgement
    assert judgement.verdict is Verdict.PASS
    assert judgement.evidence == "eu-west-1: canary 33 errors in 33,000 requests — within SLO and no worse than stable"
    bad = [(Counts(i * 3000, i * 150, 0), None) for i in range(0, 6)]
    judgement = _judge_after(bad).judgement
    assert judgement.verdict is Verdict.FAIL
    assert {m.reason for m in judgement.regions[0].metrics if m.verdict is Verdict.FAIL} == {Reason.ABSOLUTE}
    assert "above the 1.0% budget" in judgement.evidence


def test_any_exception_inside_the_judge_is_an_error_verdict(monkeypatch):
    def broken(self, *args):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(AbsoluteTest, "add", broken)
    judgement = _judge_after([(Counts(0, 0, 0), Counts(0, 0, 0)), (GOOD, STABLE)]).judgement
    assert judgement.verdict is Verdict.ERROR
    assert judgement.evidence == "judge error: ZeroDivisionError: float division by zero"


@pytest.mark.parametrize("scale", [1e150, 1e300])
def test_huge_counts_never_overflow(scale):
    healthy = [(Counts(i * scale, i * scale * 1e-3, i * scale * 2e-3), Counts(i * 19 * scale, i * 19 * scale * 1e-3, i * 19 * scale * 2e-3))
               for i in range(6)]
    judgement = _judge_after(healthy).judgement
    assert judgement.verdict is Verdict.PASS, judgement.evidence
    bad = [(Counts(i * scale, i * scale * 1e-1, 0), Counts(i * 19 * scale, i * 19 * scale * 1e-3, 0)) for i in range(6)]
    judgement = _judge_after(bad).judgement
    assert judgement.verdict is Verdict.FAIL, judgement.evidence
    assert all(math.isfinite(m.e_relative) and math.isfinite(m.e_absolute) for m in judgement.regions[0].metrics)


def test_bad_look_time_is_error_not_a_crash():
    judge = ReleaseEvidence(JudgeConfig())
    assert judge.observe(math.nan, {"r": (GOOD, STABLE)}).verdict is Verdict.ERROR


# --- evidence lines --------------------------------------------------------------------------------------------


def test_evidence_lines_an_operator_reads_in_five_seconds():
    start = (Counts(0, 0, 0), Counts(0, 0, 0))
    bad = _judge_after([start] + [(Counts(i * 700, i * 10, 0), Counts(i * 13300, i * 13, 0)) for i in range(1, 5)]).judgement
    assert bad.verdict is Verdict.FAIL
    assert bad.evidence.startswith("eu-west-1: canary 40 errors in 2,800 requests vs stable 52 in 53,200 — 15× worse, evidence ")
    assert bad.evidence.endswith("≥ 2,000 over 4 intervals")  # α 1 % over 4 tests × 5 steps
    early = _judge_after([start, (Counts(700, 0, 0), Counts(13300, 13, 0))]).judgement
    assert early.verdict is Verdict.INCONCLUSIVE
    assert early.evidence == "eu-west-1: canary 0 errors in 700 requests vs stable 13 in 13,300 — not enough evidence yet (1/3 intervals)"
    short = _judge_after([start] + [(Counts(i * 100, 0, 0), Counts(i * 1900, i * 2, 0)) for i in range(1, 5)]).judgement
    assert short.evidence == "eu-west-1: canary 0 errors in 400 requests vs stable 8 in 7,600 — not enough evidence yet (400/1,000)"
    assert short.canary_requests == 400 and short.n_min == 1000
