"""The confirm modal fits 80×24, 120×40 and 160×50: the body scrolls, the name box and the buttons
always show. A promote over canary-5xx's failing canary in a protected context is the fullest
dialog (the judge's objection, the completing headline, checks, live signals, the name box).

Regenerate after an intended visual change with
``.venv/bin/python -m pytest tests/tui/test_confirm_snapshots.py --snapshot-update`` and review the SVGs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input

from rolldeck.console.app import RolldeckApp
from rolldeck.console.compose import fast_forward
from rolldeck.console.config import ConsoleConfig
from rolldeck.console.screens.confirm import ConfirmModal

from .helpers import console_app, paused_backend, sample, select_release

SIZES = [(80, 24), (120, 40), (160, 50)]
SnapCompare = Callable[..., bool]


def failing_canary_console() -> RolldeckApp:
    app = console_app(paused_backend("canary-5xx", at=0.0), config=ConsoleConfig())  # prod-* protected
    asyncio.run(fast_forward(app, 480.0))
    return app


async def promote_failing_canary(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, RolldeckApp)
    await sample(pilot)
    ref = next(r.ref for r in app.backend.snapshot().releases() if r.cluster == "prod-eu-west-1")
    await select_release(pilot, app, ref)
    await pilot.press("p")
    await pilot.pause()
    app.screen.query_one("#confirm-input", Input).cursor_blink = False  # the focused box's blink is wall time
    await sample(pilot)  # the modal's live signals drawn
    app.clear_notifications()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_confirm_modal_over_a_failing_canary(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(failing_canary_console(), terminal_size=size, run_before=promote_failing_canary)


@pytest.mark.asyncio
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_the_name_box_and_both_buttons_are_on_screen(size: tuple[int, int]) -> None:
    app = console_app(paused_backend("canary-5xx", at=0.0), config=ConsoleConfig())
    await fast_forward(app, 480.0)
    async with app.run_test(size=size) as pilot:
        await promote_failing_canary(pilot)
        modal = app.screen
        assert isinstance(modal, ConfirmModal)
        width, height = size
        for widget in (modal.query_one("#confirm-input", Input), modal.query_one("#cancel", Button), modal.query_one("#apply", Button)):
            region = widget.region
            assert region.width > 0 and region.height > 0, f"{widget.id} not laid out at {size}"
            assert region.right <= width and region.bottom <= height, f"{widget.id} cut off at {size}: {region}"
