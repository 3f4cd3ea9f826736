"""The catalogue (``console.catalogue``) as Textual sees it: bindings, and the palette's commands.

Every key verb and every ``:`` command goes the same way: a key runs the app's action, the palette
and the ``:`` line run the command by id (``RolldeckApp.run_command``), and the frame builder's verb
rules decide what is locked and why for all three.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from rolldeck.console.catalogue import (
    BINDING_IDS,
    CATALOGUE,
    COMMANDS_BY_ACTION,
    COMMANDS_BY_ID,
    KEY_GLYPHS,
    LINE_COMMANDS,
    LINE_COMMANDS_BY_NAME,
    MUTATING_ACTIONS,
    SIM_ACTIONS,
    Arg,
    ConsoleCommand,
    KeyGroup,
    Kind,
    LineCommand,
    Scope,
    keys_shown,
)
from rolldeck.console.frames.frame import Availability

if TYPE_CHECKING:
    from rolldeck.console.app import RolldeckApp

__all__ = [
    "BINDING_IDS",
    "CATALOGUE",
    "COMMANDS_BY_ACTION",
    "COMMANDS_BY_ID",
    "KEY_GLYPHS",
    "LINE_COMMANDS",
    "LINE_COMMANDS_BY_NAME",
    "MUTATING_ACTIONS",
    "SIM_ACTIONS",
    "Arg",
    "ConsoleCommand",
    "Kind",
    "LineCommand",
    "Scope",
    "RolldeckCommands",
    "binding",
    "bindings",
]

# One Group object per footer group: the footer puts keys side by side when their groups are the same.
GROUPS = {KeyGroup.STEP: Binding.Group("step", compact=True), KeyGroup.SPEED: Binding.Group("speed", compact=True)}


def binding(command: ConsoleCommand) -> Binding:
    # Actions always target the app, so a binding means the same on every screen and in the palette.
    return Binding(
        command.keys,
        f"app.{command.action}",
        command.label,
        key_display=command.key_display,
        id=command.id,
        tooltip=command.help,
        group=GROUPS[command.group] if command.group is not None else None,
        show=command.show,
        priority=command.priority,
    )


def bindings(scope: Scope) -> list[BindingType]:
    return [binding(command) for command in CATALOGUE if command.scope is scope]


@dataclass(frozen=True, slots=True)
class PaletteEntry:
    title: str
    help: str
    run: Callable[[], object]
    builtin: bool = False  # one of Textual's own commands (theme, keys, screenshot…)


# The palette sorts hits by score alone, and a fuzzy match scores from 0 up without a bound:
# rolldeck's own commands are lifted by a tier no match reaches, so they come first and Textual's
# built-ins follow as a group, each group in the matcher's order.
OWN_TIER = 1_000_000.0


def palette_score(match: float, builtin: bool) -> float:
    return match if builtin else OWN_TIER + match


class RolldeckCommands(Provider):
    """Every key verb and every ``:`` command (with its current arguments) as a palette command,
    then Textual's built-ins (``App.get_system_commands``): the app's ``COMMANDS`` is this provider
    alone, so the order is ours, not whichever provider answered first."""

    @property
    def _app(self) -> RolldeckApp:
        from rolldeck.console.app import RolldeckApp  # the app module imports this one

        app = self.app
        assert isinstance(app, RolldeckApp)
        return app

    def _verbs(self) -> Iterator[PaletteEntry]:
        app = self._app
        verbs = app.verb_views()
        for command in CATALOGUE:
            verb = verbs[command.id]
            if verb.availability is Availability.NOT_HERE:  # not meaningful on this screen (open/back)
                continue
            title = command.id.replace("-", " ")
            if verb.availability is Availability.LOCKED:
                title += f" (locked: {verb.reason})"
            # The palette reads help as markup: "[/]" (the filter key) would be a closing tag.
            keys = app.config.keys.get(command.id)  # remapped in the config: the keys that work now
            help_text = escape(f"{command.help}  [{keys_shown(keys) if keys else command.display_keys}]")
            yield PaletteEntry(title, help_text, partial(app.run_line, command.id))

    def _lines(self) -> Iterator[PaletteEntry]:
        app = self._app
        for command in LINE_COMMANDS:
            for argument in app.line_arguments(command.arg):
                text = f"{command.name} {argument}".strip()
                yield PaletteEntry(f":{text}", escape(command.help), partial(app.run_line, text))

    def _builtins(self) -> Iterator[PaletteEntry]:
        for command in self._app.get_system_commands(self.screen):
            yield PaletteEntry(command.title, escape(f"Textual: {command.help}"), command.callback, builtin=True)

    def _entries(self) -> Iterator[PaletteEntry]:
        yield from self._verbs()
        yield from self._lines()
        yield from self._builtins()

    async def discover(self) -> Hits:
        for entry in self._entries():
            # Titles carry data (context names, RBAC answers from the server): never markup.
            yield DiscoveryHit(Text(entry.title), entry.run, text=entry.title, help=entry.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in self._entries():
            match = max(matcher.match(entry.title), matcher.match(entry.help))
            if match > 0:
                score = palette_score(match, entry.builtin)
                yield Hit(score, matcher.highlight(escape(entry.title)), entry.run, text=entry.title, help=entry.help)
