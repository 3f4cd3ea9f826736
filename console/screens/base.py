"""What every full-size console screen shares: status bar, prompt, footer, filter and ``show(frame)``."""

from __future__ import annotations

from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

from rolldeck.console.frames.frame import Frame, ViewScope, Where
from rolldeck.console.navigation import CommandError, History, RowFilter, compile_filter
from rolldeck.console.widgets.command_line import COMMAND, FILTER, CommandBar
from rolldeck.console.widgets.plain import PlainLabel
from rolldeck.console.widgets.status_bar import StatusBar
from rolldeck.engine.model import ReleaseRef

__all__ = ["ConsoleScreen", "Frame", "ViewScope", "Where", "show_outside"]


def show_outside(label: PlainLabel, frame: Frame) -> None:
    """The line that keeps a scoped view honest: what needs a human outside it, and the key to widen."""
    view = frame.attention_view
    line = view.outside_line
    label.display = bool(line)
    if line:
        label.update(line)
        label.set_class(view.outside_urgent, "-urgent")

# Below these sizes the stylesheet rearranges (rolldeck.tcss: ``.-narrow``, ``.-short``): panels
# stack instead of sitting side by side, the header drops what the badges already say.
NARROW_COLUMNS = 110
SHORT_ROWS = 30


class ConsoleScreen(Screen[None]):
    """A full-size view: draws each ``Frame`` it is shown, and posts what the operator asks for."""

    where = Where.FLEET  # which verbs mean anything here (the frame builder's verb rules)

    class Shown(Message):
        """The screen became the visible one (opened, or uncovered by a modal closing)."""

    class RunLine(Message):
        """A ``:`` line was entered at this screen's prompt; the app parses and runs it."""

        def __init__(self, line: str) -> None:
            super().__init__()
            self.line = line

    _ready = False  # set once composed: the app's sampler may fire before the first screen is built

    def __init__(self, **kwargs: Any) -> None:  # Textual's own keywords (name, id, classes)
        super().__init__(**kwargs)
        self.row_filter: RowFilter | None = None
        self._filter_before_prompt: RowFilter | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield from self.compose_body()
        yield CommandBar(id="command-bar")
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.query_one(CommandBar).display = False
        self._ready = True
        self.post_message(self.Shown())

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < NARROW_COLUMNS, "-narrow")
        self.set_class(event.size.height < SHORT_ROWS, "-short")

    def on_screen_resume(self) -> None:
        if self._ready:
            self.post_message(self.Shown())

    def show(self, frame: Frame) -> None:
        if not self._ready:
            return
        self.set_class(frame.state.simulated, "-sim")
        self.set_class(frame.status.protected, "-prod")
        self.query_one(StatusBar).show(frame.status)
        self.show_state(frame)

    def show_state(self, frame: Frame) -> None:
        """Draw the screen's own widgets; called at the refresh rate while the screen is on top."""

    def selected_ref(self) -> ReleaseRef | None:
        """The release the verbs act on, if any."""
        return None

    def selected_flag(self) -> str | None:
        """The flag of the selected release that ``k`` acts on, if the screen lists flags."""
        return None

    def flag_in_focus(self) -> str | None:
        """The flag whose row has focus: ``]``/``[`` step its rollout instead of the canary weight."""
        return None

    def context_in_view(self) -> str | None:
        """The context this screen acts on (for the PROD and lock badges); None for many."""
        if not self._ready:
            return None
        ref = self.selected_ref()
        return ref.cluster if ref is not None else None

    def main_widget(self) -> Widget | None:
        """What gets focus back when the prompt closes."""
        return None

    # --- the prompt --------------------------------------------------------------------------------

    @property
    def prompt_open(self) -> bool:
        return self._ready and self.query_one(CommandBar).is_open

    def open_prompt(self, mode: str, history: History) -> None:
        """Open the prompt; ``history`` is the app's, shared by every screen."""
        self._filter_before_prompt = self.row_filter
        self.query_one(CommandBar).open(mode, history)  # empty, as k9s; up recalls

    @on(CommandBar.Changed)
    def _filter_typed(self, event: CommandBar.Changed) -> None:
        try:
            self.set_filter(compile_filter(event.text))
        except CommandError:
            pass  # half-typed regex: keep the last one that compiled

    @on(CommandBar.Submitted)
    def _prompt_submitted(self, event: CommandBar.Submitted) -> None:
        self._restore_focus()
        if event.mode == FILTER:
            try:
                self.set_filter(compile_filter(event.text))
            except CommandError as error:
                self.set_filter(self._filter_before_prompt)
                self.notify(str(error), severity="error")
            return
        if event.mode == COMMAND and event.text:
            self.post_message(self.RunLine(event.text))

    @on(CommandBar.Closed)
    def _prompt_closed(self, event: CommandBar.Closed) -> None:
        if event.cancelled and event.mode == FILTER:
            self.set_filter(self._filter_before_prompt)
        self._restore_focus()

    def _restore_focus(self) -> None:
        widget = self.main_widget()
        if widget is not None:
            widget.focus()

    def set_filter(self, row_filter: RowFilter | None) -> None:
        if row_filter != self.row_filter:
            self.row_filter = row_filter
            self.post_message(self.Shown())  # redraw now with the new rows

    def filter_admits(self, text: str) -> bool:
        return self.row_filter is None or self.row_filter.matches(text)
