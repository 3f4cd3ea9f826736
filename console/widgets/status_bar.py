"""The header bar: source, danger badges (SIMULATION, PROD, lock), clock, pace, scope and autopilot."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal

from rolldeck.console import format as fmt
from rolldeck.console.frames.frame import StatusView
from rolldeck.console.widgets.plain import PlainLabel

__all__ = ["StatusBar", "StatusView"]


class StatusBar(Horizontal):
    def __init__(self, **kwargs: Any) -> None:  # Textual's own keywords (id, classes…)
        super().__init__(**kwargs)
        self._shown: StatusView | None = None

    def compose(self) -> ComposeResult:
        # Until the first frame says otherwise, claim nothing: a view just opened must not flash
        # "⊘ READ-ONLY … PAUSED" for a console that is neither (show() sets every marker).
        for label in self._labels():
            if label.id not in ("app-name", "source", "sim-clock"):  # always there (the stylesheet may hide them)
                label.display = False
            yield label

    @staticmethod
    def _labels() -> list[PlainLabel]:
        return [
            PlainLabel("rolldeck", id="app-name"),
            PlainLabel("SIMULATION", id="sim-badge"),
            PlainLabel("PROD", id="prod-badge"),
            PlainLabel("⊘ READ-ONLY", id="read-only-badge"),  # the lock badge (no emoji: fonts vary)
            PlainLabel("", id="context-name"),
            PlainLabel("", id="source"),
            PlainLabel("", id="sim-clock"),
            PlainLabel("", id="sim-speed"),
            PlainLabel("PAUSED", id="paused-marker"),
            PlainLabel("", id="sim-stopped"),
            PlainLabel("", id="scope"),
            PlainLabel("", id="filter-marker"),
            PlainLabel("", id="autopilot-marker"),
        ]

    def show(self, view: StatusView) -> None:
        if view == self._shown:
            return
        self._shown = view
        self.query_one("#sim-badge").display = view.simulated
        self.query_one("#prod-badge").display = view.protected
        self.query_one("#read-only-badge").display = view.read_only
        context = self.query_one("#context-name", PlainLabel)
        context.display = bool(view.context)
        context.update(view.context)
        self.query_one("#source", PlainLabel).update(view.source)
        # simulated: time since the drill began; live: the backend's wall clock, never as elapsed time
        shown = f"t {fmt.clock(view.time)}" if view.simulated else fmt.wall_clock(view.time)
        self.query_one("#sim-clock", PlainLabel).update(shown)
        speed = self.query_one("#sim-speed", PlainLabel)
        speed.display = view.speed is not None
        speed.update(fmt.speed(view.speed) if view.speed is not None else "")
        self.query_one("#paused-marker").display = view.paused and not view.stopped
        stopped = self.query_one("#sim-stopped", PlainLabel)
        stopped.display = bool(view.stopped)
        stopped.update(f"simulator stopped: {view.stopped}" if view.stopped else "")
        scope = self.query_one("#scope", PlainLabel)
        scope.display = bool(view.scope)
        scope.update(view.scope)
        marker = self.query_one("#filter-marker", PlainLabel)
        marker.display = bool(view.filter)
        marker.update(f"/{view.filter}")
        autopilot = self.query_one("#autopilot-marker", PlainLabel)
        autopilot.display = view.autopilot is not None
        autopilot.update("autopilot on" if view.autopilot else "autopilot off")
        autopilot.set_class(bool(view.autopilot), "-on")
