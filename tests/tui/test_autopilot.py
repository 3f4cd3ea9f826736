"""The autopilot in the console: looks from the app's own timer, notifies, shows verdicts and plans,
and is switched on and off only through a confirmation; without it the console still judges canaries."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Label, Static

from rolldeck.console.app import RolldeckApp
from rolldeck.console.screens.confirm import ConfirmModal
from rolldeck.console.screens.fleet import FleetScreen, FleetTable
from rolldeck.console.screens.release import ReleaseScreen
from rolldeck.console.widgets.attention_table import AttentionTable
from rolldeck.console.widgets.event_log import AuditTable
from rolldeck.engine.autopilot import TrackState
from rolldeck.engine.judge import Verdict
from rolldeck.simulator.backend import SimulatorBackend

from .helpers import (
    NORMAL,
    advance_live,
    audit_records,
    autopilot_console,
    console_app,
    notifications,
    paused_backend,
    sample,
    select_release,
    type_line,
)

SIZE = (140, 40)
FAST = 0.05  # a fast sampler for the test that lets the app's own timer drive the looks


def only_release(app: RolldeckApp):  # type: ignore[no-untyped-def]
    (release,) = list(app.backend.snapshot().releases())
    return release


class TestAutopilotDrives:
    @pytest.mark.asyncio
    async def test_the_app_looks_when_due_acts_through_the_operator_and_notifies(self, audit_path: Path) -> None:
        app = autopilot_console("canary-5xx", audit_path, refresh_s=FAST)  # the app's timer, not the test, ticks
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await advance_live(pilot, app, 480.0, step=10.0)  # the fault starts at 4m; the judge fails it within 4
            assert app.autopilot is not None
            kinds = [e.kind for e in app.autopilot.events]
            assert kinds[:1] == ["step"] and "abort" in kinds
            toasts = notifications(app)
            assert ("information", f"{only_release(app).ref}: step 1/4: 10% reached the data plane") in toasts
            assert any(sev == "error" and "aborted: eu-west-1: canary" in msg for sev, msg in toasts)
            release = only_release(app)
            assert release.aborted
            queue = app.screen.query_one(AttentionTable)
            assert [item.kind for item in queue.items.values()] == ["DEGRADED"]
        records = audit_records(audit_path)
        assert [(r["actor"], r["action"]) for r in records] == [("autopilot", "set-weight"), ("autopilot", "abort")]
        assert "4× worse" in str(records[-1]["evidence"]) or "worse" in str(records[-1]["evidence"])

    @pytest.mark.asyncio
    async def test_release_screen_shows_verdict_meter_plan_and_countdown(self) -> None:
        app = autopilot_console("canary-healthy")
        async with app.run_test(size=SIZE) as pilot:
            await advance_live(pilot, app, 420.0, step=10.0)
            eu = next(r for r in app.backend.snapshot().releases() if r.cluster == "prod-eu-west-1")
            await select_release(pilot, app, eu.ref)
            await pilot.press("enter")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, ReleaseScreen)
            plan = str(screen.query_one("#step-plan", Static).content)
            assert "plan (autopilot · baking)" in plan
            assert "✓ 5%" in plan and "▶ 25% 5m" in plan and "1m30s left" in plan  # baking since 210 s
            verdict = str(screen.query_one("#verdict", Static).content)
            assert "Pass" in verdict and "by the autopilot" in verdict and "/ 1,000" in verdict
            fleet_step = app.frame.tracks[eu.ref]  # type: ignore[union-attr]
            assert fleet_step.state is TrackState.BAKING and fleet_step.verdict is Verdict.PASS
            assert str(screen.query_one("#autopilot-marker", Label).render()) == "autopilot on"


class TestAutopilotSwitch:
    @pytest.mark.asyncio
    async def test_toggle_goes_through_a_modal_with_cancel_focused_and_is_audited(self, audit_path: Path) -> None:
        app = autopilot_console("canary-5xx", audit_path)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await advance_live(pilot, app, 30.0, step=10.0)
            assert app.autopilot is not None and app.autopilot.enabled
            await pilot.press("A")
            await pilot.pause()
            modal = app.screen
            assert isinstance(modal, ConfirmModal) and modal.proposal.verb == "autopilot off"
            assert app.focused is not None and app.focused.id == "cancel"
            await pilot.press("enter")  # reflexive enter: Cancel
            await pilot.pause()
            assert app.autopilot.enabled

            await pilot.press("A", "tab", "enter")  # Apply
            await pilot.pause()
            assert not app.autopilot.enabled
            assert str(app.screen.query_one("#autopilot-marker", Label).render()) == "autopilot off"
            events = len(app.autopilot.events)
            await advance_live(pilot, app, 600.0, step=30.0)  # the fault fires; nobody acts
            assert len(app.autopilot.events) == events
            assert not only_release(app).aborted
            queue = app.screen.query_one(AttentionTable)
            assert [item.kind for item in queue.items.values()] == ["FAILING"]  # the console's own judge

            await pilot.press("A", "tab", "enter")  # and back on: it aborts on its next look
            await advance_live(pilot, app, 640.0, step=10.0)
            assert only_release(app).aborted, [(e.time, e.kind, e.message) for e in app.autopilot.events]
            await type_line(pilot, ":", "audit")  # the switches are in :audit with the actions
            table = app.screen.query_one(AuditTable)
            await sample(pilot)
            shown = [row[1:3] for row in (table.rendered(key) for key in table.row_keys) if row and row[1] == "alice"]
            assert shown == [("alice", "autopilot-on"), ("alice", "autopilot-off")]
        actions = [(r["actor"], r["action"]) for r in audit_records(audit_path)]
        assert actions == [
            ("autopilot", "set-weight"),
            ("alice", "autopilot-off"),
            ("alice", "autopilot-on"),
            ("autopilot", "abort"),
        ]

    @pytest.mark.asyncio
    async def test_the_switch_is_dimmed_without_an_autopilot_and_when_read_only(self, backend: SimulatorBackend) -> None:
        plain = console_app(backend, config=NORMAL)
        async with plain.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert plain.screen.active_bindings["A"].enabled is False
            assert not plain.screen.query_one("#autopilot-marker").display
        locked = autopilot_console("canary-5xx", read_only=True)
        async with locked.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert locked.screen.active_bindings["A"].enabled is False


    @pytest.mark.asyncio
    async def test_on_a_read_only_console_the_switch_is_refused_on_record(self, audit_path: Path) -> None:
        app = autopilot_console("canary-5xx", audit_path, read_only=True)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            await type_line(pilot, ":", "autopilot off")
            await pilot.press("A")  # the dimmed key too
            await pilot.pause()
            assert app.autopilot is not None and app.autopilot.enabled
            assert not isinstance(app.screen, ConfirmModal)
            assert notifications(app)[-1] == ("warning", "refused: the console is read-only")
        records = audit_records(audit_path)
        assert [(r["actor"], r["action"], r["result"], r["reason"]) for r in records] == [("alice", "autopilot-off", "refused", "the console is read-only")] * 2


class TestAttentionWithoutAutopilot:
    @pytest.mark.asyncio
    async def test_a_failing_canary_enters_the_queue(self) -> None:
        app = console_app(paused_backend("canary-5xx", at=0.0), config=NORMAL)
        async with app.run_test(size=SIZE) as pilot:
            await advance_live(pilot, app, 200.0, step=20.0)  # healthy so far
            queue = app.screen.query_one(AttentionTable)
            assert not queue.items
            assert app.screen.query_one("#attention-empty").display
            await advance_live(pilot, app, 480.0, step=20.0)  # 3% errors since 4m
            (item,) = queue.items.values()
            assert item.kind == "FAILING"
            assert (item.cluster, item.region) == ("prod-eu-west-1", "eu-west-1")
            assert "worse" in item.detail
            assert queue.rendered(item.key)[1:4] == ("checkout", "prod-eu-west-1", "eu-west-1")  # type: ignore[index]
            fleet = app.screen.query_one(FleetTable)
            assert "Fail" in fleet.rendered(str(item.release))[7]  # type: ignore[index]
            assert isinstance(app.screen, FleetScreen)
