"""The flags view (``:flags``): every flag of every release in the fleet, one row per flag.

Each row says where the flag lives, its state and shares, who is on its path now, the judge's
verdict on its cohort (flag on against flag off, when the metrics carry the variant) and who changed
it last. Every row is a flag row: ``k`` kills or restores it and ``]``/``[`` step its share, through
the same plan → confirm → operator path as on the release screen; enter opens the release screen
with that flag selected.
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.app import ComposeResult
from textual.widget import Widget

from rolldeck.console.commands import Scope, bindings
from rolldeck.console.frames.frame import Frame, Where
from rolldeck.console.screens.base import ConsoleScreen
from rolldeck.console.verdicts import ReleaseVerdict
from rolldeck.console.widgets.flags_table import cohort_cell, flag_cells
from rolldeck.console.widgets.keyed_table import KeyedTable, Row
from rolldeck.console.widgets.plain import PlainLabel
from rolldeck.engine.model import Flag, ReleaseRef, ReleaseState

FLEET_FLAG_COLUMNS: tuple[tuple[str, str], ...] = (
    ("region", "region"),
    ("cluster", "cluster"),
    ("app", "app"),
    ("flag", "flag"),
    ("state", "state"),
    ("shares", "shares"),
    ("exposure", "on path"),
    ("cohort", "cohort verdict"),
    ("changed", "last changed by"),
)

def flag_row_key(ref: ReleaseRef, key: str) -> str:
    return f"{ref} {key}"  # a flag key has no space (flagd and Unleash keys are identifiers)


def fleet_flag_row(release: ReleaseState, region: str, flag: Flag, cohort: ReleaseVerdict | None) -> Row:
    _, state, shares, exposure = flag_cells(flag)
    return (
        region,
        release.cluster,
        release.name,
        flag.key,
        state,
        shares,
        exposure,
        cohort_cell(flag, cohort),
        flag.last_changed_by or "–",
    )


def flag_text(release: ReleaseState, region: str, flag: Flag) -> str:
    """What the ``/`` filter matches on a flag row."""
    state = "on" if flag.enabled else "killed"
    return " ".join((region, release.cluster, release.name, flag.key, state, flag.environment, flag.last_changed_by))


class FleetFlagsTable(KeyedTable):
    BINDINGS = bindings(Scope.FLEET)  # enter opens the release (DataTable's own enter only selects)


class FlagsScreen(ConsoleScreen):
    AUTO_FOCUS = "#fleet-flags-table"
    BINDINGS = bindings(Scope.RELEASE)  # k: the kill switch lives where flag rows are
    where = Where.FLAGS

    def __init__(self) -> None:
        super().__init__(id="flags")
        self._rows: dict[str, tuple[ReleaseRef, str]] = {}

    def compose_body(self) -> ComposeResult:
        yield PlainLabel(
            "flags across the fleet (k: kill switch or restore; ] [ step the share; enter: the release)",
            classes="section-title",
        )
        yield PlainLabel("no release in view has flags", id="flags-empty")
        yield FleetFlagsTable(FLEET_FLAG_COLUMNS, id="fleet-flags-table")

    def main_widget(self) -> Widget | None:
        return self.query_one(FleetFlagsTable)

    def show_state(self, frame: Frame) -> None:
        rows: dict[str, Row] = {}
        where: dict[str, tuple[ReleaseRef, str]] = {}
        cohorts: Mapping[tuple[ReleaseRef, str], ReleaseVerdict] = frame.cohort_verdicts
        for release in frame.state.releases():
            if not frame.scope.admits(release):
                continue
            region = frame.region_of(release.cluster, release.region)
            for flag in release.flags:
                if not self.filter_admits(flag_text(release, region, flag)):
                    continue
                key = flag_row_key(release.ref, flag.key)
                rows[key] = fleet_flag_row(release, region, flag, cohorts.get((release.ref, flag.key)))
                where[key] = (release.ref, flag.key)
        self._rows = where
        self.query_one("#flags-empty").display = not rows
        self.query_one(FleetFlagsTable).sync(rows)

    def _selected(self) -> tuple[ReleaseRef, str] | None:
        if not self._ready:
            return None
        key = self.query_one(FleetFlagsTable).selected_key
        return self._rows.get(key) if key is not None else None

    def selected_ref(self) -> ReleaseRef | None:
        selected = self._selected()
        return selected[0] if selected is not None else None

    def selected_flag(self) -> str | None:
        selected = self._selected()
        return selected[1] if selected is not None else None

    def flag_in_focus(self) -> str | None:
        return self.selected_flag()  # every row here is a flag row
