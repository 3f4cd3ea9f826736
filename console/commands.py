"""The console's command catalogue: one entry per verb, feeding bindings, the help screen and the palette.

Keeping keys, labels and help text in one table means the footer, the ``?`` screen and ``ctrl+p``
can never disagree about what a key does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from textual.app import App


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
}


@dataclass(frozen=True, slots=True)
class ConsoleCommand:
    id: str  # the Binding id, so App.set_keymap can remap it
    keys: str  # Textual key names, comma separated
    action: str  # an action on the app (``action_<name>``)
    label: str  # short footer text
    help: str  # one line for the help screen and the palette
    scope: Scope
    kind: Kind
    key_display: str | None = None
    group: Binding.Group | None = None  # footer shows grouped keys side by side under one label

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
        )


STEP_GROUP = Binding.Group("step", compact=True)
SPEED_GROUP = Binding.Group("speed", compact=True)

CATALOGUE: tuple[ConsoleCommand, ...] = (
    ConsoleCommand("open-release", "enter", "open_release", "open", "Open the selected release", Scope.FLEET, Kind.VIEW),
    ConsoleCommand("back", "escape", "back", "back", "Back to the fleet", Scope.RELEASE, Kind.VIEW),
    ConsoleCommand(
        "step-down", "left_square_bracket", "step_down", "step down",
        "Step the canary weight down to the previous step", Scope.APP, Kind.MUTATING, "[", STEP_GROUP,
    ),
    ConsoleCommand(
        "step-up", "right_square_bracket", "step_up", "step up",
        "Step the canary weight up to the next step", Scope.APP, Kind.MUTATING, "]", STEP_GROUP,
    ),
    ConsoleCommand("promote", "p", "promote", "promote", "Promote the candidate fully", Scope.APP, Kind.MUTATING),
    ConsoleCommand(
        "pause-resume", "space", "pause_resume", "pause",
        "Pause the rollout, or resume it when paused", Scope.APP, Kind.MUTATING,
    ),
    ConsoleCommand(
        "abort", "a", "abort", "abort",
        "Abort: all traffic back to stable, candidate kept for diagnosis", Scope.APP, Kind.MUTATING,
    ),
    ConsoleCommand(
        "switch-slot", "s", "switch_slot", "slot",
        "Blue-green: switch the active slot to the other slot", Scope.APP, Kind.MUTATING,
    ),
    ConsoleCommand(
        "sim-slower", "less_than_sign,comma", "sim_slower", "slower",
        "Simulation: slow down", Scope.APP, Kind.SIM, "<", SPEED_GROUP,
    ),
    ConsoleCommand(
        "sim-faster", "greater_than_sign,full_stop", "sim_faster", "faster",
        "Simulation: speed up (1× … 1000×)", Scope.APP, Kind.SIM, ">", SPEED_GROUP,
    ),
    ConsoleCommand("sim-pause", "P", "sim_pause", "sim pause", "Simulation: pause or run the clock", Scope.APP, Kind.SIM),
    ConsoleCommand("help", "question_mark", "help", "help", "List every key", Scope.APP, Kind.VIEW, "?"),
    ConsoleCommand("quit", "q", "quit", "quit", "Quit rolldeck", Scope.APP, Kind.VIEW),
)

MUTATING_ACTIONS: frozenset[str] = frozenset(c.action for c in CATALOGUE if c.kind is Kind.MUTATING)
SIM_ACTIONS: frozenset[str] = frozenset(c.action for c in CATALOGUE if c.kind is Kind.SIM)


def bindings(scope: Scope) -> list[Binding]:
    return [command.binding() for command in CATALOGUE if command.scope is scope]


class RolldeckCommands(Provider):
    """Every catalogue verb as a palette command; locked verbs are listed with their reason."""

    LOCK_REASONS = {Kind.MUTATING: "read-only console", Kind.SIM: "not a simulation"}

    def _available(self) -> Iterator[tuple[ConsoleCommand, str]]:
        for command in CATALOGUE:
            state = self.app.check_action(command.action, ())
            if state is False:  # not meaningful on this screen (open/back)
                continue
            title = command.id.replace("-", " ")
            if state is None:
                title += f" (locked: {self.LOCK_REASONS.get(command.kind, 'unavailable')})"
            yield command, title

    def _run(self, command: ConsoleCommand) -> partial[object]:
        app: App[object] = self.app
        return partial(app.run_action, command.action)

    async def discover(self) -> Hits:
        for command, title in self._available():
            yield DiscoveryHit(title, self._run(command), help=f"{command.help}  [{command.display_keys}]")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command, title in self._available():
            score = max(matcher.match(title), matcher.match(command.help))
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    self._run(command),
                    text=title,
                    help=f"{command.help}  [{command.display_keys}]",
                )
