"""The stateful judge: evidence for one release and step, gathered interval by interval.

``ReleaseEvidence`` is fed the cumulative totals per region at every look, at whatever rate the caller
likes (the autopilot every 10 s, the console at every snapshot). It cuts them into intervals of
``interval_s`` of backend time and feeds each closed interval's counts to the sequential tests, so the
evidence — and the false-rollback guarantee — does not depend on how often anyone looks. Bad counts
(missing series, NaN, inf, negatives, more errors than requests, totals that went backwards) answer
Error with a one-line reason and feed nothing; any exception inside the judge answers Error too.

One ``ReleaseEvidence`` lives for one step: a new step starts a new one (with the next share of α).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from rolldeck.engine.judge.config import JudgeConfig
from rolldeck.engine.judge.counts import METRICS, ZERO, Counts, Metric, Missing, Observed, problem, went_backwards
from rolldeck.engine.judge.sequential import AbsoluteTest, RelativeTest
from rolldeck.engine.judge.text import CANARY_VS_STABLE, Subjects, evidence_line
from rolldeck.engine.judge.verdict import Judgement, MetricResult, Reason, RegionJudgement, Verdict, worst
from rolldeck.engine.model import ReleaseState

_MAX_LOG_E = 700.0  # exp() of more overflows a float; the decision uses the logarithm


@dataclass(frozen=True, slots=True)
class _Anchor:
    time: float
    canary: Counts
    stable: Counts | None


def _one_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:120]}" if text else type(error).__name__


class RegionEvidence:
    """One region's tests for one step, fed closed intervals."""

    def __init__(self, region: str, cfg: JudgeConfig, names: Subjects = CANARY_VS_STABLE) -> None:
        self.region = region
        self.cfg = cfg
        self.names = names
        self.absolute = {m: AbsoluteTest(cfg.null_rate(m)) for m in METRICS}
        self.relative = {m: RelativeTest(cfg.ratio(m)) for m in METRICS}
        self.canary: Counts = ZERO  # sums over the closed intervals
        self.stable: Counts | None = None
        self.intervals = 0  # closed intervals with canary traffic
        self._anchor: _Anchor | None = None  # totals where the open interval began
        self._seen: _Anchor | None = None  # totals at the last good look
        self._judged: RegionJudgement | None = None  # the tests only move when an interval closes
        self._judged_at = 0.0  # the threshold it was judged against

    # --- feeding -----------------------------------------------------------------------------------
    def observe(self, now: float, canary: Observed, stable: Observed, threshold: float) -> RegionJudgement:
        """Take one look at cumulative totals; close an interval when one is due."""
        treated, baseline = self.names.treated, self.names.baseline
        if canary is None:
            return self._error(f"no data for the {treated} (metrics unavailable)")
        if isinstance(canary, Missing):
            return self._error(canary.reason)
        if isinstance(stable, Missing):
            return self._error(stable.reason)
        wrong = problem(canary, treated) or (problem(stable, baseline) if stable is not None else None)
        if wrong:
            return self._error(wrong)
        anchor, seen = self._anchor, self._seen
        self._seen = _Anchor(now, canary, stable)
        if anchor is None or seen is None:
            self._anchor = self._seen
            return self.judge(threshold)
        # Checked against the previous look, not the interval's start: a reset that has already
        # grown past the start again is still a reset.
        backwards = went_backwards(canary, seen.canary)
        backwards = f"{treated} {backwards}" if backwards else None
        if backwards is None and stable is not None and seen.stable is not None:
            moved = went_backwards(stable, seen.stable)
            backwards = f"{baseline} {moved}" if moved else None
        if backwards:
            self._anchor = self._seen  # evidence so far stays; new counts start here
            return self._error(f"{backwards} — counting again from here")
        if now - anchor.time < self.cfg.interval_s:
            return self.judge(threshold)
        # A stable that appeared during this interval is paired from the next one on.
        c_delta = canary - anchor.canary
        s_delta = stable - anchor.stable if stable is not None and anchor.stable is not None else None
        wrong = problem(c_delta, treated) or (problem(s_delta, baseline) if s_delta is not None else None)
        self._anchor = _Anchor(now, canary, stable)
        if wrong:
            return self._error(f"{wrong} in the last interval")
        self.add_interval(c_delta, s_delta)
        return self.judge(threshold)

    def add_interval(self, canary: Counts, stable: Counts | None) -> None:
        """One closed interval's counts (already checked)."""
        self._judged = None
        n_c = float(canary.requests or 0)
        if n_c > 0:
            self.intervals += 1
        self.canary = self.canary + canary
        if stable is not None:
            self.stable = stable if self.stable is None else self.stable + stable
        for metric in METRICS:
            x_c = float(canary.bad(metric) or 0)
            self.absolute[metric].add(n_c, x_c)
            if stable is not None:
                self.relative[metric].add(n_c, x_c, float(stable.requests or 0), float(stable.bad(metric) or 0))

    # --- judging --------------------------------------------------------------------------------------
    def judge(self, threshold: float) -> RegionJudgement:
        if self._judged is not None and self._judged_at == threshold:
            return self._judged
        results = tuple(self._metric(m, threshold) for m in METRICS)
        verdicts = [r.verdict for r in results]
        verdict = Verdict.FAIL if Verdict.FAIL in verdicts else Verdict.INCONCLUSIVE if Verdict.INCONCLUSIVE in verdicts else Verdict.PASS
        needed = max(r.needed for r in results)
        line = evidence_line(self.region, verdict, results, self.canary, self.stable, self.cfg, self.intervals, needed, self.names)
        self._judged, self._judged_at = RegionJudgement(self.region, verdict, results, self.canary, self.stable, line, self.intervals, needed), threshold
        return self._judged

    def _metric(self, metric: Metric, threshold: float) -> MetricResult:
        cfg = self.cfg
        absolute, relative = self.absolute[metric], self.relative[metric]
        alpha = 1.0 / threshold
        spread = absolute.dispersion()
        phi = spread.phi
        log_threshold = math.log(threshold)
        log_abs = absolute.log_e(spread.tempering(alpha))
        log_rel = relative.log_e(relative.dispersion().tempering(alpha))
        needed = math.ceil(cfg.n_min(metric) * phi)
        fails_abs = absolute.intervals >= cfg.min_intervals and log_abs >= log_threshold
        fails_rel = relative.intervals >= cfg.min_intervals and log_rel >= log_threshold

        def result(verdict: Verdict, reason: Reason) -> MetricResult:
            e_abs, e_rel = (math.exp(min(v, _MAX_LOG_E)) for v in (log_abs, log_rel))
            return MetricResult(metric, verdict, reason, e_abs, e_rel, threshold, phi, needed)

        if fails_abs and not fails_rel and self._stable_near_budget(metric):
            # The stable is at (or within the tolerance of) its budget too: the world is bad — a
            # dependency, the region, a spike — not the release. Hold for a human, don't roll back.
            return result(Verdict.INCONCLUSIVE, Reason.ENVIRONMENT)
        if fails_rel:
            return result(Verdict.FAIL, Reason.RELATIVE)
        if fails_abs:
            return result(Verdict.FAIL, Reason.ABSOLUTE)
        enough = self.intervals >= cfg.min_intervals and float(self.canary.requests or 0) >= needed
        if enough and self._reads_worse(metric):
            # Noise tempering can leave a clearly worse canary without a proven Fail (a regression that
            # began mid-step looks like noise until the change-point fit has enough intervals); the
            # judge then says it cannot tell, it never says "within SLO".
            return result(Verdict.INCONCLUSIVE, Reason.UNSETTLED)
        return result(Verdict.PASS if enough else Verdict.INCONCLUSIVE, Reason.NONE)

    def _reads_worse(self, metric: Metric) -> bool:
        """The canary's observed rate is past a null boundary: above the budget plus its tolerance, or
        more than ``ratio`` times the stable's."""
        requests = float(self.canary.requests or 0)
        if requests <= 0:
            return False
        rate = float(self.canary.bad(metric) or 0) / requests
        if rate > self.cfg.null_rate(metric):
            return True
        stable = self.stable
        if stable is None or not stable.requests:
            return False
        stable_rate = float(stable.bad(metric) or 0) / float(stable.requests)
        return stable_rate > 0 and rate > self.cfg.ratio(metric) * stable_rate

    def _stable_near_budget(self, metric: Metric) -> bool:
        stable = self.stable
        if stable is None or not stable.requests:
            return False
        rate = float(stable.bad(metric) or 0) / float(stable.requests)
        return rate >= self.cfg.budget(metric) * (1.0 - self.cfg.budget_tolerance)

    def _error(self, reason: str) -> RegionJudgement:
        return RegionJudgement(self.region, Verdict.ERROR, (), self.canary, self.stable, f"{self.region}: {reason}", self.intervals, 0)


