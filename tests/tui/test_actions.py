"""Operator verbs through the console: plan → confirm modal → operator → simulator → audit."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static

from rolldeck.console.app import RolldeckApp
from rolldeck.console.config import ConsoleConfig
from rolldeck.console.screens.confirm import ConfirmModal, MirrorModal
from rolldeck.console.screens.fleet import FleetScreen
from rolldeck.engine.model import Owner, ReleaseRef, ReleaseState, Strategy
from rolldeck.simulator.backend import SimulatorBackend

from .fake_backend import FakeBackend, controller_fleet
from .helpers import (
    NORMAL,
    WALL_CLOCK,
    audit_records,
    first_release,
    is_blue_green,
    console_app,
    is_canary_at,
    notifications,
    sample,
    select_release,
    type_line,
)

SIZE = (140, 40)
PROPAGATION_S = 15.0  # one tick to apply plus the simulator's data-plane propagation delay


def release_now(backend: SimulatorBackend, ref: ReleaseRef) -> ReleaseState:
    release = backend.snapshot().release(ref)
    assert release is not None
    return release


async def open_modal(pilot: Pilot[None], app: RolldeckApp, ref: ReleaseRef, key: str) -> ConfirmModal:
    await select_release(pilot, app, ref)
    await pilot.press(key)
    await pilot.pause()
    modal = app.screen
    assert isinstance(modal, ConfirmModal), f"{key} opened no modal; toasts: {notifications(app)}"
    return modal


async def apply_modal(pilot: Pilot[None], app: RolldeckApp) -> None:
    await pilot.click("#apply")
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def modal_text(modal: ConfirmModal) -> tuple[str, str, str]:
    title = str(modal.query_one("#confirm-title").render())
    diff = str(modal.query_one("#confirm-diff", Static).content)
    checks = str(modal.query_one("#confirm-preconditions", Static).content)
    return title, diff, checks


class TestStepUp:
    @pytest.mark.asyncio
    async def test_apply_moves_desired_then_observed_and_writes_one_audit_record(
        self, console: RolldeckApp, backend: SimulatorBackend, audit_path: Path
    ) -> None:
        manual = first_release(backend.snapshot(), is_canary_at(0))  # payments: a manual canary at 0%
        candidate = manual.candidate
        assert candidate is not None
        async with console.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            modal = await open_modal(pilot, console, manual.ref, "right_square_bracket")
            title, diff, checks = modal_text(modal)
            assert manual.cluster in title and manual.region in title
            assert diff == f"{candidate.name} 0% → 1% in {manual.ref}"
            assert "✓ console is not read-only" in checks
            assert console.focused is not None and console.focused.id == "cancel"

            await apply_modal(pilot, console)
            assert isinstance(console.screen, FleetScreen)
            # the tests' clock is paused: the change waits for it, and the toast says so
            assert ("information", f"queued: applies when the clock runs — {diff}") in notifications(console)

            backend.run_until(backend.clock.now() + PROPAGATION_S)
            after = release_now(backend, manual.ref)
            assert after.candidate_weight == (1, 1)

        records = audit_records(audit_path)
        assert len(records) == 1
        record = records[0]
        assert record["result"] == "applied"
        assert record["action"] == "step-up"
        assert record["release"] == str(manual.ref)
        assert record["actor"] == "alice"
        assert record["wall_time"] == WALL_CLOCK
        assert record["after"]["desired"] == {manual.stable.name: 99, candidate.name: 1}  # type: ignore[union-attr,index]

    @pytest.mark.asyncio
    async def test_enter_on_a_fresh_modal_cancels(
        self, console: RolldeckApp, backend: SimulatorBackend, audit_path: Path
    ) -> None:
        manual = first_release(backend.snapshot(), is_canary_at(0))
        async with console.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            await open_modal(pilot, console, manual.ref, "right_square_bracket")
            await pilot.press("enter")
            await pilot.pause()
            await console.workers.wait_for_complete()
            assert isinstance(console.screen, FleetScreen)
            backend.run_until(backend.clock.now() + PROPAGATION_S)
            assert release_now(backend, manual.ref).desired == manual.desired
        assert audit_records(audit_path) == []

    @pytest.mark.asyncio
    async def test_escape_cancels(self, console: RolldeckApp, backend: SimulatorBackend, audit_path: Path) -> None:
        manual = first_release(backend.snapshot(), is_canary_at(0))
        async with console.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await open_modal(pilot, console, manual.ref, "right_square_bracket")
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(console.screen, FleetScreen)
        assert audit_records(audit_path) == []


class TestRefusals:
    @pytest.mark.asyncio
    async def test_step_down_at_zero_warns_and_opens_no_modal(
        self, console: RolldeckApp, backend: SimulatorBackend, audit_path: Path
    ) -> None:
        manual = first_release(backend.snapshot(), is_canary_at(0))
        async with console.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            await select_release(pilot, console, manual.ref)
            await pilot.press("left_square_bracket")
            await pilot.pause()
            assert isinstance(console.screen, FleetScreen)
            warnings = [message for severity, message in notifications(console) if severity == "warning"]
            assert warnings == [f"cannot step-down {manual.ref}: already at the first step (0%): abort sends all traffic to stable"]
        (record,) = audit_records(audit_path)  # refused by the engine: on record, with its reason
        assert (record["action"], record["result"], record["reason"]) == ("step-down", "refused", warnings[0])

    @pytest.mark.asyncio
    async def test_switch_slot_on_a_canary_warns(self, console: RolldeckApp, backend: SimulatorBackend) -> None:
        canary = first_release(backend.snapshot(), is_canary_at(5))
        async with console.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            await select_release(pilot, console, canary.ref)
            await pilot.press("s")
            await pilot.pause()
            assert isinstance(console.screen, FleetScreen)
            severity, message = notifications(console)[-1]
            assert severity == "warning" and "canary release: it has no slots to switch" in message

    @pytest.mark.asyncio
    async def test_read_only_console_dims_verbs_and_refuses_them(
        self, backend: SimulatorBackend, audit_path: Path
    ) -> None:
        app = console_app(backend, audit_path=audit_path, read_only=True)
        manual = first_release(backend.snapshot(), is_canary_at(0))
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            await select_release(pilot, app, manual.ref)
            bindings = app.screen.active_bindings
            assert bindings["right_square_bracket"].enabled is False  # shown dimmed, not hidden
            assert bindings["a"].enabled is False
            assert bindings["question_mark"].enabled is True
            assert app.screen.query_one("#read-only-badge").display
            for key in ("right_square_bracket", "a", "p", "space"):
                await pilot.press(key)
                await pilot.pause()
                assert isinstance(app.screen, FleetScreen)
            backend.run_until(backend.clock.now() + PROPAGATION_S)
            assert release_now(backend, manual.ref).desired == manual.desired
        records = audit_records(audit_path)  # every dimmed key reached the engine, which refused it on record
        assert [(r["actor"], r["action"], r["result"]) for r in records] == [
            ("alice", kind, "refused") for kind in ("step-up", "abort", "promote", "resume" if manual.paused else "pause")
        ]
        assert all("read-only" in str(r["reason"]) for r in records)


class TestOtherVerbs:
    @pytest.mark.asyncio
    async def test_switch_slot_flips_the_active_slot(
        self, console: RolldeckApp, backend: SimulatorBackend, audit_path: Path
    ) -> None:
        # catalog in prod-us-east-2 waits on a manual cutover (search would auto-promote on its own).
        waiting = first_release(
            backend.snapshot(), lambda r: is_blue_green(r) and r.name == "catalog"
        )
        assert waiting.active_slot == "blue" and waiting.preview_slot == "green"
        async with console.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            modal = await open_modal(pilot, console, waiting.ref, "s")
            assert "switch active slot blue → green" in modal_text(modal)[1]
            await apply_modal(pilot, console)
            backend.run_until(backend.clock.now() + PROPAGATION_S)
            after = release_now(backend, waiting.ref)
            assert after.active_slot == "green"
            assert after.observed.weight("green") == 100
        assert [r["action"] for r in audit_records(audit_path)] == ["switch-slot"]

    @pytest.mark.asyncio
    async def test_abort_sends_the_candidate_to_zero(
        self, console: RolldeckApp, backend: SimulatorBackend, audit_path: Path
    ) -> None:
        canary = first_release(backend.snapshot(), is_canary_at(5))
        async with console.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            modal = await open_modal(pilot, console, canary.ref, "a")
            assert modal_text(modal)[1].startswith("abort: canary 5% → 0%")
            await apply_modal(pilot, console)
            backend.run_until(backend.clock.now() + PROPAGATION_S)
            after = release_now(backend, canary.ref)
            assert after.candidate_weight == (0, 0)
            assert after.aborted
        records = audit_records(audit_path)
        assert [(r["action"], r["result"], r["release"]) for r in records] == [("abort", "applied", str(canary.ref))]


class TestTypedConfirmation:
    """A protected context (the default config protects prod-*): Apply waits for the release's name."""

    @pytest.mark.asyncio
    async def test_apply_is_disabled_until_the_release_name_is_typed(
        self, protected_console: RolldeckApp, backend: SimulatorBackend, audit_path: Path
    ) -> None:
        app = protected_console
        manual = first_release(backend.snapshot(), is_canary_at(0))
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            modal = await open_modal(pilot, app, manual.ref, "right_square_bracket")
            assert app.focused is not None and app.focused.id == "confirm-input"  # typing is never lost into Cancel
            assert modal.query_one("#apply", Button).disabled
            assert modal.query_one("#confirm-dialog").has_class("-prod")
            assert modal.query_one("#confirm-prod-badge").display

            await pilot.click("#apply")  # disabled: nothing happens
            await pilot.pause()
            assert app.screen is modal

            await pilot.press(*"paymnts", "enter")  # a typo: enter in the box does not apply
            await pilot.pause()
            assert app.screen is modal and modal.query_one("#apply", Button).disabled

            input_box = modal.query_one("#confirm-input", Input)
            input_box.focus()
            await pilot.press(*["backspace"] * 7, *manual.name)
            await pilot.pause()
            assert not modal.query_one("#apply", Button).disabled
            await pilot.press("enter")  # typed correctly: enter in the box applies
            await pilot.pause()
            await app.workers.wait_for_complete()
            assert isinstance(app.screen, FleetScreen)
            backend.run_until(backend.clock.now() + PROPAGATION_S)
            assert release_now(backend, manual.ref).candidate_weight == (1, 1)
        records = audit_records(audit_path)
        assert [(r["action"], r["result"]) for r in records] == [("step-up", "applied")]

    @pytest.mark.asyncio
    async def test_abort_needs_no_typed_name_on_a_protected_context(
        self, protected_console: RolldeckApp, backend: SimulatorBackend, audit_path: Path
    ) -> None:
        app = protected_console
        canary = first_release(backend.snapshot(), is_canary_at(5))
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            modal = await open_modal(pilot, app, canary.ref, "a")
            assert app.screen.has_class("-prod") is False  # the modal is on top; the frame below is PROD
            assert modal.query_one("#confirm-dialog").has_class("-prod")  # still the PROD frame: no name to type
            assert not modal.query_one("#apply", Button).disabled
            await pilot.click("#apply")
            await pilot.pause()
            await app.workers.wait_for_complete()
            assert modal.plan is not None and modal.plan.action.kind.value == "abort"
        assert [(r["action"], r["result"]) for r in audit_records(audit_path)] == [("abort", "applied")]

    @pytest.mark.asyncio
    async def test_escape_cancels_a_typed_dialog(
        self, protected_console: RolldeckApp, backend: SimulatorBackend, audit_path: Path
    ) -> None:
        app = protected_console
        manual = first_release(backend.snapshot(), is_canary_at(0))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await open_modal(pilot, app, manual.ref, "right_square_bracket")
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, FleetScreen)
        assert audit_records(audit_path) == []


