"""The one YAML-plus-pydantic locator: every problem one ``file:line:col: message`` line, in file order."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from rolldeck.engine import documents
from rolldeck.engine.documents import DocumentError, Problem


class Pod(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    replicas: int = Field(ge=0)


class Deck(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    pods: list[Pod] = []


def problems(text: str, schema: object = Deck) -> list[str]:
    with pytest.raises(DocumentError) as caught:
        documents.parse(text, "d.yaml").validate(schema)  # type: ignore[arg-type]
    return caught.value.problems


def test_a_valid_document_is_the_model():
    deck = documents.parse("title: t\npods:\n  - {name: a, replicas: 2}\n", "d.yaml").validate(Deck)
    assert deck == Deck(title="t", pods=[Pod(name="a", replicas=2)])


def test_an_unknown_key_points_at_the_key_itself():
    assert problems("title: t\npods:\n  - name: a\n    replicas: 1\n    replicaz: 2\n") == ["d.yaml:5:5: pods.0.replicaz: unknown key"]


def test_a_missing_key_points_at_the_mapping_that_lacks_it():
    assert problems("title: t\npods:\n  - name: a\n") == ["d.yaml:3:5: pods.0.replicas: required key missing"]


def test_a_bad_value_points_at_the_value_with_pydantics_reason():
    (problem,) = problems("title: t\npods:\n  - {name: a, replicas: -1}\n")
    assert problem.startswith("d.yaml:3:25: pods.0.replicas: Input should be greater than or equal to 0")


def test_problems_come_in_file_order_and_one_line_counts_the_rest():
    # pydantic reports title (missing), pods.0.replicas, colour (unknown): the file has colour first.
    text = "colour: red\npods:\n  - {name: a, replicas: x}\n"
    found = problems(text)
    assert found == [
        "d.yaml:1:1: colour: unknown key",
        "d.yaml:1:1: title: required key missing",
        "d.yaml:3:25: pods.0.replicas: Input should be a valid integer, unable to parse string as an integer",
    ]
    with pytest.raises(DocumentError) as caught:
        documents.parse(text, "d.yaml").validate(Deck)
    assert caught.value.one_line() == f"{found[0]} (and 2 more problems)"


def test_a_type_adapter_and_list_indexes():
    (problem,) = problems("- {name: a, replicas: 1}\n- {name: b}\n", TypeAdapter(list[Pod]))
    assert problem == "d.yaml:2:3: 1.replicas: required key missing"


def test_yaml_syntax_is_one_located_line():
    with pytest.raises(DocumentError) as caught:
        documents.parse("title: [t\n", "d.yaml")
    (problem,) = caught.value.problems
    assert problem.startswith("d.yaml:2:1: YAML syntax: ") and "\n" not in problem


def test_an_unreadable_file_is_one_line(tmp_path: Path):
    with pytest.raises(DocumentError) as caught:
        documents.load(tmp_path / "absent.yaml")
    assert caught.value.problems == [f"{tmp_path / 'absent.yaml'}:1:1: cannot read: No such file or directory"]


def test_cross_field_problems_are_located_too():
    document = documents.parse("title: t\npods:\n  - {name: a, replicas: 1}\n  - {name: a, replicas: 2}\n", "d.yaml")
    deck = document.validate(Deck)
    duplicates = [Problem(("pods", i, "name"), f"pods.{i}.name: duplicate pod {p.name!r}") for i, p in enumerate(deck.pods) if i]
    with pytest.raises(DocumentError) as caught:
        document.check(duplicates)
    assert caught.value.problems == ["d.yaml:4:12: pods.1.name: duplicate pod 'a'"]
    document.check([])  # nothing found: nothing raised


def test_the_caller_chooses_the_error_class():
    class DeckError(DocumentError):
        pass

    with pytest.raises(DeckError):
        documents.parse("title: [t\n", "d.yaml", error=DeckError)
    with pytest.raises(DeckError):
        documents.parse("colour: red\n", "d.yaml", error=DeckError).validate(Deck)
