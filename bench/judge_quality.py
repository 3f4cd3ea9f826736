"""Judge quality: rolldeck's sequential judge against Flagger, Argo Rollouts and a Kayenta-style judge,
each run with its own mechanics, on the same kind of traffic.

Traffic comes from this file's own generator (not the simulator), one-minute intervals:

* requests: Poisson at ``rps`` × weight (canary) and × (1 − weight) (stable);
* errors: binomial with a per-minute rate drawn from a gamma multiplier of mean 1 and coefficient of
  variation CV — per version (each version's rate moves on its own) or shared (the environment moves
  both), i.e. beta-binomial-like counts;
* latency: lognormal service (mean 80 ms, CV 0.8: p99 ≈ 320 ms, 0.16 % above 500 ms) whose scale
  moves per minute by a factor calibrated so the share above 500 ms has the same CV, per version or
  shared; buckets are Prometheus' default ``le`` bounds, counts multinomial.

Healthy canaries have the stable's rates (0.1 % errors); bad ones have 2×, 5× or 10× the errors or
+50 / +200 ms latency from the start. Judges (facts from their sources, see docs/benchmarks.md):

* rolldeck — ``engine.judge.ReleaseEvidence`` (the autopilot's call), one step at the cell's weight,
  α for one step (steps = 1), fed cumulative totals once a minute for 30 minutes;
* Flagger — interval 1 m, request-success-rate ≥ 99 % and request-duration (p99) ≤ 500 ms on the last
  minute; a failed or empty check increments failedChecks and holds the weight; a passing check
  raises the weight by stepWeight (the cell's weight) up to maxWeight (5 × stepWeight, the Istio
  tutorial's five steps), then promotes; rollback at the next interval once failedChecks ≥
  threshold (1: the code's default; 5: the tutorial's);
* Argo 1m — the same two measurements every minute, failureLimit 0, an empty result is Error and
  more than consecutiveErrorLimit (4) in a row is Error (abort); fixed weight;
* Argo docs — the documented example's shape: interval 5 m, successCondition result ≥ 0.95 on the
  5-minute success rate, failureLimit 3 (plus p99 ≤ 500 ms in the same shape); fixed weight;
* Kayenta — every 5 minutes, per metric (error rate, p99) the per-minute series since the start,
  canary vs stable: Mann-Whitney 98 % confidence interval of the Hodges-Lehmann shift, High when its
  lower bound exceeds 0.25 × |estimate| (direction increase), minutes without data removed; score =
  passing metrics / 2 × 100, Fail below the marginal 75 (Argo's Kayenta example: pass 90, marginal 75).

Reported per cell: false rollbacks (healthy) or detection (bad) within 30 minutes and within 10, the
median minute; then each judge as a point on the false-rollback vs detection-delay plane (misses
count as 30 minutes), rolldeck as a curve across α, written to docs/judge_quality.png.

    .venv/bin/python bench/judge_quality.py [--seeds 200] [--bad-seeds 50] [--jobs 2] [--plot docs/judge_quality.png]
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from rolldeck.engine.buckets import DEFAULT_LE_BOUNDS, histogram_quantile
from rolldeck.engine.judge import Counts, JudgeConfig, ReleaseEvidence, Verdict

MINUTES = 30
SLO_S = 0.5
BASE_ERRORS = 0.001
MEAN_MS, SERVICE_CV = 80.0, 0.8
SIGMA = math.sqrt(math.log(1 + SERVICE_CV**2))
MEDIAN_S = MEAN_MS / 1000 / math.exp(SIGMA**2 / 2)
BOUNDS = np.array(DEFAULT_LE_BOUNDS)
RATES = (0.5, 5.0, 50.0, 200.0, 1000.0)
WEIGHTS = (0.01, 0.05)
NOISES = (("none", 0.0, False), ("cv 0.3", 0.3, False), ("cv 1.0", 1.0, False), ("shared 0.3", 0.3, True), ("shared 1.0", 1.0, True))
EFFECTS = (("healthy", 1.0, 0.0), ("2x errors", 2.0, 0.0), ("5x errors", 5.0, 0.0), ("10x errors", 10.0, 0.0),
           ("+50 ms", 1.0, 0.05), ("+200 ms", 1.0, 0.2))
ALPHAS = (1e-4, 1e-3, 1e-2, 5e-2, 0.2)


@dataclass(frozen=True)
class Cell:
    rps: float
    weight: float
    noise: str
    cv: float
    shared: bool
    effect: str
    error_factor: float
    add_s: float

    @property
    def healthy(self) -> bool:
        return self.effect == "healthy"


def cells() -> list[Cell]:
    return [Cell(rps, w, n, cv, sh, e, f, a) for rps, w, (n, cv, sh), (e, f, a) in itertools.product(RATES, WEIGHTS, NOISES, EFFECTS)]


# --- traffic ------------------------------------------------------------------------------------------


def _bucket_probabilities(scale: float, add_s: float) -> np.ndarray:
    """P(latency ≤ each le bound) for lognormal(median × scale) + add_s, and the +Inf bucket."""
    shifted = np.maximum(BOUNDS - add_s, 1e-12)
    cdf = ndtr((np.log(shifted) - math.log(MEDIAN_S * scale)) / SIGMA)
    cdf = np.where(BOUNDS - add_s <= 0, 0.0, cdf)
    return np.diff(np.concatenate(([0.0], cdf, [1.0])))


def _slow_share(scale: float) -> float:
    return float(1 - ndtr((math.log(SLO_S) - math.log(MEDIAN_S * scale)) / SIGMA))


def latency_spread(cv: float) -> float:
    """The log-scale spread s of the per-minute latency factor exp(s·Z) that gives the share above the
    SLO a CV of ``cv`` (bisection on Gauss-Hermite moments)."""
    if cv <= 0:
        return 0.0
    z, w = np.polynomial.hermite_e.hermegauss(60)
    w = w / w.sum()

    def share_cv(s: float) -> float:
        shares = np.array([_slow_share(math.exp(s * v)) for v in z])
        mean = float((w * shares).sum())
        return math.sqrt(max(0.0, float((w * (shares - mean) ** 2).sum()))) / mean

    lo, hi = 0.0, 2.0
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if share_cv(mid) < cv else (lo, mid)
    return (lo + hi) / 2


@dataclass
class Minute:
    """One version's counts in one minute: requests, errors, bucket counts (per bucket, +Inf last)."""

    requests: int
    errors: int
    buckets: np.ndarray

    @property
    def slow(self) -> int:
        return int(self.buckets[:-1][BOUNDS > SLO_S + 1e-9].sum() + self.buckets[-1])

    @property
    def p99(self) -> float | None:
        return histogram_quantile(0.99, tuple(BOUNDS), tuple(np.cumsum(self.buckets)))

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else math.nan