class ReleaseEvidence:
    """The judge for one release during one step: feed it totals per region, read a ``Judgement``.

    ``regions`` and ``steps`` say how many ways the rollout's α is shared (tests × regions × steps),
    so that a whole multi-region, multi-step rollout keeps its false-rollback rate within ``cfg.alpha``.
    """

    def __init__(self, cfg: JudgeConfig, *, regions: int = 1, steps: int | None = None, names: Subjects = CANARY_VS_STABLE) -> None:
        self.cfg = cfg
        self.names = names  # what is compared with what: a canary with its stable, a flag's cohorts
        self.regions = max(1, regions)
        self.steps = cfg.steps if steps is None else max(1, steps)
        self._regions: dict[str, RegionEvidence] = {}
        self._last_look: float | None = None
        self.judgement: Judgement = Judgement(Verdict.INCONCLUSIVE, (), "no look yet", 0, cfg.evidence_needed)

    @property
    def threshold(self) -> float:
        """The e-value at which one test fails: 1 / (α / (tests × regions × steps))."""
        return 1.0 / self.cfg.alpha_per_test(max(self.regions, len(self._regions)), self.steps)

    def observe(self, now: float, totals: Mapping[str, tuple[Observed, Observed]]) -> Judgement:
        """One look: cumulative (canary, stable) totals per region at backend time ``now``.

        Several callers may share one judge (the autopilot and the console, through the bake tracker):
        a look at or before the last one is somebody's older snapshot, and changes nothing."""
        if self._last_look is not None and _is_finite_time(now) and now <= self._last_look:
            return self.judgement
        try:
            self.judgement = self._observe(now, totals)
            self._last_look = now
        except Exception as error:  # the judge is total: a bug here freezes, it never passes or crashes
            self.judgement = Judgement(Verdict.ERROR, (), f"judge error: {_one_line(error)}", 0, self.cfg.evidence_needed)
        return self.judgement

    def observe_release(self, now: float, release: ReleaseState) -> Judgement:
        return self.observe(now, {release.region: observed_versions(release)})

    def _observe(self, now: float, totals: Mapping[str, tuple[Observed, Observed]]) -> Judgement:
        if not _is_finite_time(now):
            raise ValueError(f"look time is {now!r}")
        for name in totals:
            if name not in self._regions:
                self._regions[name] = RegionEvidence(name, self.cfg, self.names)
        threshold = self.threshold
        regions = tuple(
            self._regions[name].observe(now, canary, stable, threshold) for name, (canary, stable) in sorted(totals.items())
        )
        if not regions:
            return Judgement(Verdict.ERROR, (), "no regions to judge", 0, self.cfg.evidence_needed)
        verdict = worst([r.verdict for r in regions])
        shown = next(r for r in regions if r.verdict is verdict)
        smallest = min(regions, key=lambda r: float(r.canary.requests or 0) if r.canary else 0.0)
        n = round(float(smallest.canary.requests or 0)) if smallest.canary else 0
        needed = max((r.needed for r in regions), default=0) or self.cfg.evidence_needed
        return Judgement(verdict, regions, shown.evidence, n, needed)


def _is_finite_time(now: object) -> bool:
    """Typed as float, but the judge is total over its inputs: a look time from a bad backend may be anything."""
    return isinstance(now, int | float) and not isinstance(now, bool) and math.isfinite(now)


def observed_versions(release: ReleaseState) -> tuple[Observed, Observed]:
    """(canary, stable) totals as the judge takes them: a missing stable version is a canary-only region."""
    reason = release.metrics_error or "metrics unavailable"
    canary, stable = release.candidate, release.stable
    if canary is None:
        return None, None
    canary_seen: Observed = Counts.of(canary.totals) if canary.totals is not None else Missing(f"no data for the canary ({reason})")
    if stable is None:
        return canary_seen, None
    stable_seen: Observed = Counts.of(stable.totals) if stable.totals is not None else Missing(f"no data for the stable ({reason})")
    return canary_seen, stable_seen
