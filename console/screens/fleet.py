"""The fleet screen: the attention queue on top, then every release grouped by region, k9s style."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.widget import Widget

from rolldeck.console import format as fmt
from rolldeck.console.commands import Scope, bindings
from rolldeck.console.release_details import RULE_STYLE, rules_mark
from rolldeck.console.screens.base import ConsoleScreen, Frame, show_outside
from rolldeck.console.verdicts import ReleaseVerdict
from rolldeck.console.widgets.attention_table import AttentionTable
from rolldeck.console.widgets.keyed_table import Row
from rolldeck.console.widgets.plain import PlainLabel
from rolldeck.console.widgets.column_fit import GridColumn
from rolldeck.console.widgets.row_grid import GridRow, RowGrid
from rolldeck.console.widgets.verdict import verdict_cell
from rolldeck.engine.autopilot import TrackView
from rolldeck.engine.model import FleetState, Phase, ReleaseRef, ReleaseState

# What survives a narrow terminal (column_fit): at 80 columns name, phase, weights, verdict and
# success %; cluster, then p99 by 120; the rest as room allows. The region is in every row (the
# filter matches it) but drawn once, as its group's heading.
FLEET_COLUMNS: tuple[GridColumn, ...] = (
    GridColumn("region", "region", shown=False),
    GridColumn("cluster", "cluster", priority=1),
    GridColumn("app", "app"),
    GridColumn("strategy", "strategy", priority=6),
    GridColumn("phase", "phase"),
    GridColumn("traffic", "traffic d→o"),
    GridColumn("step", "step", priority=3),
    GridColumn("verdict", "verdict"),
    GridColumn("ready", "ready", priority=4),
    GridColumn("rps", "rps", priority=5),
    GridColumn("success", "success %"),
    GridColumn("p99", "p99 ms", priority=2),
)

PHASE_STYLES = {
    Phase.HEALTHY: "green",
    Phase.PROGRESSING: "cyan",
    Phase.PAUSED: "yellow",
    Phase.DEGRADED: "bold red",
    Phase.UNKNOWN: "dim",
}

REGION_PREFIX = "region:"


def row_key(ref: ReleaseRef) -> str:
    return str(ref)


def phase_cell(release: ReleaseState) -> Text:
    label = release.phase.value + (" ✗" if release.aborted else "")
    return Text(label, style=PHASE_STYLES.get(release.phase, ""))


def traffic_cell(release: ReleaseState) -> Text:
    # Lagging splits are highlighted: the data plane has not caught up with what was asked.
    text = Text(fmt.traffic(release), style="bold yellow" if release.split_lagging else "")
    mark = rules_mark(release)
    if mark:
        text.append(mark, style=RULE_STYLE)  # a cohort goes elsewhere, whatever the weights say
    return text


def step_cell(release: ReleaseState, track: TrackView | None) -> str:
    if track is not None:
        return f"{track.step}/{track.steps} ap"
    return fmt.step_position(release) if release.step_count else ""


def fleet_row(
    release: ReleaseState, region: str, verdict: ReleaseVerdict | None = None, track: TrackView | None = None
) -> Row:
    return (
        region,
        release.cluster,
        release.name,
        release.strategy.value,
        phase_cell(release),
        traffic_cell(release),
        step_cell(release, track),
        verdict_cell(verdict),
        fmt.ready_pods(release),
        fmt.total_rps(release),
        fmt.success_per_version(release),
        fmt.p99_per_version(release),
    )


def region_row(region: str, clusters: int, releases: int) -> Text:
    """The group heading, across the line: '▾ eu-west-1  1 cluster · 2 releases'."""
    heading = Text(f"▾ {region}", style="bold underline")
    heading.append(f"  {clusters} cluster{'s' if clusters != 1 else ''} · {releases} release{'s' if releases != 1 else ''}", style="dim")
    return heading


def release_text(release: ReleaseState, region: str) -> str:
    """What a ``/`` filter matches against: every identifying word of the row."""
    return " ".join(
        (region, release.cluster, release.namespace, release.name, release.strategy.value, release.phase.value, release.owner.value)
    )


def fleet_rows(
    state: FleetState,
    *,
    region_of: Callable[[str, str], str] = lambda cluster, region: region,
    admits: Callable[[ReleaseState, str], bool] = lambda release, region: True,
    verdicts: dict[ReleaseRef, ReleaseVerdict] | None = None,
    tracks: dict[ReleaseRef, TrackView] | None = None,
) -> dict[str, GridRow]:
    """Rows grouped by (display) region: a heading row per region, then its releases by cluster and name."""
    groups: dict[str, list[ReleaseState]] = {}
    for release in state.releases():
        region = region_of(release.cluster, release.region)
        if admits(release, region):
            groups.setdefault(region, []).append(release)
    rows: dict[str, GridRow] = {}
    verdicts, tracks = verdicts or {}, tracks or {}
    for region in sorted(groups):
        members = sorted(groups[region], key=lambda r: (r.cluster, r.name))
        rows[REGION_PREFIX + region] = region_row(region, len({r.cluster for r in members}), len(members))
        for release in members:
            rows[row_key(release.ref)] = fleet_row(release, region, verdicts.get(release.ref), tracks.get(release.ref))
    return rows


class FleetTable(RowGrid):
    """Every release: a Line-API grid, because the fleet is the one table that is both big and busy."""

    BINDINGS = bindings(Scope.FLEET)  # enter opens the release


class FleetScreen(ConsoleScreen):
    AUTO_FOCUS = "#fleet-table"  # the queue is above it, but arrows should move through the fleet

    def __init__(self) -> None:
        super().__init__(id="fleet")
        self._refs: dict[str, ReleaseRef] = {}
        self._cursor_placed = False

    def compose_body(self) -> ComposeResult:
        yield PlainLabel("needs attention", id="attention-title", classes="section-title")
        yield PlainLabel("nothing needs a human right now", id="attention-empty")
        yield PlainLabel("", id="outside-scope", classes="outside-scope")
        yield AttentionTable(id="attention-table")
        yield PlainLabel("fleet", id="fleet-title", classes="section-title")
        yield FleetTable(FLEET_COLUMNS, id="fleet-table")

    def main_widget(self) -> Widget | None:
        return self.query_one(FleetTable)

    def show_state(self, frame: Frame) -> None:
        scope = frame.scope

        def admits(release: ReleaseState, region: str) -> bool:
            return scope.admits(release) and self.filter_admits(release_text(release, region))

        self._refs = {row_key(r.ref): r.ref for r in frame.state.releases()}
        attention = frame.attention_view.shown  # the builder applied the scope and this screen's filter
        queue = self.query_one(AttentionTable)
        queue.show(attention)
        queue.display = bool(attention)
        empty = self.query_one("#attention-empty", PlainLabel)
        empty.display = not attention
        empty.update("nothing needs a human in this view" if frame.attention_view.outside else "nothing needs a human right now")
        show_outside(self.query_one("#outside-scope", PlainLabel), frame)
        self.query_one("#attention-title", PlainLabel).update(f"needs attention ({len(attention)})")
        table = self.query_one(FleetTable)
        table.sync(fleet_rows(frame.state, region_of=frame.region_of, admits=admits, verdicts=frame.verdicts, tracks=frame.tracks))
        if not self._cursor_placed and table.row_count > 1:
            self._cursor_placed = True  # start on the first release, not on its region's heading
            first = next((i for i, key in enumerate(table.row_keys) if not key.startswith(REGION_PREFIX)), 0)
            table.move_cursor(row=first, animate=False)

    def selected_ref(self) -> ReleaseRef | None:
        if not self._ready:
            return None
        queue = self.query_one(AttentionTable)
        if queue.has_focus:
            item = queue.selected_item()
            return item.release if item is not None else None
        key = self.query_one(FleetTable).selected_key
        return self._refs.get(key) if key is not None else None

    def selected_flag(self) -> str | None:
        """A failing flag path in the queue: enter opens its release with that flag's row focused."""
        if not self._ready:
            return None
        queue = self.query_one(AttentionTable)
        item = queue.selected_item() if queue.has_focus else None
        return item.flag if item is not None else None

    def selected_cluster(self) -> str | None:
        """A cluster-wide attention item (unreachable, stale) under the cursor."""
        if not self._ready:
            return None
        queue = self.query_one(AttentionTable)
        item = queue.selected_item() if queue.has_focus else None
        return item.cluster if item is not None and item.release is None else None
