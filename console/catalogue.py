"""The console's command catalogue as plain data: keys and ``:`` commands, with no Textual import.

Keys (``CATALOGUE``) and command-line commands (``LINE_COMMANDS``) live in one table, so the footer,
the ``?`` screen, ``ctrl+p``, the ``:`` parser and the frame builder's verb rules can never disagree
about what exists. Every key command is also a ``:`` command under its id (``:abort``,
``:step-up``). A mutating command names the engine ``ActionKind``s it may plan (pause-resume
plans one of two), which is what read-only and RBAC rules are decided on. ``console.commands``
turns the table into Textual bindings and palette hits.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rolldeck.engine.actions import ActionKind


class Scope(StrEnum):
    """Where a command's binding lives: the app (everywhere), the fleet table (and the ``:flags``
    table's enter), or the screens that list a release's flags (the release screen and ``:flags``)."""

    APP = "app"
    FLEET = "fleet"
    RELEASE = "release"


class Kind(StrEnum):
    MUTATING = "mutating"  # goes through plan → confirm → operator; locked when read-only
    SIM = "sim"  # needs a PacedBackend
    VIEW = "view"  # navigation and help


class KeyGroup(StrEnum):
    """Footer groups: keys shown side by side under one label."""

    STEP = "step"
    SPEED = "speed"


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
    action: str  # the app's Textual action (``action_<name>``): how a key reaches the command
    label: str  # short footer text
    help: str  # one line for the help screen and the palette
    scope: Scope
    kind: Kind
    key_display: str | None = None
    group: KeyGroup | None = None
    show: bool = True  # in the footer (everything is in ``?`` and the palette regardless)
    plans: tuple[ActionKind, ...] = ()  # the engine actions it may plan; () for console-only commands
    # Handled by the app as the key arrives, before keys already queued behind it reach the focused
    # widget: the prompt keys, so a burst (``:clusters``, a paste) lands in the prompt whole.
    priority: bool = False

    @property
    def display_keys(self) -> str:
        """Every key, as typed: 'enter', '> .', 'P'."""
        return keys_shown(self.keys)


def keys_shown(keys: str) -> str:
    """Textual key names as typed: 'right_square_bracket,plus' → '] plus'."""
    return " ".join(KEY_GLYPHS.get(key.strip(), key.strip()) for key in keys.split(","))


_M, _S, _V = Kind.MUTATING, Kind.SIM, Kind.VIEW
_APP = Scope.APP
_K = ActionKind

CATALOGUE: tuple[ConsoleCommand, ...] = (
    ConsoleCommand("open-release", "enter", "open_release", "open", "Open the selected release", Scope.FLEET, _V),
    ConsoleCommand("back", "escape", "back", "back", "Back: clear the filter, or return to the previous view", _APP, _V),
    ConsoleCommand("help", "question_mark", "help", "help", "List every key and command", _APP, _V, "?"),
    ConsoleCommand(
        "command-line", "colon", "command_line", "cmd",
        "Command line: :releases :clusters :ctx :ns :audit :sim :q", _APP, _V, ":", priority=True,
    ),
    ConsoleCommand("filter", "slash", "filter", "filter", "Filter rows by regex (start with ! to invert)", _APP, _V, "/", priority=True),
    ConsoleCommand(
        "widen", "w", "widen", "widen",
        "Widen the view to everything: clear :ctx, :ns and the / filter", _APP, _V, show=False,
    ),
    ConsoleCommand(
        "step-down", "left_square_bracket", "step_down", "step down",
        "Step down: the canary weight, or a focused flag row's share", _APP, _M, "[", KeyGroup.STEP,
        plans=(_K.STEP_DOWN,),  # the canary's: what dims the key (on a flag row the planner decides)
    ),
    ConsoleCommand(
        "step-up", "right_square_bracket", "step_up", "step up",
        "Step up: the canary weight, or a focused flag row's share", _APP, _M, "]", KeyGroup.STEP,
        plans=(_K.STEP_UP,),
    ),
    ConsoleCommand("promote", "p", "promote", "promote", "Promote the candidate fully", _APP, _M, plans=(_K.PROMOTE,)),
    ConsoleCommand(
        "pause-resume", "space", "pause_resume", "pause",
        "Pause the rollout, or resume it when paused", _APP, _M, plans=(_K.PAUSE, _K.RESUME),
    ),
    ConsoleCommand(
        "abort", "a", "abort", "abort",
        "Abort: all traffic back to stable, candidate kept for diagnosis", _APP, _M, plans=(_K.ABORT,),
    ),
    ConsoleCommand(
        "switch-slot", "s", "switch_slot", "slot",
        "Blue-green: switch the active slot to the other slot", _APP, _M, plans=(_K.SWITCH_SLOT,),
    ),
    ConsoleCommand("retry", "r", "retry", "retry", "Retry an aborted rollout from its first step", _APP, _M, plans=(_K.RETRY,)),
    ConsoleCommand("undo", "u", "undo", "undo", "Undo: roll the template back to the previous revision", _APP, _M, plans=(_K.UNDO,)),
    ConsoleCommand("mirror", "m", "mirror", "mirror", "Mirror (shadow) a percent of traffic to the candidate", _APP, _M, plans=(_K.SET_MIRROR,)),
    ConsoleCommand(
        "kill-flag", "k", "kill_flag", "kill flag",
        "Flag kill switch (no rollback); on a killed flag, restore",
        Scope.RELEASE, _M, plans=(_K.KILL_FLAG, _K.RESTORE_FLAG),
    ),
    ConsoleCommand("autopilot", "A", "toggle_autopilot", "autopilot", "Turn the autopilot on or off", _APP, _M),
    ConsoleCommand(
        "sim-slower", "less_than_sign,comma", "sim_slower", "slower",
        "Simulation: slow down", _APP, _S, "<", KeyGroup.SPEED,
    ),
    ConsoleCommand(
        "sim-faster", "greater_than_sign,full_stop", "sim_faster", "faster",
        "Simulation: speed up (1× … 1000×)", _APP, _S, ">", KeyGroup.SPEED,
    ),
    ConsoleCommand("sim-pause", "P", "sim_pause", "sim pause", "Simulation: pause or run the clock", _APP, _S),
    ConsoleCommand(
        "briefing", "b", "briefing", "briefing",
        "Show the scenario's briefing again (the clock waited while it was first shown)", _APP, _V, show=False,
    ),
    ConsoleCommand("quit", "q", "quit", "quit", "Quit rolldeck", _APP, _V, show=False),
)

BINDING_IDS: frozenset[str] = frozenset(c.id for c in CATALOGUE)
COMMANDS_BY_ID: dict[str, ConsoleCommand] = {c.id: c for c in CATALOGUE}
COMMANDS_BY_ACTION: dict[str, ConsoleCommand] = {c.action: c for c in CATALOGUE}
MUTATING_ACTIONS: frozenset[str] = frozenset(c.action for c in CATALOGUE if c.kind is Kind.MUTATING)
SIM_ACTIONS: frozenset[str] = frozenset(c.action for c in CATALOGUE if c.kind is Kind.SIM)
PROMPT_ACTIONS: frozenset[str] = frozenset(c.action for c in CATALOGUE if c.priority)


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
    LineCommand("flags", ("flag",), "", "Show the flags of every release, fleet-wide"),
    LineCommand("audit", ("events", "log"), "", "Show the audit trail: operator and autopilot actions"),
    LineCommand("sim", (), "speed N|pause|run", "Simulation pace: speed 1–1000, pause or run", Arg.SIM),
    LineCommand("autopilot", ("ap",), "on|off", "Turn the autopilot on or off (asks first)", Arg.ON_OFF),
    LineCommand("help", ("?", "h"), "", "List every key and command"),
    LineCommand("quit", ("q", "q!", "exit"), "", "Quit rolldeck"),
)

LINE_COMMANDS_BY_NAME: dict[str, LineCommand] = {name: c for c in LINE_COMMANDS for name in c.names}
