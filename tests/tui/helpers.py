"""Helpers for console tests: a paused simulator, keyboard selection, audit and toast readers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from console.app import RolldeckApp
from console.screens.fleet import FleetTable
from engine.audit import AuditLog
from engine.model import FleetState, ReleaseRef, ReleaseState, Strategy
from simulator.backend import SimulatorBackend
from simulator.library import load_scenario

START_S = 120.0  # past start-up: every pod ready, first canary steps applied
WALL_CLOCK = 1_790_000_000.0  # fixed, so audit records compare exactly


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
    while table.cursor_row > 0:
        await pilot.press("up")
    for _ in range(row_index(app, ref)):
        await pilot.press("down")
    await pilot.pause()
    selected = app.selected_release()
    assert selected is not None and selected.ref == ref


def notifications(app: RolldeckApp) -> list[tuple[str, str]]:
    """(severity, message) of every toast so far. Textual keeps them privately; tests may look."""
    return [(n.severity, n.message) for n in app._notifications]