class Traffic:
    """Per-minute canary and stable counts for one cell and seed; the canary's weight may change."""

    def __init__(self, cell: Cell, seed: int, spread: float) -> None:
        self.cell = cell
        self.rng = np.random.default_rng(seed)
        self.spread = spread

    def _factor(self) -> float:
        cv = self.cell.cv
        return float(self.rng.gamma(1 / cv**2, cv**2)) if cv > 0 else 1.0

    def minute(self, weight: float) -> tuple[Minute, Minute]:
        cell, rng = self.cell, self.rng
        err_b = self._factor()
        err_c = err_b if cell.shared else self._factor()
        z_b = float(rng.standard_normal())
        z_c = z_b if cell.shared else float(rng.standard_normal())
        out = []
        for share, err, z, factor, add in ((weight, err_c, z_c, cell.error_factor, cell.add_s), (1 - weight, err_b, z_b, 1.0, 0.0)):
            n = int(rng.poisson(cell.rps * 60 * share))
            e = int(rng.binomial(n, min(1.0, BASE_ERRORS * factor * err)))
            probs = _bucket_probabilities(math.exp(self.spread * z), add)
            out.append(Minute(n, e, rng.multinomial(n, probs / probs.sum())))
        return out[0], out[1]


# --- judges: each returns the minute it rolled back, or None ----------------------------------------------

Judge = Callable[[Traffic], "int | None"]


def rolldeck(alpha: float) -> Judge:
    cfg = JudgeConfig(alpha=alpha, latency_label="500 ms")

    def judge(traffic: Traffic) -> int | None:
        evidence = ReleaseEvidence(cfg, steps=1)
        canary, stable = Counts(0, 0, 0), Counts(0, 0, 0)
        evidence.observe(0.0, {"r": (canary, stable)})
        for minute in range(1, MINUTES + 1):
            c, s = traffic.minute(traffic.cell.weight)
            canary += Counts(c.requests, c.errors, c.slow)
            stable += Counts(s.requests, s.errors, s.slow)
            if evidence.observe(minute * 60.0, {"r": (canary, stable)}).verdict is Verdict.FAIL:
                return minute
        return None

    return judge


def _check_fails(m: Minute, success_min: float) -> bool | None:
    """Flagger/Argo measurement on one window: True failed, False passed, None no data."""
    if m.requests <= 0:
        return None
    p99 = m.p99
    return (1 - m.errors / m.requests) < success_min or p99 is None or p99 > SLO_S


