"""Charts read at a glance: success % on a fixed range around the SLO, mm:ss time, the legend off
the lines, the evidence meter in the verdict's colour."""

from __future__ import annotations

import pytest

from rolldeck.console.app import RolldeckApp
from rolldeck.console.widgets.charts import MetricChart, VersionCharts, mmss, success_range, time_ticks
from rolldeck.console.widgets.verdict import evidence_meter
from rolldeck.engine.judge import Verdict
from rolldeck.simulator.backend import SimulatorBackend

from .helpers import NORMAL, charts_drawn, console_app, first_release, is_canary_at, paused_backend, select_release
from rolldeck.console.compose import fast_forward


class TestSuccessRange:
    def test_a_healthy_release_sits_on_slo_minus_two_points_to_100(self) -> None:
        # 99.9 ± 0.1 % of noise: the range stays put, so the line looks as flat as it is.
        assert success_range([99.85, 99.9, 100.0, 99.95], 99.0) == (97.0, 100.0)
        assert success_range([], 99.5) == (97.5, 100.0)

    def test_it_widens_only_when_data_falls_below_the_floor(self) -> None:
        assert success_range([99.9, 96.4], 99.0) == (96.0, 100.0)
        assert success_range([12.5], 99.0) == (12.0, 100.0)
        assert success_range([-1.0], 99.0) == (0.0, 100.0)


class TestTimeAxis:
    def test_labels_are_minutes_and_seconds(self) -> None:
        assert mmss(0) == "00:00" and mmss(125) == "02:05" and mmss(4500) == "75:00"
        ticks, labels = time_ticks(60.0, 240.0)
        assert ticks == [60.0, 120.0, 180.0, 240.0] and labels == ["01:00", "02:00", "03:00", "04:00"]
        assert time_ticks(30.0, 30.0) == ([30.0], ["00:30"])


class TestEvidenceMeter:
    @pytest.mark.parametrize(
        ("verdict", "colour"),
        [(Verdict.PASS, "green"), (Verdict.FAIL, "red"), (Verdict.INCONCLUSIVE, "yellow"), (Verdict.ERROR, "magenta")],
    )
    def test_the_meter_takes_the_verdicts_colour(self, verdict: Verdict, colour: str) -> None:
        meter = evidence_meter(2000, 1000, verdict=verdict)  # full evidence either way: the colour tells
        assert str(meter.style) == colour


class TestDrawnCharts:
    @pytest.mark.asyncio
    async def test_the_drawn_success_chart_uses_the_judges_slo_and_mm_ss(self) -> None:
        from rolldeck.console.config import ConsoleConfig, SloDefaults

        config = ConsoleConfig(protected=[], slo=SloDefaults(success=0.995))
        app: RolldeckApp = console_app(paused_backend(at=0.0), config=config)
        await fast_forward(app, 120.0)
        backend = app.backend
        assert isinstance(backend, SimulatorBackend)
        async with app.run_test(size=(140, 50)) as pilot:
            await pilot.pause()
            await select_release(pilot, app, first_release(backend.snapshot(), is_canary_at(5)).ref)
            await pilot.press("enter")
            await charts_drawn(pilot)
            success, p99, rps = app.screen.query(MetricChart)
            assert success.y_range == (97.5, 100.0)  # SLO 99.5 − 2 pp, the data all above it
            assert p99.y_range is None  # latency and rate keep their own scale
            assert success.x_labels[-1] == "02:00" and all(len(label) == 5 and label[2] == ":" for label in success.x_labels)
            legend = str(app.screen.query_one("#chart-legend").render())
            assert "stable" in legend and "canary" in legend
            # plotext draws a labelled series' legend inside the plot, over the lines: none is labelled.
            assert all(label in ("", None) for chart in (success, p99, rps) for label in _labels(chart))
            assert app.screen.query_one(VersionCharts).drawn_generation == app.history.generation


def _labels(chart: MetricChart) -> list[object]:
    """The series labels plotext holds (a one-plot figure keeps them on its monitor)."""
    labels = chart.plt.monitor.label
    assert len(labels) >= 2  # one per version drawn: the check below is about something real
    return list(labels)


class TestNotationInHelp:
    @pytest.mark.asyncio
    async def test_question_mark_explains_how_to_read_the_cells(self, console: RolldeckApp) -> None:
        from .test_fit import screen_lines

        async with console.run_test(size=(160, 50)) as pilot:
            await pilot.pause()
            await pilot.press("question_mark")
            await pilot.pause()
            help_body = console.screen.query_one("#help-notation")
            help_body.scroll_visible(animate=False)
            await pilot.pause()
            text = " ".join(" ".join(screen_lines(console)).split())
            assert "reading the screens" in text
            assert "99→100% desired→observed" in text
            assert "8/8 · 3/3 ready/desired pods per version" in text
