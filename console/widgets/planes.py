"""Control plane beside data plane: what the route and spec say, and what pods and traffic do.

The left panel is the control plane's intent (desired split, spec generation, router, match rules
and mirrors, Argo CD, owner, the controller's analysis, what could not be read); the right table is the data plane per version (pods, restarts, rps, errors, latency).
Where they disagree — a lagging split, a spec the controller has not observed — it is highlighted.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from rolldeck.console import format as fmt
from rolldeck.console.release_details import controller_analysis_rows, traffic_rule_rows, unread_rows
from rolldeck.console.widgets.column_fit import GridColumn
from rolldeck.console.widgets.keyed_table import KeyedTable, Row
from rolldeck.console.widgets.plain import PlainStatic
from rolldeck.engine.model import ReleaseState, Strategy, VersionState

LAG_STYLE = "bold yellow"


def _split(release: ReleaseState, which: str) -> str:
    split = release.desired if which == "desired" else release.observed
    return " · ".join(f"{name} {weight}%" for name, weight in split.weights) or fmt.NO_DATA


def control_plane_rows(release: ReleaseState) -> list[tuple[str, Text]]:
    rows: list[tuple[str, Text]] = []
    lag = release.split_lagging
    rows.append(("owner", Text(release.owner.value)))
    strategy = release.strategy.value
    if release.strategy is Strategy.BLUE_GREEN:
        strategy += f" · active {release.active_slot or fmt.NO_DATA} · preview {release.preview_slot or fmt.NO_DATA}"
    rows.append(("strategy", Text(strategy)))
    rows.append(("desired", Text(_split(release, "desired"), style="bold")))
    observed = Text(_split(release, "observed"), style=LAG_STYLE if lag else "")
    if lag:
        observed.append("  ◀ lagging", style=LAG_STYLE)
    rows.append(("observed", observed))
    spec = (
        Text("⚠ newer generation not yet observed by the controller", style=LAG_STYLE)
        if release.stale_spec
        else Text("✓ generation observed", style="green")
    )
    rows.append(("spec", spec))
    rows.append(("router", Text(release.router.label)))
    rows += traffic_rule_rows(release)
    gitops = release.gitops
    if gitops is None:
        rows.append(("argo cd", Text("not managed", style="dim")))
    else:
        mode = ", ".join(m for m, on in (("auto-sync", gitops.auto_sync), ("self-heal", gitops.self_heal)) if on)
        style = "green" if gitops.sync == "Synced" and gitops.health == "Healthy" else LAG_STYLE
        rows.append(("argo cd", Text(f"{gitops.app}: {gitops.sync} / {gitops.health}" + (f" ({mode})" if mode else ""), style=style)))
    flags = [f for f, on in (("paused", release.paused), ("aborted", release.aborted)) if on]
    if release.wait is not None:
        flags.append(f"waiting on {release.wait.label}")
    rows.append(("state", Text(", ".join(flags) if flags else "running", style="bold yellow" if flags else "")))
    if release.denied:
        rows.append(("rbac", Text("; ".join(f"{verb}: {why}" for verb, why in release.denied), style="red")))
    rows += controller_analysis_rows(release)
    rows += unread_rows(release)
    return rows


def control_plane_table(release: ReleaseState) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="dim", no_wrap=True)
    table.add_column()
    for key, value in control_plane_rows(release):
        table.add_row(key, value)
    return table


class ControlPlanePanel(PlainStatic):
    def __init__(self, **kwargs: Any) -> None:  # Textual's own keywords (id, classes…)
        super().__init__("", **kwargs)
        self._shown: list[tuple[str, Text]] | None = None

    def show(self, release: ReleaseState) -> None:
        rows = control_plane_rows(release)
        if rows == self._shown:
            return
        self._shown = rows
        self.update(control_plane_table(release))


# Beside the control plane the table is narrow: the signals the judge reads (success %, p99,
# errors) stay, pod bookkeeping makes way (column_fit).
DATA_PLANE_COLUMNS: tuple[GridColumn, ...] = (
    GridColumn("version", "version"),
    GridColumn("revision", "revision", priority=5),
    GridColumn("weight", "weight"),
    GridColumn("pods", "ready", priority=2),
    GridColumn("updated", "upd", priority=6),
    GridColumn("restarts", "rst", priority=4),
    GridColumn("rps", "rps", priority=3),
    GridColumn("errors", "5xx", priority=1),
    GridColumn("success", "success %"),
    GridColumn("p99", "p99 ms"),
)


def version_label(release: ReleaseState, version: VersionState) -> str:
    """'canary', 'green · active', 'blue · preview', 'stable' — the name says the role for canaries."""
    if release.strategy is Strategy.BLUE_GREEN:
        if version.name == release.active_slot:
            return f"{version.name} · active"
        if version.name == release.preview_slot:
            return f"{version.name} · preview"
    if version.name in (version.role.value, "canary"):
        return version.name
    return f"{version.name} ({version.role.value})"


def data_plane_row(release: ReleaseState, version: VersionState) -> Row:
    desired = str(release.desired.weight(version.name))
    observed = str(release.observed.weight(version.name))
    signals = version.signals
    ratio = signals.success_ratio
    pods = version.replicas
    return (
        version_label(release, version),
        version.revision,
        Text(fmt.desired_observed(desired, observed, "%"), style=LAG_STYLE if desired != observed else ""),
        Text(f"{pods.ready}/{pods.desired}", style="" if pods.ready >= pods.desired else LAG_STYLE),
        str(pods.updated),
        Text(str(version.restarts), style="bold red" if version.restarts else ""),
        fmt.rate(signals.rps),
        Text(str(signals.errors), style="bold red" if signals.errors and ratio is not None and ratio < 0.99 else ""),
        fmt.NO_DATA if ratio is None else f"{ratio * 100:.2f}",
        fmt.millis(signals.p99),
    )


class DataPlaneTable(KeyedTable):
    """Read-only rows: no cursor, no focus, so keys always reach the release's verbs."""

    can_focus = False

    def __init__(self, **kwargs: Any) -> None:  # Textual's own keywords (id, classes…)
        super().__init__(DATA_PLANE_COLUMNS, cursor_type="none", **kwargs)

    def show(self, release: ReleaseState) -> None:
        self.sync({v.name: data_plane_row(release, v) for v in fmt.ordered_versions(release)})
