"""The console at any terminal size: columns drop by declared priority, cells never run together,
the region is drawn once per group, the footer and the release's data plane stay on screen.

Drawn text is read from the screen as a user sees it (the compositor's output, as a screenshot
would), not from the widgets' data."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Footer

from rolldeck.console.app import RolldeckApp
from rolldeck.console.screens.fleet import REGION_PREFIX, FleetTable
from rolldeck.console.screens.release import ReleaseScreen
from rolldeck.console.widgets.attention_table import AttentionTable
from rolldeck.console.widgets.column_fit import GridColumn, fit_columns
from rolldeck.console.widgets.planes import DataPlaneTable
from rolldeck.simulator.backend import SimulatorBackend

from tests.waiting import pilot_until

from .helpers import first_release, is_canary_at, sample, select_release

SIZES = [(80, 24), (120, 40), (160, 50)]
AT_80 = {"app", "phase", "traffic", "verdict", "success"}


def screen_lines(app: App[None]) -> list[str]:
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, color_system=None, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text().splitlines()


async def footer_drawn(pilot: Pilot[None]) -> None:
    """The footer's keys on the last lines of the screen (it recomposes after the bindings change,
    so wait for it rather than read the first paint)."""
    await pilot_until(pilot, lambda: any("palette" in line for line in screen_lines(pilot.app)[-3:]), "the footer's keys")


class TestColumnFit:
    COLUMNS = (
        GridColumn("name", "name"),
        GridColumn("where", "where", priority=1),
        GridColumn("extra", "extra", priority=2),
        GridColumn("why", "why", min_width=10),
    )

    def test_everything_fits_when_there_is_room(self) -> None:
        layout = fit_columns(self.COLUMNS, [8, 10, 6, 30], 100, 2)
        assert layout.columns == ((0, 8), (1, 10), (2, 6), (3, 30))

    def test_the_highest_priority_number_drops_first_and_prose_shrinks_before_anything_drops(self) -> None:
        # 8 + 10 + 6 + 10 (why at its minimum) + 4 gaps of 2 = 42: all stay, why gets the rest.
        assert fit_columns(self.COLUMNS, [8, 10, 6, 30], 50, 2).columns == ((0, 8), (1, 10), (2, 6), (3, 18))
        assert fit_columns(self.COLUMNS, [8, 10, 6, 30], 41, 2).indexes == (0, 1, 3)  # extra went
        assert fit_columns(self.COLUMNS, [8, 10, 6, 30], 30, 2).columns == ((0, 8), (3, 18))

    def test_priority_zero_columns_never_drop_and_hidden_columns_never_draw(self) -> None:
        hidden = (GridColumn("region", "region", shown=False), *self.COLUMNS)
        assert fit_columns(hidden, [9, 8, 10, 6, 30], 5, 2).indexes == (1, 4)  # too narrow: scrolls sideways


class TestEverySize:
    @pytest.mark.asyncio
    @pytest.mark.parametrize("size", SIZES)
    async def test_fleet_keeps_what_matters_with_cells_apart(self, console: RolldeckApp, backend: SimulatorBackend, size: tuple[int, int]) -> None:
        async with console.run_test(size=size) as pilot:
            await sample(pilot)
            table = console.screen.query_one(FleetTable)
            shown = set(table.visible_columns)
            assert AT_80 <= shown and "region" not in shown
            if size[0] >= 120:
                assert {"success", "p99", "cluster"} <= shown
            lines = screen_lines(console)
            keys = [key for key, _ in table.columns]
            for release in backend.snapshot().releases():
                cells = table.rendered(str(release.ref))
                assert cells is not None
                drawn = [cells[keys.index(key)] for key in table.visible_columns if cells[keys.index(key)]]
                # Every drawn cell, in order, with at least two spaces between neighbours.
                pattern = r"\s{2,}".join(map(re.escape, drawn))
                assert any(re.search(pattern, line) for line in lines), (drawn, lines)
            regions = {r.region for r in backend.snapshot().releases()}
            for region in regions:
                heading = [line for line in lines if f"▾ {region}" in line]
                assert len(heading) == 1 and "release" in heading[0]  # once, as its group's heading
                alone = re.compile(rf"(?<![\w-]){re.escape(region)}(?![\w-])")  # not inside a cluster name
                fleet_lines = lines[next(i for i, line in enumerate(lines) if "traffic d→o" in line) :]
                for release in backend.snapshot().releases():
                    row = [line for line in fleet_lines if release.cluster in line and f" {release.name} " in line]
                    assert row and not any(alone.search(line) for line in row)
            assert all(table.rendered(REGION_PREFIX + region) is not None for region in regions)
            footer = console.screen.query_one(Footer)
            assert footer.display and footer.region.bottom <= size[1]  # the footer stays on screen
            await footer_drawn(pilot)
            queue = console.screen.query_one(AttentionTable)
            assert "detail" in queue.visible_columns  # the why of the queue is never what drops

    @pytest.mark.asyncio
    @pytest.mark.parametrize("size", SIZES)
    async def test_release_screen_shows_the_data_plane_metrics_on_its_first_page(
        self, console: RolldeckApp, backend: SimulatorBackend, size: tuple[int, int]
    ) -> None:
        canary = first_release(backend.snapshot(), is_canary_at(5))
        async with console.run_test(size=size) as pilot:
            await sample(pilot)
            await select_release(pilot, console, canary.ref)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(console.screen, ReleaseScreen)
            await sample(pilot)
            versions = console.screen.query_one(DataPlaneTable)
            assert {"version", "weight", "success", "p99"} <= set(versions.visible_columns)
            assert versions.region.bottom < size[1] - 2  # above the footer, without scrolling
            assert versions.region.right <= size[0]
            lines = screen_lines(console)
            assert any("success %" in line and "p99 ms" in line for line in lines)
            await footer_drawn(pilot)  # the footer too
