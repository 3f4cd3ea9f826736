"""YAML documents checked by pydantic, every problem one ``file:line:col: message`` line.

Scenario files, the console config and drill actions files all load this way: YAML composed with
node positions, the data validated by a pydantic model (or ``TypeAdapter``), and each error put on
the node it is about — the key itself for an unknown key, the mapping that lacks a missing one,
the value otherwise. Problems come in file order, so the first line is the first thing to fix.
Nothing here raises anything but ``DocumentError`` (or the subclass a caller asks for).
"""

from __future__ import annotations

import codecs
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import yaml
from pydantic import ConfigDict, Strict, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

M = TypeVar("M")
PathPart = str | int

# The models of documents: unknown keys are errors (a typo never silently turns a setting off), and
# types are strict — YAML has already typed every value, so '100' is not a number, true is not a
# count — and floats are finite (.nan and .inf are YAML floats too). Enums are written by value:
# annotate them with BY_VALUE.
MODEL_CONFIG = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
BY_VALUE = Strict(False)


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


MAX_BYTES = 1 << 20  # a scenario, config or actions file is a few KiB; 1 MiB is plenty
MAX_DEPTH = 64  # nesting of mappings and lists; YAML's composer recurses, so this comes before it
MAX_ALIAS_NODES = 10_000  # values aliases may add on top of those written (a "billion laughs" adds 10⁹)
_MERGE = "tag:yaml.org,2002:merge"


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses a document nested deeper than ``MAX_DEPTH`` while composing it."""

    depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.depth >= MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]  # PyYAML's stubs leave it untyped
            raise yaml.MarkedYAMLError(problem=f"nested deeper than {MAX_DEPTH} levels", problem_mark=mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def parse(text: str, source: str, *, error: type[DocumentError] = DocumentError, unique_keys: bool = True) -> Document:
    """Compose and load ``text``; a YAML syntax error is one located line. Refused too, each one
    line: nesting deeper than ``MAX_DEPTH``, aliases that expand the document by more than
    ``MAX_ALIAS_NODES`` values, and (unless ``unique_keys`` is False) a key written twice in one
    mapping, which YAML loaders otherwise settle silently by keeping the last."""
    try:
        loader = _Loader(text)  # the reader refuses control characters (NUL…) right here
    except yaml.reader.ReaderError as problem:
        line = text.count("\n", 0, problem.position) + 1
        column = problem.position - (text.rfind("\n", 0, problem.position) + 1) + 1
        code = problem.character if isinstance(problem.character, int) else ord(problem.character)
        raise error([f"{source}:{line}:{column}: YAML: control character #x{code:04x} is not allowed"]) from None
    try:
        root = loader.get_single_node()
        if root is not None:
            _check_size(root, source, error)
            if unique_keys:
                _check_unique_keys(root, source, error)
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as problem:
        mark = problem.problem_mark or problem.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else f"{source}:1:1"
        raise error([f"{where}: YAML syntax: {problem.problem or problem}"]) from None
    except yaml.YAMLError as problem:
        raise error([f"{source}:1:1: YAML: {problem}"]) from None
    finally:
        loader.dispose()
    return Document(source, root, data, error)


def _nodes(root: yaml.Node) -> Iterable[yaml.Node]:
    """Every node once (an alias is the node it names, so shared nodes are not visited again)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if isinstance(node, yaml.MappingNode):
            stack.extend(part for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _check_size(root: yaml.Node, source: str, error: type[DocumentError]) -> None:
    """Count the values the document stands for once its aliases are expanded, without expanding
    them (each shared node counted once, post-order); refuse a bomb and a recursive alias."""
    expanded: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            open_nodes.discard(id(node))
            expanded[id(node)] = 1 + sum(expanded[id(child)] for child in _children(node))
            continue
        if id(node) in expanded:
            continue
        if id(node) in open_nodes:
            mark = node.start_mark
            raise error([f"{source}:{mark.line + 1}:{mark.column + 1}: YAML alias refers to the value that contains it"])
        open_nodes.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in expanded)
    written = sum(1 for _ in _nodes(root))
    total = expanded[id(root)]
    if total > written + MAX_ALIAS_NODES:
        raise error([f"{source}:1:1: YAML aliases expand this document to {total:,} values (at most {MAX_ALIAS_NODES:,} more than are written)"])


def _check_unique_keys(root: yaml.Node, source: str, error: type[DocumentError]) -> None:
    problems = []
    for node in _nodes(root):
        if not isinstance(node, yaml.MappingNode):
            continue
        first: dict[str, int] = {}
        for key, _ in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag == _MERGE:
                continue
            line = key.start_mark.line + 1
            if key.value in first:
                problems.append((line, key.start_mark.column + 1, f"duplicate key {key.value!r} (first written on line {first[key.value]})"))
            else:
                first[key.value] = line
    if problems:
        raise error([f"{source}:{line}:{column}: {message}" for line, column, message in sorted(problems)])


def read(path: Path, *, error: type[DocumentError] = DocumentError, max_bytes: int = MAX_BYTES) -> str:
    """A document's text, each refusal one line: not a regular file (a FIFO would block, /dev/zero
    never ends), larger than ``max_bytes``, not UTF-8 (UTF-16 said so by name)."""
    try:
        kind = path.stat().st_mode
        if not stat.S_ISREG(kind):
            raise error([f"{path}:1:1: cannot read: not a regular file ({_kind(kind)})"])
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as problem:
        raise error([f"{path}:1:1: cannot read: {problem.strerror or problem}"]) from None
    if len(raw) > max_bytes:
        raise error([f"{path}:1:1: larger than {_size(max_bytes)}, the limit for this file"])
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise error([f"{path}:1:1: the file is UTF-16 text: save it as UTF-8"])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as problem:
        line = raw.count(b"\n", 0, problem.start) + 1
        column = problem.start - (raw.rfind(b"\n", 0, problem.start) + 1) + 1
        raise error([f"{path}:{line}:{column}: not UTF-8 text (byte 0x{raw[problem.start]:02x}): save it as UTF-8"]) from None


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def _size(count: int) -> str:
    return f"{count >> 20} MiB" if count >= 1 << 20 and count % (1 << 20) == 0 else f"{count >> 10} KiB" if count % 1024 == 0 else f"{count} bytes"


def load(path: Path, *, error: type[DocumentError] = DocumentError, max_bytes: int = MAX_BYTES, unique_keys: bool = True) -> Document:
    return parse(read(path, error=error, max_bytes=max_bytes), str(path), error=error, unique_keys=unique_keys)
