"""What every full-size console screen shares: the status bar and a ``show(frame)`` entry point."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message
from textual.screen import Screen

from console.widgets.signal_history import SignalHistory
from console.widgets.status_bar import StatusBar, StatusView
from engine.audit import AuditLog
from engine.model import FleetState, ReleaseRef


@dataclass(frozen=True, slots=True)
class Frame:
    """One refresh: the sampled snapshot plus the console-side state screens draw from."""

    state: FleetState
    status: StatusView
    history: SignalHistory
    audit: AuditLog


class ConsoleScreen(Screen[None]):
    class Shown(Message):
        """The screen became the visible one (opened, or uncovered by a modal closing)."""

    _ready = False  # set once composed: the app's sampler may fire before the first screen is built

    def on_mount(self) -> None:
        self._ready = True
        self.post_message(self.Shown())

    def on_screen_resume(self) -> None:
        if self._ready:
            self.post_message(self.Shown())

    def show(self, frame: Frame) -> None:
        if not self._ready:
            return
        self.set_class(frame.state.simulated, "-sim")
        self.query_one(StatusBar).show(frame.status)
        self.show_state(frame)

    def show_state(self, frame: Frame) -> None:
        """Draw the screen's own widgets; called at the refresh rate while the screen is on top."""

    def selected_ref(self) -> ReleaseRef | None:
        """The release the verbs act on, if any."""
        return None
