"""The ``?`` screen: every key and every ``:`` command in the catalogue, with locked verbs marked."""

from __future__ import annotations

from collections.abc import Mapping

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen

from rolldeck.console.commands import CATALOGUE, KEY_GLYPHS, LINE_COMMANDS, Scope
from rolldeck.console.frames.confirm_risk import FRICTION_RULES
from rolldeck.console.release_details import COHORT_MARK
from rolldeck.console.widgets.plain import PlainLabel, PlainStatic

SCOPE_NAMES = {Scope.APP: "everywhere", Scope.FLEET: "fleet", Scope.RELEASE: "flag rows"}

# How to read the cells: (as shown, what it means).
NOTATION: tuple[tuple[str, str], ...] = (
    ("99→100%", "desired→observed: the route asks 99 %, traffic does 100 % (the data plane has not caught up; yellow)"),
    ("blue→green", "blue-green: the slot the route makes active → the slot serving most traffic"),
    ("8/8 · 3/3", "ready/desired pods per version, stable first (success % and p99 ms columns read the same way)"),
    ("… 45%", "verdict Inconclusive: 45 % of the evidence the judge needs is in (✓ Pass, ✗ Fail, ? Error: no data)"),
    ("2/7 ap", "step 2 of 7 of the autopilot's plan (without ap: the controller's own steps)"),
    ("Progressing ✗", "phase, and ✗: the rollout was aborted"),
    (f"10% {COHORT_MARK}2", "2 match rules (header, cookie…) send a cohort elsewhere, whatever the weights say"),
    ("████░░ 640 / 1,000", "evidence meter: canary requests judged / needed, coloured by the verdict"),
    ("success % chart", "fixed from the SLO − 2 pp to 100 %, lower only when the data is; time axis mm:ss"),
)


def _keys(keys: str) -> str:
    return " ".join(KEY_GLYPHS.get(key, key) for key in keys.split(","))


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,question_mark,q", "close", "close", id="help-close"),
    ]

    def __init__(self, locked: frozenset[str], keymap: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.locked = locked  # actions the app currently refuses (read-only, not a simulation)
        self.keymap = dict(keymap or {})  # remapped keys from the config, by binding id

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog"):
            yield PlainLabel("rolldeck keys", id="help-title")
            yield PlainStatic(self._keys_table(), id="help-table")
            yield PlainLabel("command line (:)", id="help-commands-title")
            yield PlainStatic(self._commands_table(), id="help-commands")
            yield PlainLabel("confirmations: friction follows risk", id="help-confirm-title")
            yield PlainStatic(self._friction_table(), id="help-confirm")
            yield PlainLabel("reading the screens", id="help-notation-title")
            yield PlainStatic(self._notation_table(), id="help-notation")
            yield PlainStatic(
                "/ filters rows by regex (/!regex inverts); up/down in the prompt walk the history; "
                "ctrl+p opens the palette with the same commands.",
                id="help-footnote",
            )

    def _keys_table(self) -> Table:
        table = Table(box=None, pad_edge=False, expand=False)
        table.add_column("key", style="bold", no_wrap=True)
        table.add_column("command", style="dim", no_wrap=True)
        table.add_column("where", style="dim", no_wrap=True)
        table.add_column("does")
        for command in CATALOGUE:
            note = "  (locked)" if command.action in self.locked else ""
            keys = _keys(self.keymap[command.id]) if command.id in self.keymap else command.display_keys
            # Rich reads a str cell as markup; remapped keys come from the config file.
            table.add_row(*map(Text, (keys, f":{command.id}", SCOPE_NAMES[command.scope], f"{command.help}{note}")))
        return table

    def _commands_table(self) -> Table:
        table = Table(box=None, pad_edge=False, expand=False)
        table.add_column("command", style="bold", no_wrap=True)
        table.add_column("aliases", style="dim", no_wrap=True)
        table.add_column("does")
        for command in LINE_COMMANDS:
            usage = f":{command.name} {command.usage}".strip()
            table.add_row(*map(Text, (usage, " ".join(f":{a}" for a in command.aliases), command.help)))
        table.add_row(*map(Text, (":<key command>", ":abort :step-up …", "any key's command by name (the keys' command column)")))
        return table

    def _friction_table(self) -> Table:
        table = Table(box=None, pad_edge=False, expand=False)
        table.add_column("verbs", style="bold", no_wrap=True)
        table.add_column("confirm with")
        for verbs, needs in FRICTION_RULES:
            table.add_row(Text(verbs), Text(needs))
        return table

    def _notation_table(self) -> Table:
        table = Table(box=None, pad_edge=False, expand=False, show_header=False)
        table.add_column("shown", style="bold", no_wrap=True)
        table.add_column("means")
        for shown, means in NOTATION:
            table.add_row(Text(shown), Text(means))
        return table

    def action_close(self) -> None:
        self.dismiss(None)
