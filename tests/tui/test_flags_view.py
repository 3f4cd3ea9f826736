"""The ``:flags`` view: every flag of every release, k and ] [ on its rows through the confirm modal,
enter onto the release screen with that flag selected."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from rolldeck.console.screens.confirm import ConfirmModal
from rolldeck.console.screens.flags import FlagsScreen, FleetFlagsTable, flag_row_key
from rolldeck.console.screens.release import ReleaseScreen
from rolldeck.console.widgets.flags_table import FlagsTable
from rolldeck.engine.model import FlagState, ReleaseRef
from tests.waiting import pilot_until

from .helpers import NORMAL, audit_records, console_app, notifications, paused_backend, sample, type_line

SIZE = (160, 50)
EU = ReleaseRef("prod-eu-west-1", "checkout")
US = ReleaseRef("prod-us-east-1", "checkout")


async def open_flags(pilot, app) -> FlagsScreen:
    await type_line(pilot, ":", "flags")
    screen = await pilot_until(pilot, lambda: app.screen if isinstance(app.screen, FlagsScreen) else None, "the flags view")
    await sample(pilot)
    return screen


async def move_to(pilot, table: FleetFlagsTable, key: str) -> None:
    delta = table.get_row_index(key) - table.cursor_row
    if delta:
        await pilot.press(*(["down"] * delta if delta > 0 else ["up"] * -delta))
    await pilot.pause()


async def confirmed(pilot, app) -> ConfirmModal:
    return await pilot_until(pilot, lambda: app.screen if isinstance(app.screen, ConfirmModal) else None, "the confirm modal")


async def apply(pilot, app) -> None:
    await pilot.click("#apply")
    await pilot.pause()
    await app.workers.wait_for_complete()
    app.backend.run_until(app.backend.clock.now() + 1)
    await sample(pilot)


@pytest.mark.asyncio
async def test_every_flag_of_every_release_is_a_row(tmp_path: Path) -> None:
    backend = paused_backend("canary-flag-one-region", at=60.0)
    app = console_app(backend, audit_path=tmp_path / "audit.jsonl", config=NORMAL)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_flags(pilot, app)
        table = screen.query_one(FleetFlagsTable)
        assert table.row_keys == [flag_row_key(EU, "new-checkout"), flag_row_key(US, "new-checkout")]
        assert table.rendered(flag_row_key(US, "new-checkout")) == (
            "us-east-1", "prod-us-east-1", "checkout", "new-checkout", "on", "on 5%, off 95%", "5%", "… 0%", "scenario",
        )
        await type_line(pilot, "/", "us-east")  # the filter narrows flag rows like any other view
        await sample(pilot)
        assert table.row_keys == [flag_row_key(US, "new-checkout")]


@pytest.mark.asyncio
async def test_k_and_brackets_act_on_the_row_under_the_cursor_and_other_verbs_do_nothing_here(tmp_path: Path) -> None:
    backend = paused_backend("canary-flag-one-region", at=360.0)  # the us-east-1 path fails since 5m
    audit = tmp_path / "audit.jsonl"
    app = console_app(backend, audit_path=audit, config=NORMAL)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_flags(pilot, app)
        table = screen.query_one(FleetFlagsTable)
        await move_to(pilot, table, flag_row_key(US, "new-checkout"))
        await pilot.press("k")
        modal = await confirmed(pilot, app)
        assert str(modal.query_one("#confirm-diff", Static).content).startswith("kill flag new-checkout (prod-us-east-1)")
        await apply(pilot, app)
        assert table.rendered(flag_row_key(US, "new-checkout"))[4] == "KILLED"
        assert table.rendered(flag_row_key(EU, "new-checkout"))[4] == "on"  # the other region keeps it
        await move_to(pilot, table, flag_row_key(EU, "new-checkout"))
        await pilot.press("right_square_bracket")
        modal = await confirmed(pilot, app)
        assert str(modal.query_one("#confirm-diff", Static).content).startswith("flag new-checkout (prod-eu-west-1): on 5% → 25%")
        await apply(pilot, app)
        assert table.rendered(flag_row_key(EU, "new-checkout"))[5] == "on 25%, off 75%"
        await pilot.press("a")  # abort means nothing on a flag row: no dialog, nothing planned
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmModal)
        await type_line(pilot, ":", "abort")
        assert ("warning", "abort does nothing in this view") in notifications(app)
    assert backend.snapshot().release(US).flag("new-checkout").state is FlagState.DISABLED
    assert not backend.snapshot().release(EU).aborted
    assert [(r["action"], r["release"]) for r in audit_records(audit)] == [("kill-flag", str(US)), ("flag-step-up", str(EU))]


@pytest.mark.asyncio
async def test_enter_opens_the_release_screen_on_that_flag(tmp_path: Path) -> None:
    backend = paused_backend("canary-flag-one-region", at=60.0)
    app = console_app(backend, audit_path=tmp_path / "audit.jsonl", config=NORMAL)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_flags(pilot, app)
        await move_to(pilot, screen.query_one(FleetFlagsTable), flag_row_key(US, "new-checkout"))
        await pilot.press("enter")
        release = await pilot_until(pilot, lambda: app.screen if isinstance(app.screen, ReleaseScreen) else None, "the release screen")
        await sample(pilot)
        assert release.ref == US
        flags = release.query_one(FlagsTable)
        assert flags.has_focus and flags.selected_key == "new-checkout"  # ] [ step it at once
        await pilot.press("escape")
        await pilot_until(pilot, lambda: isinstance(app.screen, FlagsScreen), "back to the flags view")
