from __future__ import annotations

import pytest

from tests.fakekube.errors import ApiError
from tests.fakekube.selectors import field_selector, label_selector, selector_string

OBJ = {"metadata": {"name": "web", "namespace": "prod", "labels": {"app": "web", "tier": "fe"}},
       "status": {"phase": "Running", "ready": True}}


@pytest.mark.parametrize("selector, expected", [
    ("", True), ("app=web", True), ("app==web", True), ("app!=web", False), ("app=api", False),
    ("tier in (fe,be)", True), ("tier notin (fe)", False), ("tier notin (be), app", True),
    ("app", True), ("!app", False), ("!missing", True), ("missing!=x", True),
    ("app=web,tier in (be, fe)", True), ("app=web,tier=be", False),
])
def test_label_selector(selector: str, expected: bool) -> None:
    assert label_selector(selector)(OBJ) is expected


@pytest.mark.parametrize("selector, expected", [
    ("metadata.name=web", True), ("metadata.name!=web", False), ("metadata.namespace==prod", True),
    ("status.phase=Running,metadata.name=web", True), ("status.ready=true", True), ("spec.nodeName=", True),
])
def test_field_selector(selector: str, expected: bool) -> None:
    assert field_selector(selector)(OBJ) is expected


def test_bad_selectors_are_400() -> None:
    for bad in ("app in fe", "=x"):
        with pytest.raises(ApiError) as err:
            label_selector(bad)
        assert err.value.code == 400
    with pytest.raises(ApiError):
        field_selector("nonsense")


def test_selector_string_from_label_selector() -> None:
    assert selector_string({"matchLabels": {"b": "2", "a": "1"},
                            "matchExpressions": [{"key": "c", "operator": "In", "values": ["x", "y"]},
                                                 {"key": "d", "operator": "DoesNotExist"}]}) == "a=1,b=2,c in (x,y),!d"
