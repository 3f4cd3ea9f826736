"""Small pure helpers over raw Kubernetes objects (plain dicts, as the API sends them)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rolldeck.engine.model import Replicas

Obj = dict[str, Any]


def meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def name_of(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("name", ""))


def namespace_of(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("namespace", ""))


def labels(obj: Mapping[str, Any]) -> Mapping[str, str]:
    return meta(obj).get("labels") or {}


def annotations_of(obj: Mapping[str, Any]) -> Mapping[str, str]:
    return meta(obj).get("annotations") or {}


def spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("spec") or {}


def status(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("status") or {}


def template_labels(workload: Mapping[str, Any]) -> Mapping[str, str]:
    return ((spec(workload).get("template") or {}).get("metadata") or {}).get("labels") or {}


def selector_matches(selector: Mapping[str, str], target: Mapping[str, str]) -> bool:
    """Equality-based selector (Service ``spec.selector``, ``matchLabels``); empty matches nothing."""
    return bool(selector) and all(target.get(k) == v for k, v in selector.items())


def label_selector_string(selector: Mapping[str, Any]) -> str:
    """``spec.selector`` of a workload as a ``labelSelector`` query (matchLabels and simple expressions)."""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        key, op, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(str(key))
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)


def controller_of(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for ref in meta(obj).get("ownerReferences") or []:
        if isinstance(ref, Mapping) and ref.get("controller"):
            return ref
    return None


def owned_by(obj: Mapping[str, Any], owner: Mapping[str, Any]) -> bool:
    ref = controller_of(obj)
    if ref is None:
        return False
    uid = meta(owner).get("uid")
    if uid and ref.get("uid"):
        return bool(ref.get("uid") == uid)
    return bool(ref.get("kind") == owner.get("kind") and ref.get("name") == name_of(owner))


def int_or(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def image_tag(workload: Mapping[str, Any]) -> str:
    """The first container's tag ("v1.4.2"), a short digest, or "latest"."""
    containers = ((spec(workload).get("template") or {}).get("spec") or {}).get("containers") or []
    image = str(containers[0].get("image", "")) if containers else ""
    if not image:
        return "?"
    if "@" in image:
        return image.split("@", 1)[1].removeprefix("sha256:")[:12]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


def workload_replicas(workload: Mapping[str, Any]) -> Replicas:
    """Deployment or ReplicaSet: desired from spec, ready/updated from status."""
    desired = int_or(spec(workload).get("replicas"), 1)
    st = status(workload)
    ready = int_or(st.get("readyReplicas"))
    # ReplicaSets have no updatedReplicas: every pod of an RS runs its template
    updated = int_or(st.get("updatedReplicas", st.get("replicas")))
    return Replicas(desired, ready, updated)


def sum_replicas(items: Iterable[Replicas]) -> Replicas:
    desired = ready = updated = 0
    for r in items:
        desired, ready, updated = desired + r.desired, ready + r.ready, updated + r.updated
    return Replicas(desired, ready, updated)


def revision_of(obj: Mapping[str, Any], annotation: str) -> int | None:
    value = annotations_of(obj).get(annotation)
    return int_or(value, -1) if value is not None and int_or(value, -1) >= 0 else None


@dataclass
class Objects:
    """One cluster's cached objects by kind key, with namespace and name indexes."""

    by_kind: dict[str, list[Obj]] = field(default_factory=dict)

    @classmethod
    def of(cls, kinds: Mapping[str, Iterable[Obj]]) -> Objects:
        return cls({key: list(values) for key, values in kinds.items()})

    def all(self, key: str) -> list[Obj]:
        return self.by_kind.get(key, [])

    def in_namespace(self, key: str, namespace: str) -> list[Obj]:
        index = self._ns_index(key)
        return index.get(namespace, [])

    def owned_index(self, key: str, namespace: str) -> OwnedIndex:
        cache: dict[tuple[str, str], OwnedIndex] = self.__dict__.setdefault("_owned", {})
        if (key, namespace) not in cache:
            cache[(key, namespace)] = OwnedIndex(self.in_namespace(key, namespace))
        return cache[(key, namespace)]

    def get(self, key: str, namespace: str, name: str) -> Obj | None:
        return next((o for o in self.in_namespace(key, namespace) if name_of(o) == name), None)

    def _ns_index(self, key: str) -> dict[str, list[Obj]]:
        cache: dict[str, dict[str, list[Obj]]] = self.__dict__.setdefault("_index", {})
        if key not in cache:
            index: dict[str, list[Obj]] = defaultdict(list)
            for obj in self.all(key):
                index[namespace_of(obj)].append(obj)
            cache[key] = index
        return cache[key]


class LabelIndex:
    """Workloads by pod-template label, so matching a selector is not a scan of the namespace."""

    def __init__(self, workloads: Sequence[Obj]) -> None:
        self.workloads = list(workloads)
        self._by_label: dict[tuple[str, str], list[Obj]] = defaultdict(list)
        for workload in self.workloads:
            for key, value in template_labels(workload).items():
                self._by_label[(key, str(value))].append(workload)

    def __iter__(self) -> Iterator[Obj]:
        return iter(self.workloads)

    def matching(self, selector: Mapping[str, str]) -> list[Obj]:
        if not selector:
            return []
        pairs = sorted(((k, str(v)) for k, v in selector.items()), key=lambda kv: len(self._by_label.get(kv, ())))
        return [w for w in self._by_label.get(pairs[0], ()) if selector_matches(selector, template_labels(w))]

    def having(self, key: str) -> list[Obj]:
        return [w for w in self.workloads if key in template_labels(w)]


class OwnedIndex(list[Obj]):
    """ReplicaSets (a plain list) plus a lookup by controlling owner's uid."""

    def __init__(self, items: Iterable[Obj]) -> None:
        super().__init__(items)
        self._by_uid: dict[str, list[Obj]] = defaultdict(list)
        for item in self:
            ref = controller_of(item)
            if ref is not None and ref.get("uid"):
                self._by_uid[str(ref["uid"])].append(item)

    def owned_by(self, owner: Mapping[str, Any]) -> list[Obj]:
        uid = meta(owner).get("uid")
        if uid:
            return list(self._by_uid.get(str(uid), ()))
        return [item for item in self if owned_by(item, owner)]
