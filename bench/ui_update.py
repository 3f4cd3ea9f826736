"""Console update cost: 200 releases across 6 clusters, snapshots at 4 Hz, fleet and release (charts) views.

The real console (``console.compose``, as ``rolldeck sim`` builds it) on a live-paced simulator at 4× (one simulated second per
update, so every update carries new signals for every release), headless at 160×50. Measured per view
after a warm-up:

* CPU per update — median process CPU of one sampler tick (snapshot, judge, attention queue, table
  diff, charts), and the mean including the repaint that follows (all process CPU not spent in the
  simulator, divided by the number of updates);
* event-loop lag — an asyncio probe sleeping 50 ms measures how late it wakes: p50 / p99 / max. This
  is the worst wait before a key press is handled. Goal: p99 ≤ 100 ms on the 2-core machine.

    .venv/bin/python bench/ui_update.py [--seconds 20] [--warmup 5] [--releases 200] [--clusters 6]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import textual

from rolldeck.console.app import RolldeckApp
from rolldeck.console.compose import simulated_console, simulator
from rolldeck.console.config import ConsoleConfig
from rolldeck.console.screens.release import ReleaseScreen
from rolldeck.console.widgets.charts import MetricChart
from rolldeck.simulator.scenario import Scenario

REGIONS = ("eu-west-1", "us-east-1", "ap-southeast-1")
SIZE = (160, 50)
REFRESH_S = 0.25  # 4 Hz
SPEED = 4.0  # one simulated second per update
PROBE_S = 0.05


def scenario(releases: int, clusters: int) -> Scenario:
    """A fleet like an on-call's: 4 in 5 releases canarying through timed steps, 1 in 5 blue-green."""
    names = [f"prod-{REGIONS[i % len(REGIONS)]}-{i // len(REGIONS) + 1}" for i in range(clusters)]

    def version(revision: str, pods: int) -> dict[str, object]:
        return {"revision": revision, "pods": pods, "error_rate": 0.001, "service_time": {"dist": "lognormal", "mean_ms": 40, "cv": 1.0}}

    specs = []
    for index in range(releases):
        blue_green = index % 5 == 4
        spec: dict[str, object] = {
            "name": f"app-{index:03d}",
            "cluster": names[index % clusters],
            "namespace": f"team-{index % 7}",
            "strategy": "blue-green" if blue_green else "canary",
            "rps": 50 + (index * 37) % 200,
            "stable": version("v1", 4),
            "candidate": version("v2", 2),
        }
        if blue_green:
            spec["auto_promote_after"] = 600
        else:
            spec["steps"] = [{"weight": 5, "bake": 120}, {"weight": 25, "bake": 300}, {"weight": 50, "bake": 300}, {"weight": 100}]
        specs.append(spec)
    return Scenario.model_validate(
        {
            "scenario": "bench-ui-update",
            "title": "console update benchmark",
            "briefing": "-",
            "seed": 11,
            "duration": 7200,
            "latency_samples": 32,
            "regions": {r: {"diurnal_amplitude": 0.2} for r in REGIONS},
            "clusters": [{"name": n, "region": REGIONS[i % len(REGIONS)]} for i, n in enumerate(names)],
            "releases": specs,
        }
    )


@dataclass
class Meter:
    """Process CPU and wall time per call of the wrapped function."""

    cpu: list[float] = field(default_factory=list)
    total_cpu: float = 0.0

    def wrap(self, function: Callable[..., object]) -> Callable[..., object]:
        def measured(*args: object, **kwargs: object) -> object:
            start = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent = time.process_time() - start
                self.cpu.append(spent)
                self.total_cpu += spent

        return measured

    def reset(self) -> None:
        self.cpu.clear()
        self.total_cpu = 0.0


