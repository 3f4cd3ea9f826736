"""Release screen: control plane beside data plane, step plan, verdict, charts, activity, escape back."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from rolldeck.console.app import RolldeckApp
from rolldeck.console.screens.confirm import ConfirmModal
from rolldeck.console.screens.fleet import FleetScreen
from rolldeck.console.screens.release import ReleaseScreen
from rolldeck.console.widgets import charts as charts_module
from rolldeck.console.widgets.charts import MetricChart
from rolldeck.console.widgets.event_log import EventPane
from rolldeck.console.widgets.planes import ControlPlanePanel, DataPlaneTable
from rolldeck.console.widgets.split_bar import SplitBar
from rolldeck.simulator.backend import SimulatorBackend

from .helpers import NORMAL, console_app, first_release, is_canary_at, sample, select_release

SIZE = (140, 40)


def static_text(widget: Static) -> str:
    content = widget.content
    if isinstance(content, str):
        return content
    from io import StringIO

    from rich.console import Console

    console = Console(width=200, record=True, file=StringIO())
    console.print(content)
    return console.export_text()


async def open_release(pilot, app: RolldeckApp, ref) -> ReleaseScreen:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await select_release(pilot, app, ref)
    await pilot.press("enter")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ReleaseScreen) and screen.ref == ref
    return screen


class TestReleaseScreen:
    @pytest.mark.asyncio
    async def test_enter_opens_the_release_with_both_planes(self, console: RolldeckApp, backend: SimulatorBackend) -> None:
        canary = first_release(backend.snapshot(), is_canary_at(5))
        async with console.run_test(size=SIZE) as pilot:
            screen = await open_release(pilot, console, canary.ref)
            split = static_text(screen.query_one(SplitBar)).splitlines()
            assert split[0].startswith("desired") and split[1].startswith("observed")
            assert "stable 95%" in split[0] and "canary 5%" in split[0]
            control = static_text(screen.query_one(ControlPlanePanel))
            for line in ("owner", "desired", "observed", "spec", "router", "VirtualService", "mirror", "argo cd"):
                assert line in control
            versions = screen.query_one(DataPlaneTable)
            assert versions.row_keys == ["stable", "canary"]
            assert versions.rendered("canary")[2] == "5%"  # type: ignore[index]
            assert screen.has_class("-sim")

            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(console.screen, FleetScreen)

    @pytest.mark.asyncio
    async def test_a_lagging_split_is_highlighted_in_the_control_plane(
        self, console: RolldeckApp, backend: SimulatorBackend
    ) -> None:
        manual = first_release(backend.snapshot(), is_canary_at(0))
        async with console.run_test(size=SIZE, notifications=True) as pilot:
            screen = await open_release(pilot, console, manual.ref)
            await pilot.press("right_square_bracket", "tab", "enter")  # step to 1%, Apply
            await console.workers.wait_for_complete()
            backend.run_until(backend.clock.now() + 2)  # applied; the data plane has not followed yet
            await sample(pilot)
            assert "lagging" in static_text(screen.query_one(ControlPlanePanel))

    @pytest.mark.asyncio
    async def test_charts_draw_per_version_series_and_only_when_data_changes(
        self, console: RolldeckApp, backend: SimulatorBackend, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(charts_module, "MIN_REDRAW_S", 0.5)  # the rule, on a shorter clock
        canary = first_release(backend.snapshot(), is_canary_at(5))
        async with console.run_test(size=SIZE) as pilot:
            screen = await open_release(pilot, console, canary.ref)
            charts = list(screen.query(MetricChart))
            assert [c.metric.title for c in charts] == ["success %", "p99 ms", "rps"]
            await sample(pilot)  # laid out by now: the first draw
            draws = [c.draws for c in charts]
            assert all(d == 1 for d in draws)
            for _ in range(5):  # more ticks of a paused simulator, the redraw interval long past: no new data, no redraw
                await sample(pilot, seconds=1.0)
            assert [c.draws for c in charts] == draws
            for _ in range(4):  # four new samples, one every tick, 0.3 s of UI time apart
                backend.run_until(backend.clock.now() + 1)
                await sample(pilot, seconds=0.3)
            # UI time 0.3, 0.6, 0.9 and 1.2 s into the loop: drawn at 0.3 and 0.9; at 0.6 and 1.2 the
            # last draw is only 0.3 s old, so those samples wait for a later tick.
            for chart, before in zip(charts, draws):
                redraws = chart.draws - before
                assert redraws >= 1, "new data is drawn"
                assert redraws == 2, "but no faster than the minimum interval: fewer redraws than new samples"
            await sample(pilot, seconds=0.3)  # the interval has passed: the newest sample is drawn without new data
            assert all(c.draws - before == 3 for c, before in zip(charts, draws))
            assert all(c.drawn_generation == console.history.generation for c in screen.query(charts_module.VersionCharts))
            assert all(0 < c.points_drawn <= 2 * c.size.width for c in charts)

    @pytest.mark.asyncio
    async def test_an_action_from_the_release_screen_shows_in_its_event_pane(
        self, console: RolldeckApp, backend: SimulatorBackend, audit_path: Path
    ) -> None:
        manual = first_release(backend.snapshot(), is_canary_at(0))
        async with console.run_test(size=SIZE, notifications=True) as pilot:
            screen = await open_release(pilot, console, manual.ref)
            assert "no actions" in static_text(screen.query_one(EventPane))

            await pilot.press("right_square_bracket")
            await pilot.pause()
            assert isinstance(console.screen, ConfirmModal)
            await pilot.press("tab")  # from Cancel to Apply
            assert console.focused is not None and console.focused.id == "apply"
            await pilot.press("enter")
            await console.workers.wait_for_complete()
            await pilot.pause()

            assert console.screen is screen
            trail = static_text(screen.query_one(EventPane))
            assert "alice" in trail and "step-up" in trail and "applied" in trail
            assert "canary 0% → 1%" in trail

            backend.run_until(backend.clock.now() + 15)
            await sample(pilot)
            split = static_text(screen.query_one(SplitBar)).splitlines()
            assert "canary 1%" in split[0] and "canary 1%" in split[1]

    @pytest.mark.asyncio
    async def test_verdict_evidence_meter_and_step_plan(self, backend: SimulatorBackend) -> None:
        canary = first_release(backend.snapshot(), is_canary_at(5))
        app = console_app(backend, config=NORMAL)  # the steps are in the model
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_release(pilot, app, canary.ref)
            verdict = static_text(screen.query_one("#verdict", Static))
            # The console judges a bake from its first look at it: evidence comes in
            # one-minute intervals, so a fresh console holds until it has a few.
            assert "verdict" in verdict and "Inconclusive" in verdict
            assert "0 / 1,000" in verdict and "░" in verdict  # n / n_min with a bar
            assert "not enough evidence yet (0/3 intervals)" in verdict and "by the console's judge" in verdict
            plan = static_text(screen.query_one("#step-plan", Static))
            assert "✓ 5%" in plan and "▶ pause 2m" in plan and "· 10%" in plan and "· pause 3m" in plan and "· 100%" in plan
            # the step was under way before the console started; the simulator says when it began
            assert "▶ pause 2m 0s left" in plan
            revisions = static_text(screen.query_one("#revisions", Static))
            # an Argo-owned simulated release keeps its revisions: stable's 1, the canary's 2
            assert "1 · 2 (current)" in revisions and "u: undo to 1" in revisions
