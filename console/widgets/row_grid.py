"""A keyed table on Textual's Line API: a changed row re-renders that row, nothing else.

``DataTable`` keys its render caches on an update counter, so one changed cell re-renders every
visible cell (~0.4 ms each here, textual-practice.md §4): a 200-release fleet whose numbers move
every second spent 150–190 ms per repaint and stalled the event loop. This grid keeps one rendered
``Strip`` per row, keyed by the row's content, and renders only the lines on screen — the Toolong
``LogLines`` pattern. It offers the subset of the ``KeyedTable`` API the console uses.
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

from rolldeck.console.widgets.keyed_table import Cell, Row

GAP = 2  # spaces between columns


def _plain(cell: Cell) -> str:
    return cell.plain if isinstance(cell, Text) else cell


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

    def __init__(self, columns: Sequence[tuple[str, str]], **kwargs: Any) -> None:  # Textual's own keywords (id, classes…)
        super().__init__(**kwargs)
        self._column_spec = tuple(columns)  # (key, label)
        self._rendered: dict[str, Row] = {}
        self._keys: list[str] = []
        self._index: dict[str, int] = {}
        self._widths = [cell_len(label) for _, label in self._column_spec]
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
    def row_keys(self) -> list[str]:
        return list(self._keys)

    @property
    def row_count(self) -> int:
        return len(self._keys)

    def row(self, key: str) -> Row | None:
        return self._rendered.get(key)

    def rendered(self, key: str) -> tuple[str, ...] | None:
        row = self._rendered.get(key)
        return None if row is None else tuple(_plain(cell) for cell in row)

    def get_row_index(self, key: str) -> int:
        return self._index[key]

    @property
    def selected_key(self) -> str | None:
        if not self._keys:
            return None
        return self._keys[min(self.cursor_row, len(self._keys) - 1)]

    def move_cursor(self, *, row: int, animate: bool = False) -> None:
        self._set_cursor(row)

    def sync(self, rows: Mapping[str, Row]) -> None:
        """Show ``rows`` in their order; rows whose cells did not change keep their rendered line."""
        selected = self.selected_key
        touched = 0
        widths = list(self._widths)
        for key, values in rows.items():
            previous = self._rendered.get(key)
            if previous is None:
                touched += len(values)
            elif previous != values:
                touched += sum(old != new for old, new in zip(previous, values))
                self._strips.pop(key, None)
            else:
                continue
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
        self.virtual_size = Size(self._total_width(), len(keys) + 1)
        if selected is not None and selected in self._index:
            self.cursor_row = self._index[selected]  # the cursor stays on its row when rows move
        self.cursor_row = min(self.cursor_row, max(0, len(keys) - 1))
        if touched or order_changed:
            self.refresh()

    # --- rendering ---------------------------------------------------------------------------------------

    def _total_width(self) -> int:
        return sum(self._widths) + GAP * len(self._widths) + 1

    def _line(self, cells: Sequence[Cell]) -> Text:
        text = Text(" ", no_wrap=True, end="")
        for width, cell in zip(self._widths, cells):
            piece = cell if isinstance(cell, Text) else Text(cell)
            text.append_text(piece)
            text.append(" " * (width - cell_len(piece.plain) + GAP))
        return text

    def _strip(self, text: Text) -> Strip:
        segments = list(text.render(self.app.console))
        return Strip(segments, cell_len(text.plain))

    def _row_strip(self, key: str) -> Strip:
        strip = self._strips.get(key)
        if strip is None:
            strip = self._strips[key] = self._strip(self._line(self._rendered[key]))
            self.lines_rendered += 1
        return strip

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style
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
