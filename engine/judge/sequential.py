"""Anytime-valid tests on per-interval counts: mixtures of binomial likelihood ratios (e-processes).

Each test keeps, for a grid of alternatives, the log likelihood ratio of everything seen against the
null's boundary, summed interval by interval. For a one-sided binomial null the ratio against any
alternative above the boundary is a nonnegative supermartingale under every rate at or below it, so
their mixture is too, and by Ville's inequality P(sup_t e_t ≥ 1/α) ≤ α: the test may be looked at
after every interval, forever, and keeps its false-failure rate. Summing per-interval ratios is what
lets the canary's weight change inside a step (Lindon & Malek 2022; Lindon et al., KDD 2022).

Real traffic is noisier than binomial: a version's error rate moves from minute to minute. Pearson's
χ² of the per-interval counts against their pooled fit estimates that overdispersion φ, and the
evidence is tempered to e = Σ w·LR^(1/φ) (a quasi-likelihood: φ-times-noisier counts carry 1/φ of
the information). ``log_e`` takes φ so the caller decides when there are enough intervals to trust it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from rolldeck.engine.judge.quantiles import chi2_1_upper, f_1_quantile

# Alternatives as multiples of the null's boundary (rate for the absolute test, ratio for the
# relative one), weighted equally: the mixture costs log(8) ≈ 2.1 nats against the best of them.
ALTERNATIVES: tuple[float, ...] = (1.25, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 100.0)
# Log ratios beyond this decide nothing more; clipping keeps 1e300-request intervals finite.
_CLIP = 1e200


def _log_mean_exp(values: np.ndarray) -> float:
    top = float(values.max())
    return top + math.log(float(np.exp(values - top).mean()))


def _pearson(observed: np.ndarray, trials: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Pearson's χ² of binomial counts against their fitted rates (summed over the last axis, so a
    matrix of fits gives one χ² per fit); degenerate cells add nothing."""
    with np.errstate(all="ignore"):
        z = (observed - trials * rate) / np.sqrt(trials * rate * (1.0 - rate))
    z = np.clip(np.nan_to_num(z, nan=0.0, posinf=0.0, neginf=0.0), -1e100, 1e100)
    chi2: np.ndarray = np.square(z).sum(axis=-1)
    return chi2


# A regression that starts mid-step is a change, not noise: from this many intervals on, the counts
# are also fitted with one change point, and when that fits much better (an F ratio above
# _CHANGE_F) the dispersion is read from the residuals of that fit instead.
_CHANGE_FROM = 5
_CHANGE_F = 20.0
_CHANGE_WINDOW = 720  # only the most recent intervals are searched for the change (12 h of minutes)


def _split_rates(bad: np.ndarray, trials: np.ndarray, gap: int) -> np.ndarray:
    """Pooled rate of each side of every change: row s fits intervals [0, s+1) and [s+1+gap, k)
    separately; with ``gap`` 1 the interval the change happened in (half old, half new) is left out
    (its fitted rate is NaN, so it adds nothing to χ²)."""
    k = len(bad)
    rows = k - 1 - gap
    cum_bad, cum_trials = np.cumsum(bad), np.cumsum(trials)
    ends = np.arange(rows)
    with np.errstate(all="ignore"):
        left = cum_bad[ends] / cum_trials[ends]
        right = (cum_bad[-1] - cum_bad[ends + gap]) / (cum_trials[-1] - cum_trials[ends + gap])
    index = np.arange(k)[None, :]
    fitted = np.where(index <= ends[:, None], left[:, None], right[:, None])
    return np.where((index > ends[:, None]) & (index <= ends[:, None] + gap), np.nan, fitted)


def _with_change(plain: float, fits: list[tuple[np.ndarray, int]], k: int) -> Dispersion:
    """The plain fit's dispersion, or the best change fit's when the change explains much more.

    ``fits`` are χ² arrays of change fits with their degrees of freedom (a sharp change: k − 3; a
    change inside an interval that is left out: k − 4)."""
    chosen = _dispersion(plain, k - 1)
    for chi2, df in fits:
        if df < 2 or len(chi2) == 0:
            continue
        best = float(chi2.min())
        if best > 0 and (plain - best) / 2 / (best / df) > _CHANGE_F and best / df < chosen.phi:
            chosen = _dispersion(best, df)
    return chosen


@dataclass(frozen=True, slots=True)
class Dispersion:
    """Pearson's estimate of how much noisier than binomial the counts are, and its degrees of freedom."""

    phi: float = 1.0
    df: int = 0

    def tempering(self, alpha: float) -> float:
        """The φ to temper by: the excess over binomial, inflated for a small sample.

        With df degrees of freedom z²/φ̂ follows F(1, df), not χ²₁, so the estimated excess (φ̂ − 1)
        is scaled until F's (1 − α) quantile matches χ²₁'s: few intervals of noisy counts weigh
        little, many weigh what they are. Counts that look binomial are not penalised.
        """
        if self.df < 1:
            return math.inf  # one interval cannot show its own noise: no evidence from it alone
        return 1.0 + (self.phi - 1.0) * _small_sample(self.df, alpha)


@lru_cache(maxsize=512)
def _small_sample(df: int, alpha: float) -> float:
    return max(1.0, f_1_quantile(df, 1.0 - alpha) / chi2_1_upper(alpha))


