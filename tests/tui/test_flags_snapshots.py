"""SVG snapshots of the flag screens: the release screen's flags table with its cohort verdict and
evidence, the :flags view, and the kill switch's confirm modal, on a paused simulator at a fixed
instant. Regenerate with ``--snapshot-update`` after an intended change and review the SVGs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.pilot import Pilot

from rolldeck.console.compose import fast_forward
from rolldeck.console.screens.release import ReleaseScreen
from rolldeck.engine.model import ReleaseRef
from tests.waiting import pilot_until

from .helpers import NORMAL, charts_drawn, console_app, paused_backend, select_release, steady_cursors, type_line

SnapCompare = Callable[..., bool]
CHECKOUT = ReleaseRef("prod-eu-west-1", "checkout")


def failing_flag_path():
    """canary-flag-bad-path watched from 3m to 9m: the flag's cohort has failed, and the canary too."""
    app = console_app(paused_backend("canary-flag-bad-path", at=180.0), config=NORMAL)
    asyncio.run(fast_forward(app, 540.0))
    return app


async def open_checkout(pilot: Pilot[None]) -> None:
    app = pilot.app
    await pilot.pause()
    await select_release(pilot, app, CHECKOUT)  # type: ignore[arg-type]
    await pilot.press("enter")
    await pilot_until(pilot, lambda: isinstance(app.screen, ReleaseScreen), "the release screen")
    await charts_drawn(pilot)


def test_release_screen_with_a_failing_flag_cohort(snap_compare: SnapCompare) -> None:
    assert snap_compare(failing_flag_path(), terminal_size=(140, 56), run_before=open_checkout)


def test_flags_view(snap_compare: SnapCompare) -> None:
    async def flags(pilot: Pilot[None]) -> None:
        await type_line(pilot, ":", "flags")

    assert snap_compare(failing_flag_path(), terminal_size=(140, 20), run_before=flags)


def test_kill_switch_confirm_modal(snap_compare: SnapCompare) -> None:
    async def kill(pilot: Pilot[None]) -> None:
        await type_line(pilot, ":", "flags")
        await pilot.press("k")
        await pilot.pause()
        steady_cursors(pilot)
        await pilot.pause()

    assert snap_compare(failing_flag_path(), terminal_size=(140, 40), run_before=kill)
