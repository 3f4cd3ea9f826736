"""Which columns a table shows at a given width, and how wide: columns drop by declared priority.

Pure (no Textual), shared by the Line-API ``RowGrid`` and the ``KeyedTable``: at 80 columns the
fleet keeps name, phase, weights, verdict and success %, at 120 it keeps p99 too, and prose
columns (the attention queue's "why") shrink to what is left instead of pushing the rest off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GridColumn:
    key: str
    label: str
    priority: int = 0  # 0 always stays; the highest number drops first when the width is short
    shown: bool = True  # False: kept in the row (filters, tests) but never drawn, e.g. what a group row says
    min_width: int | None = None  # elastic: shrinks down to this (cut with '…') before anything drops


Columns = Sequence[GridColumn | tuple[str, str]]


def grid_columns(columns: Columns) -> tuple[GridColumn, ...]:
    """Plain ``(key, label)`` pairs are priority-0 columns."""
    return tuple(c if isinstance(c, GridColumn) else GridColumn(*c) for c in columns)


@dataclass(frozen=True, slots=True)
class ColumnLayout:
    """The columns drawn, left to right: (index into the table's columns, width)."""

    columns: tuple[tuple[int, int], ...]

    @property
    def indexes(self) -> tuple[int, ...]:
        return tuple(index for index, _ in self.columns)


def fit_columns(columns: Sequence[GridColumn], natural: Sequence[int], width: int, gap: int) -> ColumnLayout:
    """The widest set of columns, by priority, whose cells fit in ``width`` with ``gap`` between them.

    ``natural`` is each column's widest cell (header included). Columns leave highest priority
    number first (among equals, the rightmost); an elastic column counts at its ``min_width`` and
    then takes whatever room is left, up to its natural width. When even the priority-0 columns do
    not fit, they all stay (the table scrolls sideways): nothing that matters is dropped silently.
    """
    kept = [i for i, column in enumerate(columns) if column.shown]

    def least(i: int) -> int:
        floor = columns[i].min_width
        return natural[i] if floor is None else min(natural[i], floor)

    def needed(indexes: Sequence[int]) -> int:
        return sum(least(i) for i in indexes) + gap * len(indexes)

    droppable = sorted((i for i in kept if columns[i].priority > 0), key=lambda i: (columns[i].priority, i))
    while droppable and needed(kept) > width:
        kept.remove(droppable.pop())
    spare = max(0, width - needed(kept))
    widths: list[tuple[int, int]] = []
    for i in kept:
        grow = min(spare, natural[i] - least(i))
        spare -= grow
        widths.append((i, least(i) + grow))
    return ColumnLayout(tuple(widths))
