"""A keyed table on Textual's Line API: a changed row re-renders that row, nothing else.

``DataTable`` keys its render caches on an update counter, so one changed cell re-renders every
visible cell (~0.4 ms each here, textual-practice.md §4): a 200-release fleet whose numbers move
every second spent 150–190 ms per repaint and stalled the event loop. This grid keeps one rendered
``Strip`` per row, keyed by the row's content, and renders only the lines on screen — the Toolong
``LogLines`` pattern. It offers the subset of the ``KeyedTable`` API the console uses.

Columns drop by their declared priority when the terminal is narrow (``column_fit``), and a row
given as one ``Text`` instead of a tuple is a group heading drawn across the whole line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from rolldeck.console.widgets.column_fit import ColumnLayout, Columns, fit_columns, grid_columns
from rolldeck.console.widgets.keyed_table import Cell, Row

GAP = 2  # spaces between columns: cells never run together, whatever their widths
GridRow = Row | Text  # a Text: a heading across the line (a region), outside the columns


def _plain(cell: Cell) -> str:
    return cell.plain if isinstance(cell, Text) else cell


def _cells(row: GridRow) -> Row:
    return (row,) if isinstance(row, Text) else row


class RowGrid(ScrollView, can_focus=True):
    """Rows keyed by a stable string, one header line, a row cursor; ``sync`` like ``KeyedTable``."""

    COMPONENT_CLASSES = {"row-grid--header", "row-grid--cursor"}
    DEFAULT_CSS = """
    RowGrid {
        background: $surface;
    }
    RowGrid > .row-grid--header {
        text-style: bold;
        background: $panel;
        color: $foreground;
    }
    RowGrid > .row-grid--cursor {
        background: $block-cursor-blurred-background;
    }
    RowGrid:focus > .row-grid--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    """
    BINDINGS = [
        Binding("up", "cursor_up", "up", show=False),
        Binding("down", "cursor_down", "down", show=False),
        Binding("pageup", "page_up", "page up", show=False),
        Binding("pagedown", "page_down", "page down", show=False),
        Binding("home", "first", "first", show=False),
        Binding("end", "last", "last", show=False),
    ]

    def __init__(self, columns: Columns, **kwargs: Any) -> None:  # Textual's own keywords (id, classes…)
        super().__init__(**kwargs)
        self._grid_columns = grid_columns(columns)
        self._column_spec = tuple((c.key, c.label) for c in self._grid_columns)  # (key, label)
        self._rendered: dict[str, GridRow] = {}
        self._keys: list[str] = []
        self._index: dict[str, int] = {}
        self._widths = [cell_len(label) for _, label in self._column_spec]  # each column's widest cell
        self._layout: ColumnLayout | None = None  # what is drawn at the current width
        self._layout_for: tuple[int, tuple[int, ...]] | None = None
        self._strips: dict[str, Strip] = {}  # rendered rows (uncropped, unstyled by the cursor)
        self._header: Strip | None = None
        self.cursor_row = 0
        self.cells_touched = 0  # running total of cells added or updated; tests and benchmarks read it
        self.lines_rendered = 0  # row strips built (the expensive part); the benchmark reads it

    # --- the KeyedTable API ---------------------------------------------------------------------------

    @property
    def columns(self) -> tuple[tuple[str, str], ...]:
        return self._column_spec

    @property
    def visible_columns(self) -> tuple[str, ...]:
        """The keys of the columns drawn at the current width, left to right."""
        layout = self._current_layout()
        return tuple(self._column_spec[i][0] for i in layout.indexes)

    @property
    def row_keys(self) -> list[str]:
        return list(self._keys)

    @property
    def row_count(self) -> int:
        return len(self._keys)

    def row(self, key: str) -> GridRow | None:
        return self._rendered.get(key)

    def rendered(self, key: str) -> tuple[str, ...] | None:
        """Every column's text, drawn or not (a heading row: its one text)."""
        row = self._rendered.get(key)
        return None if row is None else tuple(_plain(cell) for cell in _cells(row))

    def get_row_index(self, key: str) -> int:
        return self._index[key]

    @property
    def selected_key(self) -> str | None:
        if not self._keys:
            return None
        return self._keys[min(self.cursor_row, len(self._keys) - 1)]

    def move_cursor(self, *, row: int, animate: bool = False) -> None:
        self._set_cursor(row)

    def sync(self, rows: Mapping[str, GridRow]) -> None:
        """Show ``rows`` in their order; rows whose cells did not change keep their rendered line."""
        selected = self.selected_key
        touched = 0
        widths = list(self._widths)
        for key, values in rows.items():
            previous = self._rendered.get(key)
            if previous is None:
                touched += len(_cells(values))
            elif previous != values:
                touched += sum(old != new for old, new in zip(_cells(previous), _cells(values)))
                self._strips.pop(key, None)
            else:
                continue
            if isinstance(values, Text):
                continue  # a heading spans the line: it widens no column
            for index, cell in enumerate(values):
                widths[index] = max(widths[index], cell_len(_plain(cell)))
        for key in self._rendered.keys() - rows.keys():
            self._strips.pop(key, None)
            touched += 1
        if widths != self._widths:
            # A column grew: every row's line moves. Columns only grow, so this settles quickly.
            self._widths = widths
            self._strips.clear()
            self._header = None
        keys = list(rows)
        order_changed = keys != self._keys
        self._rendered = dict(rows)
        self._keys = keys
        if order_changed:
            self._index = {key: index for index, key in enumerate(keys)}
        self.cells_touched += touched
        self._update_virtual_size()
        if selected is not None and selected in self._index:
            self.cursor_row = self._index[selected]  # the cursor stays on its row when rows move
        self.cursor_row = min(self.cursor_row, max(0, len(keys) - 1))
        if touched or order_changed:
            self.refresh()

    # --- rendering ---------------------------------------------------------------------------------------

    def _current_layout(self) -> ColumnLayout:
        """The columns that fit the widget's width now; recomputed when the width or a column's
        natural width changes (then every cached line is redrawn)."""
        key = (self.size.width, tuple(self._widths))
        if self._layout is None or key != self._layout_for:
            room = max(0, self.size.width - 1)  # minus the leading space
            layout = fit_columns(self._grid_columns, self._widths, room or sum(self._widths) + GAP * len(self._widths), GAP)
            if layout != self._layout:
                self._strips.clear()
                self._header = None
            self._layout, self._layout_for = layout, key
        return self._layout

    def _update_virtual_size(self) -> None:
        layout = self._current_layout()
        width = sum(w for _, w in layout.columns) + GAP * len(layout.columns) + 1
        self.virtual_size = Size(width, len(self._keys) + 1)

    def on_resize(self) -> None:
        self._update_virtual_size()
        self.refresh()

    def _line(self, cells: Sequence[Cell]) -> Text:
        text = Text(" ", no_wrap=True, end="")
        for index, width in self._current_layout().columns:
            cell = cells[index]
            piece = cell.copy() if isinstance(cell, Text) else Text(cell)
            if cell_len(piece.plain) > width:  # an elastic column, shrunk to what is left
                piece.truncate(width, overflow="ellipsis")
            text.append_text(piece)
            text.append(" " * (width - cell_len(piece.plain) + GAP))
        return text

    def _heading(self, heading: Text) -> Text:
        text = Text(" ", no_wrap=True, end="")
        text.append_text(heading)
        return text

    def _strip(self, text: Text) -> Strip:
        segments = list(text.render(self.app.console))
        return Strip(segments, cell_len(text.plain))

    def _row_strip(self, key: str) -> Strip:
        strip = self._strips.get(key)
        if strip is None:
            row = self._rendered[key]
            strip = self._strips[key] = self._strip(self._heading(row) if isinstance(row, Text) else self._line(row))
            self.lines_rendered += 1
        return strip

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style
        self._current_layout()  # a resize or a wider cell may have changed the columns drawn
        if y == 0:
            if self._header is None:
                self._header = self._strip(self._line([label for _, label in self._column_spec]))
            header_style = self.get_component_rich_style("row-grid--header")
            return self._header.crop_extend(scroll_x, scroll_x + width, base + header_style).apply_style(base + header_style)
        index = scroll_y + y - 1
        if index >= len(self._keys):
            return Strip.blank(width, base)
        strip = self._row_strip(self._keys[index]).crop_extend(scroll_x, scroll_x + width, base)
        if index == self.cursor_row:
            cursor = self.get_component_rich_style("row-grid--cursor")
            strip = Strip([Segment(text, (style or Style()) + cursor) for text, style, _ in strip])
        return strip.apply_style(base)

    # --- the cursor ---------------------------------------------------------------------------------------

    def _set_cursor(self, row: int) -> None:
        if not self._keys:
            return
        row = max(0, min(row, len(self._keys) - 1))
        if row == self.cursor_row:
            return
        old, self.cursor_row = self.cursor_row, row
        self._refresh_row(old)
        self._refresh_row(row)
        self._scroll_cursor_into_view()

    def _refresh_row(self, index: int) -> None:
        y = index + 1 - self.scroll_offset.y
        if 0 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def _scroll_cursor_into_view(self) -> None:
        visible_rows = max(1, self.size.height - 1)  # minus the header line
        top = self.scroll_offset.y
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + visible_rows:
            self.scroll_to(y=self.cursor_row - visible_rows + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self._set_cursor(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self._set_cursor(self.cursor_row + 1)

    def action_page_up(self) -> None:
        self._set_cursor(self.cursor_row - max(1, self.size.height - 2))

    def action_page_down(self) -> None:
        self._set_cursor(self.cursor_row + max(1, self.size.height - 2))

    def action_first(self) -> None:
        self._set_cursor(0)

    def action_last(self) -> None:
        self._set_cursor(len(self._keys) - 1)

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self._set_cursor(self.scroll_offset.y + event.y - 1)