class TestPerContextReadOnly:
    @pytest.mark.asyncio
    async def test_a_read_only_context_dims_its_verbs_and_the_engine_refuses_them(
        self, backend: SimulatorBackend, audit_path: Path
    ) -> None:
        config = ConsoleConfig(protected=[], read_only=["prod-us-*"])
        app = console_app(backend, audit_path=audit_path, config=config)
        state = backend.snapshot()
        locked = first_release(state, lambda r: r.cluster.startswith("prod-us-") and r.strategy.value == "canary")
        free = first_release(state, is_canary_at(0))  # payments in prod-eu-west-1
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            await select_release(pilot, app, locked.ref)
            await sample(pilot)  # the footer's locks follow the context in view at the next tick
            assert app.screen.active_bindings["a"].enabled is False
            assert app.screen.query_one("#read-only-badge").display
            await pilot.press("a")
            await pilot.pause()
            assert isinstance(app.screen, FleetScreen)  # the key is locked

            await type_line(pilot, ":", "abort")  # the verb by name reaches the engine, which refuses
            await pilot.pause()
            assert isinstance(app.screen, FleetScreen)
            severity, message = notifications(app)[-1]
            assert severity == "warning" and "read-only context" in message

            await select_release(pilot, app, free.ref)
            await sample(pilot)  # the footer's locks follow the context in view at the next tick
            assert app.screen.active_bindings["a"].enabled is not False
            assert not app.screen.query_one("#read-only-badge").display
        records = audit_records(audit_path)  # the locked key and :abort: both refusals are on record
        assert [(r["release"], r["action"], r["result"]) for r in records] == [(str(locked.ref), "abort", "refused")] * 2


