"""The clusters view (``:clusters``): per context, is it reachable, how fresh, how fast, what runs there."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widget import Widget

from rolldeck.console import format as fmt
from rolldeck.console.frames.frame import ClusterRow, Frame, Where
from rolldeck.console.frames.scope import cluster_text
from rolldeck.console.release_details import unmapped_lines
from rolldeck.console.screens.base import ConsoleScreen, show_outside
from rolldeck.console.widgets.column_fit import GridColumn
from rolldeck.console.widgets.keyed_table import KeyedTable, Row
from rolldeck.console.widgets.plain import PlainLabel, PlainStatic
from rolldeck.engine.model import ClusterState

# Narrow terminals keep whether each cluster is reachable, fresh and safe to touch; the controller
# columns go first, then watches and latency (column_fit).
CLUSTER_COLUMNS: tuple[GridColumn, ...] = (
    GridColumn("cluster", "cluster"),
    GridColumn("region", "region", priority=3),
    GridColumn("safety", "safety"),
    GridColumn("reachable", "reachable"),
    GridColumn("age", "last event"),
    GridColumn("latency", "API ms", priority=4),
    GridColumn("watches", "watches", priority=5),
    GridColumn("argo", "Argo Rollouts", priority=7),
    GridColumn("flagger", "Flagger", priority=7),
    GridColumn("argocd", "Argo CD", priority=6),
    GridColumn("releases", "releases", priority=1),
    GridColumn("warnings", "warnings", priority=2, min_width=20),
)

# ClusterHealth.controllers names the APIs found; these three are the ones that own releases.
CONTROLLER_COLUMNS = (("argo", "argo-rollouts"), ("flagger", "flagger"), ("argocd", "argo-cd"))


def _present(cluster: ClusterState, api: str, simulated: bool) -> Text:
    if simulated:
        return Text("sim", style="dim")
    return Text("✓", style="green") if api in cluster.health.controllers else Text("—", style="dim")


def safety_cell(row: ClusterRow) -> Text:
    text = Text()
    if row.protected:
        text.append("PROD", style="bold white on red")
    if row.read_only:
        text.append(" ⊘ RO" if text else "⊘ RO", style="bold yellow")
    return text


def cluster_row(row: ClusterRow, *, simulated: bool, stale_after_s: float) -> Row:
    cluster = row.cluster
    health = cluster.health
    if not health.reachable:
        reachable = Text(f"✗ {health.error or 'unreachable'}", style="bold red")
    else:
        reachable = Text("✓ yes", style="green")
    stale = health.last_update_age_s > stale_after_s
    age = Text(fmt.age(health.last_update_age_s), style="bold yellow" if stale else "")
    latency = fmt.NO_DATA if health.api_latency_ms is None else f"{health.api_latency_ms:.0f}"
    warnings = "; ".join(health.warnings)
    return (
        cluster.name,
        row.region,
        safety_cell(row),
        reachable,
        age,
        latency,
        str(health.watches) if not simulated else Text("sim", style="dim"),
        *(_present(cluster, api, simulated) for _, api in CONTROLLER_COLUMNS),
        releases_cell(cluster),
        Text(warnings, style="yellow") if warnings else Text(fmt.NO_DATA, style="dim"),
    )


def releases_cell(cluster: ClusterState) -> str:
    """``12 +2 unmapped (1 unreadable)``: releases, then what is listed read-only below the table."""
    cell = str(len(cluster.releases))
    if cluster.unmapped:
        cell += f" +{len(cluster.unmapped)} unmapped"
        unreadable = sum(1 for item in cluster.unmapped if item.unreadable)
        cell += f" ({unreadable} unreadable)" if unreadable else ""
    return cell


class ClustersTable(KeyedTable):
    pass


class ClustersScreen(ConsoleScreen):
    AUTO_FOCUS = "#clusters-table"
    where = Where.CLUSTERS

    def __init__(self) -> None:
        super().__init__(id="clusters")

    def compose_body(self) -> ComposeResult:
        yield PlainLabel("clusters", classes="section-title")
        yield PlainLabel("", id="outside-scope", classes="outside-scope")
        yield ClustersTable(CLUSTER_COLUMNS, id="clusters-table")
        unmapped = PlainStatic("", id="unmapped-list")
        unmapped.display = False  # shown only when some object is listed read-only
        yield unmapped

    def main_widget(self) -> Widget | None:
        return self.query_one(ClustersTable)

    def show_state(self, frame: Frame) -> None:
        rows: dict[str, Row] = {}
        in_scope = [c for c in frame.state.clusters() if frame.scope.admits_cluster(c.name)]
        unmapped = self.query_one("#unmapped-list", PlainStatic)
        listing = unmapped_lines(in_scope)
        unmapped.display = bool(listing)
        if listing:
            unmapped.update(Text("unmapped, read-only (not releases):\n", style="bold") + listing)
        for name, row in frame.clusters.items():
            if frame.scope.admits_cluster(name) and self.filter_admits(cluster_text(row.cluster, row.region)):
                rows[name] = cluster_row(row, simulated=frame.state.simulated, stale_after_s=frame.stale_after_s)
        self.query_one(ClustersTable).sync(rows)
        show_outside(self.query_one("#outside-scope", PlainLabel), frame)

    def context_in_view(self) -> str | None:
        if not self._ready:
            return None
        return self.query_one(ClustersTable).selected_key
