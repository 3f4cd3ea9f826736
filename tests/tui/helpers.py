"""Helpers for console tests: a paused simulator, keyboard selection, audit and toast readers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual import events
from textual.pilot import Pilot

from textual.widgets import Label

from rolldeck.console.app import RolldeckApp
from rolldeck.console.config import ConsoleConfig
from rolldeck.console.screens.fleet import FleetTable
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.model import FleetState, ReleaseRef, ReleaseState, Strategy
from rolldeck.simulator.backend import SimulatorBackend
from rolldeck.simulator.library import load_scenario

START_S = 120.0  # past start-up: every pod ready, first canary steps applied
WALL_CLOCK = 1_790_000_000.0  # fixed, so audit records compare exactly
TEST_REFRESH_S = 0.1  # a faster sampler than the console's 2 Hz: tests wait less for a tick
TICK_S = 0.25  # long enough for at least one sampler tick at TEST_REFRESH_S
NORMAL = ConsoleConfig(protected=[])  # confirmation without typing: no protected contexts


def paused_backend(scenario: str = "fleet-default", at: float = START_S) -> SimulatorBackend:
    """A simulator that only moves when the test says so (run_until), at 1×."""
    backend = SimulatorBackend(load_scenario(scenario), speed=1.0, paused=True)
    backend.run_until(at)
    return backend


def audit_records(path: Path) -> list[dict[str, object]]:
    return AuditLog.read(path) if path.exists() else []


def first_release(state: FleetState, predicate: Callable[[ReleaseState], bool]) -> ReleaseState:
    return next(release for release in state.releases() if predicate(release))


def is_canary_at(weight: int) -> Callable[[ReleaseState], bool]:
    return lambda r: r.strategy is Strategy.CANARY and r.candidate_weight[0] == weight


def is_blue_green(release: ReleaseState) -> bool:
    return release.strategy is Strategy.BLUE_GREEN


def row_index(app: RolldeckApp, ref: ReleaseRef) -> int:
    return app.screen.query_one("#fleet-table", FleetTable).get_row_index(str(ref))


async def select_release(pilot: Pilot[None], app: RolldeckApp, ref: ReleaseRef) -> None:
    """Move the fleet cursor onto ``ref`` with the keyboard, like an operator would."""
    table = app.screen.query_one("#fleet-table", FleetTable)
    table.focus()  # as a click on the table would
    delta = row_index(app, ref) - table.cursor_row
    if delta:
        await pilot.press(*(["down"] * delta if delta > 0 else ["up"] * -delta))
    await pilot.pause()
    selected = app.selected_release()
    assert selected is not None and selected.ref == ref


def notifications(app: RolldeckApp) -> list[tuple[str, str]]:
    """(severity, message) of every toast so far. Textual keeps them privately; tests may look."""
    return [(n.severity, n.message) for n in app._notifications]


async def wait_for_clock(pilot: Pilot[None], shown: str) -> None:
    """Wait until the sampler has drawn backend time ``shown``: assertions must not race the tick."""
    for _ in range(50):
        if str(pilot.app.screen.query_one("#sim-clock", Label).render()) == shown:
            return
        await pilot.pause(0.1)
    raise AssertionError(f"the console never showed {shown}")


async def type_line(pilot: Pilot[None], prefix: str, text: str) -> None:
    """Open the prompt with ``:`` or ``/``, paste ``text`` (a terminal paste event: ~60 ms per key
    press adds up), press enter. Tests of typing itself press the keys."""
    await pilot.press("colon" if prefix == ":" else "slash")
    await pilot.pause()
    if text:
        focused = pilot.app.focused
        assert focused is not None
        focused.post_message(events.Paste(text))
        await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


def autopilot_console(scenario_name: str, audit_path: Path | None = None, **options: object) -> RolldeckApp:
    """A console with the scenario's autopilot on, over a paused simulator at t = 0."""
    from rolldeck.console.app import AutopilotSetup, make_app
    from rolldeck.simulator.autopilot_plans import judge_config, rollout_plans

    scenario = load_scenario(scenario_name)
    assert scenario.autopilot is not None
    backend = SimulatorBackend(scenario, speed=1.0, paused=True, autopilot=True)
    setup = AutopilotSetup(rollout_plans(scenario), judge_config(scenario), scenario.autopilot.interval)
    options.setdefault("config", NORMAL)
    return make_app(
        backend, audit_path=audit_path, wall_clock=lambda: WALL_CLOCK, autopilot=setup, judge=judge_config(scenario), **options  # type: ignore[arg-type]
    )


async def drive_headless(app: RolldeckApp, until: float, sample_every: float = 5.0) -> None:
    """Run the simulator (and the app's autopilot, if any) to ``until`` as a drill would, recording the
    signal history every ``sample_every`` seconds: a console that has been open all along, without
    waiting for it in wall time."""
    pilot, backend = app.autopilot, app.backend
    assert isinstance(backend, SimulatorBackend)
    now = backend.clock.now()
    while now < until:
        now = min(until, now + sample_every)
        while pilot is not None and pilot.next_look <= now:
            backend.run_until(pilot.next_look)
            await pilot.look()
        backend.run_until(now)
        app.history.record(backend.snapshot())


async def advance_live(pilot: Pilot[None], app: RolldeckApp, until: float, step: float = 5.0) -> None:
    """Move simulated time forward in ``step``s while the app runs, waiting at each step for the app
    to sample it — and, when its autopilot is due, to look — before moving on (deterministic looks)."""
    backend = app.backend
    assert isinstance(backend, SimulatorBackend)
    while backend.clock.now() < until:
        backend.run_until(min(until, backend.clock.now() + step))
        now = backend.clock.now()
        for _ in range(400):
            await pilot.pause(0.01)
            pilot_due = app.autopilot is not None and app.autopilot.enabled and app.autopilot.due()
            if app.frame is not None and app.frame.state.time == now and not pilot_due and not app._looking:
                break
        else:
            raise AssertionError(f"the app never caught up with t={now}")
    await app.workers.wait_for_complete()
    await pilot.pause()
