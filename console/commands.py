"""The console's command catalogue: keys and ``:`` commands, feeding bindings, help, the palette and the parser.

Keys (``CATALOGUE``) and command-line commands (``LINE_COMMANDS``) live in one module, so the footer,
the ``?`` screen, ``ctrl+p`` and the ``:`` parser can never disagree about what exists. Every key
command is also a ``:`` command under its binding id (``:abort``, ``:step-up``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

if TYPE_CHECKING:
    from rolldeck.console.app import RolldeckApp


class Scope(StrEnum):
    """Where a command's binding lives: the app (everywhere), the fleet table or the release screen."""

    APP = "app"
    FLEET = "fleet"
    RELEASE = "release"


class Kind(StrEnum):
    MUTATING = "mutating"  # goes through plan → confirm → operator; locked when read-only
    SIM = "sim"  # needs a PacedBackend
    VIEW = "view"  # navigation and help


KEY_GLYPHS = {
    "right_square_bracket": "]",
    "left_square_bracket": "[",
    "greater_than_sign": ">",
    "less_than_sign": "<",
    "full_stop": ".",
    "comma": ",",
    "question_mark": "?",
    "colon": ":",
    "slash": "/",
}


@dataclass(frozen=True, slots=True)
class ConsoleCommand:
    id: str  # the Binding id, so App.set_keymap can remap it; also its ``:`` command name
    keys: str  # Textual key names, comma separated
    action: str  # an action on the app (``action_<name>``)
    label: str  # short footer text
    help: str  # one line for the help screen and the palette
    scope: Scope
    kind: Kind
    key_display: str | None = None
    group: Binding.Group | None = None  # footer shows grouped keys side by side under one label
    show: bool = True  # in the footer (everything is in ``?`` and the palette regardless)

    @property
    def display_keys(self) -> str:
        """Every key, as typed: 'enter', '> .', 'P'."""
        return " ".join(KEY_GLYPHS.get(key, key) for key in self.keys.split(","))

    def binding(self) -> Binding:
        # Actions always target the app, so a binding means the same on every screen and in the palette.
        return Binding(
            self.keys,
            f"app.{self.action}",
            self.label,
            key_display=self.key_display,
            id=self.id,
            tooltip=self.help,
            group=self.group,
            show=self.show,
        )


STEP_GROUP = Binding.Group("step", compact=True)
SPEED_GROUP = Binding.Group("speed", compact=True)

_M, _S, _V = Kind.MUTATING, Kind.SIM, Kind.VIEW
_APP = Scope.APP

CATALOGUE: tuple[ConsoleCommand, ...] = (
    ConsoleCommand("open-release", "enter", "open_release", "open", "Open the selected release", Scope.FLEET, _V),
    ConsoleCommand("back", "escape", "back", "back", "Back: clear the filter, or return to the previous view", _APP, _V),
    ConsoleCommand("help", "question_mark", "help", "help", "List every key and command", _APP, _V, "?"),
    ConsoleCommand("command-line", "colon", "command_line", "cmd", "Command line: :releases :clusters :ctx :ns :audit :sim :q", _APP, _V, ":"),
    ConsoleCommand("filter", "slash", "filter", "filter", "Filter rows by regex (start with ! to invert)", _APP, _V, "/"),
    ConsoleCommand(
        "step-down", "left_square_bracket", "step_down", "step down",
        "Step the canary weight down to the previous step", _APP, _M, "[", STEP_GROUP,
    ),
    ConsoleCommand(
        "step-up", "right_square_bracket", "step_up", "step up",
        "Step the canary weight up to the next step", _APP, _M, "]", STEP_GROUP,
    ),
    ConsoleCommand("promote", "p", "promote", "promote", "Promote the candidate fully", _APP, _M),
    ConsoleCommand(
        "pause-resume", "space", "pause_resume", "pause",
        "Pause the rollout, or resume it when paused", _APP, _M,
    ),
    ConsoleCommand(
        "abort", "a", "abort", "abort",
        "Abort: all traffic back to stable, candidate kept for diagnosis", _APP, _M,
    ),
    ConsoleCommand(
        "switch-slot", "s", "switch_slot", "slot",
        "Blue-green: switch the active slot to the other slot", _APP, _M,
    ),
    ConsoleCommand("retry", "r", "retry", "retry", "Retry an aborted rollout from its first step", _APP, _M),
    ConsoleCommand("undo", "u", "undo", "undo", "Undo: roll the template back to the previous revision", _APP, _M),
    ConsoleCommand("mirror", "m", "mirror", "mirror", "Mirror (shadow) a percent of traffic to the candidate", _APP, _M),
    ConsoleCommand("autopilot", "A", "toggle_autopilot", "autopilot", "Turn the autopilot on or off", _APP, _M),
    ConsoleCommand(
        "sim-slower", "less_than_sign,comma", "sim_slower", "slower",
        "Simulation: slow down", _APP, _S, "<", SPEED_GROUP,
    ),
    ConsoleCommand(
        "sim-faster", "greater_than_sign,full_stop", "sim_faster", "faster",
        "Simulation: speed up (1× … 1000×)", _APP, _S, ">", SPEED_GROUP,
    ),
    ConsoleCommand("sim-pause", "P", "sim_pause", "sim pause", "Simulation: pause or run the clock", _APP, _S),
    ConsoleCommand("quit", "q", "quit", "quit", "Quit rolldeck", _APP, _V, show=False),
)

