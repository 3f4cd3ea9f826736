"""What the judge counts, and the checks that keep bad counts from ever reaching a verdict.

A version's counts are requests, errors (5xx) and slow requests (above the SLO latency). Any of them
may be missing (``None``: the series did not come back), and a real metrics pipeline can hand over
NaN, infinities, negative numbers, more errors than requests, or totals that go backwards after a
counter reset. None of that is evidence: ``problem`` names the first thing wrong in one line, and the
judge answers Error with that line instead of Pass or Fail.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from enum import StrEnum

from rolldeck.engine.model import ReleaseState, Signals


class Metric(StrEnum):
    """A bad-event count the judge tests: the share of a version's requests that went wrong."""

    ERRORS = "errors"  # 5xx responses
    SLOW = "slow"  # slower than the SLO latency (read from the le bucket at the threshold)

    def noun(self, latency_label: str) -> str:
        return "errors" if self is Metric.ERRORS else f"slower than {latency_label}"


METRICS: tuple[Metric, ...] = (Metric.ERRORS, Metric.SLOW)
FIELDS = ("requests", "errors", "slow")


@dataclass(frozen=True, slots=True)
class Counts:
    """One version's counts over some span; a field is ``None`` when its series is missing."""

    requests: float | None
    errors: float | None
    slow: float | None

    @classmethod
    def of(cls, signals: Signals) -> Counts:
        return cls(signals.requests, signals.errors, signals.slow)

    def bad(self, metric: Metric | str) -> float | None:
        return self.errors if metric == Metric.ERRORS else self.slow

    def __sub__(self, other: Counts) -> Counts:
        return Counts(*(_minus(getattr(self, f), getattr(other, f)) for f in FIELDS))

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(_plus(getattr(self, f), getattr(other, f)) for f in FIELDS))


ZERO = Counts(0, 0, 0)


@dataclass(frozen=True, slots=True)
class Missing:
    """A version whose counts did not come back at all (metrics down, series absent)."""

    reason: str


# What the judge is handed per version: counts, a whole version missing, or None for "no such
# version here" (a stable that does not exist in a canary-only region).
Observed = Counts | Missing | None


def _minus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _plus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a + b


def _shown(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "infinite" if value > 0 else "-infinite"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def problem(counts: Counts, who: str) -> str | None:
    """The first thing that makes ``counts`` unusable as evidence, in words; None when they are fine."""
    for name in FIELDS:
        value = getattr(counts, name)
        if value is None:
            return f"{who} {name} series is missing"
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return f"{who} {name} is not a number ({type(value).__name__})"
        if not math.isfinite(value):
            return f"{who} {name} is {_shown(float(value))}"
        if value < 0:
            return f"{who} {name} is negative ({_shown(float(value))})"
    requests, errors, slow = float(counts.requests), float(counts.errors), float(counts.slow)  # type: ignore[arg-type]  # checked as finite Reals just above
    if errors > requests:
        return f"{who} has more errors ({_shown(errors)}) than requests ({_shown(requests)})"
    if slow > requests:
        return f"{who} has more slow requests ({_shown(slow)}) than requests ({_shown(requests)})"
    return None


def went_backwards(now: Counts, before: Counts) -> str | None:
    """A total that shrank since the last look: a counter reset (a restart, a new series), not evidence."""
    for name in FIELDS:
        a, b = getattr(now, name), getattr(before, name)
        if a is not None and b is not None and a < b:
            return f"{name} went backwards ({_shown(b)} → {_shown(a)}: a counter reset?)"
    return None


Totals = tuple[Counts, Counts]  # (candidate, stable) cumulative counts


def release_totals(release: ReleaseState) -> Totals | None:
    """(candidate, stable) cumulative counts, or None when the metrics source has no data."""
    canary, stable = release.candidate, release.stable
    if canary is None or stable is None or canary.totals is None or stable.totals is None:
        return None
    return Counts.of(canary.totals), Counts.of(stable.totals)


def counts_since(release: ReleaseState, start: Totals | None) -> tuple[Counts | None, Counts | None]:
    """(candidate, stable) counts accumulated since ``start`` (a bake's beginning); (None, None) = no data."""
    now = release_totals(release)
    if now is None:
        return (None, None)
    if start is None:
        return now
    return now[0] - start[0], now[1] - start[1]
