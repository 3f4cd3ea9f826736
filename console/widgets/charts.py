"""Per-version charts of one release: success %, p99 latency and request rate, over the sampled history.

Costs (textual-practice.md §4): a plotext build grows with points and area, so each series is
downsampled to at most two points per column, and a chart is redrawn only when the history has a
new sample — and at most every ``MIN_REDRAW_S`` of wall time, so a fast simulation cannot turn the
charts into the event loop's main job.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual_plotext import PlotextPlot

from rolldeck.console.widgets.signal_history import Sample, SignalHistory
from rolldeck.console.widgets.split_bar import ROLE_COLOURS, UNKNOWN_COLOUR, VERSION_COLOURS
from rolldeck.engine.model import ReleaseState

MIN_REDRAW_S = 2.0
Reduce = Callable[[Sequence[float]], float]


def downsample(points: Sequence[tuple[float, float]], limit: int, reduce: Reduce) -> list[tuple[float, float]]:
    """At most ``limit`` points: consecutive buckets, each reduced (min for success, max for latency)."""
    if limit <= 0:
        return []
    if len(points) <= limit:
        return list(points)
    size = len(points) / limit
    out = []
    for bucket in range(limit):
        chunk = points[int(bucket * size) : int((bucket + 1) * size)]
        if chunk:
            out.append((chunk[-1][0], reduce([value for _, value in chunk])))
    return out


@dataclass(frozen=True, slots=True)
class Metric:
    title: str
    field: str
    scale: float
    reduce: Reduce  # keep the worst of a bucket: a spike must survive downsampling


METRICS = (
    Metric("success %", "success_ratio", 100.0, min),
    Metric("p99 ms", "p99_s", 1000.0, max),
    Metric("rps", "rps", 1.0, lambda values: sum(values) / len(values)),
)


def series(samples: Sequence[Sample], metric: Metric) -> list[tuple[float, float]]:
    # Gaps (no requests) are dropped rather than drawn as zero: zero success would look like an outage.
    return [
        (sample.time / 60.0, value * metric.scale)
        for sample in samples
        if (value := getattr(sample, metric.field)) is not None
    ]


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


class MetricChart(PlotextPlot):
    """One metric, one line per version. ``draws`` counts rebuilds (tests and the benchmark read it)."""

    def __init__(self, metric: Metric, **kwargs: Any) -> None:  # Textual's own keywords (id, classes…)
        super().__init__(**kwargs)
        self.metric = metric
        self.draws = 0
        self.points_drawn = 0

    def draw(self, lines: Sequence[tuple[str, tuple[int, int, int], list[tuple[float, float]]]]) -> None:
        plt = self.plt
        plt.clear_data()
        plt.title(self.metric.title)
        plt.xlabel("min")
        limit = max(2, 2 * max(1, self.size.width - 8))  # ≤ 2 points per plotted column
        drawn = 0
        for name, colour, points in lines:
            reduced = downsample(points, limit, self.metric.reduce)
            if reduced:
                plt.plot([x for x, _ in reduced], [y for _, y in reduced], marker="hd", color=colour, label=name)
                drawn = max(drawn, len(reduced))
        self.points_drawn = drawn
        self.draws += 1
        self.refresh()  # PlotextPlot builds the figure in render(), once per refresh


class VersionCharts(Horizontal):
    """Three charts side by side; redrawn when the release's history changes, rate-limited."""

    def __init__(self, release: ReleaseState, *, clock: Callable[[], float] = time.monotonic, **kwargs: Any) -> None:  # Textual's own keywords (id, classes…)
        super().__init__(**kwargs)
        self._release = str(release.ref)
        self._colours = {
            v.name: _rgb(VERSION_COLOURS.get(v.name) or ROLE_COLOURS.get(v.role, UNKNOWN_COLOUR)) for v in release.versions
        }
        self._clock = clock
        self._generation = -1
        self._drawn_at: float | None = None

    def compose(self) -> ComposeResult:
        for metric in METRICS:
            yield MetricChart(metric, classes="metric-chart")

    @property
    def drawn_generation(self) -> int:
        """The history generation the charts show (tests wait for it to catch up)."""
        return self._generation

    def show(self, history: SignalHistory) -> None:
        if history.generation == self._generation:
            return  # no new sample: nothing to redraw
        if any(chart.size.width == 0 for chart in self.query(MetricChart)):
            return  # not laid out yet: downsampling needs the width
        now = self._clock()
        if self._drawn_at is not None and now - self._drawn_at < MIN_REDRAW_S:
            return  # drawn recently: the next refresh after the interval picks the change up
        self._generation = history.generation
        self._drawn_at = now
        for chart in self.query(MetricChart):
            lines = [
                (name, colour, series(history.series(self._release, name), chart.metric))
                for name, colour in self._colours.items()
            ]
            chart.draw(lines)
