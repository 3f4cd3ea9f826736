"""Per-version charts of one release: success %, p99 latency and request rate, over the sampled history.

Costs (textual-practice.md §4): a plotext build grows with points and area, so each series is
downsampled to at most two points per column, and a chart is redrawn only when the history has a
new sample — and at most every ``MIN_REDRAW_S`` of wall time, so a fast simulation cannot turn the
charts into the event loop's main job.

Read at a glance: success % sits on a fixed range around the SLO (SLO − 2 pp to 100 %, wider only
when the data falls below it), so 0.1 % of noise stays a flat line instead of filling the chart;
the time axis reads mm:ss of simulated (or cluster) time; the legend is a line of its own above
the charts, never drawn over the data.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual_plotext import PlotextPlot

from rolldeck.console.widgets.plain import PlainStatic
from rolldeck.console.widgets.signal_history import Sample, SignalHistory
from rolldeck.console.widgets.split_bar import ROLE_COLOURS, UNKNOWN_COLOUR, VERSION_COLOURS
from rolldeck.engine.model import ReleaseState

MIN_REDRAW_S = 2.0
SUCCESS_MARGIN_PP = 2.0  # the success chart's floor: this many points below the SLO
TIME_TICKS = 4
Reduce = Callable[[Sequence[float]], float]


def success_range(values: Iterable[float], slo_percent: float) -> tuple[float, float]:
    """The success chart's y range: SLO − 2 pp to 100 %, lowered to the next whole percent below
    the worst value only when data falls under that floor."""
    floor = slo_percent - SUCCESS_MARGIN_PP
    worst = min(values, default=floor)
    if worst < floor:
        floor = math.floor(worst)
    return max(0.0, floor), 100.0


def mmss(seconds: float) -> str:
    """125 → '02:05'; minutes keep counting past the hour ('75:00') so labels stay short."""
    minutes, secs = divmod(max(0, int(round(seconds))), 60)
    return f"{minutes:02d}:{secs:02d}"


def time_ticks(start_s: float, end_s: float, count: int = TIME_TICKS) -> tuple[list[float], list[str]]:
    """Evenly spaced ticks over [start, end] in seconds, labelled mm:ss."""
    if end_s <= start_s:
        return [start_s], [mmss(start_s)]
    step = (end_s - start_s) / (count - 1)
    ticks = [start_s + i * step for i in range(count)]
    return ticks, [mmss(t) for t in ticks]


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
    """(backend seconds, value) points. Gaps (no requests) are dropped rather than drawn as zero:
    zero success would look like an outage."""
    return [
        (sample.time, value * metric.scale)
        for sample in samples
        if (value := getattr(sample, metric.field)) is not None
    ]


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


class MetricChart(PlotextPlot):
    """One metric, one line per version. ``draws`` counts rebuilds (tests and the benchmark read it)."""

    def __init__(self, metric: Metric, *, slo_percent: float = 99.0, **kwargs: Any) -> None:  # Textual's own keywords (id, classes…)
        super().__init__(**kwargs)
        self.metric = metric
        self.slo_percent = slo_percent
        self.draws = 0
        self.points_drawn = 0
        self.y_range: tuple[float, float] | None = None  # the success chart's fixed range, as last drawn
        self.x_labels: list[str] = []

    def draw(self, lines: Sequence[tuple[str, tuple[int, int, int], list[tuple[float, float]]]]) -> None:
        plt = self.plt
        plt.clear_data()
        plt.title(self.metric.title)
        limit = max(2, 2 * max(1, self.size.width - 8))  # ≤ 2 points per plotted column
        drawn = 0
        xs: list[float] = []
        ys: list[float] = []
        for _name, colour, points in lines:
            reduced = downsample(points, limit, self.metric.reduce)
            if reduced:
                # No label: plotext draws its legend over the data; ours is a line above the charts.
                plt.plot([x for x, _ in reduced], [y for _, y in reduced], marker="hd", color=colour)
                drawn = max(drawn, len(reduced))
                xs += [x for x, _ in reduced]
                ys += [y for _, y in reduced]
        if self.metric.field == "success_ratio":
            self.y_range = success_range(ys, self.slo_percent)
            plt.ylim(*self.y_range)
        if xs:
            ticks, self.x_labels = time_ticks(min(xs), max(xs))
            plt.xticks(ticks, self.x_labels)
        self.points_drawn = drawn
        self.draws += 1
        self.refresh()  # PlotextPlot builds the figure in render(), once per refresh


def legend(colours: dict[str, str], slo_percent: float) -> Text:
    """'━ stable  ━ canary    success % from SLO − 2 pp · time mm:ss': the key, off the lines."""
    text = Text()
    for name, colour in colours.items():
        text.append("━━ ", style=f"bold {colour}")
        text.append(f"{name}   ")
    text.append(f"success % from {slo_percent - SUCCESS_MARGIN_PP:g} (SLO {slo_percent:g} − {SUCCESS_MARGIN_PP:g} pp) · time mm:ss", style="dim")
    return text


class VersionCharts(Vertical):
    """A legend line, then three charts side by side; redrawn when the release's history changes, rate-limited."""

    def __init__(
        self, release: ReleaseState, *, clock: Callable[[], float] = time.monotonic, slo_percent: float = 99.0, **kwargs: Any
    ) -> None:  # Textual's own keywords (id, classes…)
        super().__init__(**kwargs)
        self._release = str(release.ref)
        self._hex = {v.name: VERSION_COLOURS.get(v.name) or ROLE_COLOURS.get(v.role, UNKNOWN_COLOUR) for v in release.versions}
        self._colours = {name: _rgb(colour) for name, colour in self._hex.items()}
        self._clock = clock
        self._slo_percent = slo_percent
        self._generation = -1
        self._drawn_at: float | None = None

    def compose(self) -> ComposeResult:
        yield PlainStatic(legend(self._hex, self._slo_percent), id="chart-legend")
        with Horizontal(id="chart-row"):
            for metric in METRICS:
                yield MetricChart(metric, slo_percent=self._slo_percent, classes="metric-chart")

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
