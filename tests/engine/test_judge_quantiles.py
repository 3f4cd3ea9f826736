"""The judge's own χ²₁ and F(1, ν) quantiles agree with scipy.special (a test-only dependency)."""

from __future__ import annotations

import pytest
from scipy.special import chdtri, fdtri

from rolldeck.engine.judge.quantiles import chi2_1_upper, f_1_quantile

ALPHAS = (1e-8, 1e-6, 1.7e-4, 1e-3, 0.01, 0.05, 0.5, 0.9)


@pytest.mark.parametrize("alpha", (*ALPHAS, 1e-12))
def test_chi2_1_upper_quantile_matches_scipy(alpha):
    assert chi2_1_upper(alpha) == pytest.approx(chdtri(1, alpha), rel=1e-12)


@pytest.mark.parametrize("df", (*range(1, 41), 59, 60, 99, 100, 360, 1001, 2160, 5000))
def test_f_1_quantile_matches_scipy(df):
    for alpha in ALPHAS:
        assert f_1_quantile(df, 1.0 - alpha) == pytest.approx(fdtri(1, df, 1.0 - alpha), rel=1e-7), (df, alpha)


@pytest.mark.parametrize("bad", ((0, 0.5), (2.5, 0.5), (3, 0.0), (3, 1.0), (3, float("nan"))))
def test_f_1_quantile_refuses_what_has_no_quantile(bad):
    with pytest.raises(ValueError):
        f_1_quantile(*bad)
