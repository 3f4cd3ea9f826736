"""The header bar: source, danger badges (SIMULATION, PROD, lock), clock, pace, scope and autopilot."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label

from rolldeck.console import format as fmt
from rolldeck.console.frames.frame import StatusView

__all__ = ["StatusBar", "StatusView"]


class StatusBar(Horizontal):
    def __init__(self, **kwargs: Any) -> None:  # Textual's own keywords (id, classes…)
        super().__init__(**kwargs)
        self._shown: StatusView | None = None

    def compose(self) -> ComposeResult:
        yield Label("rolldeck", id="app-name")
        yield Label("SIMULATION", id="sim-badge")
        yield Label("PROD", id="prod-badge")
        yield Label("⊘ READ-ONLY", id="read-only-badge")  # the lock badge (no emoji: fonts vary)
        yield Label("", id="context-name")
        yield Label("", id="source")
        yield Label("", id="sim-clock")
        yield Label("", id="sim-speed")
        yield Label("PAUSED", id="paused-marker")
        yield Label("", id="scope")
        yield Label("", id="filter-marker")
        yield Label("", id="autopilot-marker")

    def show(self, view: StatusView) -> None:
        if view == self._shown:
            return
        self._shown = view
        self.query_one("#sim-badge").display = view.simulated
        self.query_one("#prod-badge").display = view.protected
        self.query_one("#read-only-badge").display = view.read_only
        context = self.query_one("#context-name", Label)
        context.display = bool(view.context)
        context.update(view.context)
        self.query_one("#source", Label).update(view.source)
        self.query_one("#sim-clock", Label).update(f"t {fmt.clock(view.time)}")
        speed = self.query_one("#sim-speed", Label)
        speed.display = view.speed is not None
        speed.update(fmt.speed(view.speed) if view.speed is not None else "")
        self.query_one("#paused-marker").display = view.paused
        scope = self.query_one("#scope", Label)
        scope.display = bool(view.scope)
        scope.update(view.scope)
        marker = self.query_one("#filter-marker", Label)
        marker.display = bool(view.filter)
        marker.update(f"/{view.filter}")
        autopilot = self.query_one("#autopilot-marker", Label)
        autopilot.display = view.autopilot is not None
        autopilot.update("autopilot on" if view.autopilot else "autopilot off")
        autopilot.set_class(bool(view.autopilot), "-on")
