"""The scenario's briefing as a panel: shown when a drill starts (the simulated clock waits for
the reader), recalled with ``b``. A toast would vanish after its timeout, over whatever modal was
open, while the drill had already started without the operator."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen

from rolldeck.console import format as fmt
from rolldeck.console.widgets.plain import PlainLabel, PlainStatic


class BriefingScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,enter,b", "close", "close", id="briefing-close")]

    def __init__(self, briefing: str, *, clock_held: bool) -> None:
        super().__init__()
        self.briefing = briefing
        self.clock_held = clock_held  # the console paused the simulation for this reading

    def compose(self) -> ComposeResult:
        with Vertical(id="briefing-dialog"):
            yield PlainLabel("briefing", id="briefing-title")
            with VerticalScroll(id="briefing-body"):
                yield PlainStatic(fmt.unwrap(self.briefing), id="briefing-text")
            hint = "enter or esc: close — b shows it again"
            if self.clock_held:
                hint = "the simulated clock waits while you read · " + hint
            yield PlainLabel(hint, id="briefing-hint")

    def action_close(self) -> None:
        self.dismiss(None)
