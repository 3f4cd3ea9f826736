"""The fluid data plane: one release's traffic for one tick, as counts and sampled latencies.

Per tick: Poisson arrivals (rate × the region's diurnal shape × spikes and fail-over), a multinomial
split by the *effective* (data-plane) weights, shadow copies for a mirror, and per version: capacity
from Ready pods × concurrency at their node's speed, per-pod queues (random balancing, as kube-proxy)
or one pooled queue (least-request balancers), a backlog that carries overload across ticks and sheds
503s at the queue limit, client timeouts, fast errors, and ``min(n, K)`` latency draws standing for
``n`` requests. See ../shared/reference/simulation-model.md for the model and its measured accuracy.

Accounting per version, over the run: arrivals = served + shed + still queued (the backlog).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rolldeck.simulator.flags import count_unserved, path_latency, split_errors, split_slow
from rolldeck.simulator.latency import LOG_BUCKETS, draw_service_times, draw_waits, log_bucket_index, wait_shape
from rolldeck.simulator.state import ERRORS, FIRST_LE, REQUESTS, SHADOW, SHED, SLOW, TIMEOUTS, USER_BAD, ReleaseSim, VersionSim

FAST_ERROR_LATENCY_S = 0.002  # a 503 from the proxy: no endpoints, shed, DNS or TLS failure


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
    threshold_s: float


def diurnal_factor(time_of_day_s: float, amplitude: float, peak_s: float) -> float:
    return 1.0 + amplitude * math.cos(2.0 * math.pi * (time_of_day_s - peak_s) / 86_400.0)


def serve_tick(
    release: ReleaseSim,
    tick: int,
    now: float,
    dt: float,
    rate_factor: float,
    streams: Streams,
    buckets: Buckets,
    samples: int,
    node_speed: dict[int, float],
) -> None:
    """Run one tick of traffic for ``release`` and record it in each version's signals."""
    expected = release.spec.rps * rate_factor * release.rate_factor * release.failover_factor * dt
    arrivals = int(streams.arrivals.poisson(expected))
    weights = np.array([release.effective.get(v.name, 0) for v in release.versions], dtype=float)
    total = weights.sum()
    if total <= 0:
        counts = np.zeros(len(release.versions), dtype=np.int64)
    else:
        counts = streams.arrivals.multinomial(arrivals, weights / total)
    # The offered load (Poisson means) per version: the queueing formulas take the arrival *rate*;
    # the realised count n already carries the Poisson noise they account for.
    offered = expected * weights / total if total > 0 else np.zeros(len(release.versions))
    shadow = [0] * len(release.versions)
    if release.mirror is not None:
        target, percent = release.mirror
        stable_index = next(i for i, v in enumerate(release.versions) if v.role.value == "stable")
        for index, version in enumerate(release.versions):
            if version.name == target and index != stable_index:
                shadow[index] = int(streams.arrivals.binomial(counts[stable_index], percent / 100.0))
                offered[index] += offered[stable_index] * percent / 100.0
    dependency_s = shared_dependency_delay(release, (counts.sum() + sum(shadow)) / dt)
    for index, (version, n) in enumerate(zip(release.versions, counts)):
        row = np.zeros(FIRST_LE + buckets.le_count + 1)
        total_n = int(n) + shadow[index]
        routed = release.effective.get(version.name, 0) > 0 or shadow[index] > 0
        if not routed:
            version.serving_since = None  # a cold start counts from when traffic (re)starts
        elif version.serving_since is None:
            version.serving_since = now
        if total_n > 0:
            _serve_version(
                release, version, total_n, shadow[index], now, dt, streams, buckets, samples, node_speed, row,
                offered=float(offered[index]), dependency_s=dependency_s,
            )
        else:
            _drain(version, release, dt, node_speed)
        version.record(tick, row)


def shared_dependency_delay(release: ReleaseSim, load_rps: float) -> float:
    """Time each request spends on the release's shared dependency (a database both versions use).

    Every request — mirrored copies included — loads it, so shadow traffic slows stable too: the call
    costs ``latency_ms`` plus M/M/1 queueing at the dependency's utilisation (capped at 0.95).
    """
    dependency = release.spec.shared_dependency
    if dependency is None:
        return 0.0
    rho = min(load_rps / dependency.capacity_rps, 0.95)
    return dependency.latency_ms / 1000.0 / (1.0 - rho)


