"""The fleet screen: one row per release, refreshed by cell, k9s style."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Footer

from console import format as fmt
from console.commands import Scope, bindings
from console.screens.base import ConsoleScreen, Frame
from console.widgets.keyed_table import KeyedTable, Row
from console.widgets.status_bar import StatusBar
from engine.model import FleetState, Phase, ReleaseRef, ReleaseState

FLEET_COLUMNS: tuple[tuple[str, str], ...] = (
    ("region", "region"),
    ("cluster", "cluster"),
    ("app", "app"),
    ("strategy", "strategy"),
    ("phase", "phase"),
    ("traffic", "traffic d→o"),
    ("ready", "ready"),
    ("rps", "rps"),
    ("success", "success %"),
    ("p99", "p99 ms"),
)

PHASE_STYLES = {
    Phase.HEALTHY: "green",
    Phase.PROGRESSING: "cyan",
    Phase.PAUSED: "yellow",
    Phase.DEGRADED: "bold red",
    Phase.UNKNOWN: "dim",
}


def row_key(ref: ReleaseRef) -> str:
    return str(ref)


def phase_cell(release: ReleaseState) -> Text:
    label = release.phase.value + (" ✗" if release.aborted else "")
    return Text(label, style=PHASE_STYLES.get(release.phase, ""))


def traffic_cell(release: ReleaseState) -> Text:
    # Lagging splits are highlighted: the data plane has not caught up with what was asked.
    return Text(fmt.traffic(release), style="bold yellow" if release.split_lagging else "")


def fleet_row(release: ReleaseState) -> Row:
    return (
        release.region,
        release.cluster,
        release.name,
        release.strategy.value,
        phase_cell(release),
        traffic_cell(release),
        fmt.ready_pods(release),
        fmt.total_rps(release),
        fmt.success_per_version(release),
        fmt.p99_per_version(release),
    )


def fleet_rows(state: FleetState) -> dict[str, Row]:
    return {row_key(release.ref): fleet_row(release) for release in state.releases()}


class FleetTable(KeyedTable):
    # Enter opens the release (DataTable's own enter would only post RowSelected).
    BINDINGS = bindings(Scope.FLEET)


class FleetScreen(ConsoleScreen):
    def __init__(self) -> None:
        super().__init__(id="fleet")
        self._refs: dict[str, ReleaseRef] = {}

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield FleetTable(FLEET_COLUMNS, id="fleet-table")
        yield Footer()

    def show_state(self, frame: Frame) -> None:
        self._refs = {row_key(r.ref): r.ref for r in frame.state.releases()}
        self.query_one(FleetTable).sync(fleet_rows(frame.state))

    def selected_ref(self) -> ReleaseRef | None:
        table = self.query_one(FleetTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self._refs.get(key) if key is not None else None