MUTATING_ACTIONS: frozenset[str] = frozenset(c.action for c in CATALOGUE if c.kind is Kind.MUTATING)
SIM_ACTIONS: frozenset[str] = frozenset(c.action for c in CATALOGUE if c.kind is Kind.SIM)
BINDING_IDS: frozenset[str] = frozenset(c.id for c in CATALOGUE)
COMMANDS_BY_ID: dict[str, ConsoleCommand] = {c.id: c for c in CATALOGUE}


def bindings(scope: Scope) -> list[Binding]:
    return [command.binding() for command in CATALOGUE if command.scope is scope]


# --- the ``:`` command line -------------------------------------------------------------------------


class Arg(StrEnum):
    """What a line command's argument names: the palette offers the current values of each."""

    NONE = ""
    CONTEXT = "context"
    NAMESPACE = "namespace"
    SIM = "sim"
    ON_OFF = "on-off"


@dataclass(frozen=True, slots=True)
class LineCommand:
    name: str
    aliases: tuple[str, ...]
    usage: str  # argument syntax for help, e.g. "NAME|all"
    help: str
    arg: Arg = Arg.NONE

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


LINE_COMMANDS: tuple[LineCommand, ...] = (
    LineCommand("releases", ("rel", "ro", "rollouts", "fleet"), "", "Show the fleet: releases grouped by region"),
    LineCommand("clusters", ("cl", "contexts"), "", "Show clusters: reachability, API latency, watches, controllers"),
    LineCommand("ctx", ("context",), "NAME|all", "Scope every view to one context, or all", Arg.CONTEXT),
    LineCommand("ns", ("namespace",), "NAME|all", "Scope every view to one namespace, or all", Arg.NAMESPACE),
    LineCommand("audit", ("events", "log"), "", "Show the audit trail: operator and autopilot actions"),
    LineCommand("sim", (), "speed N|pause|run", "Simulation pace: speed 1–1000, pause or run", Arg.SIM),
    LineCommand("autopilot", ("ap",), "on|off", "Turn the autopilot on or off (asks first)", Arg.ON_OFF),
    LineCommand("help", ("?", "h"), "", "List every key and command"),
    LineCommand("quit", ("q", "q!", "exit"), "", "Quit rolldeck"),
)

LINE_COMMANDS_BY_NAME: dict[str, LineCommand] = {name: c for c in LINE_COMMANDS for name in c.names}


# --- the palette ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaletteEntry:
    title: str
    help: str
    run: partial[object]


class RolldeckCommands(Provider):
    """Every key verb and every ``:`` command (with its current arguments) as a palette command."""

    LOCK_REASONS = {Kind.MUTATING: "read-only console", Kind.SIM: "not a simulation"}

    @property
    def _app(self) -> RolldeckApp:
        return self.app  # type: ignore[return-value]

    def _verbs(self) -> Iterator[PaletteEntry]:
        app = self._app
        for command in CATALOGUE:
            state = app.check_action(command.action, ())
            if state is False:  # not meaningful on this screen (open/back)
                continue
            title = command.id.replace("-", " ")
            if state is None:
                title += f" (locked: {self.LOCK_REASONS.get(command.kind, 'unavailable')})"
            # The palette reads help as markup: "[/]" (the filter key) would be a closing tag.
            help_text = escape(f"{command.help}  [{command.display_keys}]")
            yield PaletteEntry(title, help_text, partial(app.run_line, command.id))

    def _lines(self) -> Iterator[PaletteEntry]:
        app = self._app
        for command in LINE_COMMANDS:
            for argument in app.line_arguments(command.arg):
                text = f"{command.name} {argument}".strip()
                yield PaletteEntry(f":{text}", escape(command.help), partial(app.run_line, text))

    def _entries(self) -> Iterator[PaletteEntry]:
        yield from self._verbs()
        yield from self._lines()

    async def discover(self) -> Hits:
        for entry in self._entries():
            yield DiscoveryHit(entry.title, entry.run, help=entry.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in self._entries():
            score = max(matcher.match(entry.title), matcher.match(entry.help))
            if score > 0:
                yield Hit(score, matcher.highlight(entry.title), entry.run, text=entry.title, help=entry.help)