def _speeds(ready: list, node_speed: dict[int, float]) -> list[float]:
    """Each Ready pod's service-rate factor from its node (a noisy neighbour slows a whole node)."""
    return [node_speed.get(p.node, 1.0) for p in ready]


def _capacity(release: ReleaseSim, speeds: list[float], mean_s: float) -> float:
    """Requests per second the Ready pods can serve, each at its node's speed."""
    return sum(speeds) * release.spec.concurrency / mean_s


def _drain(version: VersionSim, release: ReleaseSim, dt: float, node_speed: dict[int, float]) -> None:
    if version.backlog > 0 and version.ready_pods > 0:
        served = min(version.backlog, _capacity(release, _speeds(version.ready, node_speed), version.profile.mean_s) * dt)
        version.backlog -= served
        version.served_total += served


def _serve_version(
    release: ReleaseSim,
    version: VersionSim,
    n: int,
    shadow: int,
    now: float,
    dt: float,
    streams: Streams,
    buckets: Buckets,
    samples: int,
    node_speed: dict[int, float],
    row: np.ndarray,
    *,
    offered: float | None = None,
    dependency_s: float = 0.0,
) -> None:
    """Serve ``n`` arrivals (``shadow`` of them mirrored copies); ``offered`` is their Poisson mean."""
    spec = release.spec
    row[REQUESTS] = n
    row[SHADOW] = shadow
    version.arrivals_total += n
    ready = [] if release.region_down else version.ready
    if not ready:
        # No endpoints: the proxy answers every request with a fast 503.
        row[ERRORS] = row[SHED] = n
        version.shed_total += n
        _record_latencies(version, np.full(min(n, samples), FAST_ERROR_LATENCY_S), n, buckets, row)
        row[USER_BAD] = n - shadow
        count_unserved(release.flags, version.name, n, n, row[SLOW])
        return
    profile = version.profile
    cold = 1.0
    if version.cold_factor > 1.0 and version.serving_since is not None:
        cold = 1.0 + (version.cold_factor - 1.0) * math.exp(-(now - version.serving_since) / version.cold_decay_s)
    factor = version.latency_factor * cold
    added_s = version.latency_add_s + dependency_s
    mean_s = profile.mean_s * factor + added_s
    pod_speeds = _speeds(ready, node_speed)
    capacity = _capacity(release, pod_speeds, mean_s)
    # The steady-state waits need the arrival rate λ, not this tick's count: n/dt would add the Poisson
    # noise a second time (±6 % at 288 rps puts ticks at ρ 0.97, and p99 at ρ = 0.9 came out 87 % high
    # against the per-request oracle, tests/simulator/test_accuracy.py).
    rate = (n if offered is None else offered) / dt
    # Backlog: what arrives beyond capacity waits; past the queue limit it is shed with fast 503s.
    before = version.backlog
    limit = spec.queue_limit * len(ready)
    after = before + n - capacity * dt
    shed = 0
    if after > limit:
        shed = min(n, int(math.ceil(after - limit)))
        after = limit
    after = max(0.0, after)
    admitted = n - shed
    version.backlog = after
    version.served_total += before + admitted - after
    version.shed_total += shed
    row[SHED] = shed

    k = min(admitted, samples)
    latencies = np.empty(0)
    timeouts = fast = app_errors = 0
    on_path: dict[str, np.ndarray] = {}  # flag key → the samples that took its slow path
    if k > 0:
        service = draw_service_times(streams.latency, k, profile.components) * factor + added_s
        # Pods on a slow node serve at their node's speed: scale those samples' service times.
        speeds = np.array(pod_speeds)
        if (speeds != 1.0).any():
            service /= speeds[streams.latency.integers(0, len(speeds), size=k)]
        if spec.lb == "least_request":
            pods, concurrency = 1, len(ready) * spec.concurrency  # one pooled queue
        else:
            pods, concurrency = len(ready), spec.concurrency  # a queue per pod
        if rate >= capacity:
            waits = np.zeros(k)  # overloaded: the backlog below is the whole queue
        else:
            moment_ratio, light_traffic = wait_shape(profile.components, concurrency)
            waits = draw_waits(
                streams.latency, k, arrival_rate=rate, mean_service_s=mean_s * len(speeds) / speeds.sum(),
                cv=profile.cv, pods=pods, concurrency=concurrency, moment_ratio=moment_ratio, light_traffic=light_traffic,
            )
        latencies = service + waits + _backlog_waits(version, before, after, rate, capacity, pods, profile.cv, dt, k, streams)
        latencies = latencies + path_latency(release.flags, version.name, k, streams.latency, on_path)
        dependency_errors = 0
        if version.timeout_rate > 0:
            hung = streams.latency.random(k) < version.timeout_rate
            wait = version.dependency_timeout_s or spec.timeout
            latencies[hung] += wait  # the call hangs until the dependency client gives up, then fails
            dependency_errors = int(round(hung.mean() * admitted))
        over = latencies > spec.timeout
        timeouts = int(round(over.mean() * admitted))
        latencies[over] = spec.timeout  # the client gives up and records its own timeout
        if version.fast_error_rate > 0:
            fast = int(streams.errors.binomial(admitted - timeouts, version.fast_error_rate))
            latencies[: int(round(fast / admitted * k))] = FAST_ERROR_LATENCY_S
        dependency_errors = max(0, min(dependency_errors, admitted - timeouts - fast))
        app_errors = dependency_errors + split_errors(
            release.flags, version.name, n, admitted - timeouts - fast - dependency_errors, version.error_rate, streams.errors,
            other_errors=shed + timeouts + fast + dependency_errors,
        )
    row[TIMEOUTS] = timeouts
    row[ERRORS] = shed + timeouts + fast + app_errors
    shed_latencies = np.full(min(shed, samples), FAST_ERROR_LATENCY_S)
    _record_latencies(version, latencies, admitted, buckets, row)
    _record_latencies(version, shed_latencies, shed, buckets, row, add=True)
    if k == 0:
        count_unserved(release.flags, version.name, n, row[ERRORS], row[SLOW])
    elif release.flags:
        split_slow(release.flags, version.name, n, row[SLOW], latencies > buckets.threshold_s, on_path)
    user_share = (n - shadow) / n
    row[USER_BAD] = min(n - shadow, round((row[ERRORS] + max(0.0, row[SLOW] - timeouts)) * user_share))