class TestControllerVerbs:
    """Retry, undo and set mirror, on a hand-built fleet whose owners have those verbs."""

    def controller_console(self, audit_path: Path, config: ConsoleConfig = NORMAL) -> tuple[RolldeckApp, FakeBackend]:
        fake = FakeBackend(controller_fleet())
        return console_app(fake, audit_path=audit_path, config=config), fake

    @pytest.mark.asyncio
    @pytest.mark.parametrize("typed", [False, True], ids=["normal", "typed"])
    async def test_retry_an_aborted_rollout(self, audit_path: Path, typed: bool) -> None:
        app, fake = self.controller_console(audit_path, ConsoleConfig() if typed else NORMAL)
        orders = fake.releases[0]
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            modal = await open_modal(pilot, app, orders.ref, "r")
            title, diff, _ = modal_text(modal)
            assert "eu-prod-1" in title and diff.startswith("retry v-canary from the first step")
            if typed:
                assert modal.query_one("#apply", Button).disabled
                await pilot.press(*orders.name)  # the name box has focus
                await pilot.pause()
            await apply_modal(pilot, app)
            fake.run_until(fake.clock.now() + 1)
            assert not fake.releases[0].aborted
        assert [(r["action"], r["result"]) for r in audit_records(audit_path)] == [("retry", "applied")]

    @pytest.mark.asyncio
    @pytest.mark.parametrize("typed", [False, True], ids=["normal", "typed"])
    async def test_undo_to_the_previous_revision_warns_about_argo_cd(self, audit_path: Path, typed: bool) -> None:
        app, fake = self.controller_console(audit_path, ConsoleConfig() if typed else NORMAL)
        orders = fake.releases[0]
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            modal = await open_modal(pilot, app, orders.ref, "u")
            _, diff, checks = modal_text(modal)
            assert diff.startswith("undo: roll the template back to revision 4 (now 5)")
            assert "Argo CD app orders self-heals" in checks  # Plan.warnings, shown before confirming
            if typed:
                await pilot.press(*orders.name)  # the name box has focus
                await pilot.pause()
            await apply_modal(pilot, app)
            fake.run_until(fake.clock.now() + 1)
            assert fake.releases[0].revisions[-1] == 6
        records = audit_records(audit_path)
        assert [(r["action"], r["result"]) for r in records] == [("undo", "applied")]

    @pytest.mark.asyncio
    @pytest.mark.parametrize("typed", [False, True], ids=["normal", "typed"])
    async def test_set_mirror_asks_for_a_percent(self, audit_path: Path, typed: bool) -> None:
        app, fake = self.controller_console(audit_path, ConsoleConfig() if typed else NORMAL)
        checkout = fake.releases[1]
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            modal = await open_modal(pilot, app, checkout.ref, "m")
            assert isinstance(modal, MirrorModal)
            assert app.focused is not None and app.focused.id == ("confirm-input" if typed else "cancel")
            assert modal.query_one("#apply", Button).disabled  # 0% is the current mirror: nothing to change
            percent = modal.query_one("#mirror-percent", Input)
            percent.focus()
            await pilot.press("backspace", *"20")
            await pilot.pause()
            assert "mirror 20% of traffic to canary (was 0%)" in modal_text(modal)[1]
            if typed:
                assert modal.query_one("#apply", Button).disabled
                modal.query_one("#confirm-input", Input).focus()
                await pilot.press(*checkout.name)
                await pilot.pause()
            await pilot.press("enter") if typed else None  # typed: enter in the name box applies
            if not typed:
                await pilot.click("#apply")
            await pilot.pause()
            await app.workers.wait_for_complete()
            fake.run_until(fake.clock.now() + 1)
            assert fake.releases[1].mirror == ("canary", 20)
        records = audit_records(audit_path)
        assert [(r["action"], r["result"]) for r in records] == [("set-mirror", "applied")]

    @pytest.mark.asyncio
    async def test_retry_and_undo_are_refused_where_the_owner_has_no_such_verb(
        self, console: RolldeckApp, backend: SimulatorBackend
    ) -> None:
        # fleet-default: payments is a plain Deployment pair (no retry), checkout in prod-us-east-2 a
        # Flagger canary (Flagger keeps no revisions to undo to).
        snapshot = backend.snapshot()
        unmanaged = first_release(snapshot, lambda r: r.owner is Owner.UNMANAGED and r.strategy is Strategy.CANARY)
        flagger = first_release(snapshot, lambda r: r.owner is Owner.FLAGGER)
        async with console.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            for release, key, verb in ((unmanaged, "r", "retry"), (flagger, "u", "undo")):
                await select_release(pilot, console, release.ref)
                await pilot.press(key)
                await pilot.pause()
                assert isinstance(console.screen, FleetScreen)
                severity, message = notifications(console)[-1]
                assert severity == "warning" and f"no {verb} on " in message and "support" not in message

    @pytest.mark.asyncio
    async def test_mirror_in_the_simulator(
        self, console: RolldeckApp, backend: SimulatorBackend, audit_path: Path
    ) -> None:
        # the mirror is set on a route nobody else owns: payments, plain Deployments behind a VirtualService
        canary = first_release(backend.snapshot(), lambda r: r.owner is Owner.UNMANAGED and r.strategy is Strategy.CANARY)
        async with console.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            modal = await open_modal(pilot, console, canary.ref, "m")
            await pilot.press("shift+tab")  # from Cancel back to the percent box
            await pilot.press("backspace", *"10")
            await pilot.pause()
            await apply_modal(pilot, console)
            backend.run_until(backend.clock.now() + PROPAGATION_S)
            assert release_now(backend, canary.ref).mirror == (canary.candidate.name, 10)  # type: ignore[union-attr]
        assert [r["action"] for r in audit_records(audit_path)] == ["set-mirror"]
