"""Helpers for console tests: a paused simulator, sampler ticks by hand, keyboard selection, audit
and toast readers.

The console's sampler is a timer; tests build the app without it (``refresh_s=None``) and a manual
UI clock, and ``await sample(pilot)`` plays one tick: what the test sees was drawn by the tick it
asked for, however loaded the machine is.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from textual import events
from textual.app import App
from textual.notifications import SeverityLevel
from textual.pilot import Pilot
from textual.widgets import Label

from rolldeck.console.app import REFRESH_INTERVAL_S, RolldeckApp, make_app
from rolldeck.console.compose import simulated_console, simulator
from rolldeck.console.screens.base import Frame
from rolldeck.console.config import ConsoleConfig
from rolldeck.console.screens.fleet import FleetTable
from rolldeck.console.widgets.charts import MIN_REDRAW_S, VersionCharts
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.model import FleetState, ReleaseRef, ReleaseState, Strategy
from rolldeck.engine.port import Backend
from rolldeck.simulator.backend import SimulatorBackend
from rolldeck.simulator.library import load_scenario
from tests.waiting import ManualClock, each_until, pilot_until

START_S = 120.0  # past start-up: every pod ready, first canary steps applied
WALL_CLOCK = 1_790_000_000.0  # fixed, so audit records compare exactly
NORMAL = ConsoleConfig(protected=[])  # confirmation without typing: no protected contexts
AppT = TypeVar("AppT", bound=App[None])


def paused_backend(scenario: str = "fleet-default", at: float = START_S) -> SimulatorBackend:
    """A simulator that only moves when the test says so (run_until), at 1×."""
    return simulator(load_scenario(scenario), paused=True, start_at=at)


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


@dataclass(frozen=True, slots=True)
class Toast:
    severity: str
    message: str
    title: str


_TOASTS: weakref.WeakKeyDictionary[App[None], list[Toast]] = weakref.WeakKeyDictionary()


def record_toasts(app: AppT) -> AppT:
    """Keep every toast the app raises. Textual drops a toast after its timeout in wall time (5 s),
    so reading the live ones races the clock; this spy records them as they are raised (the real
    toast still shows)."""
    seen: list[Toast] = []
    raise_toast = app.notify

    def notify(message: str, *, title: str = "", severity: SeverityLevel = "information", timeout: float | None = None, markup: bool = True) -> None:
        seen.append(Toast(severity, message, title))
        raise_toast(message, title=title, severity=severity, timeout=timeout, markup=markup)

    app.notify = notify  # type: ignore[method-assign]
    _TOASTS[app] = seen
    return app


def toasts(app: App[None]) -> list[Toast]:
    """Every toast raised so far (the app must come from ``console_app`` or ``record_toasts``)."""
    assert app in _TOASTS, "this app records no toasts: build it with console_app() or record_toasts()"
    return list(_TOASTS[app])


def notifications(app: App[None]) -> list[tuple[str, str]]:
    """(severity, message) of every toast raised so far."""
    return [(t.severity, t.message) for t in toasts(app)]


def _test_options(options: dict[str, Any]) -> dict[str, Any]:
    options.setdefault("wall_clock", lambda: WALL_CLOCK)
    options.setdefault("refresh_s", None)
    options.setdefault("ui_clock", ManualClock())
    return options


def console_app(backend: Backend, **options: Any) -> RolldeckApp:
    """``make_app`` as tests use it: a fixed wall clock (audit records compare exactly), no sampler
    timer and a manual UI clock (``sample`` ticks), every toast recorded. Options pass through."""
    return record_toasts(make_app(backend, **_test_options(options)))


async def sample(pilot: Pilot[None], seconds: float = REFRESH_INTERVAL_S) -> Frame:
    """One sampler tick, and the app idle again (workers it started, like an autopilot look, done).

    On an app built by ``console_app`` (no timer) the test plays the tick: the UI clock moves
    ``seconds`` and the app samples. On an app with its own timer, this waits for its next tick.
    """
    app = pilot.app
    assert isinstance(app, RolldeckApp)
    before = app.frame
    if app.refresh_s is None:
        if isinstance(app.ui_clock, ManualClock):
            app.ui_clock.advance(seconds)
        app.refresh_view()
    frame = await pilot_until(pilot, lambda: app.frame if app.frame is not before else None, "a sampler tick")
    await app.workers.wait_for_complete()
    await pilot.pause()
    return frame


def clock_shown(app: RolldeckApp) -> str:
    return str(app.screen.query_one("#sim-clock", Label).render())


async def charts_drawn(pilot: Pilot[None]) -> None:
    """Tick until every chart on screen shows the newest sample (charts redraw at most every
    ``MIN_REDRAW_S`` of UI time, and not before they are laid out)."""
    app = pilot.app
    assert isinstance(app, RolldeckApp)

    def caught_up() -> bool:
        charts = app.screen.query(VersionCharts)
        return bool(charts) and all(c.drawn_generation == app.history.generation for c in charts)

    await each_until(lambda: sample(pilot, MIN_REDRAW_S), caught_up, "the charts to show the newest sample", polls=20)


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


def autopilot_console(scenario_name: str, audit_path: Path | None = None, **options: Any) -> RolldeckApp:
    """A console with the scenario's autopilot on, over a paused simulator at t = 0, wired as
    ``rolldeck sim --autopilot`` wires it (``console.compose``), sampled by hand unless ``refresh_s``
    says otherwise. Run it headless to a time with ``compose.fast_forward``."""
    backend = simulator(load_scenario(scenario_name), paused=True, autopilot=True)
    options.setdefault("config", NORMAL)
    return record_toasts(simulated_console(backend, briefing=False, audit_path=audit_path, **_test_options(options)))


async def advance_live(pilot: Pilot[None], app: RolldeckApp, until: float, step: float = 5.0) -> None:
    """Move simulated time forward in ``step``s while the app runs; at each step the app samples it
    and, when its autopilot is due, looks (and the frame after the look is drawn) before moving on."""
    backend = app.backend
    assert isinstance(backend, SimulatorBackend)
    while backend.clock.now() < until:
        backend.run_until(min(until, backend.clock.now() + step))
        looked = app.autopilot is not None and app.autopilot.enabled and app.autopilot.due()
        frame = await sample(pilot)
        assert frame.state.time == backend.clock.now()
        if looked:
            assert app.autopilot is not None and not app.autopilot.due(), "the tick started no look"
            await sample(pilot)  # draw what the look did


async def palette_highlights(pilot: Pilot[None], wanted: str) -> None:
    """Wait until the command palette has finished searching and highlights a hit containing ``wanted``
    (its search runs in a worker, restarted by every key)."""
    from textual.command import CommandList, CommandPalette

    app = pilot.app

    def ready() -> bool:
        palette = app.screen
        if not isinstance(palette, CommandPalette):
            return False
        if any(w.node is palette and not w.is_finished for w in app.workers):
            return False
        hits = palette.query_one(CommandList)
        return hits.highlighted is not None and wanted in str(hits.get_option_at_index(hits.highlighted).prompt)

    await pilot_until(pilot, ready, f"the palette to highlight {wanted!r}")


def steady_cursors(pilot: Pilot[None]) -> None:
    """A focused text box blinks on wall time (Textual's 0.5 s timer): a snapshot takes every box with
    its cursor steady, or a slow machine photographs it hidden."""
    from textual.widgets import Input

    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False
