"""Hostile files (issue 11, items 5, 7 and 10): every refusal is one ``file:line:col: message``
line from the one document reader (``engine/documents.py``), for scenarios, the console config and
drill actions files alike, and nothing is built from a file that is refused."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rolldeck.console.config import ConfigError, load_config
from rolldeck.engine import documents
from rolldeck.engine.documents import DocumentError
from rolldeck.simulator.drill import load_actions
from rolldeck.simulator.scenario import ScenarioError, load_scenario_file, load_scenario_text

LOCATED = re.compile(r"^[^\n]+:\d+:\d+: [^\n]+$")


def loaders(tmp_path: Path) -> dict[str, object]:
    """Each file type's loader, called on a path."""
    return {"scenario": load_scenario_file, "config": load_config, "actions": load_actions}


@pytest.fixture(params=["scenario", "config", "actions"])
def load(request: pytest.FixtureRequest):
    return {"scenario": load_scenario_file, "config": load_config, "actions": load_actions}[request.param]


def refusal(load, path: Path) -> str:
    with pytest.raises(DocumentError) as caught:
        load(path)
    (line,) = caught.value.problems
    assert LOCATED.match(line), line
    return line


def test_a_utf16_file_is_named_as_utf16(load, tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("title: t\n", encoding="utf-16")
    assert refusal(load, path) == f"{path}:1:1: the file is UTF-16 text: save it as UTF-8"


def test_a_non_utf8_byte_is_located(load, tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"title: t\nbriefing: caf\xe9\n")
    assert refusal(load, path) == f"{path}:2:14: not UTF-8 text (byte 0xe9): save it as UTF-8"


def test_a_utf8_bom_is_read_as_utf8() -> None:
    assert documents.parse("\ufeffa: 1\n", "d.yaml").data == {"a": 1}


def test_deep_nesting_is_refused_before_the_composer_recurses(load, tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert f"nested deeper than {documents.MAX_DEPTH} levels" in refusal(load, path)


def test_nesting_up_to_the_limit_is_fine() -> None:
    depth = documents.MAX_DEPTH - 1
    assert documents.parse("[" * depth + "]" * depth, "d.yaml").data is not None


def test_an_alias_bomb_is_refused_without_expanding_it(load, tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for this, previous in zip("bcdefghi", "abcdefgh"):
        lines.append(f"{this}: &{this} [" + ", ".join([f"*{previous}"] * 10) + "]")
    path = tmp_path / "f.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert "YAML aliases expand this document to 1,234,567,909 values" in refusal(load, path)


def test_a_few_aliases_are_fine() -> None:
    assert documents.parse("a: &a {x: 1}\nb: *a\nc: *a\n", "d.yaml").data == {"a": {"x": 1}, "b": {"x": 1}, "c": {"x": 1}}


def test_a_recursive_alias_is_refused() -> None:
    with pytest.raises(DocumentError) as caught:
        documents.parse("a: &a [1, *a]\n", "d.yaml")
    assert caught.value.problems == ["d.yaml:1:4: YAML alias refers to the value that contains it"]


def test_a_file_over_the_byte_cap_is_refused_unread(load, tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("# " + "x" * documents.MAX_BYTES + "\n")
    assert refusal(load, path) == f"{path}:1:1: larger than 1 MiB, the limit for this file"


def test_an_endless_device_is_refused(load) -> None:
    assert refusal(load, Path("/dev/zero")) == "/dev/zero:1:1: cannot read: not a regular file (a device)"


def test_a_fifo_is_refused_without_blocking(load, tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    os.mkfifo(path)  # opening it for reading would block until a writer comes
    assert refusal(load, path) == f"{path}:1:1: cannot read: not a regular file (a FIFO)"


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DocumentError) as caught:
        documents.read(tmp_path)
    assert caught.value.problems == [f"{tmp_path}:1:1: cannot read: not a regular file (a directory)"]


def test_a_duplicate_key_is_refused_where_it_is_written_again(load, tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("- at: 1m\n  at: 2m\n" if load is load_actions else "theme: a\nregions: {}\ntheme: b\n")
    where = "2:3" if load is load_actions else "3:1"
    first = 1
    assert refusal(load, path) == f"{path}:{where}: duplicate key 'at' (first written on line {first})" if load is load_actions \
        else refusal(load, path) == f"{path}:{where}: duplicate key 'theme' (first written on line {first})"


def test_a_merge_key_is_not_a_duplicate() -> None:
    assert documents.parse("base: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n", "d.yaml").data["m"] == {"x": 1, "y": 2}


def test_kubeconfig_style_duplicates_can_be_allowed() -> None:
    assert documents.parse("a: 1\na: 2\n", "d.yaml", unique_keys=False).data == {"a": 2}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_any_bytes_are_a_scenario_or_located_lines(tmp_path_factory: pytest.TempPathFactory, raw: bytes) -> None:
    path = tmp_path_factory.mktemp("h") / "s.yaml"
    path.write_bytes(raw)
    try:
        load_scenario_file(path)
    except ScenarioError as error:
        assert error.problems and all(LOCATED.match(p) for p in error.problems), error.problems


YAML_PIECES = st.sampled_from(["a:", " b:", "- ", "[", "]", "{", "}", "&x ", "*x", "<<: ", ": ", "\n", "  ", "'", '"', "1", "!!str ", "|", "\t", "#", ",", "?"])


@settings(max_examples=200, deadline=None)
@given(st.lists(YAML_PIECES, max_size=60).map("".join))
def test_any_yaml_ish_text_is_a_config_or_located_lines(text: str) -> None:
    from rolldeck.console.config import parse_config

    try:
        parse_config(text, "c.yaml")
    except ConfigError as error:
        assert error.problems and all(LOCATED.match(p) for p in error.problems), error.problems
