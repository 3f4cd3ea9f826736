"""The fluid data plane: one release's traffic for one tick, as counts and sampled latencies.

Per tick: Poisson arrivals (rate × the region's diurnal shape), a multinomial split by the
*effective* (data-plane) weights, binomial errors, capacity from ready pods × concurrency, a backlog
that carries overload across ticks, and ``min(n, K)`` latency draws standing for ``n`` requests.
See ../shared/reference/simulation-model.md for the model and its measured accuracy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulator.latency import LOG_BUCKETS, draw_service_times, draw_waits, log_bucket_index
from simulator.state import ERRORS, FIRST_LE, REQUESTS, SLOW, ReleaseSim, VersionSim

NO_ENDPOINT_LATENCY_S = 0.001  # a 503 from the proxy when a version has no ready pods


@dataclass
class Streams:
    """A release's random streams, one per concern (see simulator.rng)."""

    arrivals: np.random.Generator
    errors: np.random.Generator
    latency: np.random.Generator


@dataclass(frozen=True)
class Buckets:
    """The scenario's le bounds and the precomputed fine → le mapping."""

    le_map: np.ndarray  # fine bucket index → le bucket index
    le_count: int  # number of finite bounds
    slow_from: int  # first le bucket index counted as slow (above the SLO threshold)


def diurnal_factor(time_of_day_s: float, amplitude: float, peak_s: float) -> float:
    return 1.0 + amplitude * math.cos(2.0 * math.pi * (time_of_day_s - peak_s) / 86_400.0)


def serve_tick(
    release: ReleaseSim,
    tick: int,
    dt: float,
    rate_factor: float,
    streams: Streams,
    buckets: Buckets,
    samples: int,
) -> None:
    """Run one tick of traffic for ``release`` and record it in each version's signals."""
    expected = release.spec.rps * rate_factor * release.rate_factor * dt
    arrivals = int(streams.arrivals.poisson(expected))
    weights = np.array([release.effective.get(v.name, 0) for v in release.versions], dtype=float)
    total = weights.sum()
    if total <= 0:
        counts = np.zeros(len(release.versions), dtype=np.int64)
    else:
        counts = streams.arrivals.multinomial(arrivals, weights / total)
    for version, n in zip(release.versions, counts):
        row = np.zeros(FIRST_LE + buckets.le_count + 1)
        if n > 0:
            _serve_version(version, int(n), dt, release.spec.concurrency, streams, buckets, samples, row)
        version.record(tick, row)


def _serve_version(
    version: VersionSim,
    n: int,
    dt: float,
    concurrency: int,
    streams: Streams,
    buckets: Buckets,
    samples: int,
    row: np.ndarray,
) -> None:
    row[REQUESTS] = n
    k = min(n, samples)
    weight = n / k
    if version.ready_pods <= 0:
        # No endpoints: the proxy answers every request with a fast 503.
        row[ERRORS] = n
        latencies = np.full(k, NO_ENDPOINT_LATENCY_S)
    else:
        profile = version.profile
        mean_s = profile.mean_s * version.latency_factor + version.latency_add_s
        capacity = version.ready_pods * concurrency / mean_s  # requests per second
        rate = n / dt
        version.backlog = max(0.0, version.backlog + (rate - capacity) * dt)
        row[ERRORS] = streams.errors.binomial(n, min(1.0, version.error_rate))
        service = draw_service_times(streams.latency, k, profile.dist, profile.mean_s, profile.cv)
        service = service * version.latency_factor + version.latency_add_s
        waits = draw_waits(
            streams.latency,
            k,
            arrival_rate=rate,
            mean_service_s=mean_s,
            cv=profile.cv,
            pods=version.ready_pods,
            concurrency=concurrency,
        )
        latencies = service + waits + version.backlog / capacity
    fine = np.bincount(log_bucket_index(latencies), minlength=LOG_BUCKETS) * weight
    version.fine += fine
    le_counts = np.bincount(buckets.le_map, weights=fine, minlength=buckets.le_count + 1)
    row[FIRST_LE:] = le_counts
    row[SLOW] = le_counts[buckets.slow_from:].sum()
