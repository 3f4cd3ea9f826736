"""Operator and autopilot activity, merged newest first: audit records (what was done) and autopilot
events (why it held, froze or waits). Used by the release screen's pane and the ``:audit`` view."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text

from rolldeck.console import format as fmt
from rolldeck.console.widgets.column_fit import GridColumn
from rolldeck.console.widgets.keyed_table import KeyedTable, Row
from rolldeck.console.widgets.plain import PlainStatic
from rolldeck.engine.audit import AuditRecord
from rolldeck.engine.autopilot import AutopilotEvent

RESULT_STYLES = {"applied": "bold green", "refused": "bold yellow", "failed": "bold red"}
SEVERITY_STYLES = {"information": "cyan", "warning": "bold yellow", "error": "bold red"}


@dataclass(frozen=True, slots=True)
class LogEntry:
    time: float  # backend time
    actor: str
    what: str  # the action or the event kind
    result: str  # applied / refused / failed, or the event's severity
    release: str
    text: str
    from_audit: bool

    @property
    def style(self) -> str:
        return RESULT_STYLES.get(self.result, "") if self.from_audit else SEVERITY_STYLES.get(self.result, "")

    def search_text(self) -> str:
        return " ".join((self.actor, self.what, self.result, self.release, self.text))


def entries(records: Sequence[AuditRecord], events: Sequence[AutopilotEvent], limit: int = 200) -> list[LogEntry]:
    merged = [
        LogEntry(
            r.backend_time,
            r.actor,
            r.action,
            r.result,
            r.release,
            (r.diff if r.result == "applied" else r.reason) + (f" — {r.evidence}" if r.evidence else ""),
            True,
        )
        for r in records
    ]
    merged += [LogEntry(e.time, "autopilot", e.kind, e.severity, e.release, e.message, False) for e in events]
    # Stable sort by time, newest first; an audit record sorts after the event of the same instant.
    merged.sort(key=lambda entry: (entry.time, entry.from_audit), reverse=True)
    return merged[:limit]


def log_text(log: Sequence[LogEntry], empty: str) -> Text:
    if not log:
        return Text(empty, style="dim")
    text = Text()
    for index, entry in enumerate(log):
        if index:
            text.append("\n")
        text.append(f"{fmt.clock(entry.time)}  ", style="dim")
        text.append(f"{entry.actor:<10} ")
        text.append(f"{entry.what:<12} ")
        text.append(f"{entry.result:<11} ", style=entry.style)
        text.append(entry.text)
    return text


class EventPane(PlainStatic):
    """The release screen's latest actions and autopilot events for one release."""

    def __init__(self, **kwargs: Any) -> None:  # Textual's own keywords (id, classes…)
        super().__init__("", **kwargs)
        self._shown: tuple[LogEntry, ...] | None = None

    def show(self, log: Sequence[LogEntry]) -> None:
        key = tuple(log)
        if key == self._shown:
            return
        self._shown = key
        self.update(log_text(log, "no actions on this release yet"))


AUDIT_COLUMNS: tuple[GridColumn, ...] = (
    GridColumn("time", "time"),
    GridColumn("actor", "actor", priority=1),
    GridColumn("what", "action"),
    GridColumn("result", "result"),
    GridColumn("release", "release", priority=2),
    GridColumn("text", "what happened", min_width=24),
)


def audit_row(entry: LogEntry) -> Row:
    return (
        fmt.clock(entry.time),
        entry.actor,
        entry.what,
        Text(entry.result, style=entry.style),
        entry.release,
        entry.text,
    )


class AuditTable(KeyedTable):
    def __init__(self, **kwargs: Any) -> None:  # Textual's own keywords (id, classes…)
        super().__init__(AUDIT_COLUMNS, **kwargs)

    def show(self, log: Sequence[LogEntry]) -> None:
        # Keys name the entry, so old rows keep theirs when a new one arrives on top.
        rows: dict[str, Row] = {}
        for entry in log:
            base = f"{entry.time}|{entry.from_audit}|{entry.release}|{entry.what}|{entry.actor}"
            key, n = base, 1
            while key in rows:
                key, n = f"{base}|{n}", n + 1
            rows[key] = audit_row(entry)
        self.sync(rows)
