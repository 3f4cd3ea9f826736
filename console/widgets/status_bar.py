"""The header bar: source, SIMULATION badge, backend clock, speed, pause and read-only markers."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label

from console import format as fmt


@dataclass(frozen=True, slots=True)
class StatusView:
    """Everything the bar shows; comparing two views tells whether to repaint."""

    source: str
    simulated: bool
    time: float
    speed: float | None  # None: the backend's pace is not ours to set (live clusters)
    paused: bool
    read_only: bool


class StatusBar(Horizontal):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._shown: StatusView | None = None

    def compose(self) -> ComposeResult:
        yield Label("rolldeck", id="app-name")
        yield Label("SIMULATION", id="sim-badge")
        yield Label("READ-ONLY", id="read-only-badge")
        yield Label("", id="source")
        yield Label("", id="sim-clock")
        yield Label("", id="sim-speed")
        yield Label("PAUSED", id="paused-marker")

    def show(self, view: StatusView) -> None:
        if view == self._shown:
            return
        self._shown = view
        self.query_one("#sim-badge").display = view.simulated
        self.query_one("#read-only-badge").display = view.read_only
        self.query_one("#source", Label).update(view.source)
        self.query_one("#sim-clock", Label).update(f"t {fmt.clock(view.time)}")
        speed = self.query_one("#sim-speed", Label)
        speed.display = view.speed is not None
        speed.update(fmt.speed(view.speed) if view.speed is not None else "")
        self.query_one("#paused-marker").display = view.paused
