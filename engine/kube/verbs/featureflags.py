"""Flag changes as JSON patches on an OpenFeature ``FeatureFlag`` (pure, given the live object).

Several flags share one FeatureFlag object, so the guard is per flag, not the object's
resourceVersion (a colleague's edit of another flag must not block a kill): ``test`` ops carry the
flag's live ``state`` — and, for a rollout or a restore, its whole definition — as just read and
checked against what the operator saw. The API server answers a failed ``test`` with 422, which
the caller reports as a concurrent edit. (A merge patch would replace the ``targeting`` object
blind; a strategic merge patch gets 415 on a custom resource.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rolldeck.engine.changes import FlagChange, KillFlag, RestoreFlag, SetFlagRollout, describe_flag_state
from rolldeck.engine.kube.mapping.featureflags import FEATURE_FLAGS, editable_fractional, find_fractional, flag_definitions, flag_of
from rolldeck.engine.kube.mapping.objects import name_of, namespace_of
from rolldeck.engine.kube.resources import JSON_PATCH
from rolldeck.engine.kube.verbs.write import StateChanged, Write, pointer
from rolldeck.engine.model import Flag, FlagState


def _path(key: str, *rest: str) -> str:
    return pointer("spec", "flagSpec", "flags", key, *rest)


def build(change: FlagChange, obj: Mapping[str, Any]) -> Write:
    definition = flag_definitions(obj).get(change.key)
    now = flag_of(change.key, definition) if definition is not None else None
    if now is None or not isinstance(definition, Mapping):
        raise StateChanged(f"flag {change.key} is gone from FeatureFlag {name_of(obj)}")
    seen = change.expect
    if now.state is not seen.state:
        raise StateChanged(f"flag {change.key} now {describe_flag_state(now.state)} (you saw {describe_flag_state(seen.state)})")
    state_test = {"op": "test", "path": _path(change.key, "state"), "value": definition.get("state")}
    match change:
        case KillFlag():
            ops: list[dict[str, Any]] = [state_test, {"op": "replace", "path": _path(change.key, "state"), "value": FlagState.DISABLED.value}]
            note = f"kill flag {change.key}: state ENABLED → DISABLED"
        case RestoreFlag():
            _same_shares(now, seen)
            ops = [_definition_test(change.key, definition), {"op": "replace", "path": _path(change.key, "state"), "value": FlagState.ENABLED.value}]
            note = f"restore flag {change.key}: state DISABLED → ENABLED"
        case SetFlagRollout(shares=shares):
            _same_shares(now, seen)
            targeting = definition.get("targeting")
            if not editable_fractional(targeting):
                raise StateChanged(f"flag {change.key}'s targeting has rules besides fractional: edit it where it is kept (Git, kubectl)")
            ops = [_definition_test(change.key, definition), _targeting_op(change.key, targeting, shares)]
            note = f"flag {change.key} fractional: " + ", ".join(f"{v} {s:g}%" for v, s in shares)
    return Write(FEATURE_FLAGS, namespace_of(obj), name_of(obj), ops, JSON_PATCH, guard=False, note=note)


def _same_shares(now: Flag, seen: Flag) -> None:
    if not now.same_shares(seen):
        raise StateChanged(f"flag {now.key} now {now.describe_shares()} (you saw {seen.describe_shares()})")


def _definition_test(key: str, definition: Mapping[str, Any]) -> dict[str, Any]:
    return {"op": "test", "path": _path(key), "value": dict(definition)}


def fractional_weights(shares: tuple[tuple[str, float], ...]) -> list[list[Any]]:
    """flagd weighs in whole numbers: whole percents as they are, finer shares in hundredths."""
    scale = 1 if all(float(s).is_integer() for _, s in shares) else 100
    return [[variant, int(round(share * scale))] for variant, share in shares]


def _targeting_op(key: str, targeting: object, shares: tuple[tuple[str, float], ...]) -> dict[str, Any]:
    current = find_fractional(targeting)
    args: list[Any] = [] if current is None or current.bucket_by is None else [current.bucket_by]
    args += fractional_weights(shares)
    # "add" replaces an existing member too (RFC 6902 §4.1), and creates an absent targeting
    return {"op": "add", "path": _path(key, "targeting"), "value": {"fractional": args}}


__all__ = ["build", "fractional_weights"]
