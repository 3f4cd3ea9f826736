"""Per-version signal history sampled from snapshots (the charts draw it).

The backend keeps only the current window; trends are the console's business, so it samples each
new snapshot into bounded deques (one per release × version) whatever screen is showing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from rolldeck.engine.model import FleetState

HISTORY_POINTS = 300


@dataclass(frozen=True, slots=True)
class Sample:
    time: float
    success_ratio: float | None
    p99_s: float | None
    rps: float = 0.0


class SignalHistory:
    def __init__(self, points: int = HISTORY_POINTS) -> None:
        self._points = points
        self._series: dict[tuple[str, str], deque[Sample]] = {}
        self._last_time: float | None = None
        self.generation = 0  # bumps on every new sample, so views know when to redraw

    def record(self, state: FleetState) -> bool:
        """Sample once per backend instant; a paused backend adds nothing."""
        if self._last_time is not None and state.time <= self._last_time:
            return False
        self._last_time = state.time
        seen: set[tuple[str, str]] = set()
        for release in state.releases():
            for version in release.versions:
                key = (str(release.ref), version.name)
                seen.add(key)
                series = self._series.setdefault(key, deque(maxlen=self._points))
                signals = version.signals
                series.append(Sample(state.time, signals.success_ratio, signals.p99, signals.rps))
        for gone in self._series.keys() - seen:
            del self._series[gone]
        self.generation += 1
        return True

    def series(self, release: str, version: str) -> Sequence[Sample]:
        return self._series.get((release, version), ())
