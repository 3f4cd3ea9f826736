"""The same workload through the fluid data plane: a one-release scenario run by ``simulator.world``.

One release whose stable version carries 100 % of the traffic (the candidate has no pods and no
weight), so its fine log histogram (``VersionSim.fine``) holds every request's sampled latency.
Shared by tests/simulator/test_accuracy.py and bench/sim_accuracy.py.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from rolldeck.simulator.latency import GAMMA, log_bucket_upper_edges
from rolldeck.simulator.scenario import Scenario
from rolldeck.simulator.state import VersionSim
from rolldeck.simulator.world import World
from tests.oracle.model import ServiceLaw

_UPPER = log_bucket_upper_edges()
_LOWER = _UPPER / GAMMA


def one_release_scenario(
    *,
    rps: float,
    duration_s: float,
    service: ServiceLaw,
    pods: int = 4,
    concurrency: int = 4,
    samples: int = 2000,
    seed: int = 0,
    lb: str = "random",
    spike: tuple[float, float, float] | None = None,
) -> Scenario:
    """``spike = (at_s, until_s, factor)`` adds a ``traffic_spike`` fault (arrivals × factor)."""
    service_time = {"dist": service.dist, "mean_ms": service.mean_s * 1000.0}
    if service.dist == "lognormal":
        service_time["cv"] = service.cv
    faults = []
    if spike is not None:
        at, until, factor = spike
        faults.append(
            {"type": "traffic_spike", "at": at, "until": until, "target": {"release": "api"}, "params": {"factor": factor}}
        )
    return Scenario.model_validate(
        {
            "scenario": "oracle-comparison",
            "title": "fluid model vs per-request oracle",
            "briefing": "-",
            "seed": seed,
            "duration": duration_s,
            "latency_samples": samples,
            "regions": {"r1": {"diurnal_amplitude": 0.0}},
            "clusters": [{"name": "c1", "region": "r1"}],
            "releases": [
                {
                    "name": "api",
                    "cluster": "c1",
                    "strategy": "canary",
                    "rps": rps,
                    "concurrency": concurrency,
                    "lb": lb,
                    "stable": {"revision": "v1", "pods": pods, "error_rate": 0.0, "service_time": service_time},
                    "candidate": {"revision": "v2", "pods": 0, "error_rate": 0.0, "service_time": service_time},
                    "steps": [],
                }
            ],
            "faults": faults,
        }
    )


def serving_version(world: World) -> VersionSim:
    return world.releases[0].version("stable")


def run_fluid(scenario: Scenario, *, warmup_s: float, until_s: float) -> np.ndarray:
    """The fine histogram of the requests that arrived in ``[warmup_s, until_s)`` (whole ticks)."""
    world = World(scenario)
    world.run_until(warmup_s)
    before = serving_version(world).fine.copy()
    world.run_until(until_s)
    return serving_version(world).fine - before


def run_fluid_per_second(scenario: Scenario, *, until_s: int) -> list[np.ndarray]:
    """One fine histogram per tick (1 s ticks): element t holds the requests that arrived in second t."""
    world = World(scenario)
    version = serving_version(world)
    out, previous = [], version.fine.copy()
    for t in range(1, until_s + 1):
        world.run_until(t)
        out.append(version.fine - previous)
        previous = version.fine.copy()
    return out


def hist_quantile(counts: np.ndarray, q: float) -> float:
    """Quantile ``q`` of a fine log histogram, interpolated geometrically inside the bucket that holds
    the rank (a bucket is 2 % wide; interpolation keeps the estimate well under that)."""
    total = counts.sum()
    if total <= 0:
        return math.nan
    cumulative = np.cumsum(counts)
    rank = q * total
    index = int(np.searchsorted(cumulative, rank, side="left"))
    index = min(index, len(counts) - 1)
    below = cumulative[index - 1] if index > 0 else 0.0
    fraction = (rank - below) / counts[index] if counts[index] > 0 else 1.0
    return float(_LOWER[index] * GAMMA ** min(max(fraction, 0.0), 1.0))


def seconds_above(p99_by_second: Sequence[float], threshold_s: float) -> int:
    return int(sum(1 for value in p99_by_second if value > threshold_s))
