"""The judge on counts: evidence gate, absolute and relative binomial tests, regions, evidence text."""

from __future__ import annotations

import numpy as np
import pytest

from rolldeck.engine.judge import Counts, JudgeConfig, Verdict, binomial_tail, judge_region, judge_release

CFG = JudgeConfig()


def test_binomial_tail_matches_a_direct_sum():
    from math import comb

    n, p = 40, 0.05
    for bad in (0, 1, 3, 7):
        direct = sum(comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(bad, n + 1))
        assert binomial_tail(bad, n, p) == pytest.approx(direct, rel=1e-9)


def test_clear_regression_fails_with_evidence_an_operator_reads_in_five_seconds():
    result = judge_region("eu-west-1", Counts(2140, 31, 0), Counts(40800, 12, 0), CFG)
    assert result.verdict is Verdict.FAIL
    assert result.evidence == "eu-west-1: canary 31 errors in 2,140 requests vs stable 12 in 40,800 — 49× worse, p < 0.001"


def test_one_error_in_sixty_requests_is_inconclusive_not_a_rollback():
    result = judge_region("eu-west-1", Counts(60, 1, 0), Counts(6000, 6, 0), CFG)
    assert result.verdict is Verdict.INCONCLUSIVE
    assert "not enough evidence yet (60/1,000)" in result.evidence


def test_enough_healthy_evidence_passes():
    result = judge_region("eu-west-1", Counts(5000, 5, 20), Counts(100000, 100, 400), CFG)
    assert result.verdict is Verdict.PASS
    assert result.evidence.endswith("within SLO and no worse than stable")


def test_slow_requests_fail_against_the_latency_budget():
    result = judge_region("eu-west-1", Counts(3000, 2, 150), Counts(60000, 60, 300), CFG)
    assert result.verdict is Verdict.FAIL
    assert {m.metric for m in result.metrics if m.verdict is Verdict.FAIL} == {"slow"}


def test_both_versions_bad_fails_the_absolute_test_but_not_the_relative_one():
    """Attribution: the world is bad (dependency, region), not the release."""
    result = judge_region("eu-west-1", Counts(3000, 150, 0), Counts(60000, 3000, 0), CFG)
    errors = next(m for m in result.metrics if m.metric == "errors")
    assert errors.verdict is Verdict.INCONCLUSIVE and errors.reason == "environment"
    assert errors.p_absolute < 0.001 and errors.p_relative > 0.5
    assert result.verdict is Verdict.INCONCLUSIVE
    assert "both versions breach the 1.0% budget" in result.evidence and "not the release" in result.evidence


def test_canary_worse_than_an_already_bad_baseline_still_fails():
    result = judge_region("eu-west-1", Counts(3000, 600, 0), Counts(60000, 3000, 0), CFG)
    assert result.verdict is Verdict.FAIL


def test_no_data_is_error_never_pass():
    assert judge_region("eu-west-1", None, Counts(100, 0, 0), CFG).verdict is Verdict.ERROR
    assert judge_release({}, CFG).verdict is Verdict.ERROR


def test_a_failing_region_fails_the_release_even_when_the_aggregate_looks_fine():
    healthy = (Counts(20000, 20, 40), Counts(400000, 400, 800))
    bad = (Counts(2000, 200, 4), Counts(40000, 40, 80))
    verdict = judge_release({"us-east-1": healthy, "eu-west-1": bad, "ap-south-1": healthy}, CFG)
    assert verdict.verdict is Verdict.FAIL
    assert verdict.failing_regions == ["eu-west-1"]
    assert verdict.evidence.startswith("eu-west-1: canary 200 errors in 2,000 requests")


def test_false_failure_rate_over_repeated_looks_stays_below_alpha():
    """A healthy canary looked at 30 times over its bake: α is spent over the looks."""
    rng = np.random.default_rng(7)
    failures = 0
    runs = 400
    for _ in range(runs):
        c_n = c_e = b_n = b_e = 0
        for _look in range(CFG.max_looks):
            c_n += 60
            b_n += 6000
            c_e += rng.binomial(60, 0.001)
            b_e += rng.binomial(6000, 0.001)
            if judge_region("r", Counts(c_n, c_e, 0), Counts(b_n, b_e, 0), CFG).verdict is Verdict.FAIL:
                failures += 1
                break
    assert failures / runs <= 0.02  # α = 1 %; the bound allows sampling noise over 400 runs
