"""Release screen: opened with enter, split bar, versions, signal history, audit trail, escape back."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Sparkline, Static

from console.app import RolldeckApp
from console.screens.confirm import ConfirmModal
from console.screens.fleet import FleetScreen
from console.screens.release import ReleaseScreen, VersionTable
from console.widgets.audit_list import AuditList
from console.widgets.split_bar import SplitBar
from simulator.backend import SimulatorBackend

from .helpers import first_release, is_canary_at, select_release

SIZE = (140, 40)


def static_text(widget: Static) -> str:
    return str(widget.content)


class TestReleaseScreen:
    @pytest.mark.asyncio
    async def test_enter_opens_the_release_with_split_bar_and_versions(
        self, console: RolldeckApp, backend: SimulatorBackend
    ) -> None:
        canary = first_release(backend.snapshot(), is_canary_at(5))
        async with console.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await select_release(pilot, console, canary.ref)
            await pilot.press("enter")
            await pilot.pause()
            screen = console.screen
            assert isinstance(screen, ReleaseScreen) and screen.ref == canary.ref
            split = static_text(screen.query_one(SplitBar)).splitlines()
            assert split[0].startswith("desired") and split[1].startswith("observed")
            assert "stable 95%" in split[0] and "canary 5%" in split[0]
            assert "█" in split[0]
            versions = screen.query_one(VersionTable)
            assert versions.row_keys == ["stable", "canary"]
            assert versions.rendered("canary")[4] == "5%"  # type: ignore[index]
            assert screen.has_class("-sim")

            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(console.screen, FleetScreen)

    @pytest.mark.asyncio
    async def test_signal_history_grows_with_simulated_time(
        self, console: RolldeckApp, backend: SimulatorBackend
    ) -> None:
        canary = first_release(backend.snapshot(), is_canary_at(5))
        async with console.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await select_release(pilot, console, canary.ref)
            await pilot.press("enter")
            for step in range(1, 4):
                backend.run_until(backend.clock.now() + 1)
                await pilot.pause(0.6)
            sparks = list(console.screen.query(Sparkline))
            assert len(sparks) == 4  # success and p99 for stable and canary
            assert all(len(spark.data or []) == 4 for spark in sparks)

    @pytest.mark.asyncio
    async def test_an_action_from_the_release_screen_shows_in_its_audit_trail(
        self, console: RolldeckApp, backend: SimulatorBackend, audit_path: Path
    ) -> None:
        manual = first_release(backend.snapshot(), is_canary_at(0))
        async with console.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            await select_release(pilot, console, manual.ref)
            await pilot.press("enter")
            await pilot.pause()
            audit = console.screen.query_one(AuditList)
            assert "no actions" in static_text(audit)

            await pilot.press("right_square_bracket")
            await pilot.pause()
            assert isinstance(console.screen, ConfirmModal)
            await pilot.press("tab")  # from Cancel to Apply
            assert console.focused is not None and console.focused.id == "apply"
            await pilot.press("enter")
            await console.workers.wait_for_complete()
            await pilot.pause()

            screen = console.screen
            assert isinstance(screen, ReleaseScreen)
            trail = static_text(screen.query_one(AuditList))
            assert "alice" in trail and "step-up" in trail and "applied" in trail
            assert "canary 0% → 1%" in trail

            backend.run_until(backend.clock.now() + 15)
            await pilot.pause(0.6)
            split = static_text(screen.query_one(SplitBar)).splitlines()
            assert "canary 1%" in split[0] and "canary 1%" in split[1]
