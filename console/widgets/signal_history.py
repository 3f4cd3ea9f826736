"""Per-version signal history sampled from snapshots, and the sparklines that draw it.

The backend keeps only the current window; trends are the console's business, so it samples each
new snapshot into bounded deques (one per release × version) whatever screen is showing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Sparkline

from console import format as fmt
from engine.model import FleetState, ReleaseState

HISTORY_POINTS = 300


@dataclass(frozen=True, slots=True)
class Sample:
    time: float
    success_ratio: float | None
    p99_s: float | None


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
                series.append(Sample(state.time, version.signals.success_ratio, version.signals.p99))
        for gone in self._series.keys() - seen:
            del self._series[gone]
        self.generation += 1
        return True

    def series(self, release: str, version: str) -> Sequence[Sample]:
        return self._series.get((release, version), ())


def _values(samples: Sequence[Sample], field: str, scale: float) -> list[float]:
    # Gaps (no requests) are dropped rather than drawn as zero: zero success would look like an outage.
    return [value * scale for sample in samples if (value := getattr(sample, field)) is not None]


class VersionSignals(Horizontal):
    """One version's success % and p99 ms: current value and a sparkline each."""

    def __init__(self, version: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.version = version

    def compose(self) -> ComposeResult:
        with Vertical(classes="signal"):
            yield Label("", classes="signal-label success-label")
            yield Sparkline([], classes="success-spark")
        with Vertical(classes="signal"):
            yield Label("", classes="signal-label p99-label")
            yield Sparkline([], classes="p99-spark")

    def show(self, release: str, history: SignalHistory) -> None:
        samples = history.series(release, self.version)
        last = samples[-1] if samples else None
        success = fmt.percent(last.success_ratio if last else None, digits=2)
        p99 = fmt.millis(last.p99_s if last else None)
        self.query_one(".success-label", Label).update(f"{self.version} success {success}")
        self.query_one(".p99-label", Label).update(f"{self.version} p99 {p99} ms")
        self.query_one(".success-spark", Sparkline).data = _values(samples, "success_ratio", 100.0)
        self.query_one(".p99-spark", Sparkline).data = _values(samples, "p99_s", 1000.0)


class SignalPanel(Vertical):
    def __init__(self, release: ReleaseState, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._release = str(release.ref)
        self._versions = [version.name for version in fmt.ordered_versions(release)]
        self._generation = -1

    def compose(self) -> ComposeResult:
        for name in self._versions:
            yield VersionSignals(name)

    def show(self, history: SignalHistory) -> None:
        if history.generation == self._generation:
            return
        self._generation = history.generation
        for row in self.query(VersionSignals):
            row.show(self._release, history)
