"""The release screen: split bar, versions, signal trends and the release's audit trail."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Footer, Label, Static

from console import format as fmt
from console.commands import Scope, bindings
from console.screens.base import ConsoleScreen, Frame
from console.widgets.audit_list import AuditList
from console.widgets.keyed_table import KeyedTable, Row
from console.widgets.signal_history import SignalPanel
from console.widgets.split_bar import SplitBar
from console.widgets.status_bar import StatusBar
from engine.model import ReleaseRef, ReleaseState, Strategy, VersionState

VERSION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("version", "version"),
    ("revision", "revision"),
    ("role", "role"),
    ("slot", "slot"),
    ("weight", "weight d→o"),
    ("desired", "desired"),
    ("ready", "ready"),
    ("updated", "updated"),
    ("restarts", "restarts"),
    ("rps", "rps"),
    ("success", "success %"),
    ("p99", "p99 ms"),
)


def slot_state(release: ReleaseState, version: VersionState) -> str:
    if release.strategy is not Strategy.BLUE_GREEN:
        return ""
    if version.name == release.active_slot:
        return "active"
    if version.name == release.preview_slot:
        return "preview"
    return ""


def version_row(release: ReleaseState, version: VersionState) -> Row:
    desired = str(release.desired.weight(version.name))
    observed = str(release.observed.weight(version.name))
    signals = version.signals
    ratio = signals.success_ratio
    return (
        version.name,
        version.revision,
        version.role.value,
        slot_state(release, version),
        fmt.desired_observed(desired, observed, "%"),
        str(version.replicas.desired),
        str(version.replicas.ready),
        str(version.replicas.updated),
        Text(str(version.restarts), style="bold red" if version.restarts else ""),
        fmt.rate(signals.rps),
        fmt.NO_DATA if ratio is None else f"{ratio * 100:.2f}",
        fmt.millis(signals.p99),
    )


def release_heading(release: ReleaseState) -> Text:
    text = Text()
    text.append(release.name, style="bold")
    text.append(f"  {release.namespace} in {release.cluster} ({release.region})  ")
    text.append(f"{release.strategy.value} · owner {release.owner.value} · ")
    text.append(release.phase.value, style="bold")
    flags = [flag for flag, on in (("paused", release.paused), ("aborted", release.aborted)) if on]
    if release.step is not None:
        flags.append(f"step {release.step}")
    if flags:
        text.append(f" ({', '.join(flags)})")
    if release.message:
        text.append(f"\n{release.message}", style="italic")
    return text


class VersionTable(KeyedTable):
    """Read-only rows: no cursor, no focus, so keys always reach the release's verbs."""

    can_focus = False

    def __init__(self, columns: tuple[tuple[str, str], ...], **kwargs: object) -> None:
        super().__init__(columns, cursor_type="none", **kwargs)


class ReleaseScreen(ConsoleScreen):
    BINDINGS = bindings(Scope.RELEASE)

    def __init__(self, release: ReleaseState) -> None:
        super().__init__(id="release")
        self.ref: ReleaseRef = release.ref
        self._initial = release  # composes one sparkline row per version
        self._heading: Text | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with VerticalScroll(id="release-body"):
            yield Static("", id="release-heading")
            yield Label("traffic split", classes="section-title")
            yield SplitBar(id="split-bar")
            yield Label("versions", classes="section-title")
            yield VersionTable(VERSION_COLUMNS, id="version-table")
            yield Label("signals", classes="section-title")
            yield SignalPanel(self._initial, id="signals")
            yield Label("audit", classes="section-title")
            yield AuditList(id="audit-list")
        yield Footer()

    def selected_ref(self) -> ReleaseRef | None:
        return self.ref

    def _show_heading(self, heading: Text) -> None:
        if heading != self._heading:  # Static.update re-renders; most ticks change nothing here
            self._heading = heading
            self.query_one("#release-heading", Static).update(heading)

    def show_state(self, frame: Frame) -> None:
        release = frame.state.release(self.ref)
        if release is None:
            self._show_heading(Text(f"{self.ref} is no longer in the fleet", style="bold red"))
            return
        self._show_heading(release_heading(release))
        self.query_one(SplitBar).show(release)
        self.query_one(VersionTable).sync(
            {version.name: version_row(release, version) for version in fmt.ordered_versions(release)}
        )
        self.query_one(SignalPanel).show(frame.history)
        self.query_one(AuditList).show(frame.audit.for_release(str(self.ref)))