def _backlog_waits(
    version: VersionSim, before: float, after: float, rate: float, capacity: float, pods: int, cv: float,
    dt: float, k: int, streams: Streams,
) -> np.ndarray | float:
    """Time spent behind the carried-over backlog, per sampled request.

    Random balancing fills some pods' queues faster than others: while a backlog lasts, the spread of
    per-pod backlogs grows like a random walk (variance += (λ_pod + μ_pod·cs²)·dt), so requests meet
    different queues. Without it every request would see the mean backlog: p99 too low during a burst
    and the drain too abrupt (measured against tests/oracle).
    """
    if before <= 0 and after <= 0:
        version.backlog_spread = 0.0
        return 0.0
    cap_pod = capacity / pods
    version.backlog_spread += (rate / pods + cap_pod * cv * cv) * dt
    mean = (before + after) / 2.0 / pods
    if pods == 1:
        return mean / cap_pod
    offsets = streams.latency.normal(0.0, math.sqrt(version.backlog_spread), size=pods)
    per_pod = np.maximum(0.0, mean + offsets - offsets.mean())
    return per_pod[streams.latency.integers(0, pods, size=k)] / cap_pod


def _record_latencies(
    version: VersionSim, latencies: np.ndarray, count: int, buckets: Buckets, row: np.ndarray, *, add: bool = False
) -> None:
    if count <= 0 or len(latencies) == 0:
        return
    fine = np.bincount(log_bucket_index(latencies), minlength=LOG_BUCKETS) * (count / len(latencies))
    version.fine += fine
    le_counts = np.bincount(buckets.le_map, weights=fine, minlength=buckets.le_count + 1)
    if add:
        row[FIRST_LE:] += le_counts
    else:
        row[FIRST_LE:] = le_counts
    row[SLOW] = row[FIRST_LE + buckets.slow_from :].sum()
