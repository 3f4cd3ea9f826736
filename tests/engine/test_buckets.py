import pytest

from rolldeck.engine.buckets import count_above, histogram_quantile

BOUNDS = (0.1, 0.5, 1.0)


def test_quantile_interpolates_inside_the_bucket_like_prometheus():
    # 100 observations: 50 ≤ 0.1 s, 40 in (0.1, 0.5], 10 in (0.5, 1.0]
    cumulative = (50, 90, 100, 100)
    assert histogram_quantile(0.5, BOUNDS, cumulative) == pytest.approx(0.1)
    assert histogram_quantile(0.7, BOUNDS, cumulative) == pytest.approx(0.1 + 0.4 * 20 / 40)
    assert histogram_quantile(0.95, BOUNDS, cumulative) == pytest.approx(0.5 + 0.5 * 5 / 10)


def test_rank_in_the_inf_bucket_returns_the_highest_finite_bound():
    assert histogram_quantile(0.99, BOUNDS, (0, 0, 10, 100)) == 1.0


def test_no_observations_is_no_data_not_zero():
    assert histogram_quantile(0.99, BOUNDS, (0, 0, 0, 0)) is None


def test_slow_count_reads_the_bucket_at_the_threshold():
    assert count_above(0.5, BOUNDS, (50, 90, 100, 104)) == 14
    with pytest.raises(ValueError):
        count_above(0.3, BOUNDS, (50, 90, 100, 104))