def flagger(threshold: int) -> Judge:
    def judge(traffic: Traffic) -> int | None:
        step = traffic.cell.weight
        weight, failed = step, 0
        for minute in range(1, MINUTES + 1):
            if failed >= threshold:
                return minute  # the controller rolls back at the interval after the threshold is met
            c, _ = traffic.minute(weight)
            verdict = _check_fails(c, 0.99)
            if verdict is None or verdict:
                failed += 1  # "no values found" halts advancement and counts as a failed check
                continue
            if weight >= 5 * step - 1e-9:
                return None  # promoted
            weight += step
        return None

    return judge


def argo_1m(traffic: Traffic) -> int | None:
    errors_in_a_row = 0
    for minute in range(1, MINUTES + 1):
        c, _ = traffic.minute(traffic.cell.weight)
        verdict = _check_fails(c, 0.99)
        if verdict is None:
            errors_in_a_row += 1  # an empty result cannot be evaluated: Error, not Failed
            if errors_in_a_row > 4:
                return minute
            continue
        errors_in_a_row = 0
        if verdict:
            return minute  # failed (1) > failureLimit (0)
    return None


def argo_docs(traffic: Traffic) -> int | None:
    failed = errors_in_a_row = 0
    window: list[Minute] = []
    for minute in range(1, MINUTES + 1):
        c, _ = traffic.minute(traffic.cell.weight)
        window.append(c)
        if minute % 5:
            continue
        merged = Minute(sum(m.requests for m in window), sum(m.errors for m in window), np.sum([m.buckets for m in window], axis=0))
        window = []
        verdict = _check_fails(merged, 0.95)
        if verdict is None:
            errors_in_a_row += 1
            if errors_in_a_row > 4:
                return minute
            continue
        errors_in_a_row = 0
        failed += bool(verdict)
        if failed > 3:
            return minute
    return None


def _mann_whitney_high(canary: list[float], baseline: list[float], confidence: float = 0.98, tolerance: float = 0.25) -> bool:
    """Kayenta's classifier, direction increase: the CI of the Hodges-Lehmann shift lies above its tolerance."""
    x, y = np.array(canary), np.array(baseline)
    if len(x) < 2 or len(y) < 2:
        return False
    if np.array_equal(np.sort(x), np.sort(y)) or len(np.unique(np.concatenate((x, y)))) == 1:
        return False
    diffs = np.sort(np.subtract.outer(x, y).ravel())
    m, n = len(x), len(y)
    z = float(ndtri(1 - (1 - confidence) / 2))
    k = int(math.floor(m * n / 2 - z * math.sqrt(m * n * (m + n + 1) / 12)))
    if k < 0:
        return False
    lower = diffs[k]
    estimate = float(np.median(diffs))
    return lower > tolerance * abs(estimate)


def kayenta(traffic: Traffic) -> int | None:
    series: dict[str, tuple[list[float], list[float]]] = {"errors": ([], []), "p99": ([], [])}
    for minute in range(1, MINUTES + 1):
        c, s = traffic.minute(traffic.cell.weight)
        for name, value_c, value_b in (("errors", c.error_rate, s.error_rate), ("p99", c.p99, s.p99)):
            if value_c is not None and not math.isnan(value_c):
                series[name][0].append(value_c)  # nanStrategy remove
            if value_b is not None and not math.isnan(value_b):
                series[name][1].append(value_b)
        if minute % 5:
            continue
        high = sum(_mann_whitney_high(cs, bs) for cs, bs in series.values())
        score = 100 * (len(series) - high) / len(series)
        if score < 75:
            return minute
    return None


JUDGES: dict[str, Judge] = {
    "rolldeck": rolldeck(0.01),
    "flagger t=1": flagger(1),
    "flagger t=5": flagger(5),
    "argo 1m": argo_1m,
    "argo docs": argo_docs,
    "kayenta": kayenta,
}


# --- running ----------------------------------------------------------------------------------------------


def _run_cell(args: tuple[Cell, int, tuple[str, ...], tuple[float, ...]]) -> tuple[Cell, dict[str, list[int | None]]]:
    cell, seeds, names, alphas = args
    spread = latency_spread(cell.cv)
    out: dict[str, list[int | None]] = {}
    for name in names:
        out[name] = [JUDGES[name](Traffic(cell, seed, spread)) for seed in range(seeds)]
    for alpha in alphas:
        out[f"rolldeck α={alpha:g}"] = [rolldeck(alpha)(Traffic(cell, seed, spread)) for seed in range(seeds)]
    return cell, out


