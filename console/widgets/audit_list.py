"""Recent audit records for one release, newest first."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from console import format as fmt
from engine.audit import AuditRecord

RESULT_STYLES = {"applied": "bold green", "refused": "bold yellow", "failed": "bold red"}


def audit_lines(records: Sequence[AuditRecord]) -> Text:
    if not records:
        return Text("no actions on this release yet", style="dim")
    text = Text()
    for index, record in enumerate(reversed(records)):
        if index:
            text.append("\n")
        text.append(f"{fmt.clock(record.backend_time)}  ", style="dim")
        text.append(f"{record.actor:<10} ")
        text.append(f"{record.action:<12} ")
        text.append(f"{record.result:<8} ", style=RESULT_STYLES.get(record.result, ""))
        text.append(record.diff if record.result == "applied" else record.reason)
    return text


class AuditList(Static):
    def __init__(self, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self._shown: tuple[AuditRecord, ...] | None = None

    def show(self, records: Sequence[AuditRecord]) -> None:
        key = tuple(records)
        if key == self._shown:
            return
        self._shown = key
        self.update(audit_lines(records))
