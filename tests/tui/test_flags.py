"""The flags panel on the release screen and its kill switch: k → confirm modal → operator → the
simulated provider, the SDKs' refresh, and the cohort's errors gone."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button, Input, Static

from rolldeck.console.config import ConsoleConfig
from rolldeck.console.screens.confirm import ConfirmModal
from rolldeck.console.screens.release import ReleaseScreen
from rolldeck.console.widgets.flags_table import FlagsTable
from rolldeck.engine.model import FlagState, ReleaseRef
from tests.waiting import pilot_until

from rolldeck.console.widgets.attention_table import AttentionTable

from .helpers import NORMAL, advance_live, audit_records, autopilot_console, console_app, notifications, paused_backend, sample, select_release, type_line

SIZE = (160, 60)
CHECKOUT = ReleaseRef("prod-eu-west-1", "checkout")


async def open_release(pilot, app) -> ReleaseScreen:
    await select_release(pilot, app, CHECKOUT)
    await pilot.press("enter")
    screen = await pilot_until(pilot, lambda: app.screen if isinstance(app.screen, ReleaseScreen) else None, "the release screen")
    await sample(pilot)
    return screen


@pytest.mark.asyncio
async def test_flags_panel_shows_the_flag_and_k_kills_it_through_the_confirm_modal(tmp_path: Path) -> None:
    backend = paused_backend("canary-flag-bad-path", at=300.0)  # the flag path fails since 4m
    audit = tmp_path / "audit.jsonl"
    app = console_app(backend, audit_path=audit, config=NORMAL)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_release(pilot, app)
        table = screen.query_one(FlagsTable)
        assert table.display
        assert "kill-flag" in footer_ids(app)
        assert table.rendered("new-checkout") == (
            "new-checkout", "on", "on 5%, off 95%", "5%", "… 0%", "prod-eu-west-1", "fractional by targetingKey in canary", "scenario",
        )  # the cohort's judge has just begun: no evidence yet
        await pilot.press("k")
        modal = await pilot_until(pilot, lambda: app.screen if isinstance(app.screen, ConfirmModal) else None, "the confirm modal")
        diff = str(modal.query_one("#confirm-diff", Static).content)
        assert diff.startswith("kill flag new-checkout (prod-eu-west-1): off for 5% of evaluations")
        assert app.focused is not None and app.focused.id == "cancel"  # Cancel first, as for every verb
        await pilot.click("#apply")
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert isinstance(app.screen, ReleaseScreen)
        backend.run_until(backend.clock.now() + 1)
        await sample(pilot)
        assert table.rendered("new-checkout")[1] == "KILLED"
        assert table.rendered("new-checkout")[3:5] == ("0%", "nobody on the path")  # killed: nothing to judge
        backend.run_until(backend.clock.now() + 20)  # past the SDKs' 15 s refresh
        sim = backend.world.release(CHECKOUT).flag("new-checkout")
        assert not sim.seen_enabled
        assert not backend.snapshot().release(CHECKOUT).aborted
    (record,) = audit_records(audit)
    assert (record["action"], record["result"], record["release"]) == ("kill-flag", "applied", str(CHECKOUT))
    assert record["after"]["flags"]["new-checkout"]["state"] == "DISABLED"


@pytest.mark.asyncio
async def test_a_protected_context_needs_the_release_name_typed_before_the_kill(tmp_path: Path) -> None:
    backend = paused_backend("canary-flag-bad-path", at=300.0)
    app = console_app(backend, audit_path=tmp_path / "audit.jsonl", config=ConsoleConfig())  # prod-* protected
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_release(pilot, app)
        await pilot.press("k")
        modal = await pilot_until(pilot, lambda: app.screen if isinstance(app.screen, ConfirmModal) else None, "the confirm modal")
        assert modal.query_one("#apply", Button).disabled
        modal.query_one("#confirm-input", Input).focus()
        await pilot.press(*"checkout", "enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        backend.run_until(backend.clock.now() + 1)
        assert backend.snapshot().release(CHECKOUT).flag("new-checkout").state is FlagState.DISABLED


@pytest.mark.asyncio
async def test_releases_without_flags_show_no_panel_and_no_k_in_the_footer(tmp_path: Path) -> None:
    backend = paused_backend("canary-5xx", at=60.0)
    app = console_app(backend, audit_path=tmp_path / "audit.jsonl", config=NORMAL)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_release(pilot, app)
        assert not screen.query_one(FlagsTable).display
        assert "kill-flag" not in footer_ids(app)  # the footer has no room for a key that does nothing here
        await pilot.press("k")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmModal)
        await type_line(pilot, ":", "kill-flag")  # by name it says why instead of doing nothing
        assert ("warning", "kill flag does nothing in this view") in notifications(app)
        assert not isinstance(app.screen, ConfirmModal)
    assert audit_records(tmp_path / "audit.jsonl") == []


def footer_ids(app) -> set[str]:
    """The keys the footer shows (active_bindings leaves out what check_action hides)."""
    return {b.binding.id for b in app.screen.active_bindings.values() if b.binding.show}


async def confirm(pilot, app) -> ConfirmModal:
    modal = await pilot_until(pilot, lambda: app.screen if isinstance(app.screen, ConfirmModal) else None, "the confirm modal")
    return modal


async def apply(pilot, app) -> None:
    await pilot.click("#apply")
    await pilot.pause()
    await app.workers.wait_for_complete()
    app.backend.run_until(app.backend.clock.now() + 1)
    await sample(pilot)


@pytest.mark.asyncio
async def test_k_on_a_killed_flag_restores_it_with_its_shares(tmp_path: Path) -> None:
    backend = paused_backend("canary-flag-bad-path", at=300.0)
    audit = tmp_path / "audit.jsonl"
    app = console_app(backend, audit_path=audit, config=NORMAL)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_release(pilot, app)
        table = screen.query_one(FlagsTable)
        await pilot.press("k")
        await confirm(pilot, app)
        await apply(pilot, app)
        assert table.rendered("new-checkout")[1] == "KILLED"
        await pilot.press("k")
        modal = await confirm(pilot, app)
        assert str(modal.query_one("#confirm-diff", Static).content) == "restore flag new-checkout (prod-eu-west-1): on again with on 5%, off 95% in prod-eu-west-1/checkout"
        await apply(pilot, app)
        assert table.rendered("new-checkout")[1:4] == ("on", "on 5%, off 95%", "5%")
    assert [(r["action"], r["result"]) for r in audit_records(audit)] == [("kill-flag", "applied"), ("restore-flag", "applied")]


@pytest.mark.asyncio
async def test_brackets_on_a_focused_flag_row_step_its_share_and_elsewhere_the_canary(tmp_path: Path) -> None:
    backend = paused_backend("canary-flag-bad-path", at=60.0)
    audit = tmp_path / "audit.jsonl"
    app = console_app(backend, audit_path=audit, config=NORMAL)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_release(pilot, app)
        table = screen.query_one(FlagsTable)
        await pilot.press("right_square_bracket")  # the table has no focus: the canary's weight
        modal = await confirm(pilot, app)
        assert modal.plan is not None and modal.plan.action.kind.value == "step-up"
        await pilot.click("#cancel")
        await pilot.pause()
        await pilot.click("#flags-table")  # an operator puts the cursor on the flag row
        assert table.has_focus
        await pilot.press("right_square_bracket")
        modal = await confirm(pilot, app)
        assert str(modal.query_one("#confirm-diff", Static).content) == "flag new-checkout (prod-eu-west-1): on 5% → 25% in prod-eu-west-1/checkout"
        await apply(pilot, app)
        assert table.rendered("new-checkout")[2:4] == ("on 25%, off 75%", "25%")
        await pilot.press("left_square_bracket")
        modal = await confirm(pilot, app)
        assert str(modal.query_one("#confirm-diff", Static).content) == "flag new-checkout (prod-eu-west-1): on 25% → 5% in prod-eu-west-1/checkout"
        await apply(pilot, app)
        assert table.rendered("new-checkout")[2] == "on 5%, off 95%"
        assert backend.snapshot().release(CHECKOUT).candidate_weight[0] == 25  # the canary did not move
    assert [(r["action"], r["result"]) for r in audit_records(audit)] == [
        ("flag-step-up", "applied"), ("flag-step-down", "applied"),
    ]


@pytest.mark.asyncio
async def test_a_failing_flag_path_is_judged_on_its_cohort_queued_with_the_evidence_and_enter_reaches_its_row(tmp_path: Path) -> None:
    backend = paused_backend("canary-flag-bad-path", at=240.0)  # the path starts failing now
    app = console_app(backend, audit_path=tmp_path / "audit.jsonl", config=NORMAL)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await sample(pilot)
        for _ in range(6):  # the judge cuts evidence per minute of backend time, whoever looks
            backend.run_until(backend.clock.now() + 60)
            await sample(pilot)
        verdict = app.frame.cohort_verdicts[(CHECKOUT, "new-checkout")]
        assert verdict.failing
        assert verdict.evidence.startswith("eu-west-1: flag new-checkout on ") and " vs flag off " in verdict.evidence
        queue = app.screen.query_one(AttentionTable)
        item = queue.items[f"{CHECKOUT} flag:new-checkout"]
        assert (item.kind, item.flag) == ("FLAG PATH", "new-checkout")
        assert item.detail.startswith("flag new-checkout path fails: eu-west-1: flag new-checkout on ")
        assert item.detail.endswith("k kills the flag, no rollback")
        queue.focus()
        await pilot.pause()
        queue.move_cursor(row=queue.get_row_index(item.key), animate=False)
        await pilot.pause()
        await pilot.press("enter")
        screen = await pilot_until(pilot, lambda: app.screen if isinstance(app.screen, ReleaseScreen) else None, "the release screen")
        await sample(pilot)
        flags = screen.query_one(FlagsTable)
        assert flags.has_focus and flags.selected_key == "new-checkout"
        assert flags.rendered("new-checkout")[4] == "✗ Fail"
        evidence = str(screen.query_one("#flags-evidence", Static).content)
        assert evidence.startswith("new-checkout  ✗ Fail  eu-west-1: flag new-checkout on ")
        await pilot.press("k")  # the kill switch from there, and the flag path leaves the queue
        modal = await pilot_until(pilot, lambda: app.screen if isinstance(app.screen, ConfirmModal) else None, "the confirm modal")
        assert str(modal.query_one("#confirm-diff", Static).content).startswith("kill flag new-checkout")
        await pilot.click("#apply")
        await pilot.pause()
        await app.workers.wait_for_complete()
        backend.run_until(backend.clock.now() + 1)
        await sample(pilot)
        assert not any(i.kind == "FLAG PATH" for i in app.frame.attention)


SEARCH = ReleaseRef("prod-eu-west-1", "search")


@pytest.mark.asyncio
async def test_under_the_autopilot_the_step_plan_is_the_flags_and_a_bad_path_ends_killed_not_rolled_back(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    app = autopilot_console("flag-rollout-bad-path", audit)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await advance_live(pilot, app, 60.0, step=10.0)
        await select_release(pilot, app, SEARCH)
        await pilot.press("enter")
        screen = await pilot_until(pilot, lambda: app.screen if isinstance(app.screen, ReleaseScreen) else None, "the release screen")
        await sample(pilot)
        plan = str(screen.query_one("#step-plan", Static).content)
        assert plan.startswith("plan (autopilot · baking)  ▶ flag new-ranking 1% 4m ") and plan.endswith("· 5% 4m  · 25% 4m")
        await advance_live(pilot, app, 240.0, step=10.0)  # the cohort's judge fails within the first step
        table = screen.query_one(FlagsTable)
        assert table.rendered("new-ranking")[1] == "KILLED"
        assert str(screen.query_one("#step-plan", Static).content).startswith("plan (autopilot · killed)")
        assert not backend_release(app).aborted  # no rollback: the version keeps its traffic
    kill = next(r for r in audit_records(audit) if r["action"] == "kill-flag")
    assert kill["actor"] == "autopilot" and " vs flag off " in kill["evidence"]


def backend_release(app):
    return app.backend.snapshot().release(SEARCH)
