"""A DataTable that syncs to keyed rows, touching only the cells whose text changed.

Every ``update_cell`` re-renders the visible table (textual-practice.md §4), so the cheapest refresh
is the one that does not happen: keep what was last rendered per row and diff against it.

Columns drop by their declared priority when the table is narrow (``column_fit``); the rows keep
every column, so a resize redraws from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, CursorType

from rolldeck.console.widgets.column_fit import ColumnLayout, Columns, fit_columns, grid_columns
from rolldeck.console.widgets.plain import plain

Cell = str | Text
Row = tuple[Cell, ...]


def _plain(cell: Cell) -> str:
    return cell.plain if isinstance(cell, Text) else cell


class KeyedTable(DataTable[Cell]):
    """Rows keyed by a stable string; ``sync`` adds, removes and updates only what changed."""

    def __init__(self, columns: Columns, *, cursor_type: CursorType = "row", **kwargs: Any) -> None:  # Textual's own keywords (id, classes…)
        super().__init__(cursor_type=cursor_type, **kwargs)
        self._grid_columns = grid_columns(columns)
        self._column_spec = tuple((c.key, c.label) for c in self._grid_columns)  # (key, label)
        self._rendered: dict[str, Row] = {}
        self._natural = [cell_len(label) for _, label in self._column_spec]  # each column's widest cell
        self._layout: ColumnLayout | None = None  # the columns drawn, set with them
        self.cells_touched = 0  # running total of cells added or updated; tests and benchmarks read it

    def on_mount(self) -> None:
        self._ensure_columns()

    def on_resize(self) -> None:
        if self._fit() != self._layout:
            self._rebuild(self._rendered)

    @property
    def visible_columns(self) -> tuple[str, ...]:
        """The keys of the columns drawn at the current width, left to right."""
        return tuple(self._column_spec[i][0] for i in (self._layout or self._fit()).indexes)

    def _fit(self) -> ColumnLayout:
        width = self.size.width
        gap = 2 * self.cell_padding
        if width <= 0:  # not laid out yet: everything, until the first resize says how wide
            width = sum(self._natural) + gap * len(self._natural)
        return fit_columns(self._grid_columns, self._natural, width - 1, gap)  # -1: a vertical scrollbar's edge

    def _ensure_columns(self) -> None:
        # Columns need the app (for measuring), so not in __init__; a sync may also beat on_mount.
        if not self.columns:
            self._layout = self._fit()
            for index, _ in self._layout.columns:
                key, label = self._column_spec[index]
                self.add_column(label, key=key)

    def _cells(self, values: Row) -> list[Text]:
        """The drawn cells of a row; an elastic column's cell cut to its width with '…'."""
        assert self._layout is not None
        cells = []
        for index, width in self._layout.columns:
            cell = plain(values[index])
            if cell_len(cell.plain) > width:
                cell = cell.copy()
                cell.truncate(width, overflow="ellipsis")
            cells.append(cell)
        return cells

    def _grow(self, values: Row) -> None:
        for index, cell in enumerate(values):
            self._natural[index] = max(self._natural[index], cell_len(_plain(cell)))

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
        for key, values in rows.items():
            if self._rendered.get(key) != values:
                self._grow(values)
        if not self._order_holds(rows) or self._fit() != self._layout:
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
                self.add_row(*self._cells(values), key=key)
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
        # Rare (a filter, a scope, a release appearing mid-list, a resize): a full rebuild is fine.
        selected = self.selected_key
        layout = self._fit()
        rows = dict(rows)  # may be self._rendered, which is rebuilt below
        if layout != self._layout:
            self.clear(columns=True)
            self._layout = layout
            for index, _ in layout.columns:
                key, label = self._column_spec[index]
                self.add_column(label, key=key)
        else:
            self.clear()
        self._rendered = {}
        for key, values in rows.items():
            self.add_row(*self._cells(values), key=key)
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
        assert self._layout is not None
        touched = 0
        drawn = dict(zip(self._layout.indexes, self._cells(values)))
        for index, (old, new) in enumerate(zip(previous, values)):
            if old == new or index not in drawn:
                continue
            column_key = self._column_spec[index][0]
            cell = drawn[index]
            # Widen only when the new text no longer fits: re-measuring on every update is O(rows).
            wider = cell_len(cell.plain) > self.columns[ColumnKey(column_key)].content_width
            self.update_cell(key, column_key, cell, update_width=wider)
            touched += 1
        return touched
