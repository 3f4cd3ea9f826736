"""App-wide behaviour: backend lifecycle, palette, non-paced backends, crash reports without locals."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App
from textual.binding import Binding

from rolldeck.console.app import RolldeckApp, next_speed
from rolldeck.console.screens.confirm import ConfirmModal
from rolldeck.engine.port import PacedBackend
from rolldeck.simulator.backend import SimulatorBackend

from .fake_backend import FakeBackend
from tests.waiting import pilot_until

from .helpers import clock_shown, console_app, first_release, is_canary_at, palette_highlights, sample, select_release, toasts

SIZE = (140, 40)
FAKE_TOKEN = "tok-SECRET-0123456789"


class TestLifecycle:
    @pytest.mark.asyncio
    async def test_backend_starts_on_mount_and_stops_on_quit(self, tmp_path: Path) -> None:
        backend = FakeBackend()
        app = console_app(backend, audit_path=tmp_path / "audit.jsonl")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert backend.started and not backend.stopped
            await pilot.press("q")
            await pilot.pause()
        assert backend.stopped

    @pytest.mark.asyncio
    async def test_the_sampler_timer_draws_what_the_backend_did(self, backend: SimulatorBackend) -> None:
        # Every other test ticks by hand; this one proves the app's own timer samples.
        app = console_app(backend, refresh_s=0.05)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert clock_shown(app) == "t 00:02:00"
            backend.run_until(backend.clock.now() + 1)  # nothing but the timer draws it
            await pilot_until(pilot, lambda: clock_shown(app) == "t 00:02:01", "the sampler timer's next frame")


class TestPacing:
    def test_speed_steps_clamp_at_both_ends(self) -> None:
        assert next_speed(1, -1) == 1
        assert next_speed(1000, +1) == 1000
        assert next_speed(3, +1) == 5  # an off-step speed (from --speed) joins the ladder
        assert next_speed(3, -1) == 2

    @pytest.mark.asyncio
    async def test_sim_keys_are_dimmed_for_a_backend_without_pacing(self, tmp_path: Path) -> None:
        backend = FakeBackend()
        assert not isinstance(backend, PacedBackend)
        app = console_app(backend, audit_path=tmp_path / "audit.jsonl")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            bindings = app.screen.active_bindings
            assert bindings["greater_than_sign"].enabled is False
            assert bindings["P"].enabled is False
            assert not app.screen.query_one("#sim-speed").display
            await pilot.press("greater_than_sign", "P")  # nothing happens, nothing breaks
            await pilot.pause()


    @pytest.mark.asyncio
    async def test_a_dead_pacing_task_shows_in_the_header_and_a_toast_instead_of_a_frozen_clock(
        self, backend: SimulatorBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Issue 11, item 4: a model bug below the user line ends the pacing task; the operator sees
        "simulator stopped: <reason>" once, the console keeps running."""

        def broken_step() -> None:
            raise RuntimeError("queue length went negative at tick 121")

        monkeypatch.setattr(backend.world.env, "step", broken_step)
        monkeypatch.setattr(backend.world.env, "run", lambda until=None: broken_step())
        app = console_app(backend, audit_path=tmp_path / "audit.jsonl")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert not app.screen.query_one("#sim-stopped").display
            await pilot.press("P")  # resume: the pacing task runs the model and dies on the bug
            await pilot_until(pilot, lambda: backend.stopped, "the pacing task to stop")
            await sample(pilot)
            await sample(pilot)  # a second frame: the toast is raised once, not on every tick
            label = app.screen.query_one("#sim-stopped")
            assert label.display
            assert str(label.render()) == "simulator stopped: RuntimeError: queue length went negative at tick 121"
            assert [t.message for t in toasts(app) if t.severity == "error"] == [
                "simulator stopped: RuntimeError: queue length went negative at tick 121"
            ]
            assert clock_shown(app) == "t 00:02:00"  # time stopped where the bug hit it
            assert app.is_running


class TestPalette:
    @pytest.mark.asyncio
    async def test_palette_runs_a_verb_through_the_same_confirm_modal(
        self, console: RolldeckApp, backend: SimulatorBackend
    ) -> None:
        canary = first_release(backend.snapshot(), is_canary_at(5))
        async with console.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await select_release(pilot, console, canary.ref)
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"abort")
            await palette_highlights(pilot, "abort")
            await pilot.press("enter")  # the best match ("abort") is highlighted
            modal = await pilot_until(pilot, lambda: isinstance(console.screen, ConfirmModal) and console.screen, "the confirm modal")
            assert modal.plan.action.target == canary.ref
            assert modal.plan.action.kind.value == "abort"


EXPLODE = Binding("x", "explode", "explode", id="explode")


class _Exploding:
    """Mixin: a verb that crashes with a secret in a local variable, as a buggy adapter might."""

    def action_explode(self) -> None:
        api_token = FAKE_TOKEN  # noqa: F841 - the local a crash report must not print
        raise RuntimeError("adapter blew up")


# Bindings only merge from DOMNode classes, so each app declares the key itself.
class ExplodingRolldeck(_Exploding, RolldeckApp):
    BINDINGS = [EXPLODE]


class ExplodingPlainApp(_Exploding, App[None]):
    BINDINGS = [EXPLODE]


class TestCrashReport:
    @pytest.mark.asyncio
    async def test_crash_report_shows_the_error_but_no_local_values(
        self, backend: SimulatorBackend, capsys: pytest.CaptureFixture[str]
    ) -> None:
        app = ExplodingRolldeck(backend, console_app(backend).operator, actor="alice")
        with pytest.raises(RuntimeError, match="adapter blew up"):
            async with app.run_test(size=SIZE) as pilot:
                await pilot.pause()
                await pilot.press("x")
                await pilot.pause()
        report = capsys.readouterr().err
        assert "adapter blew up" in report
        assert FAKE_TOKEN not in report

    @pytest.mark.asyncio
    async def test_plain_textual_would_have_printed_it(self, capsys: pytest.CaptureFixture[str]) -> None:
        # The control: proves the assertion above can fail, i.e. Textual's default shows locals.
        app = ExplodingPlainApp()
        with pytest.raises(RuntimeError):
            async with app.run_test(size=SIZE) as pilot:
                await pilot.pause()
                await pilot.press("x")
                await pilot.pause()
        assert FAKE_TOKEN in capsys.readouterr().err
