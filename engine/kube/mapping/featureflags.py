"""OpenFeature Operator ``FeatureFlag`` objects (``core.openfeature.dev``) → ``Flag`` values.

A FeatureFlag's ``spec.flagSpec.flags`` holds flagd flag definitions: ``state`` (ENABLED/DISABLED),
``variants`` (name → value), ``defaultVariant`` and optional JSON-logic ``targeting``. The shares
follow flagd's evaluation: no targeting → the default variant for everyone; a ``fractional``
targeting buckets each evaluation by a hash of ``$flagd.flagKey`` + ``targetingKey`` (or a given
expression) over integer weights, so a variant's share is its weight over their sum; a variant named
without a weight weighs 1. Targeting with other rules (``if``, ``in``…) depends on who calls, so it is
summarised, its shares are those of the fractional it falls through to (if any), and rolldeck does
not edit it (``editable_fractional`` says so).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rolldeck.engine.kube.resources import Kind
from rolldeck.engine.model import Flag, FlagSource, FlagState

FEATURE_FLAGS = Kind("featureflags", "core.openfeature.dev", "v1beta1", "FeatureFlag", "openfeature")
LAST_CHANGED_BY = "rolldeck.dev/last-changed-by"  # annotation rolldeck writes with every flag change


@dataclass(frozen=True, slots=True)
class Fractional:
    """A ``fractional`` operation: the bucketing expression (None: flagd's default) and weights."""

    bucket_by: Any
    weights: tuple[tuple[str, int], ...]

    def shares(self) -> tuple[tuple[str, float], ...]:
        total = sum(w for _, w in self.weights)
        if total <= 0:
            return tuple((v, 0.0) for v, _ in self.weights)
        return tuple((v, round(100.0 * w / total, 2)) for v, w in self.weights)


def flag_definitions(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    flags = ((obj.get("spec") or {}).get("flagSpec") or {}).get("flags")
    return flags if isinstance(flags, Mapping) else {}


def flags_of(obj: Mapping[str, Any], *, environment: str = "") -> tuple[Flag, ...]:
    """Every well-formed flag of one FeatureFlag object, in its key order."""
    last = str(((obj.get("metadata") or {}).get("annotations") or {}).get(LAST_CHANGED_BY) or "")
    out = []
    for key, definition in flag_definitions(obj).items():
        flag = flag_of(str(key), definition, environment=environment, last_changed_by=last)
        if flag is not None:
            out.append(flag)
    return tuple(out)


def flag_of(key: str, definition: object, *, environment: str = "", last_changed_by: str = "") -> Flag | None:
    if not isinstance(definition, Mapping):
        return None
    variants = definition.get("variants")
    default = definition.get("defaultVariant")
    if not isinstance(variants, Mapping) or not variants or not isinstance(default, str):
        return None
    names = tuple(str(v) for v in variants)
    targeting = definition.get("targeting")
    fractional = find_fractional(targeting)
    if fractional is not None:
        shares = _complete(fractional.shares(), names)
    else:
        shares = tuple((v, 100.0 if v == default else 0.0) for v in names)
    return Flag(
        key=key,
        state=FlagState.DISABLED if definition.get("state") == "DISABLED" else FlagState.ENABLED,
        variants=names,
        default_variant=default,
        shares=shares,
        environment=environment,
        targeting=describe_targeting(targeting, fractional),
        last_changed_by=last_changed_by,
        source=FlagSource.OPENFEATURE,
        on_variant=_true_variant(variants),
    )


def _true_variant(variants: Mapping[str, Any]) -> str | None:
    trues = [str(name) for name, value in variants.items() if value is True]
    return trues[0] if len(trues) == 1 and len(variants) == 2 else None


def _complete(shares: tuple[tuple[str, float], ...], names: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
    """Every variant once, in the fractional's order (an API server sorts the variants map, never a
    list), then those it leaves out at 0 %."""
    given = dict(shares)
    return tuple((v, given[v]) for v in given if v in names) + tuple((v, 0.0) for v in names if v not in given)


def parse_fractional(args: object) -> Fractional | None:
    if not isinstance(args, Sequence) or isinstance(args, str) or not args:
        return None
    items = list(args)
    bucket_by = None
    if not isinstance(items[0], Sequence) or isinstance(items[0], str):
        bucket_by, items = items[0], items[1:]
    weights = []
    for item in items:
        if not isinstance(item, Sequence) or isinstance(item, str) or not 1 <= len(item) <= 2:
            return None
        weight = item[1] if len(item) == 2 else 1
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight != int(weight) or weight < 0:
            return None  # flagd takes whole, non-negative weights only
        weights.append((str(item[0]), int(weight)))
    return Fractional(bucket_by, tuple(weights)) if weights else None


def find_fractional(targeting: object) -> Fractional | None:
    """The first ``fractional`` in the targeting, depth first (None without one)."""
    if isinstance(targeting, Mapping):
        if "fractional" in targeting:
            return parse_fractional(targeting["fractional"])
        for value in targeting.values():
            found = find_fractional(value)
            if found is not None:
                return found
    elif isinstance(targeting, Sequence) and not isinstance(targeting, str):
        for value in targeting:
            found = find_fractional(value)
            if found is not None:
                return found
    return None


def editable_fractional(targeting: object) -> bool:
    """rolldeck rewrites only a targeting that is one ``fractional`` (or none at all)."""
    if targeting in (None, {}):
        return True
    return isinstance(targeting, Mapping) and set(targeting) == {"fractional"} and find_fractional(targeting) is not None


def describe_targeting(targeting: object, fractional: Fractional | None) -> str:
    if targeting in (None, {}):
        return "none: the default variant for everyone"
    if fractional is None:
        return "rules: " + _short(targeting)
    by = "targetingKey" if fractional.bucket_by is None else _short(fractional.bucket_by)
    split = ", ".join(f"{v} {s:g}%" for v, s in fractional.shares())
    if editable_fractional(targeting):
        return f"fractional by {by}: {split}"
    return f"rules, then fractional by {by}: {split}"


def _short(value: object, limit: int = 80) -> str:
    text = json.dumps(value, separators=(",", ":"), sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = [
    "FEATURE_FLAGS",
    "LAST_CHANGED_BY",
    "Fractional",
    "editable_fractional",
    "find_fractional",
    "flag_definitions",
    "flag_of",
    "flags_of",
    "parse_fractional",
]
