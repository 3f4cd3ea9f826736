"""A DataTable that syncs to keyed rows, touching only the cells whose text changed.

Every ``update_cell`` re-renders the visible table (textual-practice.md §4), so the cheapest refresh
is the one that does not happen: keep what was last rendered per row and diff against it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, CursorType

from rolldeck.console.widgets.plain import plain

Cell = str | Text
Row = tuple[Cell, ...]


def _plain(cell: Cell) -> str:
    return cell.plain if isinstance(cell, Text) else cell


class KeyedTable(DataTable[Cell]):
    """Rows keyed by a stable string; ``sync`` adds, removes and updates only what changed."""

    def __init__(self, columns: Sequence[tuple[str, str]], *, cursor_type: CursorType = "row", **kwargs: Any) -> None:  # Textual's own keywords (id, classes…)
        super().__init__(cursor_type=cursor_type, **kwargs)
        self._column_spec = tuple(columns)  # (key, label)
        self._rendered: dict[str, Row] = {}
        self.cells_touched = 0  # running total of cells added or updated; tests and benchmarks read it

    def on_mount(self) -> None:
        self._ensure_columns()

    def _ensure_columns(self) -> None:
        # Columns need the app (for measuring), so not in __init__; a sync may also beat on_mount.
        if not self.columns:
            for key, label in self._column_spec:
                self.add_column(label, key=key)

    @property
    def row_keys(self) -> list[str]:
        return list(self._rendered)

    def row(self, key: str) -> Row | None:
        """The cells last synced for ``key``, as given (styled)."""
        return self._rendered.get(key)

    def rendered(self, key: str) -> tuple[str, ...] | None:
        row = self._rendered.get(key)
        return None if row is None else tuple(_plain(cell) for cell in row)

    def sync(self, rows: Mapping[str, Row]) -> None:
        """Make the table show ``rows`` in their order; only changed cells are touched when the order holds."""
        self._ensure_columns()
        if not self._order_holds(rows):
            self._rebuild(rows)
            return
        touched = 0
        for key in [key for key in self._rendered if key not in rows]:
            self.remove_row(key)
            del self._rendered[key]
            touched += 1
        for key, values in rows.items():
            previous = self._rendered.get(key)
            if previous is None:
                self.add_row(*map(plain, values), key=key)
                touched += len(values)
            else:
                touched += self._update_changed(key, previous, values)
            self._rendered[key] = values
        self.cells_touched += touched

    def _order_holds(self, rows: Mapping[str, Row]) -> bool:
        """True when removing rows and appending new ones at the end gives the wanted order."""
        kept = [key for key in self._rendered if key in rows]
        wanted = list(rows)
        return wanted[: len(kept)] == kept

    def _rebuild(self, rows: Mapping[str, Row]) -> None:
        # Rare (a filter, a scope, a release appearing mid-list): the cost of a full rebuild is fine.
        selected = self.selected_key
        self.clear()
        self._rendered = {}
        for key, values in rows.items():
            self.add_row(*map(plain, values), key=key)
            self._rendered[key] = values
        self.cells_touched += sum(len(values) for values in rows.values())
        if selected is not None and selected in self._rendered:
            self.move_cursor(row=self.get_row_index(selected), animate=False)

    @property
    def selected_key(self) -> str | None:
        if self.row_count == 0 or self.cursor_type == "none":
            return None
        row = min(self.cursor_row, self.row_count - 1)
        return self.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value

    def _update_changed(self, key: str, previous: Row, values: Row) -> int:
        touched = 0
        for (column_key, _), old, new in zip(self._column_spec, previous, values):
            if old == new:
                continue
            # Widen only when the new text no longer fits: re-measuring on every update is O(rows).
            wider = cell_len(_plain(new)) > self.columns[ColumnKey(column_key)].content_width
            self.update_cell(key, column_key, plain(new), update_width=wider)
            touched += 1
        return touched
