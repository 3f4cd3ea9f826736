"""Manual weights and mirroring on unmanaged routes (kubernetes-mechanics.md §5–6).

JSON patches with ``test`` guards: the rule's name and every destination we touch are tested in
place, so a route someone reordered or edited fails with 422 instead of being overwritten. (A merge
patch would replace the whole ``http``/``rules`` list; a strategic merge patch gets 415 on CRs.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rolldeck.engine.kube.mapping.objects import Obj, int_or, name_of, namespace_of, spec
from rolldeck.engine.kube.mapping.sources import Backend
from rolldeck.engine.changes import describe_mirror
from rolldeck.engine.kube.mapping.unmanaged import rule_mirror
from rolldeck.engine.kube.mapping.workloads import percentages
from rolldeck.engine.kube.resources import JSON_PATCH, Kind
from rolldeck.engine.model import Mirror
from rolldeck.engine.kube.verbs.write import Intent, StateChanged, Write, pointer


def _entries(kind: Kind, route: Obj, rule: int) -> tuple[str, Mapping[str, Any], list[Mapping[str, Any]]]:
    """(list field, the rule, its destinations) for a VirtualService or an HTTPRoute."""
    field, inner = ("http", "route") if kind.key == "virtualservices" else ("rules", "backendRefs")
    rules = spec(route).get(field) or []
    if rule >= len(rules):
        raise StateChanged(f"route {name_of(route)} has no rule {rule} any more")
    return field, rules[rule], list(rules[rule].get(inner) or [])


def _host(kind: Kind, entry: Mapping[str, Any]) -> str:
    if kind.key == "virtualservices":
        return str((entry.get("destination") or {}).get("host") or "")
    return str(entry.get("name") or "")


def live_weights(kind: Kind, route: Obj, backends: Mapping[str, Backend]) -> dict[str, int]:
    """Current split per version, in percent, after checking every backend is still in place."""
    raw: dict[str, int] = {}
    for version, backend in backends.items():
        _, _, entries = _entries(kind, route, backend.rule)
        if backend.index >= len(entries) or _host(kind, entries[backend.index]) != backend.host:
            raise StateChanged(f"route {name_of(route)} changed: {backend.host} is no longer destination {backend.index}")
        entry = entries[backend.index]
        default = 1 if kind.key == "httproutes" else 0
        raw[version] = int_or(entry.get("weight"), default) if entry.get("weight") is not None else default
    names = list(raw)
    return dict(zip(names, percentages([raw[n] for n in names]), strict=True))


def _guards(kind: Kind, route: Obj, backends: Mapping[str, Backend]) -> list[dict[str, Any]]:
    ops: list[dict[str, Any]] = []
    seen_rules: set[int] = set()
    for backend in backends.values():
        field, rule, _ = _entries(kind, route, backend.rule)
        if backend.rule not in seen_rules and rule.get("name"):
            ops.append({"op": "test", "path": pointer("spec", field, backend.rule, "name"), "value": rule["name"]})
        seen_rules.add(backend.rule)
        if kind.key == "virtualservices":
            ops.append({"op": "test", "path": pointer("spec", field, backend.rule, "route", backend.index, "destination", "host"), "value": backend.host})
        else:
            ops.append({"op": "test", "path": pointer("spec", field, backend.rule, "backendRefs", backend.index, "name"), "value": backend.host})
    return ops


def _raw_weight(entry: Mapping[str, Any]) -> int | None:
    return int_or(entry.get("weight")) if entry.get("weight") is not None else None


def set_weights(kind: Kind, route: Obj, backends: Mapping[str, Backend], expected: Mapping[str, int] | None, weights: Mapping[str, int]) -> Intent:
    """Replace each version's weight. With ``expected`` (the split the operator saw) the live route
    must still show it, and the patch ``test``s every weight it read, so an edit that lands between
    our read and our write fails the patch (422) instead of being overwritten."""
    now = live_weights(kind, route, backends)
    if expected is not None and {k: now.get(k, 0) for k in expected} != dict(expected):
        shown = " / ".join(f"{k} {v}%" for k, v in now.items())
        raise StateChanged(f"route {name_of(route)} changed since the plan: now {shown}")
    ops = _guards(kind, route, backends)
    inner = "route" if kind.key == "virtualservices" else "backendRefs"
    writes = []
    for version, backend in backends.items():
        field, _, entries = _entries(kind, route, backend.rule)
        path = pointer("spec", field, backend.rule, inner, backend.index, "weight")
        raw = _raw_weight(entries[backend.index])
        if expected is not None and raw is not None:
            # The raw value (HTTPRoute weights are relative) that reads as the expected percentage.
            ops.append({"op": "test", "path": path, "value": raw})
        writes.append({"op": "replace" if raw is not None else "add", "path": path, "value": int(weights.get(version, 0))})
    ops.extend(writes)
    shown = " / ".join(f"{k} {weights.get(k, 0)}%" for k in backends)
    write = Write(kind, namespace_of(route), name_of(route), ops, JSON_PATCH, note=shown)
    return Intent((write,), summary=f"weights {shown}")


def set_mirror(kind: Kind, route: Obj, backends: Mapping[str, Backend], version: str, percent: float, expected: Mirror | None) -> Intent:
    """Istio only: ``mirror`` + ``mirrorPercentage`` (a double) on the weighted HTTP route; remove both
    to stop. The live mirror must still be the one the operator saw (``expected``)."""
    if kind.key != "virtualservices":
        raise StateChanged("mirroring needs an Istio VirtualService")
    backend = backends.get(version)
    if backend is None:
        raise StateChanged(f"version {version} is not a destination of route {name_of(route)}")
    live_weights(kind, route, backends)  # every destination still in place
    _, rule, _ = _entries(kind, route, backend.rule)
    live = rule_mirror(rule, [(n, b.host, b.subset) for n, b in backends.items()])
    if live != expected:
        raise StateChanged(f"route {name_of(route)} now mirrors {describe_mirror(live)} (the plan saw {describe_mirror(expected)})")
    ops = _guards(kind, route, {version: backend})
    guards = len(ops)
    base = ("spec", "http", backend.rule)
    for key in ("mirror", "mirrorPercentage"):
        if key in rule:
            ops.append({"op": "test", "path": pointer(*base, key), "value": rule[key]})
    if percent <= 0:
        for key in ("mirror", "mirrorPercentage", "mirrorPercent"):
            if key in rule:
                ops.append({"op": "remove", "path": pointer(*base, key)})
        if len(ops) == guards:
            raise StateChanged(f"route {name_of(route)} mirrors nothing")
        note = "stop mirroring"
    else:
        target = {"host": backend.host, **({"subset": backend.subset} if backend.subset else {})}
        if "mirrorPercent" in rule:
            ops.append({"op": "remove", "path": pointer(*base, "mirrorPercent")})  # the deprecated integer would disagree
        ops.append({"op": "add", "path": pointer(*base, "mirror"), "value": target})
        ops.append({"op": "add", "path": pointer(*base, "mirrorPercentage"), "value": {"value": float(percent)}})
        note = f"mirror {percent:g}% to {backend.host}"
    return Intent((Write(kind, namespace_of(route), name_of(route), ops, JSON_PATCH, note=note),), summary=note)
