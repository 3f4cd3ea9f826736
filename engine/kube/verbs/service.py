"""Blue-green by Service selector (kubernetes-mechanics.md §4): a guarded JSON patch of one label."""

from __future__ import annotations

from rolldeck.engine.kube.mapping.objects import Obj, name_of, namespace_of, spec
from rolldeck.engine.kube.resources import JSON_PATCH, SERVICES
from rolldeck.engine.kube.verbs.write import Intent, StateChanged, Write, pointer


def switch_selector(service: Obj, key: str, expected: str | None, target: str) -> Intent:
    """``test`` the slot the plan saw, then ``replace`` it: a concurrent flip fails instead of being undone."""
    current = (spec(service).get("selector") or {}).get(key)
    if expected is not None and current != expected:
        raise StateChanged(f"service {name_of(service)} now selects {key}={current} (the plan saw {expected})")
    if current == target:
        raise StateChanged(f"service {name_of(service)} already selects {key}={target}")
    path = pointer("spec", "selector", key)
    ops = [{"op": "test", "path": path, "value": current}, {"op": "replace", "path": path, "value": target}]
    write = Write(SERVICES, namespace_of(service), name_of(service), ops, JSON_PATCH, note=f"{key}: {current} → {target}")
    return Intent((write,), summary=f"switch {name_of(service)} {key} {current} → {target}")
