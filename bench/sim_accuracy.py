"""Fluid data plane vs the per-request oracle: the same 60 s workload through both, side by side.

For each workload: wall seconds of the fluid model (``simulator.world.World``, one release, one
version taking all traffic, K latency samples per tick) and of the per-request SimPy oracle
(tests/oracle: Poisson arrivals, random balancing, a FCFS queue per pod), the speed ratio
(goal: fluid ≥ 100× faster) and the p50/p99 of both over the arrivals after a short warm-up.
Wall times are medians of ``--repeat`` runs; the simulated numbers come from the last run (seeded).

    .venv/bin/python bench/sim_accuracy.py [--seconds 60] [--samples 2000] [--repeat 3]

The fluid model's cost does not depend on the request rate and the oracle's grows with it, so the
ratio depends on the workload: the small reference set-up (288 rps) shows the floor; the
production-like one (10 000 rps) is what the simulator is for.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy
import simpy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.oracle lives beside the tests

from rolldeck.simulator.world import World  # noqa: E402
from tests.oracle import ServiceLaw, simulate  # noqa: E402
from tests.oracle.fluid import hist_quantile, one_release_scenario, serving_version  # noqa: E402


@dataclass(frozen=True)
class Workload:
    name: str
    rps: float
    pods: int
    concurrency: int
    service: ServiceLaw

    @property
    def utilisation(self) -> float:
        return self.rps * self.service.mean_s / (self.pods * self.concurrency)


WORKLOADS = (
    Workload("reference: 4 pods x 4, exp 50 ms, rho 0.9", 288.0, 4, 4, ServiceLaw("exponential", 0.05)),
    Workload("production-like: 63 pods x 8, lognormal 40 ms cv 1.2", 10_000.0, 63, 8, ServiceLaw("lognormal", 0.04, 1.2)),
)


def run_fluid(w: Workload, seconds: float, warmup: float, samples: int, seed: int) -> tuple[float, np.ndarray]:
    scenario = one_release_scenario(
        rps=w.rps, duration_s=seconds, service=w.service, pods=w.pods, concurrency=w.concurrency,
        samples=samples, seed=seed,
    )
    start = time.perf_counter()
    world = World(scenario)
    world.run_until(warmup)
    before = serving_version(world).fine.copy()
    world.run_until(seconds)
    wall = time.perf_counter() - start
    return wall, serving_version(world).fine - before


def run_oracle(w: Workload, seconds: float, warmup: float, seed: int) -> tuple[float, np.ndarray, int]:
    start = time.perf_counter()
    result = simulate(
        rate=w.rps, duration_s=seconds, pods=w.pods, concurrency=w.concurrency, service=w.service, seed=seed,
    )
    wall = time.perf_counter() - start
    return wall, result.window(warmup, seconds), result.requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=10.0, help="arrivals before this are left out of p50/p99")
    parser.add_argument("--samples", default="2000,256", help="fluid latency samples per tick (K), comma-separated")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    print(f"machine: {platform.platform()}, {platform.machine()}, {platform.processor() or 'cpu ?'}")
    print(
        f"python {platform.python_version()} ({platform.python_implementation()}), numpy {np.__version__}, "
        f"simpy {simpy.__version__}, scipy {scipy.__version__}"
    )
    ks = [int(k) for k in args.samples.split(",")]
    print(f"workload: {args.seconds:g} s simulated, p50/p99 over arrivals in [{args.warmup:g}, {args.seconds:g}) s, "
          f"medians of {args.repeat} runs\n")
    header = f"{'workload':<55} {'rho':>5} {'requests':>10} {'K':>5} {'fluid s':>8} {'oracle s':>9} {'ratio':>7} " \
             f"{'p50 fl/or ms':>15} {'p99 fl/or ms':>17} {'p99 diff':>9}"
    print(header)
    print("-" * len(header))
    ratios: dict[int, float] = {}
    for w in WORKLOADS:
        oracle_walls = []
        for _ in range(args.repeat):
            oracle_wall, latencies, requests = run_oracle(w, args.seconds, args.warmup, args.seed)
            oracle_walls.append(oracle_wall)
        oracle_s = statistics.median(oracle_walls)
        p50_o, p99_o = np.quantile(latencies, 0.5) * 1e3, np.quantile(latencies, 0.99) * 1e3
        for k in ks:
            fluid_walls = []
            for _ in range(args.repeat):
                fluid_wall, hist = run_fluid(w, args.seconds, args.warmup, k, args.seed)
                fluid_walls.append(fluid_wall)
            fluid_s = statistics.median(fluid_walls)
            ratios[k] = oracle_s / fluid_s
            p50_f, p99_f = hist_quantile(hist, 0.5) * 1e3, hist_quantile(hist, 0.99) * 1e3
            print(
                f"{w.name:<55} {w.utilisation:>5.2f} {requests:>10,} {k:>5} {fluid_s:>8.3f} {oracle_s:>9.3f} "
                f"{ratios[k]:>6.0f}x {p50_f:>7.1f}/{p50_o:<7.1f} {p99_f:>8.1f}/{p99_o:<8.1f} "
                f"{100 * (p99_f / p99_o - 1):>+8.1f}%"
            )
    print()
    for k, ratio in ratios.items():  # the last workload's: the production-like one
        print(f"speed goal (fluid >= 100x the oracle), production-like workload, K = {k}: "
              f"{'met' if ratio >= 100 else 'NOT met'} ({ratio:.0f}x)")
    print("note: one 60 s oracle run estimates p99 with a few % of noise at high load "
          "(tests/simulator/test_accuracy.py pools long runs for the 5 % check)")


if __name__ == "__main__":
    main()