def run_all(selected: list[Cell], seeds: int, bad_seeds: int, jobs: int, alphas_for: Callable[[Cell], tuple[float, ...]]) -> Iterator[tuple[Cell, dict[str, list[int | None]]]]:
    work = [(cell, seeds if cell.healthy else bad_seeds, tuple(JUDGES), alphas_for(cell)) for cell in selected]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(_run_cell, work, chunksize=1)


def summary(times: list[int | None]) -> tuple[float, float, float | None]:
    hits = [t for t in times if t is not None]
    within = sum(1 for t in hits if t <= 10) / len(times)
    return len(hits) / len(times), within, statistics.median(hits) if hits else None


def delay(times: list[int | None]) -> float:
    return statistics.mean(t if t is not None else MINUTES for t in times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200, help="runs per healthy cell")
    parser.add_argument("--bad-seeds", type=int, default=50, help="runs per bad cell")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--plot", default="", help="write the false-rollback vs detection-delay plot here (needs matplotlib)")
    args = parser.parse_args()
    started = time.perf_counter()

    def alphas_for(cell: Cell) -> tuple[float, ...]:
        return ALPHAS if cell.rps >= 50 and cell.weight == 0.05 else ()

    results = dict(run_all(cells(), args.seeds, args.bad_seeds, args.jobs, alphas_for))
    print(f"# {args.seeds} runs per healthy cell, {args.bad_seeds} per bad cell, {MINUTES} min, one-minute intervals")
    names = list(JUDGES)
    print("| rps | weight | noise | case | " + " | ".join(names) + " |")
    print("|---|---|---|---|" + "---|" * len(names))
    for cell, out in results.items():
        row = []
        for name in names:
            rate, within, median = summary(out[name])
            row.append(f"{rate:.1%}" if cell.healthy else f"{rate:.0%} ({within:.0%}) {median or '-'}")
        print(f"| {cell.rps:g} | {cell.weight:.0%} | {cell.noise} | {cell.effect} | " + " | ".join(row) + " |")
    groups = {"CV ≤ 0.3 (none, 0.3, shared 0.3)": ("none", "cv 0.3", "shared 0.3"), "CV 1.0 (per version, shared)": ("cv 1.0", "shared 1.0")}
    detectable = ("5x errors", "10x errors", "+200 ms")
    points: dict[str, dict[str, tuple[float, float]]] = {}
    print("\n# plane: false rollbacks over healthy cells, mean detection delay (misses = 30 min) over 5x/10x/+200 ms cells, rps ≥ 50, 5 % weight")
    for group, noises in groups.items():
        chosen = [(c, o) for c, o in results.items() if c.noise in noises and c.rps >= 50 and c.weight == 0.05]
        keys = names + [f"rolldeck α={a:g}" for a in ALPHAS]
        points[group] = {}
        for key in keys:
            healthy = [t for c, o in chosen if c.healthy for t in o[key]]
            bad = [t for c, o in chosen if c.effect in detectable for t in o[key]]
            false_rate = sum(t is not None for t in healthy) / len(healthy)
            points[group][key] = (false_rate, delay(bad))
            print(f"{group:<34} {key:<18} false rollbacks {false_rate:6.2%}   mean detection delay {delay(bad):5.1f} min")
    print(f"wall: {time.perf_counter() - started:.0f}s")
    if args.plot:
        plot(points, args.plot)


def plot(points: dict[str, dict[str, tuple[float, float]]], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(points), figsize=(11, 4.2), sharey=True)
    for ax, (group, values) in zip(np.atleast_1d(axes), points.items(), strict=True):
        curve = sorted((values[f"rolldeck α={a:g}"] for a in ALPHAS))
        ax.plot([100 * x for x, _ in curve], [y for _, y in curve], "o-", color="tab:green", label="rolldeck across α")
        for alpha in ALPHAS:
            x, y = values[f"rolldeck α={alpha:g}"]
            ax.annotate(f"α={alpha:g}", (100 * x, y), textcoords="offset points", xytext=(4, 4), fontsize=7, color="tab:green")
        for name, marker in (("flagger t=1", "s"), ("flagger t=5", "D"), ("argo 1m", "^"), ("argo docs", "v"), ("kayenta", "P")):
            x, y = values[name]
            ax.plot([100 * x], [y], marker, markersize=8, label=name)
        ax.set_title(group, fontsize=10)
        ax.set_xscale("symlog", linthresh=1.0)
        ax.set_xlabel("false rollbacks, % of healthy runs")
        ax.grid(True, alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("mean detection delay, min (miss = 30)")
    np.atleast_1d(axes)[-1].legend(fontsize=8, loc="upper right")
    figure.suptitle("Judges on the false-rollback vs detection-delay plane (50–1000 rps, 5 % weight)", fontsize=11)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
