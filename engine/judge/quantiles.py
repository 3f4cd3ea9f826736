"""The two quantiles the noise tempering needs, computed exactly (no approximation formula), without scipy.

χ²₁ is Z², so its upper α quantile is Φ⁻¹(α/2)² (``statistics.NormalDist`` inverts Φ to full
precision). F(1, ν) is T²_ν, so its p quantile is t² where P(|T_ν| ≤ t) = p. For integer ν that
probability has a closed form in θ = atan(t/√ν) (Abramowitz & Stegun 26.7.3 and 26.7.4), and its
derivative in θ is 2·cos^(ν−1)θ / B(½, ν/2), so a safeguarded Newton iteration on θ converges in a few
steps. The tail probability is 1 − P(|T| ≤ t), so the quantile's relative precision falls with α:
1e-7 or better at α ≥ 1e-8 per test (the judge's are ≥ 1e-6), which is far finer than tempering needs. ``tests/engine/test_judge_quantiles.py``
holds both against scipy.special.
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist

import numpy as np

_STANDARD_NORMAL = NormalDist()


def chi2_1_upper(alpha: float) -> float:
    """x with P(χ²₁ > x) = α (scipy's ``chdtri(1, alpha)``)."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), not {alpha!r}")
    z = _STANDARD_NORMAL.inv_cdf(alpha / 2.0)  # the lower tail: no 1 − α/2 rounding for a small α
    return z * z


def f_1_quantile(df: int, p: float) -> float:
    """x with P(F(1, df) ≤ x) = p (scipy's ``fdtri(1, df, p)``), for an integer df ≥ 1."""
    if df < 1 or int(df) != df:
        raise ValueError(f"df must be a positive integer, not {df!r}")
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), not {p!r}")
    theta = _theta_where_two_sided_t_reaches(int(df), p)
    t = math.sqrt(df) * math.tan(theta)
    return t * t


def _theta_where_two_sided_t_reaches(df: int, p: float) -> float:
    low, high = 0.0, math.pi / 2.0
    log_scale = math.log(2.0) - _log_beta_half(df)
    theta = math.atan(_t_start(df, p) / math.sqrt(df))
    for _ in range(200):
        excess = _two_sided_t_cdf(df, theta) - p
        if excess == 0.0:
            return theta
        if excess > 0.0:
            high = theta
        else:
            low = theta
        cosine = math.cos(theta)
        slope = math.exp(log_scale + (df - 1) * math.log(cosine)) if cosine > 0.0 else 0.0
        step = theta - excess / slope if slope > 0.0 else math.nan
        if abs(step - theta) <= 4e-16 * theta:
            return step  # Newton has converged to the last bit
        theta = step if low < step < high else (low + high) / 2.0
        if high - low <= 4e-16 * high:
            break
    return theta


def _t_start(df: int, p: float) -> float:
    """Where Newton starts: the Cornish–Fisher expansion of t's quantile in 1/df (close for a large df)."""
    z = -_STANDARD_NORMAL.inv_cdf((1.0 - p) / 2.0)
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df * df)


def _two_sided_t_cdf(df: int, theta: float) -> float:
    """P(|T_df| ≤ √df·tan θ): A&S 26.7.3 (odd df) and 26.7.4 (even df), a polynomial in cos²θ."""
    if df == 1:
        return 2.0 * theta / math.pi
    sine, cosine = math.sin(theta), math.cos(theta)
    coefficients = _series_coefficients(df)
    c2 = cosine * cosine
    if c2 > 0.0:
        powers = np.exp(np.arange(len(coefficients)) * math.log(c2))
        series = float(np.dot(coefficients, powers))
    else:
        series = float(coefficients[0])
    if df % 2 == 0:  # sin θ · (1 + ½c² + (1·3)/(2·4)c⁴ + … up to c^(df−2))
        return min(1.0, sine * series)
    # (2/π)·(θ + sin θ · (c + (2/3)c³ + (2·4)/(3·5)c⁵ + … up to c^(df−2)))
    return min(1.0, 2.0 / math.pi * (theta + sine * cosine * series))


@lru_cache(maxsize=64)
def _series_coefficients(df: int) -> np.ndarray:
    """The series' coefficients in powers of cos²θ: products of (k − 1)/k over k = 2, 4, … or 3, 5, …"""
    k = np.arange(2, df, 2, dtype=float) if df % 2 == 0 else np.arange(3, df - 1, 2, dtype=float)
    return np.concatenate(([1.0], np.cumprod((k - 1.0) / k)))


def _log_beta_half(df: int) -> float:
    """log B(½, df/2)."""
    return math.lgamma(0.5) + math.lgamma(df / 2.0) - math.lgamma((df + 1) / 2.0)
