"""The ``?`` screen: every key in the catalogue, with locked verbs marked."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from console.commands import CATALOGUE, Scope

SCOPE_NAMES = {Scope.APP: "everywhere", Scope.FLEET: "fleet", Scope.RELEASE: "release"}


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,question_mark,q", "close", "close", id="help-close"),
    ]

    def __init__(self, locked: frozenset[str]) -> None:
        super().__init__()
        self.locked = locked  # actions the app currently refuses (read-only, not a simulation)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog"):
            yield Label("rolldeck keys", id="help-title")
            yield Static(self._table(), id="help-table")
            yield Label("ctrl+p opens the command palette with the same commands.", id="help-footnote")

    def _table(self) -> Table:
        table = Table(box=None, pad_edge=False, expand=False)
        table.add_column("key", style="bold", no_wrap=True)
        table.add_column("where", style="dim", no_wrap=True)
        table.add_column("does")
        for command in CATALOGUE:
            note = "  (locked)" if command.action in self.locked else ""
            table.add_row(command.display_keys, SCOPE_NAMES[command.scope], f"{command.help}{note}")
        return table

    def action_close(self) -> None:
        self.dismiss(None)
