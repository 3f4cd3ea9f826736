"""The confirm modal under pressure (issue 12, items 1, 2, 6, 8), driven by keys through Pilot:
a promote over a failing verdict warns, asks for the name and records the override; a verb that
ends the rollout says so; the modal stays live and says when its plan went stale; a change made
while the clock is paused says it is queued; friction follows risk."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Label, Static

from rolldeck.console.app import RolldeckApp
from rolldeck.console.compose import fast_forward
from rolldeck.console.config import ConsoleConfig
from rolldeck.console.screens.confirm import ConfirmModal
from rolldeck.console.screens.fleet import FleetScreen
from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.model import ReleaseRef
from rolldeck.simulator.backend import SimulatorBackend

from .helpers import NORMAL, audit_records, console_app, first_release, is_canary_at, notifications, paused_backend, sample, select_release

SIZE = (140, 40)
PROPAGATION_S = 15.0
FAILING_AT = 480.0  # canary-5xx: the 3 % errors that begin at 4m have failed the canary by 8m


def text_of(modal: ConfirmModal, selector: str) -> str:
    return str(modal.query_one(selector, Static).content)


async def open_modal(pilot: Pilot[None], app: RolldeckApp, ref: ReleaseRef, key: str) -> ConfirmModal:
    await select_release(pilot, app, ref)
    await pilot.press(key)
    await pilot.pause()
    modal = app.screen
    assert isinstance(modal, ConfirmModal), f"{key} opened no modal; toasts: {notifications(app)}"
    return modal


async def settle(pilot: Pilot[None], app: RolldeckApp) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def ref_of(backend: SimulatorBackend, cluster: str, name: str) -> ReleaseRef:
    return next(r.ref for r in backend.snapshot().releases() if r.cluster == cluster and r.name == name)


class TestPromoteOverAFailingVerdict:
    @pytest.mark.asyncio
    async def test_p_warns_with_the_evidence_needs_the_name_and_the_audit_keeps_the_override(self, audit_path: Path) -> None:
        backend = paused_backend("canary-5xx", at=0.0)
        app = console_app(backend, audit_path=audit_path, config=NORMAL)  # not protected: the Fail alone asks for the name
        await fast_forward(app, FAILING_AT)
        ref = ref_of(backend, "prod-eu-west-1", "checkout")
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            row = (await sample(pilot)).row(ref)
            assert row is not None and row.verdict is not None and row.verdict.failing
            evidence = row.verdict.evidence
            modal = await open_modal(pilot, app, ref, "p")
            alarms = text_of(modal, "#confirm-alarms")
            assert alarms.startswith("✗ the judge says Fail") and evidence in alarms  # the release screen's evidence line
            assert modal.query_one("#confirm-dialog").has_class("-alarm")
            apply = modal.query_one("#apply", Button)
            assert apply.disabled and app.focused is not None and app.focused.id == "confirm-input"

            await pilot.press("enter")  # nothing typed: refused
            await pilot.pause()
            assert app.screen is modal
            await pilot.press(*ref.name)
            await pilot.pause()
            assert not apply.disabled
            await pilot.press("enter")
            await settle(pilot, app)
            assert isinstance(app.screen, FleetScreen)
        (record,) = audit_records(audit_path)
        assert (record["action"], record["result"]) == ("promote", "applied")
        assert record["override"] == {"verdict": "Fail", "evidence": evidence, "attention": "FAILING"}

    @pytest.mark.asyncio
    async def test_abort_over_the_same_fail_is_one_enter_and_overrides_nothing(self, audit_path: Path) -> None:
        backend = paused_backend("canary-5xx", at=0.0)
        app = console_app(backend, audit_path=audit_path)  # the default config: prod-* is protected
        await fast_forward(app, FAILING_AT)
        ref = ref_of(backend, "prod-eu-west-1", "checkout")
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            row = (await sample(pilot)).row(ref)
            assert row is not None and row.verdict is not None and row.verdict.failing
            evidence = row.verdict.evidence
            modal = await open_modal(pilot, app, ref, "a")
            assert app.focused is not None and app.focused.id == "apply"
            assert not modal.query_one("#confirm-input").display  # no name to type, even in prod
            assert "one confirmation" in str(modal.query_one("#confirm-typed-hint", Label).render())
            await pilot.press("enter")
            await settle(pilot, app)
            assert isinstance(app.screen, FleetScreen)
        (record,) = audit_records(audit_path)
        assert (record["action"], record["result"], record["override"]) == ("abort", "applied", None)
        assert record["evidence"] == f"Fail: {evidence}"  # why it was aborted stays on record


class TestCompletingVerbs:
    @pytest.mark.asyncio
    async def test_a_step_to_100_says_it_completes_and_how_short_the_evidence_is(self, backend: SimulatorBackend) -> None:
        app = console_app(backend, config=ConsoleConfig(protected=[], weight_steps=[0, 100]))
        payments = first_release(backend.snapshot(), is_canary_at(0))
        assert payments.candidate is not None
        async with app.run_test(size=SIZE) as pilot:
            await sample(pilot)
            modal = await open_modal(pilot, app, payments.ref, "right_square_bracket")
            assert text_of(modal, "#confirm-headline") == f"step-up completes the rollout: {payments.candidate.revision} → 100 %"
            assert "short evidence: the judge has seen 0 canary requests and needs" in text_of(modal, "#confirm-preconditions")

    @pytest.mark.asyncio
    async def test_resume_past_an_elapsed_last_bake_completes(self) -> None:
        backend = paused_backend(at=600.0)  # prod-us-east-1/checkout bakes its last pause (50 %, 5m) from 501 s
        app = console_app(backend, config=NORMAL)
        ref = ref_of(backend, "prod-us-east-1", "checkout")
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await sample(pilot)
            modal = await open_modal(pilot, app, ref, "space")  # pause: toward safety, one Enter
            assert modal.plan is not None and modal.plan.action.kind is ActionKind.PAUSE
            assert not modal.query_one("#confirm-headline").display
            await pilot.press("enter")
            await settle(pilot, app)
            backend.run_until(900.0)  # the bake's 5m are over while it is paused
            await sample(pilot)
            release = backend.snapshot().release(ref)
            assert release is not None and release.paused and release.step == 5
            modal = await open_modal(pilot, app, ref, "space")
            assert text_of(modal, "#confirm-headline") == "resume completes the rollout: v2.8.0 → 100 %"
            assert app.focused is not None and app.focused.id == "cancel"  # forward: Cancel first


class TestLiveModal:
    @pytest.mark.asyncio
    async def test_the_modal_and_the_screen_under_it_move_with_the_clock(self, console: RolldeckApp, backend: SimulatorBackend) -> None:
        payments = first_release(backend.snapshot(), is_canary_at(0))
        async with console.run_test(size=SIZE) as pilot:
            await sample(pilot)
            modal = await open_modal(pilot, console, payments.ref, "right_square_bracket")
            await sample(pilot)
            fleet_clock = console.screen_stack[0].query_one("#sim-clock", Label)
            assert text_of(modal, "#confirm-live").startswith("live at 00:02:00")
            assert str(fleet_clock.render()) == "t 00:02:00"
            backend.run_until(backend.clock.now() + 35.0)
            await sample(pilot)
            assert console.screen is modal
            assert text_of(modal, "#confirm-live").startswith("live at 00:02:35")
            assert str(fleet_clock.render()) == "t 00:02:35"  # the fleet under the dialog too

    @pytest.mark.asyncio
    async def test_a_change_under_the_modal_is_shown_stale_and_apply_is_disabled(
        self, console: RolldeckApp, backend: SimulatorBackend, audit_path: Path
    ) -> None:
        payments = first_release(backend.snapshot(), is_canary_at(0))
        async with console.run_test(size=SIZE) as pilot:
            await sample(pilot)
            modal = await open_modal(pilot, console, payments.ref, "right_square_bracket")
            await sample(pilot)
            assert not modal.query_one("#confirm-stale").display
            # A colleague sets 5 % meanwhile, through the same backend (as kubectl would edit the route).
            edit = console.operator.plan(Action(ActionKind.SET_WEIGHT, payments.ref, weight=5))
            assert (await console.operator.execute(edit, actor="bob")).ok
            backend.run_until(backend.clock.now() + 1.0)
            await sample(pilot)
            stale = modal.query_one("#confirm-stale", Static)
            assert stale.display and "payments changed since you looked: canary now 5% (you saw 0%)" in str(stale.content)
            assert modal.query_one("#apply", Button).disabled
            await pilot.press("escape")
            await pilot.pause()
        assert [(r["actor"], r["action"]) for r in audit_records(audit_path)] == [("bob", "set-weight")]


class TestPausedClock:
    @pytest.mark.asyncio
    async def test_a_change_confirmed_while_the_clock_is_paused_says_it_is_queued(
        self, console: RolldeckApp, backend: SimulatorBackend, audit_path: Path
    ) -> None:
        payments = first_release(backend.snapshot(), is_canary_at(0))
        assert backend.paused  # the tests' simulator runs only when told; so does P in the console
        async with console.run_test(size=SIZE, notifications=True) as pilot:
            await sample(pilot)
            await open_modal(pilot, console, payments.ref, "right_square_bracket")
            await pilot.press("tab", "enter")
            await settle(pilot, console)
            severity, message = notifications(console)[-1]
            assert (severity, message) == ("information", f"queued: applies when the clock runs — canary 0% → 1% in {payments.ref}")
            assert backend.snapshot().release(payments.ref).desired == payments.desired  # type: ignore[union-attr]  # not yet
            backend.run_until(backend.clock.now() + 1.0)
            assert backend.snapshot().release(payments.ref).desired.weight("canary") == 1  # type: ignore[union-attr]
        (record,) = audit_records(audit_path)
        assert record["reason"].startswith("queued: applies when the clock runs (queued for tick")  # type: ignore[union-attr]


class TestFriction:
    @pytest.mark.asyncio
    async def test_a_protected_context_opens_with_the_name_box_focused(
        self, protected_console: RolldeckApp, backend: SimulatorBackend, audit_path: Path
    ) -> None:
        app = protected_console
        payments = first_release(backend.snapshot(), is_canary_at(0))
        async with app.run_test(size=SIZE) as pilot:
            await sample(pilot)
            modal = await open_modal(pilot, app, payments.ref, "right_square_bracket")
            assert app.focused is not None and app.focused.id == "confirm-input"
            assert f"prod-eu-west-1 is protected: type {payments.name}" in str(modal.query_one("#confirm-typed-hint", Label).render())
            await pilot.press(*payments.name, "enter")  # every key reaches the box: nothing lost into Cancel
            await settle(pilot, app)
            assert isinstance(app.screen, FleetScreen)
        assert [(r["action"], r["result"]) for r in audit_records(audit_path)] == [("step-up", "applied")]

    @pytest.mark.asyncio
    async def test_abort_is_one_enter_in_a_protected_context(
        self, protected_console: RolldeckApp, backend: SimulatorBackend, audit_path: Path
    ) -> None:
        app = protected_console
        canary = first_release(backend.snapshot(), is_canary_at(5))
        async with app.run_test(size=SIZE) as pilot:
            await sample(pilot)
            await open_modal(pilot, app, canary.ref, "a")
            await pilot.press("enter")
            await settle(pilot, app)
            assert isinstance(app.screen, FleetScreen)
        assert [(r["action"], r["result"]) for r in audit_records(audit_path)] == [("abort", "applied")]
