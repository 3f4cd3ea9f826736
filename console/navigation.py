"""k9s grammar without Textual: parse ``:`` commands, compile ``/`` filters, remember history.

Everything here is pure, so the parser's every branch is tested without a terminal; the app only
executes the typed result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from rolldeck.console.catalogue import COMMANDS_BY_ID, LINE_COMMANDS_BY_NAME, ConsoleCommand


class View(StrEnum):
    RELEASES = "releases"
    CLUSTERS = "clusters"
    FLAGS = "flags"
    AUDIT = "audit"


@dataclass(frozen=True, slots=True)
class GoTo:
    view: View


@dataclass(frozen=True, slots=True)
class SetContext:
    context: str | None  # None: all contexts


@dataclass(frozen=True, slots=True)
class SetNamespace:
    namespace: str | None  # None: all namespaces


@dataclass(frozen=True, slots=True)
class SimSpeed:
    speed: float


@dataclass(frozen=True, slots=True)
class SimPause:
    paused: bool


@dataclass(frozen=True, slots=True)
class SetAutopilot:
    enabled: bool | None  # None: toggle


@dataclass(frozen=True, slots=True)
class RunAction:
    """A key command by its id (``:abort``): the catalogue entry, run as its key would be."""

    command: ConsoleCommand


@dataclass(frozen=True, slots=True)
class ShowHelp:
    pass


@dataclass(frozen=True, slots=True)
class Quit:
    pass


Command = GoTo | SetContext | SetNamespace | SimSpeed | SimPause | SetAutopilot | RunAction | ShowHelp | Quit


class CommandError(ValueError):
    """A line that is not a command; ``str(error)`` is one line for a toast."""


ALL = ("all", "*", "-")


def parse_command(line: str) -> Command:
    words = line.strip().removeprefix(":").split()
    if not words:
        raise CommandError("empty command")
    head, args = words[0].lower(), words[1:]
    spec = LINE_COMMANDS_BY_NAME.get(head)
    if spec is None:
        verb = COMMANDS_BY_ID.get(head)
        if verb is None:
            raise CommandError(f"unknown command :{head} (? lists every command)")
        _no_args(head, args)
        return RunAction(verb)
    name = spec.name
    if name in ("releases", "clusters", "flags", "audit"):
        _no_args(head, args)
        return GoTo(View(name))
    if name == "ctx":
        if not args:
            return GoTo(View.CLUSTERS)  # k9s: bare :ctx lists the contexts
        return SetContext(None if args[0].lower() in ALL else args[0])
    if name == "ns":
        if not args:
            return SetNamespace(None)
        return SetNamespace(None if args[0].lower() in ALL else args[0])
    if name == "sim":
        return _parse_sim(args)
    if name == "autopilot":
        if not args:
            return SetAutopilot(None)
        if args[0].lower() not in ("on", "off"):
            raise CommandError(f":autopilot takes on or off, not {args[0]!r}")
        return SetAutopilot(args[0].lower() == "on")
    if name == "help":
        return ShowHelp()
    return Quit()


def _no_args(head: str, args: list[str]) -> None:
    if args:
        raise CommandError(f":{head} takes no arguments")


def _parse_sim(args: list[str]) -> Command:
    usage = ":sim speed N (1–1000), :sim pause or :sim run"
    if not args:
        raise CommandError(usage)
    verb = args[0].lower()
    if verb in ("pause", "stop"):
        return SimPause(True)
    if verb in ("run", "resume", "play"):
        return SimPause(False)
    if verb == "speed" and len(args) == 2:
        try:
            speed = float(args[1].lstrip("x×"))
        except ValueError:
            raise CommandError(f"speed must be a number, not {args[1]!r}") from None
        if not 1 <= speed <= 1000:
            raise CommandError(f"speed {speed:g} is outside 1–1000")
        return SimSpeed(speed)
    raise CommandError(usage)


# --- the / filter ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowFilter:
    """A case-insensitive regex over a row's text; ``!`` in front keeps the rows that do not match."""

    text: str
    pattern: re.Pattern[str]
    inverted: bool

    def matches(self, row_text: str) -> bool:
        return bool(self.pattern.search(row_text)) != self.inverted


def compile_filter(text: str) -> RowFilter | None:
    """None for an empty filter (show everything); CommandError for a bad regex."""
    stripped = text.strip()
    inverted = stripped.startswith("!")
    body = stripped[1:].strip() if inverted else stripped
    if not body:
        return None
    try:
        pattern = re.compile(body, re.IGNORECASE)
    except re.error as error:
        raise CommandError(f"bad filter /{stripped}: {error}") from None
    return RowFilter(stripped, pattern, inverted)


# --- history -----------------------------------------------------------------------------------------


class History:
    """Entered lines, oldest first; up/down walk them like a shell (the line being typed is kept)."""

    def __init__(self, limit: int = 50) -> None:
        self._entries: list[str] = []
        self._limit = limit
        self._cursor = 0
        self._draft = ""

    @property
    def entries(self) -> list[str]:
        return list(self._entries)

    def push(self, line: str) -> None:
        line = line.strip()
        if line and (not self._entries or self._entries[-1] != line):
            self._entries.append(line)
            del self._entries[: -self._limit]
        self.reset()

    def reset(self) -> None:
        self._cursor = len(self._entries)
        self._draft = ""

    def older(self, current: str) -> str:
        if self._cursor == len(self._entries):
            self._draft = current
        self._cursor = max(0, self._cursor - 1)
        return self._entries[self._cursor] if self._entries else current

    def newer(self) -> str:
        self._cursor = min(len(self._entries), self._cursor + 1)
        return self._entries[self._cursor] if self._cursor < len(self._entries) else self._draft
