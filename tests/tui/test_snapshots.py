"""SVG snapshots of the main screens, on a paused simulator at a fixed instant: every screen at
80×24, 120×40 and 160×50 (``TestEveryScreenAtEverySize``), and particular states at one size.

Regenerate after an intended visual change with
``.venv/bin/python -m pytest tests/tui/test_snapshots.py --snapshot-update`` and review the SVGs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from rolldeck.console.app import RolldeckApp
from rolldeck.console.compose import fast_forward
from rolldeck.console.config import ConsoleConfig

from .helpers import (
    NORMAL,
    autopilot_console,
    charts_drawn,
    clock_shown,
    console_app,
    first_release,
    is_canary_at,
    paused_backend,
    sample,
    select_release,
    steady_cursors,
    type_line,
)

SNAPSHOT_SIZE = (140, 40)
SIZES = [(80, 24), (120, 40), (160, 50)]
SIZE_IDS = ["80x24", "120x40", "160x50"]
SnapCompare = Callable[..., bool]


def console_at_two_minutes(config: ConsoleConfig = NORMAL, **options: object) -> RolldeckApp:
    return console_app(paused_backend(), audit_path=None, actor="alice", config=config, **options)


async def open_payments(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, RolldeckApp)
    manual = first_release(app.backend.snapshot(), is_canary_at(0))
    await pilot.pause()
    await select_release(pilot, app, manual.ref)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
class TestEveryScreenAtEverySize:
    """What matters fits: columns drop by priority, modals fit, the footer stays (test_fit.py
    asserts the rules; these keep the look)."""

    def test_fleet(self, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
        assert snap_compare(console_at_two_minutes(), terminal_size=size)

    def test_release(self, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
        app = console_app(paused_backend(at=0.0), config=NORMAL)
        asyncio.run(fast_forward(app, 120.0))  # two minutes of history for the charts

        async def open_checkout(pilot: Pilot[None]) -> None:
            ref = first_release(app.backend.snapshot(), is_canary_at(5)).ref
            await pilot.pause()
            await select_release(pilot, app, ref)
            await pilot.press("enter")
            await charts_drawn(pilot)

        assert snap_compare(app, terminal_size=size, run_before=open_checkout)

    def test_clusters(self, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
        async def clusters(pilot: Pilot[None]) -> None:
            await type_line(pilot, ":", "clusters")

        assert snap_compare(console_at_two_minutes(), terminal_size=size, run_before=clusters)

    def test_audit(self, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
        app = autopilot_console("canary-healthy")
        asyncio.run(fast_forward(app, 300.0))  # the autopilot's steps are in the audit trail

        async def audit(pilot: Pilot[None]) -> None:
            await type_line(pilot, ":", "audit")
            app.clear_notifications()
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=audit)

    def test_help(self, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
        assert snap_compare(console_at_two_minutes(), terminal_size=size, press=["question_mark"])


class TestFleetSnapshots:
    def test_fleet_on_a_protected_context_read_only(self, snap_compare: SnapCompare) -> None:
        # The default config protects prod-*: red frame and PROD badge; --readonly adds the lock.
        app = console_at_two_minutes(ConsoleConfig(), read_only=True)
        assert snap_compare(app, terminal_size=SNAPSHOT_SIZE)

    def test_failing_canary_in_the_attention_queue(self, snap_compare: SnapCompare) -> None:
        # The console judges from its first look, in one-minute intervals: it watches from the start,
        # and the 3 % errors that begin at 4m have failed the canary by 8m.
        app = console_app(paused_backend("canary-5xx", at=0.0), config=NORMAL)
        asyncio.run(fast_forward(app, 480.0))
        assert snap_compare(app, terminal_size=SNAPSHOT_SIZE)

class TestReleaseSnapshots:
    def test_release_screen_after_a_step_up(self, snap_compare: SnapCompare) -> None:
        app = console_app(paused_backend(at=0.0), config=NORMAL)
        asyncio.run(fast_forward(app, 120.0))  # two minutes of history for the charts

        async def step_payments_up(pilot: Pilot[None]) -> None:
            await open_payments(pilot)
            await pilot.press("enter", "right_square_bracket", "tab", "enter")
            await app.workers.wait_for_complete()
            app.backend.run_until(122.0)  # type: ignore[attr-defined]  # applied, observed still lagging
            await sample(pilot)
            assert clock_shown(app) == "t 00:02:02"
            await charts_drawn(pilot)
            app.clear_notifications()  # a toast's 5 s life would race the snapshot
            await pilot.pause()

        assert snap_compare(app, terminal_size=(140, 50), run_before=step_payments_up)

    def test_release_under_the_autopilot(self, snap_compare: SnapCompare) -> None:
        app = autopilot_console("canary-healthy")
        asyncio.run(fast_forward(app, 300.0))  # eu-west-1 bakes step 2 (25%), us-east-1 waits its phase

        async def open_eu(pilot: Pilot[None]) -> None:
            ref = next(r.ref for r in app.backend.snapshot().releases() if r.cluster == "prod-eu-west-1")
            await pilot.pause()
            await select_release(pilot, app, ref)
            await pilot.press("enter")
            await charts_drawn(pilot)

        assert snap_compare(app, terminal_size=(140, 50), run_before=open_eu)


class TestModalSnapshots:
    def test_confirm_modal(self, snap_compare: SnapCompare) -> None:
        async def step_up(pilot: Pilot[None]) -> None:
            await open_payments(pilot)
            await pilot.press("right_square_bracket")
            await pilot.pause()

        assert snap_compare(console_at_two_minutes(), terminal_size=SNAPSHOT_SIZE, run_before=step_up)

    def test_confirm_modal_on_a_protected_context(self, snap_compare: SnapCompare) -> None:
        async def step_up_and_type(pilot: Pilot[None]) -> None:
            await open_payments(pilot)
            await pilot.press("right_square_bracket")
            await pilot.pause()
            await pilot.press(*"paym")  # the name box has focus; half typed: Apply still disabled
            steady_cursors(pilot)
            await pilot.pause()

        app = console_at_two_minutes(ConsoleConfig())
        assert snap_compare(app, terminal_size=SNAPSHOT_SIZE, run_before=step_up_and_type)
