"""The judge's settings: the SLO it protects, its false-rollback budget, and how it gathers evidence."""

from __future__ import annotations

from dataclasses import dataclass

from rolldeck.engine.judge.counts import METRICS, Metric

TESTS_PER_METRIC = 2  # absolute (against the budget) and relative (against the stable)


@dataclass(frozen=True, slots=True)
class JudgeConfig:
    error_budget: float = 0.01  # 1 − success SLO
    slow_budget: float = 0.01  # share allowed above the latency threshold (a p99 SLO)
    # The absolute test's null is "at most the budget plus this share of it": a canary at 1.03 %
    # against a 1 % budget is harmless, and no finite sample should be made to say otherwise.
    budget_tolerance: float = 0.25
    n_min_errors: int = 700  # canary requests (noise-adjusted) before a Pass
    n_min_slow: int = 1000
    # False-rollback budget of one rollout: split over tests × regions × steps (Bonferroni on e-values).
    alpha: float = 0.01
    steps: int = 5  # steps with analysis in a rollout, when the caller does not say (1, 5, 10, 25, 50 %)
    interval_s: float = 60.0  # evidence is gathered per interval of backend time, however often one looks
    min_intervals: int = 3  # closed intervals with data before any Fail or Pass
    ratio_errors: float = 2.0  # relative null: canary rate ≤ ratio × stable rate
    ratio_slow: float = 1.5
    failure_limit: int = 0
    inconclusive_limit: int = 0
    consecutive_error_limit: int = 4
    latency_label: str = "the SLO"  # e.g. "500 ms", for evidence lines

    def budget(self, metric: Metric | str) -> float:
        return self.error_budget if metric == Metric.ERRORS else self.slow_budget

    def null_rate(self, metric: Metric | str) -> float:
        """The absolute test's boundary: the budget plus its tolerance."""
        return min(self.budget(metric) * (1.0 + self.budget_tolerance), 0.5)

    def ratio(self, metric: Metric | str) -> float:
        return self.ratio_errors if metric == Metric.ERRORS else self.ratio_slow

    def n_min(self, metric: Metric | str) -> int:
        return self.n_min_errors if metric == Metric.ERRORS else self.n_min_slow

    @property
    def evidence_needed(self) -> int:
        return max(self.n_min_errors, self.n_min_slow)

    def alpha_per_test(self, regions: int = 1, steps: int | None = None) -> float:
        """α for one test of one metric in one region at one step."""
        tests = TESTS_PER_METRIC * len(METRICS)
        return self.alpha / tests / max(1, regions) / max(1, self.steps if steps is None else steps)
