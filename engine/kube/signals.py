"""Where live releases get their data-plane signals: an optional source the backend polls.

The backend only needs ``signals(release)``; ``TargetedSignals`` adapts the Prometheus port of
``engine.metrics`` (``fetch(MetricsTarget)``) given a function that says what to query for a
release (selectors per version are deployment-specific, so the caller configures them).
Polling a metrics store is fine; polling the API server is not (the watch caches do that job).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol, runtime_checkable

from rolldeck.engine.model import ReleaseState, Signals


@runtime_checkable
class ReleaseSignals(Protocol):
    async def signals(self, release: ReleaseState) -> Mapping[str, Signals] | object:
        """Signals per version name, or an error object whose ``str()`` is one line (e.g. ``MetricsError``)."""
        ...


class TargetedSignals:
    """``ReleaseSignals`` over an ``engine.metrics.SignalsSource``: release → ``MetricsTarget`` → fetch."""

    def __init__(self, source: object, target_for: Callable[[ReleaseState], object | None]) -> None:
        self.source = source
        self.target_for = target_for

    async def signals(self, release: ReleaseState) -> Mapping[str, Signals] | object:
        target = self.target_for(release)
        if target is None:
            return {}
        return await self.source.fetch(target)  # type: ignore[attr-defined]


class StaticSignals:
    """In-memory source for tests and demos: ``set(ref_str, {version: Signals})`` or an error."""

    def __init__(self) -> None:
        self.answers: dict[str, Mapping[str, Signals] | object] = {}
        self.calls = 0

    def set(self, release: str, answer: Mapping[str, Signals] | object) -> None:
        self.answers[release] = answer

    async def signals(self, release: ReleaseState) -> Mapping[str, Signals] | object:
        self.calls += 1
        return self.answers.get(str(release.ref), {})


class RunningTotals:
    """Cumulative counts per (release, version) built from successive windowed answers.

    A metrics store answers "what happened in the last W seconds" (``increase()`` over W); the judge
    needs "what happened since the step began". Each poll adds the window's counts scaled to the time
    since the previous poll (rate × elapsed, the same extrapolation ``increase()`` itself makes); the
    first poll adds the whole window. Missing answers add nothing: the judge then sees the gap as no
    new evidence, never as zeros.
    """

    def __init__(self) -> None:
        self._totals: dict[tuple[str, str], Signals] = {}
        self._last: dict[str, float] = {}

    def add(self, release: str, answer: Mapping[str, Signals], now: float) -> None:
        previous = self._last.get(release)
        self._last[release] = now
        for version, window in answer.items():
            share = 1.0 if previous is None or window.window_s <= 0 else min(1.0, (now - previous) / window.window_s)
            key = (release, version)
            self._totals[key] = _plus(self._totals.get(key), window, share)

    def get(self, release: str, version: str) -> Signals | None:
        return self._totals.get((release, version))


def _plus(total: Signals | None, window: Signals, share: float) -> Signals:
    added = [c * share for c in window.cumulative]
    if total is None or total.bounds != window.bounds:
        base_requests = base_errors = base_slow = 0
        base = [0.0] * len(added)
        seconds = 0.0
    else:
        base_requests, base_errors, base_slow = total.requests, total.errors, total.slow
        base = list(total.cumulative)
        seconds = total.window_s
    return Signals(
        window_s=seconds + window.window_s * share,
        requests=base_requests + round(window.requests * share),
        errors=base_errors + round(window.errors * share),
        slow=base_slow + round(window.slow * share),
        bounds=window.bounds,
        cumulative=tuple(a + b for a, b in zip(base, added)),
    )