def _conditional(ratio: np.ndarray | float, share: np.ndarray) -> np.ndarray:
    """π: the canary's expected share of an interval's bad events at rate ratio ρ and traffic share n_c/n_b."""
    with np.errstate(all="ignore"):
        weighted = ratio * share
        return weighted / (weighted + 1.0)


def _dispersion(chi2: float, df: int) -> Dispersion:
    """φ̂ = χ²/df, never below binomial (1): noise only ever removes information."""
    if df < 1 or not math.isfinite(chi2):
        return Dispersion(1.0, max(0, df))
    return Dispersion(max(1.0, chi2 / df), df)


class AbsoluteTest:
    """H0: the canary's bad rate is at most ``null_rate``; alternatives are rates above it."""

    def __init__(self, null_rate: float) -> None:
        if not 0.0 < null_rate < 1.0:
            raise ValueError(f"null rate must be in (0, 1), got {null_rate}")
        self.null_rate = null_rate
        rates = np.array([null_rate * g for g in ALTERNATIVES if null_rate * g < 1.0])
        self._log_bad = np.log(rates / null_rate)
        self._log_good = np.log1p(-rates) - math.log1p(-null_rate)
        self._log_lr = np.zeros(len(rates))
        self._n: list[float] = []
        self._x: list[float] = []

    @property
    def intervals(self) -> int:
        return len(self._n)

    def add(self, requests: float, bad: float) -> None:
        if requests <= 0:
            return  # an interval without traffic carries no evidence either way
        step = bad * self._log_bad + (requests - bad) * self._log_good
        self._log_lr = np.clip(self._log_lr + np.clip(step, -_CLIP, _CLIP), -_CLIP, _CLIP)
        self._n.append(requests)
        self._x.append(bad)

    def dispersion(self) -> Dispersion:
        if len(self._n) < 2:
            return Dispersion()
        n, x = np.array(self._n[-_CHANGE_WINDOW:]), np.array(self._x[-_CHANGE_WINDOW:])
        rate = float(x.sum() / n.sum())
        if not 0.0 < rate < 1.0:
            return Dispersion(1.0, len(n) - 1)  # no bad events at all (or all bad): nothing varies
        plain = float(_pearson(x, n, np.full(len(n), rate)))
        k = len(n)
        fits = [(_pearson(x, n, _split_rates(x, n, gap)), k - 3 - gap) for gap in (0, 1)] if k >= _CHANGE_FROM else []
        return _with_change(plain, fits, k)

    def log_e(self, phi: float = 1.0) -> float:
        if not math.isfinite(phi):
            return 0.0
        return _log_mean_exp(self._log_lr / max(1.0, phi))


class RelativeTest:
    """H0: canary rate ≤ ``ratio`` × stable rate, on the canary's share of each interval's bad events.

    Given B = x_canary + x_stable bad events in an interval, x_canary ~ Binomial(B, π) with
    π = ρ·n_c / (ρ·n_c + n_b) for a rate ratio ρ; the traffic split enters only through π, so a
    weight that changes between intervals changes π, never the test's validity. Noise the two
    versions share (a slow dependency, a spike) moves both rates together and cancels in π.
    """

    def __init__(self, ratio: float) -> None:
        if not ratio > 0.0:
            raise ValueError(f"ratio must be positive, got {ratio}")
        self.ratio = ratio
        self._ratios = np.array([ratio * g for g in ALTERNATIVES])
        self._log_lr = np.zeros(len(self._ratios))
        self._rows: list[tuple[float, float, float, float]] = []

    @property
    def intervals(self) -> int:
        return len(self._rows)

    def add(self, canary_requests: float, canary_bad: float, stable_requests: float, stable_bad: float) -> None:
        bad = canary_bad + stable_bad
        if canary_requests <= 0 or stable_requests <= 0 or bad <= 0:
            return  # without traffic on both sides, or any bad event, the split says nothing
        share = canary_requests / stable_requests
        null = self.ratio * share / (self.ratio * share + 1.0)
        alternative = self._ratios * share / (self._ratios * share + 1.0)
        step = canary_bad * np.log(alternative / null) + stable_bad * (np.log1p(-alternative) - math.log1p(-null))
        self._log_lr = np.clip(self._log_lr + np.clip(step, -_CLIP, _CLIP), -_CLIP, _CLIP)
        self._rows.append((canary_requests, canary_bad, stable_requests, stable_bad))

    def dispersion(self) -> Dispersion:
        if len(self._rows) < 2:
            return Dispersion()
        n_c, x_c, n_b, x_b = (np.array(column) for column in zip(*self._rows[-_CHANGE_WINDOW:], strict=True))
        rate_c, rate_b = x_c.sum() / n_c.sum(), x_b.sum() / n_b.sum()
        if rate_c <= 0 or rate_b <= 0:
            return Dispersion(1.0, len(n_c) - 1)  # every bad event on one side: the split cannot vary
        bad, share = x_c + x_b, n_c / n_b
        plain = float(_pearson(x_c, bad, _conditional(rate_c / rate_b, share)))
        k = len(bad)
        fits = []
        if k >= _CHANGE_FROM:
            for gap in (0, 1):
                with np.errstate(all="ignore"):
                    ratios = _split_rates(x_c, n_c, gap) / _split_rates(x_b, n_b, gap)
                fits.append((_pearson(x_c, bad, _conditional(ratios, share)), k - 3 - gap))
        return _with_change(plain, fits, k)

    def log_e(self, phi: float = 1.0) -> float:
        if not math.isfinite(phi):
            return 0.0
        return _log_mean_exp(self._log_lr / max(1.0, phi))
