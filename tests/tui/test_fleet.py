"""Fleet screen: rows per release grouped by region, the simulation skin, cell-level refresh, pacing keys."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from textual.widgets import Label, Static

from rolldeck.console.app import RolldeckApp
from rolldeck.console.screens.fleet import REGION_PREFIX, FleetScreen, FleetTable
from rolldeck.console.screens.help import HelpScreen
from rolldeck.console.commands import CATALOGUE, Scope
from rolldeck.simulator.backend import SimulatorBackend
from .helpers import START_S, sample

SIZE = (140, 40)


def rendered_text(renderable: object) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(renderable)  # type: ignore[arg-type]
    return console.export_text()


class TestFleetTable:
    @pytest.mark.asyncio
    async def test_one_row_per_release_and_a_simulation_badge(
        self, console: RolldeckApp, backend: SimulatorBackend
    ) -> None:
        async with console.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            screen = console.screen
            assert isinstance(screen, FleetScreen)
            table = screen.query_one(FleetTable)
            state = backend.snapshot()
            expected: list[str] = []
            for region in sorted({r.region for r in state.releases()}):
                expected.append(REGION_PREFIX + region)
                members = sorted((r for r in state.releases() if r.region == region), key=lambda r: (r.cluster, r.name))
                expected += [str(r.ref) for r in members]
            assert len(expected) >= 6
            assert table.row_keys == expected  # a heading row per region, then its releases by cluster
            assert table.row_count == len(expected)
            assert table.selected_key == expected[1]  # the cursor starts on a release, not a heading
            badge = screen.query_one("#sim-badge", Label)
            assert badge.display and "SIMULATION" in str(badge.render())
            assert screen.has_class("-sim")
            assert str(screen.query_one("#sim-clock", Label).render()) == "t 00:02:00"
            assert str(screen.query_one("#sim-speed", Label).render()) == "×1"
            assert screen.query_one("#paused-marker").display

    @pytest.mark.asyncio
    async def test_rows_show_desired_and_observed_traffic(self, console: RolldeckApp, backend: SimulatorBackend) -> None:
        async with console.run_test(size=SIZE) as pilot:
            await pilot.pause()
            table = console.screen.query_one(FleetTable)
            for release in backend.snapshot().releases():
                row = table.rendered(str(release.ref))
                assert row is not None
                region, cluster, app, strategy, phase, traffic, step, verdict, ready, *_ = row
                assert (region, cluster, app, strategy) == (
                    release.region, release.cluster, release.name, release.strategy.value,
                )
                if release.active_slot is not None:
                    assert traffic.startswith(release.active_slot)
                else:
                    assert traffic.startswith(f"{release.candidate_weight[0]}")
                assert "/" in ready

    @pytest.mark.asyncio
    async def test_a_refresh_touches_only_changed_cells(self, console: RolldeckApp, backend: SimulatorBackend) -> None:
        async with console.run_test(size=SIZE) as pilot:
            await pilot.pause()
            table = console.screen.query_one(FleetTable)
            before = {key: table.rendered(key) for key in table.row_keys if not key.startswith(REGION_PREFIX)}
            touched_before = table.cells_touched
            lines_before = table.lines_rendered
            backend.run_until(START_S + 1)
            await sample(pilot)
            after = {key: table.rendered(key) for key in before}
            changed = sum(
                old != new for key in before for old, new in zip(before[key], after[key])  # type: ignore[arg-type]
            )
            assert changed > 0, "signals move every simulated second"
            touched = table.cells_touched - touched_before
            assert touched == changed  # however many ticks ran, only changed cells were written
            assert touched < len(before) * len(table.columns)
            rows_changed = sum(before[key] != after[key] for key in before)
            assert 0 < table.lines_rendered - lines_before <= rows_changed  # only changed rows re-render
            assert str(console.screen.query_one("#sim-clock", Label).render()) == "t 00:02:01"

    @pytest.mark.asyncio
    async def test_cursor_keys_and_clicks_move_the_selection(self, console: RolldeckApp) -> None:
        async with console.run_test(size=SIZE) as pilot:
            await pilot.pause()
            table = console.screen.query_one(FleetTable)
            keys = table.row_keys
            await pilot.press("end")
            assert table.selected_key == keys[-1]
            await pilot.press("home", "down")
            assert table.selected_key == keys[1]
            await pilot.click(table, offset=(5, 1 + 4))  # the header is line 0; row 4 is on line 5
            await pilot.pause()
            assert table.selected_key == keys[4]
            assert console.selected_release() is not None and str(console.selected_release().ref) == keys[4]  # type: ignore[union-attr]


class TestPacingKeys:
    @pytest.mark.asyncio
    async def test_speed_keys_walk_the_speed_steps(self, console: RolldeckApp, backend: SimulatorBackend) -> None:
        async with console.run_test(size=SIZE) as pilot:
            await pilot.pause()
            seen = []
            for key in ("greater_than_sign", "full_stop", "greater_than_sign", "less_than_sign", "comma", "comma", "comma"):
                await pilot.press(key)
                seen.append(backend.speed)
            assert seen == [2, 5, 10, 5, 2, 1, 1]
            await sample(pilot)
            assert str(console.screen.query_one("#sim-speed", Label).render()) == "×1"

    @pytest.mark.asyncio
    async def test_shift_p_toggles_the_simulation_clock(self, console: RolldeckApp, backend: SimulatorBackend) -> None:
        async with console.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert backend.paused
            await pilot.press("P")
            assert not backend.paused
            assert not console.screen.query_one("#paused-marker").display
            await pilot.press("P")
            assert backend.paused
            assert console.screen.query_one("#paused-marker").display


class TestHelp:
    @pytest.mark.asyncio
    async def test_question_mark_lists_every_binding(self, console: RolldeckApp) -> None:
        async with console.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("question_mark")
            assert isinstance(console.screen, HelpScreen)
            listed = rendered_text(console.screen.query_one("#help-table", Static).content)
            for command in CATALOGUE:
                assert command.help in listed
            await pilot.press("escape")
            assert isinstance(console.screen, FleetScreen)

    @pytest.mark.asyncio
    async def test_every_binding_has_an_id_and_shows_in_the_footer(self, console: RolldeckApp) -> None:
        async with console.run_test(size=SIZE) as pilot:
            await pilot.pause()
            active = console.screen.active_bindings
            shown_ids = {b.binding.id for b in active.values() if b.binding.show}
            for command in CATALOGUE:
                # back shows once there is somewhere to go; release-screen keys (k) show on that screen
                if command.show and command.id != "back" and command.scope is not Scope.RELEASE:
                    assert command.id in shown_ids, command.id
