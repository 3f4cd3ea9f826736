"""Simulator throughput: one simulated hour of 3 regions × 10,000 rps, 2 versions each.

Latency sampling on (K draws per version per tick), a canary at 10 % in each region. Reports wall
seconds and simulated requests per wall-second. Goal (issue 2): ≤ 10 s on the 2-core machine.

    .venv/bin/python bench/sim_throughput.py [--hours 1] [--samples 256] [--repeat 3]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np
import simpy

from simulator.scenario import Scenario
from simulator.state import REQUESTS
from simulator.world import World

REGIONS = ("eu-west-1", "us-east-1", "ap-southeast-1")


def scenario(rps: float, samples: int, hours: float) -> Scenario:
    version = {"pods": 120, "error_rate": 0.001, "service_time": {"dist": "lognormal", "mean_ms": 40, "cv": 1.2}}
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
                }
                for r in REGIONS
            ],
        }
    )


def run_once(rps: float, samples: int, hours: float) -> tuple[float, float]:
    world = World(scenario(rps, samples, hours))
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
    args = parser.parse_args()
    runs = [run_once(args.rps, args.samples, args.hours) for _ in range(args.repeat)]
    walls = [w for w, _ in runs]
    requests = runs[0][1]
    median = statistics.median(walls)
    print(f"python {platform.python_version()}, numpy {np.__version__}, simpy {simpy.__version__}, {platform.machine()}")
    print(f"simulated: {args.hours:g} h, {len(REGIONS)} regions x {args.rps:,.0f} rps, 2 versions, K={args.samples}")
    print(f"wall seconds (median of {args.repeat}): {median:.2f}  [runs: {', '.join(f'{w:.2f}' for w in walls)}]")
    print(f"simulated requests: {requests:,.0f}  ->  {requests / median:,.0f} per wall-second")
    print(f"goal <= 10 s: {'met' if median <= 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
