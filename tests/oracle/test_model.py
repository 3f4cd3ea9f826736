"""The oracle itself: deterministic, Poisson rate schedules honoured, and exact where theory is.

Random balancing splits a Poisson stream into independent Poisson streams, so with exponential
service each pod is exactly an M/M/c queue: the oracle must reproduce its closed-form latency law.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.optimize import brentq

from tests.oracle import ServiceLaw, simulate


def mmc_sojourn(rate: float, mean_s: float, servers: int) -> tuple[float, Callable[[float], float]]:
    """Mean and survival function of the time in system of an M/M/c queue."""
    mu, a = 1.0 / mean_s, rate * mean_s
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = a * blocking / (k + a * blocking)
    rho = a / servers
    wait_prob = blocking / (1.0 - rho * (1.0 - blocking))
    theta = servers * mu - rate

    def survival(t: float) -> float:
        # S ~ Exp(mu), plus with probability C an independent W ~ Exp(theta)
        both = (theta * math.exp(-mu * t) - mu * math.exp(-theta * t)) / (theta - mu)
        return (1.0 - wait_prob) * math.exp(-mu * t) + wait_prob * both

    return mean_s + wait_prob / theta, survival


def test_same_seed_same_requests_and_different_seed_different_ones():
    kwargs = dict(rate=200.0, duration_s=20.0, pods=3, concurrency=2, service=ServiceLaw("lognormal", 0.02, 1.5))
    a, b, c = simulate(seed=5, **kwargs), simulate(seed=5, **kwargs), simulate(seed=6, **kwargs)
    assert np.array_equal(a.arrival_s, b.arrival_s) and np.array_equal(a.latency_s, b.latency_s)
    assert not np.array_equal(a.arrival_s[:100], c.arrival_s[:100])
    assert a.events == 2 * a.requests  # callback style: one arrival and one service event per request


def test_a_rate_schedule_gives_poisson_counts_at_each_rate():
    run = simulate(rate=[(0, 100.0), (50, 400.0), (70, 0.0), (80, 100.0)], duration_s=100.0, pods=8, concurrency=8,
                   service=ServiceLaw("exponential", 0.01), seed=3)
    counts = np.bincount(np.floor(run.arrival_s).astype(int), minlength=100)
    assert abs(counts[:50].sum() - 5000) < 4 * math.sqrt(5000)
    assert abs(counts[50:70].sum() - 8000) < 4 * math.sqrt(8000)
    assert counts[70:80].sum() == 0
    assert abs(counts[80:].sum() - 2000) < 4 * math.sqrt(2000)
    assert run.arrival_s.max() < 100.0 and len(run.latency_s) == run.requests  # drained: every arrival served


def test_random_balancing_with_exponential_service_is_exactly_mmc_per_pod():
    pods, servers, mean_s = 4, 4, 0.05
    run = simulate(rate=160.0, duration_s=1050.0, pods=pods, concurrency=servers,
                   service=ServiceLaw("exponential", mean_s), seed=11)
    latencies = run.window(50.0)
    mean, survival = mmc_sojourn(160.0 / pods, mean_s, servers)
    p99 = brentq(lambda t: survival(t) - 0.01, 1e-4, 10.0)
    assert abs(latencies.mean() / mean - 1) < 0.02
    assert abs(np.quantile(latencies, 0.99) / p99 - 1) < 0.02


def test_lognormal_service_has_the_requested_mean_and_cv():
    run = simulate(rate=10.0, duration_s=5000.0, pods=1, concurrency=64,  # no queueing: latency = service
                   service=ServiceLaw("lognormal", 0.05, 1.5), seed=2)
    assert abs(run.latency_s.mean() / 0.05 - 1) < 0.05
    assert abs(run.latency_s.std() / run.latency_s.mean() / 1.5 - 1) < 0.15
