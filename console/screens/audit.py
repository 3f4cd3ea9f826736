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
