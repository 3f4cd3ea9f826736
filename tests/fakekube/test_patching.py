"""The patch engines on plain dicts: RFC 7386, RFC 6902 error mapping, the SMP subset, media types."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fakekube.errors import ApiError
from tests.fakekube.patching import (JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, apply_patch, json_patch,
                                     merge_patch, strategic_merge_patch)


def test_merge_patch_null_deletes_and_lists_replace() -> None:
    target = {"a": 1, "b": {"c": 2, "d": 3}, "l": [1, 2, 3]}
    assert merge_patch(target, {"b": {"c": None, "e": 4}, "l": [9]}) == {"a": 1, "b": {"d": 3, "e": 4}, "l": [9]}
    assert target["b"] == {"c": 2, "d": 3}  # never mutated


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                       max_size=3), max_leaves=10)


@given(st.dictionaries(st.text(max_size=3), json_values, max_size=4),
       st.dictionaries(st.text(max_size=3), json_values, max_size=4))
def test_merge_patch_is_idempotent(target: dict, patch: dict) -> None:
    once = merge_patch(target, patch)
    assert merge_patch(once, patch) == once


def test_json_patch_failed_test_is_422_with_the_path() -> None:
    with pytest.raises(ApiError) as err:
        json_patch({"metadata": {"resourceVersion": "5"}},
                   [{"op": "test", "path": "/metadata/resourceVersion", "value": "4"},
                    {"op": "replace", "path": "/metadata/resourceVersion", "value": "x"}])
    assert err.value.code == 422
    assert err.value.body["message"] == "the server rejected our request due to an error in our request"
    assert err.value.body["details"]["causes"][0]["message"] == \
        "testing value /metadata/resourceVersion failed: test failed"


def test_json_patch_dict_body_is_400() -> None:
    with pytest.raises(ApiError) as err:
        json_patch({}, {"spec": {}})
    assert err.value.code == 400
    assert err.value.body["message"] == "json: cannot unmarshal object into Go value of type jsonpatch.Patch"


def test_json_patch_missing_path_is_422() -> None:
    with pytest.raises(ApiError) as err:
        json_patch({"spec": {}}, [{"op": "replace", "path": "/spec/http/0/route/0/weight", "value": 5}])
    assert err.value.code == 422


def test_smp_merges_containers_env_and_ports_by_key() -> None:
    target = {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "image": "a:1", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
        {"name": "envoy", "image": "envoy:1"}]}}}}
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "app"}, {"name": "envoy"}],
        "containers": [{"name": "app", "image": "a:2", "env": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}]}]}}}}
    result = strategic_merge_patch(target, patch, "Deployment")
    app, envoy = result["spec"]["template"]["spec"]["containers"]
    assert (app["image"], envoy["image"]) == ("a:2", "envoy:1")
    assert app["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}, {"name": "C", "value": "4"}]


def test_smp_service_ports_are_keyed_by_port() -> None:
    target = {"spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443, "targetPort": 8443}]}}
    result = strategic_merge_patch(target, {"spec": {"ports": [{"port": 80, "targetPort": 9090}]}}, "Service")
    assert result["spec"]["ports"] == [{"port": 80, "targetPort": 9090}, {"port": 443, "targetPort": 8443}]


def test_smp_directives() -> None:
    target = {"spec": {"containers": [{"name": "a"}, {"name": "b"}], "selector": {"x": "1", "y": "2"}},
              "metadata": {"finalizers": ["f1", "f2"]}, "tolerations": [{"key": "k"}]}
    result = strategic_merge_patch(target, {
        "spec": {"containers": [{"name": "b", "$patch": "delete"}], "selector": {"$patch": "replace", "z": "3"}},
        "metadata": {"$deleteFromPrimitiveList/finalizers": ["f1"]},
        "tolerations": [{"key": "other"}],  # no merge key: replaced
    }, "Deployment")
    assert result["spec"] == {"containers": [{"name": "a"}], "selector": {"z": "3"}}
    assert result["metadata"]["finalizers"] == ["f2"]
    assert result["tolerations"] == [{"key": "other"}]
    replaced = strategic_merge_patch(target, {"spec": {"containers": [{"$patch": "replace"}, {"name": "c"}]}})
    assert replaced["spec"]["containers"] == [{"name": "c"}]


@pytest.mark.parametrize("content_type, builtin, code", [
    (STRATEGIC_PATCH, False, 415),
    ("application/apply-patch+yaml", True, 415),
    ("application/json", True, 415),
    ("text/plain", False, 415),
])
def test_unsupported_media_types(content_type: str, builtin: bool, code: int) -> None:
    with pytest.raises(ApiError) as err:
        apply_patch(content_type, {}, {"a": 1}, builtin=builtin, kind="Rollout")
    assert err.value.code == code
    assert err.value.body["reason"] == "UnsupportedMediaType"


def test_media_type_parameters_are_ignored() -> None:
    assert apply_patch(MERGE_PATCH + "; charset=utf-8", {"a": 1}, {"b": 2}, builtin=False, kind="X") == {"a": 1, "b": 2}
    assert apply_patch(JSON_PATCH, {"a": 1}, [{"op": "remove", "path": "/a"}], builtin=False, kind="X") == {}