@dataclass(frozen=True)
class Result:
    view: str
    updates: int
    median_update_ms: float
    mean_with_repaint_ms: float
    sim_share: float
    lag_p50_ms: float
    lag_p99_ms: float
    lag_max_ms: float
    chart_draws: int


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def measure(app: RolldeckApp, view: str, warmup: float, seconds: float, updates: Meter, sim: Meter) -> Result:
    await asyncio.sleep(warmup)
    lags: list[float] = []
    updates.reset()
    sim.reset()
    draws_before = sum(chart.draws for chart in app.screen.query(MetricChart))
    cpu_start, wall_end = time.process_time(), time.perf_counter() + seconds
    while time.perf_counter() < wall_end:
        start = time.perf_counter()
        await asyncio.sleep(PROBE_S)
        lags.append(time.perf_counter() - start - PROBE_S)
    cpu = time.process_time() - cpu_start
    count = len(updates.cpu)
    draws = sum(chart.draws for chart in app.screen.query(MetricChart)) - draws_before
    return Result(
        view=view,
        updates=count,
        median_update_ms=statistics.median(updates.cpu) * 1000 if count else float("nan"),
        mean_with_repaint_ms=(cpu - sim.total_cpu) / count * 1000 if count else float("nan"),
        sim_share=sim.total_cpu / cpu if cpu else 0.0,
        lag_p50_ms=percentile(lags, 0.50) * 1000,
        lag_p99_ms=percentile(lags, 0.99) * 1000,
        lag_max_ms=max(lags) * 1000,
        chart_draws=draws,
    )


async def run(releases: int, clusters: int, warmup: float, seconds: float) -> list[Result]:
    backend = simulator(scenario(releases, clusters), speed=SPEED, start_at=60.0)  # past start-up: pods ready, first steps set
    app = simulated_console(backend, briefing=False, audit_path=None, config=ConsoleConfig(protected=[]), refresh_s=REFRESH_S)
    updates, sim = Meter(), Meter()
    app.refresh_view = updates.wrap(app.refresh_view)  # type: ignore[method-assign]
    backend.advance = sim.wrap(backend.advance)  # type: ignore[method-assign]
    results = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        results.append(await measure(app, "fleet (200 rows, 4 Hz)", warmup, seconds, updates, sim))
        await pilot.press("enter")  # the first release: control/data plane, step plan, verdict, 3 charts
        await pilot.pause()
        assert isinstance(app.screen, ReleaseScreen)
        results.append(await measure(app, "release (3 charts, 4 Hz)", warmup, seconds, updates, sim))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=200)
    parser.add_argument("--clusters", type=int, default=6)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    results = asyncio.run(run(args.releases, args.clusters, args.warmup, args.seconds))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}; "
        f"python {platform.python_version()}, textual {textual.__version__}"
    )
    print(
        f"fleet: {args.releases} releases in {args.clusters} clusters, {len(REGIONS)} regions; "
        f"snapshots every {REFRESH_S * 1000:.0f} ms, simulator at ×{SPEED:g}; headless {SIZE[0]}×{SIZE[1]}; "
        f"{args.seconds:g} s measured per view after {args.warmup:g} s"
    )
    print(f"{'view':<26} {'updates':>7} {'CPU/update median':>18} {'incl. repaint':>14} {'sim CPU':>8} {'lag p50':>8} {'lag p99':>8} {'lag max':>8} {'chart draws':>12}")
    for r in results:
        print(
            f"{r.view:<26} {r.updates:>7} {r.median_update_ms:>15.1f} ms {r.mean_with_repaint_ms:>11.1f} ms {r.sim_share:>7.0%} "
            f"{r.lag_p50_ms:>5.0f} ms {r.lag_p99_ms:>5.0f} ms {r.lag_max_ms:>5.0f} ms {r.chart_draws:>12}"
        )
    worst = max(r.lag_p99_ms for r in results)
    print(f"goal: event-loop lag p99 <= 100 ms: {'met' if worst <= 100 else 'NOT met'} (worst view {worst:.0f} ms)")


if __name__ == "__main__":
    main()
