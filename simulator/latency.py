"""Latency machinery of the fluid data plane: service-time draws, queueing delay, histograms.

Latencies are sampled per (version, tick) — ``k = min(n, K)`` draws standing for ``n`` requests —
into a fine log histogram (γ = 1.02, ~1 % relative error), then re-bucketed onto the production
``le`` bounds so the console and the judge see Prometheus' own artefacts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

GAMMA = 1.02
LOG_MIN_S = 1e-4  # 0.1 ms
LOG_MAX_S = 1e3
LOG_BUCKETS = int(math.ceil(math.log(LOG_MAX_S / LOG_MIN_S) / math.log(GAMMA))) + 1
_LOG_GAMMA = math.log(GAMMA)
QUEUE_RHO_CAP = 0.97  # steady-state formulas blow up at ρ → 1; overload goes to the backlog instead


def log_bucket_index(latencies_s: np.ndarray) -> np.ndarray:
    scaled = np.log(np.maximum(latencies_s, LOG_MIN_S) / LOG_MIN_S) / _LOG_GAMMA
    return np.minimum(scaled.astype(np.int64), LOG_BUCKETS - 1)


def log_bucket_upper_edges() -> np.ndarray:
    return LOG_MIN_S * GAMMA ** (np.arange(LOG_BUCKETS) + 1)


def le_mapping(bounds: Sequence[float]) -> np.ndarray:
    """For each fine bucket, the index of the ``le`` bucket it falls into (len(bounds) = +Inf).

    A fine bucket is assigned by its geometric midpoint; the bound at the SLO threshold is therefore
    accurate to within a bucket width (~1 %).
    """
    mids = log_bucket_upper_edges() / math.sqrt(GAMMA)
    return np.searchsorted(np.asarray(bounds, dtype=float), mids, side="left")


def erlang_c(offered: float, servers: int) -> float:
    """Probability that an arrival waits in an M/M/c queue (offered load a = λ/μ, c servers)."""
    if servers <= 0:
        return 1.0
    rho = min(offered / servers, QUEUE_RHO_CAP)
    a = rho * servers
    blocking = 1.0  # Erlang B by the stable recurrence
    for k in range(1, servers + 1):
        blocking = a * blocking / (k + a * blocking)
    return blocking / (1.0 - rho * (1.0 - blocking))


def draw_service_times(rng: np.random.Generator, k: int, components) -> np.ndarray:
    """k service times from a mixture of exponential/lognormal components (one component: no mixing)."""
    if len(components) == 1:
        return _draw_component(rng, k, components[0])
    choice = rng.choice(len(components), size=k, p=[c.weight for c in components])
    out = np.empty(k)
    for index, component in enumerate(components):
        mask = choice == index
        out[mask] = _draw_component(rng, int(mask.sum()), component)
    return out


def _draw_component(rng: np.random.Generator, k: int, component) -> np.ndarray:
    if component.dist == "exponential":
        return rng.exponential(component.mean_s, size=k)
    # lognormal with the given mean and coefficient of variation
    sigma2 = math.log1p(component.cv * component.cv)
    mu = math.log(component.mean_s) - sigma2 / 2.0
    return rng.lognormal(mu, math.sqrt(sigma2), size=k)


def draw_waits(
    rng: np.random.Generator,
    k: int,
    *,
    arrival_rate: float,
    mean_service_s: float,
    cv: float,
    pods: int,
    concurrency: int,
) -> np.ndarray:
    """Queueing delay per sampled request: per-pod M/M/c waits scaled by Allen–Cunneen.

    kube-proxy balances at random, so each pod is its own queue with λ/pods arrivals (pooling them
    would understate p99 by ~60 % at ρ = 0.9).
    """
    if pods <= 0 or arrival_rate <= 0:
        return np.zeros(k)
    per_pod = arrival_rate / pods
    mu = 1.0 / mean_service_s
    offered = per_pod / mu
    rho = min(offered / concurrency, QUEUE_RHO_CAP)
    p_wait = erlang_c(offered, concurrency)
    theta = concurrency * mu * (1.0 - rho)
    allen_cunneen = (1.0 + cv * cv) / 2.0  # (ca² + cs²)/2 with Poisson arrivals (ca = 1)
    waits = rng.exponential(1.0 / theta, size=k) * allen_cunneen
    waits *= rng.random(size=k) < p_wait
    return waits
