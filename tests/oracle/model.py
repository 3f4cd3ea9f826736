"""The per-request reference model: every request simulated on its own, in SimPy.

Poisson arrivals (optionally with a piecewise-constant rate schedule, for bursts), random load
balancing (each request picks a pod uniformly, as kube-proxy in iptables mode does), a FCFS queue per
pod in front of ``concurrency`` worker slots, service times exponential or lognormal(mean, CV).
Each request's latency (queueing + service) is recorded with its arrival time.

Written in callback style (see ../shared/reference/simulation-model.md §1.1): one chain of arrival
``Timeout`` events and one service ``Timeout`` per request, both with plain callbacks, and a deque of
waiting arrival times per pod — about two SimPy events per request, no generator frames. Scalars come
from the stdlib ``random.Random(seed)`` (faster than scalar numpy draws); the same arguments give the
same requests, bit for bit. Nothing here reads the wall clock.
"""

from __future__ import annotations

import gc
import math
import random
from bisect import bisect_right
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import simpy


@dataclass(frozen=True)
class ServiceLaw:
    """A service-time distribution: ``exponential`` (cv is 1) or ``lognormal`` with this mean and CV."""

    dist: str = "exponential"
    mean_s: float = 0.05
    cv: float = 1.0

    def __post_init__(self) -> None:
        if self.dist not in ("exponential", "lognormal"):
            raise ValueError(f"unknown service distribution {self.dist!r}")
        if self.mean_s <= 0 or self.cv <= 0:
            raise ValueError("mean and cv must be positive")

    def sampler(self, rng: random.Random):
        """A zero-argument function drawing one service time in seconds."""
        if self.dist == "exponential":
            expovariate, rate = rng.expovariate, 1.0 / self.mean_s
            return lambda: expovariate(rate)
        sigma2 = math.log1p(self.cv * self.cv)
        mu, sigma = math.log(self.mean_s) - sigma2 / 2.0, math.sqrt(sigma2)
        lognormvariate = rng.lognormvariate
        return lambda: lognormvariate(mu, sigma)


@dataclass(frozen=True)
class OracleResult:
    """Every completed request: its arrival time and latency (seconds), in completion order."""

    arrival_s: np.ndarray
    latency_s: np.ndarray
    events: int  # SimPy events scheduled over the run
    duration_s: float

    @property
    def requests(self) -> int:
        return len(self.arrival_s)

    def window(self, start_s: float = 0.0, end_s: float = math.inf) -> np.ndarray:
        """Latencies of the requests that arrived in ``[start_s, end_s)``."""
        mask = (self.arrival_s >= start_s) & (self.arrival_s < end_s)
        return self.latency_s[mask]

    def quantile(self, q: float, start_s: float = 0.0, end_s: float = math.inf) -> float:
        return float(np.quantile(self.window(start_s, end_s), q))

    def per_second_quantile(self, q: float, start_s: int = 0, end_s: int | None = None) -> np.ndarray:
        """Quantile ``q`` of the latencies by arrival second: element i is second ``start_s + i``
        (NaN for a second without requests)."""
        end = int(math.ceil(self.duration_s)) if end_s is None else end_s
        seconds = np.floor(self.arrival_s).astype(np.int64)
        order = np.argsort(seconds, kind="stable")
        seconds, latencies = seconds[order], self.latency_s[order]
        out = np.full(end - start_s, np.nan)
        edges = np.searchsorted(seconds, np.arange(start_s, end + 1))
        for i in range(end - start_s):
            chunk = latencies[edges[i] : edges[i + 1]]
            if len(chunk):
                out[i] = np.quantile(chunk, q)
        return out


def simulate(
    *,
    rate: float | Sequence[tuple[float, float]],
    duration_s: float,
    pods: int,
    concurrency: int,
    service: ServiceLaw,
    seed: int,
    drain: bool = True,
) -> OracleResult:
    """Run the per-request model.

    ``rate`` is arrivals per second, or a schedule ``[(from_s, rps), ...]`` (piecewise constant,
    first entry at 0). Arrivals stop at ``duration_s``; with ``drain`` the requests still queued then
    are served to completion, so every arrival has a latency.
    """
    schedule = [(0.0, float(rate))] if isinstance(rate, (int, float)) else [(float(t), float(r)) for t, r in rate]
    if not schedule or schedule[0][0] != 0.0 or any(b[0] <= a[0] for a, b in zip(schedule, schedule[1:])):
        raise ValueError("a rate schedule starts at 0 and its times increase")
    if any(r < 0 for _, r in schedule) or pods < 1 or concurrency < 1:
        raise ValueError("rates must be >= 0, pods and concurrency >= 1")

    env = simpy.Environment()
    rng = random.Random(seed)
    draw_service = service.sampler(rng)
    uniform, expovariate = rng.random, rng.expovariate
    timeout = env.timeout
    busy = [0] * pods
    queues = [deque() for _ in range(pods)]
    arrivals: list[float] = []
    latencies: list[float] = []
    record_arrival, record_latency = arrivals.append, latencies.append
    starts = [t for t, _ in schedule]
    rates = [r for _, r in schedule]
    boundaries = starts[1:] + [duration_s]

    def start(pod: int, arrived: float) -> None:
        timeout(draw_service(), (pod, arrived)).callbacks.append(done)

    def done(event) -> None:
        pod, arrived = event._value
        record_arrival(arrived)
        record_latency(env._now - arrived)
        queue = queues[pod]
        if queue:
            start(pod, queue.popleft())
        else:
            busy[pod] -= 1

    def schedule_next(now: float) -> None:
        # Piecewise-constant Poisson: draw at the current rate; if the draw crosses the next rate
        # change, restart from the change (memorylessness keeps this exact).
        segment = bisect_right(starts, now) - 1
        while True:
            if segment >= len(boundaries) or now >= duration_s:
                return
            edge = min(boundaries[segment], duration_s)
            current = rates[segment]
            at = now + expovariate(current) if current > 0 else math.inf
            if at < edge:
                timeout(at - now).callbacks.append(arrive)
                return
            now, segment = edge, segment + 1
            if now >= duration_s:
                return
            if now > env._now:
                timeout(now - env._now).callbacks.append(restart)
                return

    def restart(event) -> None:
        schedule_next(env._now)

    def arrive(event) -> None:
        now = env._now
        pod = int(uniform() * pods)
        if busy[pod] < concurrency:
            busy[pod] += 1
            start(pod, now)
        else:
            queues[pod].append(now)
        schedule_next(now)

    schedule_next(0.0)
    # Millions of short-lived events: the cyclic GC would rescan the growing result lists for nothing
    # (nothing here forms reference cycles). Restored afterwards.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        env.run() if drain else env.run(until=duration_s)
    finally:
        if gc_was_enabled:
            gc.enable()
    events = next(env._eid)
    return OracleResult(np.array(arrivals), np.array(latencies), events, duration_s)
