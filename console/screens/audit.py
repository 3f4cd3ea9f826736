"""The audit view (``:audit``): every operator and autopilot action this console saw, newest first."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widget import Widget

from rolldeck.console.frames.frame import Frame, Where
from rolldeck.console.screens.base import ConsoleScreen
from rolldeck.console.widgets.event_log import AuditTable, entries
from rolldeck.console.widgets.plain import PlainLabel

AUDIT_LIMIT = 500


class AuditScreen(ConsoleScreen):
    AUTO_FOCUS = "#audit-table"
    where = Where.AUDIT

    def __init__(self) -> None:
        super().__init__(id="audit")

    def compose_body(self) -> ComposeResult:
        yield PlainLabel("audit: operator and autopilot actions, newest first", classes="section-title")
        yield AuditTable(id="audit-table")
        yield PlainLabel("", id="audit-empty")

    def main_widget(self) -> Widget | None:
        return self.query_one(AuditTable)

    def show_state(self, frame: Frame) -> None:
        scope = frame.scope
        log = [
            entry
            for entry in entries(frame.audit.recent(AUDIT_LIMIT), frame.events, limit=AUDIT_LIMIT)
            if (scope.context is None or entry.release.startswith(f"{scope.context}/"))
            and self.filter_admits(entry.search_text())
        ]
        self.query_one(AuditTable).show(log)
        empty = self.query_one("#audit-empty", PlainLabel)
        empty.display = not log
        if not log:  # an empty table reads as a broken view: say why it is empty
            empty.update(self._empty_reason(frame))

    def _empty_reason(self, frame: Frame) -> str:
        if self.row_filter is not None:
            return f"nothing on record matches /{self.row_filter.text} (escape clears the filter)"
        if frame.scope.context is not None:
            return f"nothing on record in {frame.scope.context} yet (w widens to every context)"
        return "nothing on record yet: confirmed actions, refusals, autopilot steps"
