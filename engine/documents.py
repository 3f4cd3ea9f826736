"""YAML documents checked by pydantic, every problem one ``file:line:col: message`` line.

Scenario files, the console config and drill actions files all load this way: YAML composed with
node positions, the data validated by a pydantic model (or ``TypeAdapter``), and each error put on
the node it is about — the key itself for an unknown key, the mapping that lacks a missing one,
the value otherwise. Problems come in file order, so the first line is the first thing to fix.
Nothing here raises anything but ``DocumentError`` (or the subclass a caller asks for).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import yaml
from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

M = TypeVar("M")
PathPart = str | int


class DocumentError(Exception):
    """One or more problems, each already formatted as ``file:line:col: message``."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)

    def one_line(self) -> str:
        """The first problem, and how many more there are."""
        more = len(self.problems) - 1
        return self.problems[0] + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong (``message`` names the field) and where: a path of keys and list indexes."""

    path: tuple[PathPart, ...]
    message: str
    at_key: bool = False  # point at the key itself (an unknown key), not its value


def dotted(path: Sequence[PathPart]) -> str:
    return ".".join(str(part) for part in path)


def problem_of(item: ErrorDetails) -> Problem:
    """The usual reading of one pydantic error: unknown and missing keys in words, pydantic's own
    message otherwise (without its "Value error, " prefix)."""
    path = tuple(item["loc"])
    where = dotted(path)
    if item["type"] == "extra_forbidden":
        text = "unknown key"
    elif item["type"] == "missing":
        text = "required key missing"
    else:
        text = re.sub(r"^(Value|Assertion) error, ", "", item["msg"])
    return Problem(path, f"{where}: {text}" if where else text, at_key=item["type"] == "extra_forbidden")


@dataclass(frozen=True, slots=True)
class Document:
    """Parsed YAML: the plain data and the node tree that knows where each value was written."""

    source: str
    root: yaml.Node | None
    data: Any
    error: type[DocumentError] = DocumentError

    def position(self, path: Sequence[PathPart], at_key: bool = False) -> tuple[int, int]:
        """1-based line and column of the node ``path`` points at."""
        node = self.root
        for index, part in enumerate(path):
            last = index == len(path) - 1
            if isinstance(node, yaml.MappingNode):
                match = next(((k, v) for k, v in node.value if k.value == str(part)), None)
                if match is None:
                    break  # a missing key: point at the mapping that lacks it
                node = match[0] if (last and at_key) else match[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
            else:
                break
        if node is None:
            return 1, 1
        return node.start_mark.line + 1, node.start_mark.column + 1

    def line(self, problem: Problem) -> str:
        line, column = self.position(problem.path, problem.at_key)
        return f"{self.source}:{line}:{column}: {problem.message}"

    def fail(self, problems: Iterable[Problem]) -> NoReturn:
        """Raise every problem located, in file order."""
        located = sorted((self.position(p.path, p.at_key), p.message) for p in problems)
        raise self.error([f"{self.source}:{line}:{column}: {message}" for (line, column), message in located])

    def check(self, problems: Sequence[Problem]) -> None:
        """Raise the cross-field problems a caller found after validation, if any."""
        if problems:
            self.fail(problems)

    def validate(self, schema: type[M] | TypeAdapter[M], *, read: Callable[[ErrorDetails], Problem] = problem_of) -> M:
        """The document's data as ``schema`` (a pydantic model or a ``TypeAdapter``); every
        validation error located, read by ``read`` (a file type may word its own errors)."""
        adapter = schema if isinstance(schema, TypeAdapter) else TypeAdapter(schema)
        try:
            return adapter.validate_python(self.data)
        except ValidationError as error:
            self.fail(read(item) for item in error.errors(include_url=False))


def parse(text: str, source: str, *, error: type[DocumentError] = DocumentError) -> Document:
    """Compose and load ``text``; a YAML syntax error is one located line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as problem:
        mark = problem.problem_mark or problem.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else f"{source}:1:1"
        raise error([f"{where}: YAML syntax: {problem.problem or problem}"]) from None
    except yaml.YAMLError as problem:
        raise error([f"{source}:1:1: YAML: {problem}"]) from None
    return Document(source, root, data, error)


def read(path: Path, *, error: type[DocumentError] = DocumentError) -> str:
    """A document's text; an unreadable file is one line."""
    try:
        return path.read_text()
    except OSError as problem:
        raise error([f"{path}:1:1: cannot read: {problem.strerror or problem}"]) from None


def load(path: Path, *, error: type[DocumentError] = DocumentError) -> Document:
    return parse(read(path, error=error), str(path), error=error)
