"""The k9s-style prompt at the bottom of every view: ``:`` for commands, ``/`` for filters.

Hidden until opened; ``enter`` submits, ``escape`` closes, ``up``/``down`` walk the history. A
filter applies as it is typed (a half-typed regex that does not compile is simply not applied yet).
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input

from rolldeck.console.navigation import History
from rolldeck.console.widgets.plain import PlainLabel

COMMAND, FILTER = ":", "/"


class PromptInput(Input):
    BINDINGS = [
        Binding("escape", "close", "close", show=False, id="prompt-close"),
        Binding("up", "older", "older", show=False, id="prompt-older"),
        Binding("down", "newer", "newer", show=False, id="prompt-newer"),
    ]

    def action_close(self) -> None:
        bar = self.parent
        assert isinstance(bar, CommandBar)
        bar.close(cancelled=True)

    def action_older(self) -> None:
        bar = self.parent
        assert isinstance(bar, CommandBar)
        if bar.history is not None:
            self.value = bar.history.older(self.value)
            self.cursor_position = len(self.value)

    def action_newer(self) -> None:
        bar = self.parent
        assert isinstance(bar, CommandBar)
        if bar.history is not None:
            self.value = bar.history.newer()
            self.cursor_position = len(self.value)


class CommandBar(Horizontal):
    class Submitted(Message):
        def __init__(self, mode: str, text: str) -> None:
            super().__init__()
            self.mode = mode
            self.text = text

    class Changed(Message):
        """The filter text changed while typing."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Closed(Message):
        def __init__(self, mode: str, cancelled: bool) -> None:
            super().__init__()
            self.mode = mode
            self.cancelled = cancelled

    def __init__(self, **kwargs: Any) -> None:  # Textual's own keywords (id, classes…)
        super().__init__(**kwargs)
        self.mode = COMMAND
        self.history: History | None = None

    def compose(self) -> ComposeResult:
        yield PlainLabel(COMMAND, id="prompt-mode")
        yield PromptInput(placeholder="", id="prompt-input", select_on_focus=False)

    @property
    def is_open(self) -> bool:
        return self.display

    def open(self, mode: str, history: History, initial: str = "") -> None:
        self.mode = mode
        self.history = history
        history.reset()
        self.query_one("#prompt-mode", PlainLabel).update(mode)
        prompt = self.query_one(PromptInput)
        prompt.placeholder = "releases · clusters · ctx NAME|all · ns NAME · audit · sim speed 60 · q" if mode == COMMAND else "regex, !regex to invert"
        prompt.value = initial
        prompt.cursor_position = len(initial)
        self.display = True
        # Focus now, not via ``focus()`` (a callback queued behind the keys already waiting): a
        # burst like ``:clusters`` or a paste arrives in one terminal read, and the keys after
        # ``:`` must land here, not on the table's verb bindings.
        self.screen.set_focus(prompt)

    def close(self, cancelled: bool) -> None:
        if not self.display:
            return
        self.display = False
        self.post_message(self.Closed(self.mode, cancelled))

    @on(Input.Submitted, "#prompt-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if self.history is not None and text:
            self.history.push(text)
        self.display = False
        self.post_message(self.Submitted(self.mode, text))

    @on(Input.Changed, "#prompt-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.mode == FILTER and self.display:
            self.post_message(self.Changed(event.value))
