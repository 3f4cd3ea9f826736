"""The release screen: control plane beside data plane, the step plan and judge, charts, and activity."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget

from rolldeck.console.commands import Scope, bindings
from rolldeck.console.frames.frame import Frame, Where
from rolldeck.console.screens.base import ConsoleScreen
from rolldeck.console.widgets.charts import VersionCharts
from rolldeck.console.widgets.event_log import EventPane, entries
from rolldeck.console.widgets.flags_table import FlagsTable
from rolldeck.console.widgets.plain import PlainLabel, PlainStatic
from rolldeck.console import format as fmt
from rolldeck.console.widgets.planes import ControlPlanePanel, DataPlaneTable
from rolldeck.console.widgets.split_bar import SplitBar
from rolldeck.console.widgets.step_plan import StepPlanLine
from rolldeck.console.verdicts import ReleaseVerdict
from rolldeck.console.widgets.verdict import VerdictPanel, verdict_cell
from rolldeck.engine.model import ReleaseRef, ReleaseState


def release_heading(release: ReleaseState, region: str) -> Text:
    text = Text()
    text.append(release.name, style="bold")
    text.append(f"  {release.namespace} in {release.cluster} ({region})  ")
    text.append(f"{release.strategy.value} · owner {release.owner.value} · ")
    text.append(release.phase.value, style="bold")
    flags = [flag for flag, on in (("paused", release.paused), ("aborted", release.aborted)) if on]
    if release.step is not None:
        flags.append(f"step {fmt.step_position(release)}")
    if flags:
        text.append(f" ({', '.join(flags)})")
    if release.message:
        text.append(f"\n{release.message}", style="italic")
    if release.metrics_error:
        text.append(f"\nmetrics: {release.metrics_error}", style="bold magenta")
    return text


def revisions_text(release: ReleaseState) -> Text:
    revisions = sorted(release.revisions)
    if not revisions:
        return Text(f"revisions  none known to the console (owner {release.owner.value}): undo is not available", style="dim")
    text = Text("revisions  ", style="bold")
    for index, revision in enumerate(revisions):
        if index:
            text.append(" · ")
        current = index == len(revisions) - 1
        text.append(f"{revision}" + (" (current)" if current else ""), style="bold" if current else "")
    if len(revisions) > 1:
        text.append(f"   u: undo to {revisions[-2]}", style="cyan")
    return text


def cohort_evidence(cohorts: Mapping[str, ReleaseVerdict]) -> Text:
    """One line per judged flag: the judge on its cohort, flag on against flag off."""
    text = Text()
    for key, verdict in sorted(cohorts.items()):
        if text:
            text.append("\n")
        text.append(f"{key}  ", style="bold")
        text.append(verdict_cell(verdict))
        text.append(f"  {verdict.evidence}")
    return text if cohorts else Text("no flag cohort judged (the metrics carry no flag variant, or nobody is on a path)", style="dim")


class ReleaseScreen(ConsoleScreen):
    BINDINGS = bindings(Scope.RELEASE)
    where = Where.RELEASE

    def __init__(
        self, release: ReleaseState, *, clock: Callable[[], float] = time.monotonic, flag: str | None = None, slo_percent: float = 99.0
    ) -> None:
        super().__init__(id="release")
        self._slo_percent = slo_percent  # the judge's success SLO: the success chart's range is built around it
        self.ref: ReleaseRef = release.ref
        self._open_on_flag = flag  # opened from :flags: that flag's row gets the cursor and focus
        self._initial = release  # composes one chart line per version
        self._clock = clock  # wall time for the charts' redraw limit
        self._heading: Text | None = None
        self._revisions: Text | None = None
        self._flags_evidence: Text | None = None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="release-body"):
            yield PlainStatic("", id="release-heading")
            yield SplitBar(id="split-bar")
            with Horizontal(id="planes"):
                with Vertical(id="control-plane"):
                    yield PlainLabel("control plane (intent)", classes="section-title")
                    yield ControlPlanePanel(id="control-plane-panel")
                with Vertical(id="data-plane"):
                    yield PlainLabel("data plane (what runs and serves)", classes="section-title")
                    yield DataPlaneTable(id="version-table")
            yield PlainLabel("plan and judge", classes="section-title")
            yield StepPlanLine(id="step-plan")
            yield VerdictPanel(id="verdict")
            yield PlainStatic("", id="revisions")
            # only on releases with flags: the others (and their screenshots) keep their layout
            yield PlainLabel(
                "flags (k: kill switch or restore on the selected flag; tab to the table, then ] [ step its share)",
                classes="section-title", id="flags-title",
            )
            yield FlagsTable(id="flags-table")
            yield PlainStatic("", id="flags-evidence")  # the judge's line per judged flag
            yield PlainLabel("signals per version", classes="section-title")
            yield VersionCharts(self._initial, clock=self._clock, slo_percent=self._slo_percent, id="charts")
            yield PlainLabel("actions and autopilot events", classes="section-title")
            yield EventPane(id="event-pane")

    def main_widget(self) -> Widget | None:
        return self.query_one("#release-body")

    def selected_ref(self) -> ReleaseRef | None:
        return self.ref

    def selected_flag(self) -> str | None:
        table = self.query_one(FlagsTable)
        return table.selected_key if table.display else None

    def flag_in_focus(self) -> str | None:
        table = self.query_one(FlagsTable)
        return table.selected_key if table.display and table.has_focus else None

    def _update_static(self, selector: str, text: Text, attribute: str) -> None:
        if text != getattr(self, attribute):  # Static.update re-renders; most ticks change nothing here
            setattr(self, attribute, text)
            self.query_one(selector, PlainStatic).update(text)

    def show_state(self, frame: Frame) -> None:
        row = frame.row(self.ref)
        if row is None:
            self._update_static("#release-heading", Text(f"{self.ref} is no longer in the fleet", style="bold red"), "_heading")
            return
        release = row.release
        self._update_static("#release-heading", release_heading(release, row.region), "_heading")
        self.query_one(SplitBar).show(release)
        self.query_one(ControlPlanePanel).show(release)
        self.query_one(DataPlaneTable).show(release)
        self.query_one(StepPlanLine).show(row.step_plan, release.paused)
        self.query_one(VerdictPanel).show(row.verdict)
        self._update_static("#revisions", revisions_text(release), "_revisions")
        has_flags = bool(release.flags)
        for selector in ("#flags-title", "#flags-table", "#flags-evidence"):
            widget = self.query_one(selector)
            if widget.display != has_flags:
                widget.display = has_flags
        if has_flags:
            cohorts = {key: verdict for (ref, key), verdict in frame.cohort_verdicts.items() if ref == self.ref}
            self._update_static("#flags-evidence", cohort_evidence(cohorts), "_flags_evidence")
            table = self.query_one(FlagsTable)
            table.show(release, cohorts)
            if self._open_on_flag in table.row_keys:
                table.move_cursor(row=table.get_row_index(self._open_on_flag), animate=False)
                table.focus()
            self._open_on_flag = None
        self.query_one(VersionCharts).show(frame.history)
        name = str(self.ref)
        events = [e for e in frame.events if e.release == name]
        self.query_one(EventPane).show(entries(frame.audit.for_release(name), events, limit=12))
