"""What each write does to an object: subresources, generation, RV preconditions, dry run.

Pure object semantics over the `Store`; the HTTP layer parses the request and renders the result.
"""

from __future__ import annotations

import copy
import secrets
import uuid
from typing import Any

from .errors import ApiError, already_exists, conflict, invalid, not_found_path
from .patching import apply_patch
from .resources import ResourceType
from .selectors import dotted, selector_string
from .store import Store, now_rfc3339, spec_changed


def render(rt: ResourceType, obj: dict, *, with_type: bool = True) -> dict:
    """The object as served in `rt`'s version (versions of a group share storage)."""
    out = dict(obj)
    if with_type:
        out = {"apiVersion": rt.group_version, "kind": rt.kind, **{k: v for k, v in obj.items()
                                                                   if k not in ("apiVersion", "kind")}}
    else:
        out.pop("apiVersion", None)
        out.pop("kind", None)
    return out


def _name(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("name", "")


def _require_subresource(rt: ResourceType, sub: str) -> None:
    if sub and sub not in rt.subresources:
        raise not_found_path()


def _check_rv(rt: ResourceType, current: dict, proposed: dict) -> None:
    """409 when the proposed object carries an RV other than the stored one (optimistic concurrency)."""
    rv = (proposed.get("metadata") or {}).get("resourceVersion")
    if rv not in (None, "") and str(rv) != current["metadata"]["resourceVersion"]:
        raise conflict(rt.qualified, _name(current))


def _keep_server_fields(current: dict, proposed: dict) -> dict:
    """Identity fields the server owns survive any write."""
    meta = proposed.setdefault("metadata", {})
    for key in ("name", "namespace", "uid", "creationTimestamp", "generation", "resourceVersion"):
        if key in current["metadata"]:
            meta[key] = current["metadata"][key]
        else:
            meta.pop(key, None)
    return proposed


def _merge_write(rt: ResourceType, current: dict, proposed: dict, subresource: str) -> dict:
    """Combine the stored object with a written one according to which endpoint was written."""
    if subresource == "status":
        # The status endpoint changes only status (the CRD and built-in status strategies).
        result = copy.deepcopy(current)
        if "status" in proposed:
            result["status"] = proposed["status"]
        else:
            result.pop("status", None)
        return result
    result = _keep_server_fields(current, copy.deepcopy(proposed))
    if rt.has_status:
        # With a status subresource, writes to the main resource keep the old status.
        if "status" in current:
            result["status"] = copy.deepcopy(current["status"])
        else:
            result.pop("status", None)
    if spec_changed(current, result, rt):
        result["metadata"]["generation"] = current["metadata"].get("generation", 1) + 1
    return result


# ---- scale ------------------------------------------------------------------------------------

def to_scale(rt: ResourceType, obj: dict) -> dict:
    meta = obj["metadata"]
    selector = dotted(obj, rt.scale_selector_path) if rt.scale_selector_path else None
    status: dict[str, Any] = {"replicas": dotted(obj, rt.scale_status_path) or 0}
    if isinstance(selector, dict):
        selector = selector_string(selector)
    if selector:
        status["selector"] = selector
    return {
        "apiVersion": "autoscaling/v1", "kind": "Scale",
        "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                     if k in meta},
        "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 0)},
        "status": status,
    }


def _write_scale(rt: ResourceType, current: dict, scale: dict) -> dict:
    _check_rv(rt, current, scale)
    replicas = (scale.get("spec") or {}).get("replicas")
    if not isinstance(replicas, int) or replicas < 0:
        raise invalid(f"{rt.kind}.{rt.group}" if rt.group else rt.kind, _name(current), "spec.replicas",
                      f"Invalid value: {replicas!r}: must be greater than or equal to 0")
    result = copy.deepcopy(current)
    result.setdefault("spec", {})["replicas"] = replicas
    if spec_changed(current, result, rt):
        result["metadata"]["generation"] = current["metadata"].get("generation", 1) + 1
    return result


# ---- verbs ------------------------------------------------------------------------------------

def get(store: Store, rt: ResourceType, namespace: str, name: str, subresource: str) -> dict:
    _require_subresource(rt, subresource)
    obj = store.read(rt, namespace, name)
    return to_scale(rt, obj) if subresource == "scale" else render(rt, obj)


def create(store: Store, rt: ResourceType, namespace: str, body: Any, *, dry_run: bool) -> dict:
    if not isinstance(body, dict):
        raise ApiError(400, "the body of the request must be a JSON object")
    obj = copy.deepcopy(body)
    meta = obj.setdefault("metadata", {})
    if not meta.get("name"):
        if not meta.get("generateName"):
            raise invalid(rt.kind, "", "metadata.name", "Required value: name or generateName is required")
        meta["name"] = meta["generateName"] + secrets.token_hex(3)[:5]
    if rt.namespaced:
        if meta.get("namespace") and meta["namespace"] != namespace:
            raise ApiError(400, "the namespace of the provided object does not match the namespace sent on the request")
        meta["namespace"] = namespace
    if store.exists(rt, namespace if rt.namespaced else "", meta["name"]):
        raise already_exists(rt.qualified, meta["name"])
    obj["apiVersion"], obj["kind"] = rt.group_version, rt.kind
    meta.pop("resourceVersion", None)
    meta["uid"] = str(uuid.uuid4())
    meta["creationTimestamp"] = now_rfc3339()
    meta["generation"] = 1
    if rt.has_status:
        obj.pop("status", None)  # status is set through /status only
    return render(rt, store.commit(rt, obj, dry_run=dry_run))


def update(store: Store, rt: ResourceType, namespace: str, name: str, subresource: str, body: Any,
           *, dry_run: bool) -> dict:
    _require_subresource(rt, subresource)
    if not isinstance(body, dict):
        raise ApiError(400, "the body of the request must be a JSON object")
    current = store.read(rt, namespace, name)
    if subresource == "scale":
        return to_scale(rt, store.commit(rt, _write_scale(rt, current, body), dry_run=dry_run))
    body_name = _name(body)
    if body_name and body_name != name:
        raise ApiError(400, f"the name of the object ({body_name}) does not match the name on the URL ({name})")
    if not rt.builtin and not (body.get("metadata") or {}).get("resourceVersion"):
        # The CRD strategy refuses unconditional updates.
        raise invalid(f"{rt.kind}.{rt.group}", name, "metadata.resourceVersion",
                      "Invalid value: 0x0: must be specified for an update")
    _check_rv(rt, current, body)
    return render(rt, store.commit(rt, _merge_write(rt, current, body, subresource), dry_run=dry_run))


def patch(store: Store, rt: ResourceType, namespace: str, name: str, subresource: str, content_type: str,
          body: Any, *, dry_run: bool) -> dict:
    _require_subresource(rt, subresource)
    current = store.read(rt, namespace, name)
    if subresource == "scale":
        # Scale is a built-in type even on custom resources, so strategic merge patch is accepted.
        scale = apply_patch(content_type, to_scale(rt, current), body, builtin=True, kind="Scale")
        return to_scale(rt, store.commit(rt, _write_scale(rt, current, scale), dry_run=dry_run))
    patched = apply_patch(content_type, render(rt, current), body, builtin=rt.builtin, kind=rt.kind)
    _check_rv(rt, current, patched)
    return render(rt, store.commit(rt, _merge_write(rt, current, patched, subresource), dry_run=dry_run))


def delete(store: Store, rt: ResourceType, namespace: str, name: str, body: Any, *, dry_run: bool) -> dict:
    current = store.read(rt, namespace, name)
    pre = (body.get("preconditions") or {}) if isinstance(body, dict) else {}
    if pre.get("uid") and pre["uid"] != current["metadata"]["uid"]:
        raise ApiError(409, f"Precondition failed: UID in precondition: {pre['uid']}, "
                       f"UID in object meta: {current['metadata']['uid']}")
    if pre.get("resourceVersion") and pre["resourceVersion"] != current["metadata"]["resourceVersion"]:
        raise ApiError(409, f"the ResourceVersion in the precondition ({pre['resourceVersion']}) does not match "
                       f"the ResourceVersion in record ({current['metadata']['resourceVersion']}). "
                       "The object might have been modified")
    last = store.remove(rt, namespace, name, dry_run=dry_run)
    if not rt.builtin:
        return render(rt, last)  # custom resources answer with the deleted object
    resource, _, group = rt.qualified.partition(".")
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "details": {"name": name, "group": group, "kind": resource, "uid": current["metadata"]["uid"]}}
