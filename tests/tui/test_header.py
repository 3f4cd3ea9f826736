"""A view switch never flashes a wrong header: a screen just opened claims nothing (no READ-ONLY,
no PAUSED, no PROD) until the first frame says what is true."""

from __future__ import annotations

import pytest

from rolldeck.console.app import RolldeckApp
from rolldeck.console.screens.clusters import ClustersScreen
from rolldeck.simulator.backend import SimulatorBackend

from .helpers import NORMAL, console_app, sample, type_line

SIZE = (140, 40)
CLAIMS = ("#read-only-badge", "#paused-marker", "#prod-badge", "#sim-badge", "#autopilot-marker")


class TestHeaderOnAViewSwitch:
    @pytest.mark.asyncio
    async def test_a_new_view_shows_no_badge_before_its_first_frame(self, backend: SimulatorBackend) -> None:
        backend.set_paused(False)  # running, writable, not protected: every claim would be false
        app = console_app(backend, config=NORMAL)
        async with app.run_test(size=SIZE) as pilot:
            await sample(pilot)
            drawn: list[RolldeckApp] = []
            app.refresh_view = lambda: drawn.append(app)  # type: ignore[method-assign]  # frames stop here
            await type_line(pilot, ":", "clusters")
            screen = app.screen
            assert isinstance(screen, ClustersScreen) and drawn  # it asked for a frame; none arrived yet
            shown = [selector for selector in CLAIMS if screen.query_one(selector).display]
            assert shown == []

    @pytest.mark.asyncio
    async def test_the_first_frame_sets_what_is_true(self, backend: SimulatorBackend) -> None:
        app = console_app(backend, config=NORMAL, read_only=True)  # paused and read-only: both are true
        async with app.run_test(size=SIZE) as pilot:
            await sample(pilot)
            await type_line(pilot, ":", "clusters")
            await sample(pilot)
            screen = app.screen
            assert isinstance(screen, ClustersScreen)
            assert screen.query_one("#read-only-badge").display and screen.query_one("#paused-marker").display
