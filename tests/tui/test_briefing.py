"""The briefing is a panel, not a toast: shown when the drill starts with the simulated clock held
until it is closed, recalled with ``b`` (without holding the clock again)."""

from __future__ import annotations

import pytest

from rolldeck.console.screens.briefing import BriefingScreen
from rolldeck.console.screens.fleet import FleetScreen
from rolldeck.simulator.backend import SimulatorBackend
from rolldeck.simulator.library import load_scenario
from tests.waiting import ManualClock

from .helpers import NORMAL, console_app, notifications, paused_backend, toasts
from .test_fit import screen_lines

SIZE = (120, 40)


def running_backend(wall: ManualClock) -> SimulatorBackend:
    return SimulatorBackend(load_scenario("canary-5xx"), wall=wall)


class TestBriefingPanel:
    @pytest.mark.asyncio
    async def test_first_shown_with_the_clock_held_then_it_runs_when_closed(self) -> None:
        wall = ManualClock()
        backend = running_backend(wall)
        briefing = backend.scenario.briefing
        app = console_app(backend, config=NORMAL, briefing=briefing)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, BriefingScreen)
            assert backend.paused  # the drill waits for its reader
            held_at = backend.clock.now()
            wall.advance(30.0)  # half a minute of reading
            await pilot.pause()
            assert backend.clock.now() == held_at
            text = "\n".join(screen_lines(app))
            first_words = " ".join(briefing.split()[:4])
            assert first_words in " ".join(text.split())
            assert "clock waits" in text
            assert not any(t.title == "briefing" for t in toasts(app))  # no 20-second toast over the screen
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, FleetScreen) and not backend.paused
            await pilot.press("b")  # recalled: the same panel, the clock left running
            await pilot.pause()
            assert isinstance(app.screen, BriefingScreen) and not backend.paused
            assert "clock waits" not in "\n".join(screen_lines(app))
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, FleetScreen) and not backend.paused

    @pytest.mark.asyncio
    async def test_a_paused_simulation_stays_paused_after_the_briefing(self) -> None:
        backend = paused_backend("canary-5xx")
        app = console_app(backend, config=NORMAL, briefing=backend.scenario.briefing)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, BriefingScreen)
            await pilot.press("escape")
            await pilot.pause()
            assert backend.paused  # the console did not pause it, so it does not resume it

    @pytest.mark.asyncio
    async def test_b_without_a_briefing_says_so(self, backend: SimulatorBackend) -> None:
        app = console_app(backend, config=NORMAL)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, FleetScreen)
            await pilot.press("b")
            await pilot.pause()
            assert isinstance(app.screen, FleetScreen)
            assert notifications(app)[-1][0] == "warning" and "no briefing" in notifications(app)[-1][1]
