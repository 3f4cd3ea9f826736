"""Simulator throughput: one simulated hour of 3 regions × 10,000 rps, 2 versions each.

Latency sampling on (K draws per version per tick), a canary at 10 % in each region. Reports wall
seconds and simulated requests per wall-second. Goal: ≤ 10 s on the 2-core machine.

``--all-features`` switches on everything the fidelity work added at once: a lognormal mixture,
least-request pooling in one region, shadow traffic, a memory leak with OOM kills, a crash-looping
then recovering candidate, a noisy neighbour, a dependency losing calls, a traffic spike that
overloads (backlog, timeouts, shedding), a region outage with fail-over, pod kills and a metrics
outage.

    .venv/bin/python bench/sim_throughput.py [--hours 1] [--samples 256] [--repeat 3] [--all-features]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np
import simpy

from rolldeck.simulator.scenario import Scenario
from rolldeck.simulator.state import REQUESTS
from rolldeck.simulator.world import World

REGIONS = ("eu-west-1", "us-east-1", "ap-southeast-1")


MIXTURE = {
    "dist": "mixture",
    "components": [
        {"weight": 0.8, "dist": "lognormal", "mean_ms": 25, "cv": 0.8},  # cache hits
        {"weight": 0.2, "dist": "lognormal", "mean_ms": 100, "cv": 1.5},  # misses
    ],
}


def _faults(hours: float) -> list[dict]:
    """One of every data- and control-plane effect, spread over the run."""
    span = hours * 3600
    at = lambda share: round(span * share)  # noqa: E731
    eu, us, ap = (f"prod-{r}" for r in REGIONS)
    return [
        {"at": 0, "type": "memory_leak", "target": {"release": "checkout", "cluster": eu}, "params": {"mb_per_min": 30}},
        {"at": at(0.05), "until": at(0.15), "type": "crash_loop", "target": {"release": "checkout", "cluster": us}},
        {"at": at(0.1), "type": "noisy_neighbour", "target": {"release": "checkout", "cluster": ap}, "params": {"slowdown": 0.4}},
        {"at": at(0.2), "until": at(0.3), "type": "dependency_loss", "target": {"release": "checkout", "cluster": us},
         "params": {"failure_rate": 0.05, "timeout_ms": 800}},
        {"at": at(0.35), "until": at(0.4), "type": "traffic_spike", "target": {"release": "checkout", "cluster": eu},
         "params": {"factor": 3}},
        {"at": at(0.5), "until": at(0.6), "type": "region_outage", "target": {"region": "ap-southeast-1"},
         "params": {"failover": True}},
        {"at": at(0.65), "type": "pod_kill", "target": {"release": "checkout", "version": "all"}, "params": {"count": 10}},
        {"at": at(0.7), "until": at(0.8), "type": "metrics_outage", "target": {"release": "checkout", "cluster": us}},
        {"at": at(0.85), "type": "cold_start", "target": {"release": "checkout"}, "params": {"factor": 2}},
    ]


def scenario(rps: float, samples: int, hours: float, all_features: bool = False) -> Scenario:
    service = MIXTURE if all_features else {"dist": "lognormal", "mean_ms": 40, "cv": 1.2}
    version = {"pods": 120, "error_rate": 0.001, "service_time": service}
    extra = lambda region: (  # noqa: E731
        {"mirror": 20, "lb": "least_request" if region == "us-east-1" else "random", "timeout": "5s", "queue_limit": 50}
        if all_features else {}
    )
    return Scenario.model_validate(
        {
            "scenario": "bench-throughput",
            "title": "throughput benchmark",
            "briefing": "-",
            "seed": 7,
            "duration": hours * 3600,
            "latency_samples": samples,
            "regions": {r: {"diurnal_amplitude": 0.2} for r in REGIONS},
            "clusters": [{"name": f"prod-{r}", "region": r} for r in REGIONS],
            "releases": [
                {
                    "name": "checkout",
                    "cluster": f"prod-{r}",
                    "strategy": "canary",
                    "rps": rps,
                    "concurrency": 8,
                    "stable": {"revision": "v1", **version},
                    "candidate": {"revision": "v2", **version},
                    "steps": [{"weight": 10}],
                    **extra(r),
                }
                for r in REGIONS
            ],
            "faults": _faults(hours) if all_features else [],
        }
    )


def run_once(rps: float, samples: int, hours: float, all_features: bool = False) -> tuple[float, float]:
    world = World(scenario(rps, samples, hours, all_features))
    start = time.perf_counter()
    world.run_until(hours * 3600)
    wall = time.perf_counter() - start
    requests = sum(v.totals[REQUESTS] for r in world.releases for v in r.versions)
    return wall, requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--rps", type=float, default=10_000)
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--all-features", action="store_true", help="every fault and data-plane feature on")
    args = parser.parse_args()
    runs = [run_once(args.rps, args.samples, args.hours, args.all_features) for _ in range(args.repeat)]
    walls = [w for w, _ in runs]
    requests = runs[0][1]
    median = statistics.median(walls)
    print(f"python {platform.python_version()}, numpy {np.__version__}, simpy {simpy.__version__}, {platform.machine()}")
    features = "all features on" if args.all_features else "basic"
    print(f"simulated: {args.hours:g} h, {len(REGIONS)} regions x {args.rps:,.0f} rps, 2 versions, K={args.samples}, {features}")
    print(f"wall seconds (median of {args.repeat}): {median:.2f}  [runs: {', '.join(f'{w:.2f}' for w in walls)}]")
    print(f"simulated requests: {requests:,.0f}  ->  {requests / median:,.0f} per wall-second")
    print(f"goal <= 10 s: {'met' if median <= 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
