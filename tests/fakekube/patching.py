"""The three patch engines: JSON merge (RFC 7386), JSON patch (RFC 6902) and a strategic merge subset.

The SMP subset merges lists by the keys Kubernetes' Go struct tags declare for the fields rolldeck
touches; every other list is replaced whole, as the real server does for atomic lists.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch

from .errors import ApiError

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"

# list field name → merge key (from the Go types' `patchMergeKey` tags).
SMP_MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "ports": "containerPort",  # container ports; Service ports are keyed by `port` (see below)
    "conditions": "type",
    "imagePullSecrets": "name",
    "ownerReferences": "uid",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
}
# Kinds whose `ports` list is keyed differently from containers'.
_PORTS_KEY_BY_KIND = {"Service": "port"}
# Primitive lists with `patchStrategy:merge` (union); every other primitive list is replaced.
SMP_MERGED_PRIMITIVE_LISTS = {"finalizers"}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, `null` deletes, anything else (lists too) replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def json_patch(target: dict, ops: Any) -> dict:
    """RFC 6902 via `jsonpatch`; errors mapped to the statuses the apiserver uses."""
    if not isinstance(ops, list):
        kind = "object" if isinstance(ops, dict) else "string" if isinstance(ops, str) else "value"
        raise ApiError(400, f"json: cannot unmarshal {kind} into Go value of type jsonpatch.Patch")
    doc = target
    # One op at a time so a failed `test` can be reported by path, as evanphx/json-patch does.
    for op in ops:
        try:
            doc = jsonpatch.JsonPatch([op]).apply(doc)
        except jsonpatch.JsonPatchTestFailed as exc:
            path = op.get("path") if isinstance(op, dict) else "?"
            raise _unprocessable(f"testing value {path} failed: test failed") from exc
        except jsonpatch.InvalidJsonPatch as exc:
            raise ApiError(400, str(exc)) from exc
        except (jsonpatch.JsonPatchConflict, jsonpatch.JsonPointerException,
                KeyError, IndexError, TypeError) as exc:
            raise _unprocessable(str(exc) or type(exc).__name__) from exc
    return doc


def _unprocessable(cause: str) -> ApiError:
    # What apiserver's patch handler returns when a decoded JSON patch cannot be applied.
    return ApiError(422, "the server rejected our request due to an error in our request",
                    details={"causes": [{"message": cause}]})


def strategic_merge_patch(target: Any, patch: Any, kind: str = "") -> Any:
    if not isinstance(patch, dict):
        raise ApiError(400, "json: cannot unmarshal array into Go value of type map[string]interface {}")
    return _smp_map(target if isinstance(target, dict) else {}, patch, kind)


def _smp_map(target: dict, patch: dict, kind: str) -> dict | None:
    directive = patch.get("$patch")
    if directive == "delete":
        return None
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if not k.startswith("$")}
    result = copy.deepcopy(target)
    retain = patch.get("$retainKeys")
    for key, value in patch.items():
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            result[field] = [x for x in result.get(field) or [] if x not in value]
        elif key.startswith("$"):
            continue  # $setElementOrder/…, $retainKeys handled below: ordering is not emulated
        elif value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            merged = _smp_map(result.get(key) if isinstance(result.get(key), dict) else {}, value, kind)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            result[key] = _smp_list(key, result.get(key), value, kind)
        else:
            result[key] = copy.deepcopy(value)
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _smp_list(field: str, target: Any, patch: list, kind: str) -> list:
    current = target if isinstance(target, list) else []
    if any(isinstance(x, dict) and x.get("$patch") == "replace" for x in patch):
        return [copy.deepcopy(x) for x in patch if not (isinstance(x, dict) and "$patch" in x)]
    if field in SMP_MERGED_PRIMITIVE_LISTS:
        return current + [x for x in patch if x not in current]
    key = _PORTS_KEY_BY_KIND.get(kind, "containerPort") if field == "ports" else SMP_MERGE_KEYS.get(field)
    if key is None or not all(isinstance(x, dict) for x in patch):
        return copy.deepcopy(patch)
    result = copy.deepcopy(current)
    for item in patch:
        if key not in item:
            raise ApiError(400, f"map: {item} does not contain declared merge key: {key}")
        index = next((i for i, x in enumerate(result) if isinstance(x, dict) and x.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            if index is not None:
                result.pop(index)
            continue
        if index is None:
            result.append(_smp_map({}, item, kind))
        else:
            result[index] = _smp_map(result[index], item, kind)
    return result


def unsupported_media_type(builtin: bool) -> ApiError:
    accepted = ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"]
    if builtin:
        accepted.insert(2, STRATEGIC_PATCH)
    return ApiError(415, "the body of the request was in an unknown format - accepted media types include: "
                    + ", ".join(accepted))


def apply_patch(content_type: str, target: dict, body: Any, *, builtin: bool, kind: str) -> dict:
    """Dispatch on the request's media type (parameters such as `; charset=utf-8` ignored)."""
    media = content_type.split(";")[0].strip().lower()
    if media == MERGE_PATCH:
        result = merge_patch(target, body)
        if not isinstance(result, dict):
            raise ApiError(400, "json: cannot unmarshal a non-object merge patch into an object")
        return result
    if media == JSON_PATCH:
        return json_patch(target, body)
    if media == STRATEGIC_PATCH and builtin:
        result = strategic_merge_patch(target, body, kind)
        return result if result is not None else {}
    if media == APPLY_PATCH:
        # Server-side apply (managedFields, ownership conflicts) is deliberately out of scope.
        raise ApiError(415, "server-side apply (application/apply-patch+yaml) is not emulated by the fake "
                       "API server; use a merge or JSON patch, or test SSA against a real cluster")
    # CRs refuse SMP (kubernetes#97423); anything else is an unknown media type.
    raise unsupported_media_type(builtin)
