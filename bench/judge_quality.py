"""Judge quality: rolldeck's judge vs Flagger's and Argo's defaults on the same simulated signals.

Monte Carlo over seeds. Each run simulates one canary for 30 minutes at a fixed weight of a 100 rps
service and records per-minute counts for canary and stable. Three judges look at the same numbers:

* rolldeck: counts accumulated since the step began, binomial absolute + relative tests, evidence gate,
  α spent over the looks (engine.judge), one look per minute;
* Flagger default: per 1-min interval, request-success-rate ≥ 99 % and request-duration p99 ≤ 500 ms
  (histogram_quantile on the interval's buckets); a failed or empty check increments failedChecks;
  rollback when failedChecks ≥ threshold (5); successes never reset it;
* Argo Rollouts with failureLimit 0: the same two measurements per interval; the first failed
  measurement fails the analysis (an empty measurement fails its success condition too).

Reports the false-rollback rate on healthy canaries (0.1 % errors, at 1 % and 5 % weight) and the
detection rate and median detection time on bad ones (1 % and 3 % errors, +200 ms latency).

    .venv/bin/python bench/judge_quality.py [--seeds 200]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass

import numpy as np

from rolldeck.engine.buckets import histogram_quantile
from rolldeck.engine.judge import Counts, JudgeConfig, Verdict, judge_release
from rolldeck.simulator.scenario import Scenario
from rolldeck.simulator.state import ERRORS, FIRST_LE, REQUESTS, SLOW
from rolldeck.simulator.world import World

MINUTES = 30
RPS = 100


@dataclass(frozen=True)
class Case:
    name: str
    weight: int
    error_rate: float
    add_ms: float
    bad: bool


CASES = (
    Case("healthy 0.1% errors, 1% weight", 1, 0.001, 0, False),
    Case("healthy 0.1% errors, 5% weight", 5, 0.001, 0, False),
    Case("bad 1% errors, 1% weight", 1, 0.01, 0, True),
    Case("bad 1% errors, 5% weight", 5, 0.01, 0, True),
    Case("bad 3% errors, 1% weight", 1, 0.03, 0, True),
    Case("bad 3% errors, 5% weight", 5, 0.03, 0, True),
    Case("bad +200 ms, 1% weight", 1, 0.001, 200, True),
    Case("bad +200 ms, 5% weight", 5, 0.001, 200, True),
)


def scenario(case: Case, seed: int) -> Scenario:
    service = {"dist": "lognormal", "mean_ms": 80, "cv": 0.8}  # healthy p99 ≈ 330 ms: inside the 500 ms SLO
    faults = []
    if case.error_rate != 0.001:
        faults.append({"at": 0, "type": "error_rate", "target": {"release": "app"}, "params": {"error_rate": case.error_rate}})
    if case.add_ms:
        faults.append({"at": 0, "type": "latency", "target": {"release": "app"}, "params": {"add_ms": case.add_ms}})
    return Scenario.model_validate(
        {
            "scenario": "judge-quality",
            "title": "judge quality",
            "briefing": "-",
            "seed": seed,
            "duration": MINUTES * 60,
            "latency_samples": 2000,
            "regions": {"r1": {}},
            "clusters": [{"name": "c1", "region": "r1"}],
            "releases": [
                {
                    "name": "app",
                    "cluster": "c1",
                    "strategy": "canary",
                    "rps": RPS,
                    "stable": {"revision": "v1", "pods": 8, "error_rate": 0.001, "service_time": service},
                    "candidate": {"revision": "v2", "pods": 1, "error_rate": 0.001, "service_time": service},
                    "steps": [{"weight": case.weight}],
                }
            ],
            "faults": faults,
        }
    )


def minutes_of(case: Case, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per-minute signal rows (requests, errors, slow, le counts…) for canary and stable."""
    world = World(scenario(case, seed))
    release = world.releases[0]
    stable, canary = release.versions
    rows, last = [], (canary.totals.copy(), stable.totals.copy())
    for minute in range(1, MINUTES + 1):
        world.run_until(minute * 60)
        rows.append((canary.totals - last[0], stable.totals - last[1]))
        last = (canary.totals.copy(), stable.totals.copy())
    return rows


def _p99(row: np.ndarray, bounds: tuple[float, ...]) -> float | None:
    return histogram_quantile(0.99, bounds, np.cumsum(row[FIRST_LE:]))


def _interval_check_fails(row: np.ndarray, bounds) -> bool:
    n = row[REQUESTS]
    if n <= 0:
        return True  # "no values found" is a failed check
    success = 1 - row[ERRORS] / n
    p99 = _p99(row, bounds)
    return success < 0.99 or p99 is None or p99 > 0.5


def flagger(rows, bounds) -> int | None:
    failed = 0
    for minute, (canary, _) in enumerate(rows, 1):
        failed += _interval_check_fails(canary, bounds)
        if failed >= 5:
            return minute
    return None


def argo(rows, bounds) -> int | None:
    for minute, (canary, _) in enumerate(rows, 1):
        if _interval_check_fails(canary, bounds):
            return minute
    return None


def rolldeck(rows, cfg: JudgeConfig) -> int | None:
    canary_total = np.zeros_like(rows[0][0])
    stable_total = np.zeros_like(rows[0][1])
    for minute, (canary, stable) in enumerate(rows, 1):
        canary_total += canary
        stable_total += stable
        c = Counts(int(canary_total[REQUESTS]), int(canary_total[ERRORS]), int(round(canary_total[SLOW])))
        b = Counts(int(stable_total[REQUESTS]), int(stable_total[ERRORS]), int(round(stable_total[SLOW])))
        if judge_release({"r1": (c, b)}, cfg).verdict is Verdict.FAIL:
            return minute
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    args = parser.parse_args()
    bounds = tuple(scenario(CASES[0], 0).latency_buckets_s)
    cfg = JudgeConfig(max_looks=MINUTES)
    started = time.perf_counter()
    print(f"{args.seeds} seeds per case, {RPS} rps, {MINUTES} min per run, one look per minute")
    print(f"{'case':<34} {'judge':<9} {'rolled back':>11} {'median min':>10} {'≤10 min':>8}")
    for case in CASES:
        results: dict[str, list[int | None]] = {"rolldeck": [], "flagger": [], "argo": []}
        for seed in range(args.seeds):
            rows = minutes_of(case, seed)
            results["rolldeck"].append(rolldeck(rows, cfg))
            results["flagger"].append(flagger(rows, bounds))
            results["argo"].append(argo(rows, bounds))
        for judge, times in results.items():
            hits = [t for t in times if t is not None]
            rate = len(hits) / len(times)
            median = f"{statistics.median(hits):.0f}" if hits else "-"
            within = sum(1 for t in hits if t <= 10) / len(times)
            label = "false rollbacks" if not case.bad else "detected"
            print(f"{case.name:<34} {judge:<9} {rate:>10.1%} {median:>10} {within:>8.1%}   ({label})")
    print(f"wall: {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
