"""Label selectors (`=`, `==`, `!=`, `in`, `notin`, `k`, `!k`) and dotted-path field selectors."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .errors import ApiError

Matcher = Callable[[dict], bool]

# Split on commas that are not inside a `(a,b)` value set.
_TERMS = re.compile(r",(?![^()]*\))")
_SET_TERM = re.compile(r"^\s*([^\s!=()]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_EQ_TERM = re.compile(r"^\s*([^\s!=()]+)\s*(==|=|!=)\s*([^\s!=(),]*)\s*$")
_EXISTS_TERM = re.compile(r"^\s*(!?)\s*([^\s!=(),]+)\s*$")


def _label_term(term: str) -> Matcher:
    if m := _SET_TERM.match(term):
        key, op, values = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",")}
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    if m := _EQ_TERM.match(term):
        key, op, value = m.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if m := _EXISTS_TERM.match(term):
        negate, key = m.groups()
        if negate:
            return lambda labels: key not in labels
        return lambda labels: key in labels
    raise ApiError(400, f"unable to parse requirement: found '{term}', expected: valid label selector")


def label_selector(selector: str | None) -> Matcher:
    """Matcher over a whole object; an empty selector matches everything."""
    if not selector or not selector.strip():
        return lambda obj: True
    terms = [_label_term(t) for t in _TERMS.split(selector) if t.strip()]

    def match(obj: dict) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return all(t(labels) for t in terms)

    return match


def dotted(obj: Any, path: str) -> Any:
    """Value at `a.b.c`, or None when any step is missing."""
    for part in path.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj


def field_selector(selector: str | None) -> Matcher:
    """`metadata.name=x,status.phase!=Running`: any dotted path (the real server allows only a few)."""
    if not selector or not selector.strip():
        return lambda obj: True
    terms: list[tuple[str, bool, str]] = []
    for term in selector.split(","):
        m = re.match(r"^\s*([\w.\-/]+)\s*(==|=|!=)\s*(.*?)\s*$", term)
        if not m:
            raise ApiError(400, f'invalid field selector: "{term}"')
        terms.append((m.group(1), m.group(2) != "!=", m.group(3)))

    def match(obj: dict) -> bool:
        for path, equal, value in terms:
            actual = dotted(obj, path)
            text = "" if actual is None else (str(actual).lower() if isinstance(actual, bool) else str(actual))
            if (text == value) != equal:
                return False
        return True

    return match


def selector_string(label_selector_obj: dict | None) -> str:
    """Render a `LabelSelector` ({matchLabels, matchExpressions}) in query syntax (for /scale)."""
    if not label_selector_obj:
        return ""
    parts = [f"{k}={v}" for k, v in sorted((label_selector_obj.get("matchLabels") or {}).items())]
    for expr in label_selector_obj.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)
