"""Traffic split bar: desired (control plane) above observed (data plane), one coloured block per percent slice."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from rolldeck.console.widgets.plain import PlainStatic
from rolldeck.engine.model import ReleaseState, Role, Split

BAR_WIDTH = 50  # at most; narrower when the labels would not fit beside it (80 columns)
MIN_BAR_WIDTH = 10
# Fixed colours, not theme variables: a slot's colour is part of its meaning (blue is blue).
VERSION_COLOURS = {"blue": "#4f8fe6", "green": "#3fb950"}
ROLE_COLOURS = {Role.STABLE: "#4f8fe6", Role.CANDIDATE: "#e0a526"}
UNKNOWN_COLOUR = "#8b949e"


def version_colour(release: ReleaseState, version_name: str) -> str:
    if version_name in VERSION_COLOURS:
        return VERSION_COLOURS[version_name]
    version = release.version(version_name)
    return ROLE_COLOURS.get(version.role, UNKNOWN_COLOUR) if version else UNKNOWN_COLOUR


def block_widths(split: Split, width: int = BAR_WIDTH) -> list[tuple[str, int]]:
    """Cells per version. Any non-zero weight gets at least one cell (a 1% canary must be visible);
    rounding leftovers and that cell come out of the largest share, so the bar is always full."""
    total = sum(weight for _, weight in split.weights)
    if total <= 0:
        return []
    cells = [(name, max(1, weight * width // total) if weight > 0 else 0) for name, weight in split.weights]
    largest = max(range(len(cells)), key=lambda index: split.weights[index][1])
    name, count = cells[largest]
    cells[largest] = (name, count + width - sum(count for _, count in cells))
    return cells


def split_labels(split: Split) -> str:
    return " · ".join(f"{name} {weight}%" for name, weight in split.weights)


def bar_width(room: int, release: ReleaseState) -> int:
    """The bar's cells in ``room`` columns: the legend ('stable 95% · canary 5%') stays on the line."""
    legend = max(len(split_labels(release.desired)), len(split_labels(release.observed)), len("no traffic"))
    return max(MIN_BAR_WIDTH, min(BAR_WIDTH, room - 9 - 2 - legend))


def split_row(label: str, split: Split, release: ReleaseState, width: int = BAR_WIDTH) -> Text:
    row = Text(f"{label:<9}")
    widths = block_widths(split, width)
    if not widths:
        row.append("·" * width, style=UNKNOWN_COLOUR)
        row.append("  no traffic")
        return row
    for name, count in widths:
        row.append("█" * count, style=version_colour(release, name))
    row.append("  ")
    for index, (name, weight) in enumerate(split.weights):
        if index:
            row.append(" · ")
        row.append(f"{name} {weight}%", style=f"bold {version_colour(release, name)}")
    return row


class SplitBar(PlainStatic):
    def __init__(self, **kwargs: Any) -> None:  # Textual's own keywords (id, classes…)
        super().__init__("", **kwargs)
        self._shown: tuple[Split, Split, int] | None = None
        self._release: ReleaseState | None = None

    def on_resize(self) -> None:
        if self._release is not None:
            self.show(self._release)

    def show(self, release: ReleaseState) -> None:
        self._release = release
        width = bar_width(self.size.width or BAR_WIDTH + 40, release)
        key = (release.desired, release.observed, width)
        if key == self._shown:
            return
        self._shown = key
        text = split_row("desired", release.desired, release, width)
        text.append("\n")
        text.append_text(split_row("observed", release.observed, release, width))
        self.update(text)
