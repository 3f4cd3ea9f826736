"""The attention queue as a table: worst first, one row per release or cluster that needs a human."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text

from rolldeck.console.attention import AttentionItem, Severity
from rolldeck.console.commands import Scope, bindings
from rolldeck.console.widgets.column_fit import GridColumn
from rolldeck.console.frames.scope import attention_text
from rolldeck.console.widgets.keyed_table import KeyedTable, Row

# The why is the point of the queue: it shrinks to the room left rather than being cut off, and
# the region, then the cluster, make way for it on a narrow terminal.
ATTENTION_COLUMNS: tuple[GridColumn, ...] = (
    GridColumn("kind", "needs"),
    GridColumn("app", "app"),
    GridColumn("cluster", "cluster", priority=1),
    GridColumn("region", "region", priority=2),
    GridColumn("detail", "why", min_width=40),
)

__all__ = ["ATTENTION_COLUMNS", "AttentionTable", "attention_row", "attention_text"]

SEVERITY_STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow"}
SEVERITY_MARKS = {Severity.ERROR: "✗", Severity.WARNING: "⚠"}


def attention_row(item: AttentionItem) -> Row:
    style = SEVERITY_STYLES[item.severity]
    return (
        Text(f"{SEVERITY_MARKS[item.severity]} {item.kind}", style=style),
        item.release.name if item.release else "—",
        item.cluster,
        item.region,
        item.detail,
    )


class AttentionTable(KeyedTable):
    BINDINGS = bindings(Scope.FLEET)  # enter opens the release, as in the fleet table

    def __init__(self, **kwargs: Any) -> None:  # Textual's own keywords (id, classes…)
        super().__init__(ATTENTION_COLUMNS, **kwargs)
        self.items: dict[str, AttentionItem] = {}

    def show(self, items: Sequence[AttentionItem]) -> None:
        self.items = {item.key: item for item in items}
        self.sync({key: attention_row(item) for key, item in self.items.items()})

    def selected_item(self) -> AttentionItem | None:
        key = self.selected_key
        return self.items.get(key) if key is not None else None
