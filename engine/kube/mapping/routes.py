"""Istio VirtualService and Gateway API HTTPRoute rules, parsed into one neutral shape.

Pure: a route object in, its rules out, in the order the data plane evaluates them.

* Istio evaluates ``spec.http`` in order and stops at the first rule that matches; a rule without
  ``match`` (or whose match is only ``uri.prefix: /``) catches everything, so rules after it are
  never reached. Weights are percentages; a lone destination without a weight gets 100.
* Gateway API picks the most specific match (exact path, then the longest prefix, then method, then
  the number of header and query matches); a rule without ``matches`` is ``PathPrefix /``. Weights
  are relative (unset = 1, 0 = none).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rolldeck.engine.kube.mapping.objects import int_or, spec
from rolldeck.engine.traffic import Match, MatchKind, MatchOp

VIRTUAL_SERVICES = "virtualservices"
HTTP_ROUTES = "httproutes"


@dataclass(frozen=True, slots=True)
class Destination:
    host: str  # the Service (short name)
    subset: str = ""  # Istio DestinationRule subset
    weight: int = 0  # as written: percent (Istio) or relative (Gateway API)
    index: int = 0  # position in its rule's route/backendRefs list


@dataclass(frozen=True, slots=True)
class RouteMirror:
    host: str
    subset: str
    percent: float


@dataclass(frozen=True, slots=True)
class RouteRule:
    index: int  # position in spec.http / spec.rules (what a patch addresses)
    name: str
    conditions: tuple[tuple[Match, ...], ...]  # ORed; each condition's matches ANDed; () = everything
    destinations: tuple[Destination, ...]
    mirrors: tuple[RouteMirror, ...] = ()
    delegate: str = ""  # Istio: the VirtualService this rule hands requests to

    @property
    def catch_all(self) -> bool:
        return not self.conditions or any(not c for c in self.conditions)


@dataclass(frozen=True, slots=True)
class ParsedRoute:
    kind: str  # VIRTUAL_SERVICES or HTTP_ROUTES
    rules: tuple[RouteRule, ...]  # in evaluation order
    relative: bool  # Gateway API weights are relative
    other_routes: tuple[str, ...] = field(default=())  # tcp/tls sections rolldeck does not read

    @property
    def default(self) -> RouteRule | None:
        """The weighted split everyone not in a cohort gets: the first catch-all rule (Argo's
        ``primary`` route when it is one), else nothing."""
        catch_alls = [r for r in self.rules if r.catch_all]
        named = next((r for r in catch_alls if r.name == "primary"), None)
        return named or (catch_alls[0] if catch_alls else None)

    @property
    def cohorts(self) -> tuple[RouteRule, ...]:
        """Match rules evaluated before the default (in that order); they bypass its weights."""
        default = self.default
        out = []
        for rule in self.rules:
            if rule is default:
                break
            if not rule.catch_all:
                out.append(rule)
        return tuple(out)

    @property
    def unreachable(self) -> tuple[RouteRule, ...]:
        default = self.default
        if default is None or self.kind != VIRTUAL_SERVICES:
            return ()
        return tuple(self.rules[self.rules.index(default) + 1 :])

    def hosts(self) -> list[tuple[str, str]]:
        """Every (Service, subset) the route sends or mirrors traffic to, in first-seen order."""
        seen: dict[tuple[str, str], None] = {}
        for rule in self.rules:
            for d in rule.destinations:
                seen.setdefault((d.host, d.subset))
            for m in rule.mirrors:
                seen.setdefault((m.host, m.subset))
        return list(seen)


def short_host(host: str) -> str:
    return str(host).split(".")[0]


# --- Istio -------------------------------------------------------------------------------------------

_COOKIE = re.compile(r"\(([^()=;^$*?]+)=([^()=;^$*?]+)\)")  # Flagger's "^(.*?;)?(type=insider)(;.*)?$"


def mirror_percent(rule: Mapping[str, Any]) -> float:
    """How much of a mirrored HTTP route is copied: ``mirrorPercentage.value`` (a double, so 0.5 stays
    0.5), else the deprecated integer ``mirrorPercent`` (``mirror_percent`` in the proto), else 100."""
    percentage = rule.get("mirrorPercentage")
    if isinstance(percentage, Mapping) and percentage.get("value") is not None:
        return _percent(percentage["value"])
    for legacy in ("mirrorPercent", "mirror_percent"):
        if rule.get(legacy) is not None:
            return _percent(rule[legacy])
    return 100.0


def _percent(value: Any, default: float = 100.0) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if 0.0 <= number <= 100.0 else default


def _string_match(kind: MatchKind, name: str, body: Any) -> Match:
    if not isinstance(body, Mapping) or not body:
        return Match(kind, name, MatchOp.PRESENT)
    for key, op in (("exact", MatchOp.EXACT), ("prefix", MatchOp.PREFIX), ("regex", MatchOp.REGEX)):
        if key in body:
            value = str(body[key])
            if kind is MatchKind.HEADER and name.lower() == "cookie":
                found = _COOKIE.search(value) if op is MatchOp.REGEX else None
                if found:
                    return Match(MatchKind.COOKIE, found.group(1), MatchOp.EXACT, found.group(2))
                return Match(MatchKind.COOKIE, "", op, value)
            return Match(kind, name, op, value)
    return Match(kind, name, MatchOp.PRESENT)


_ISTIO_QUIET = {"name", "ignoreUriCase", "statPrefix"}


def _istio_condition(request: Mapping[str, Any]) -> tuple[Match, ...]:
    out: list[Match] = []
    for key, value in request.items():
        if key in _ISTIO_QUIET:
            continue
        if key == "uri":
            match = _string_match(MatchKind.PATH, "", value)
            if not (match.op is MatchOp.PREFIX and match.value == "/"):
                out.append(match)
        elif key == "method":
            out.append(Match(MatchKind.METHOD, "", MatchOp.EXACT, str(_string_match(MatchKind.METHOD, "", value).value)))
        elif key in ("headers", "queryParams") and isinstance(value, Mapping):
            kind = MatchKind.HEADER if key == "headers" else MatchKind.QUERY
            out.extend(_string_match(kind, str(name), body) for name, body in sorted(value.items()))
        else:
            out.append(Match(MatchKind.OTHER, str(key), MatchOp.EXACT, json.dumps(value, separators=(",", ":"), sort_keys=True)))
    return tuple(sorted(out, key=lambda m: _KIND_ORDER.index(m.kind)))  # stable: path, method, headers…


_KIND_ORDER = [MatchKind.PATH, MatchKind.METHOD, MatchKind.HEADER, MatchKind.COOKIE, MatchKind.QUERY, MatchKind.OTHER]


def parse_virtual_service(vs: Mapping[str, Any]) -> ParsedRoute:
    rules = []
    for index, http in enumerate(spec(vs).get("http") or []):
        if not isinstance(http, Mapping):
            continue
        conditions = tuple(_istio_condition(m) for m in http.get("match") or [] if isinstance(m, Mapping))
        route = [d for d in http.get("route") or [] if isinstance(d, Mapping)]
        destinations = tuple(
            Destination(
                short_host((d.get("destination") or {}).get("host") or ""),
                str((d.get("destination") or {}).get("subset") or ""),
                int_or(d.get("weight"), 0) if d.get("weight") is not None else (100 if len(route) == 1 else 0),
                j,
            )
            for j, d in enumerate(route)
        )
        mirrors = []
        if isinstance(http.get("mirror"), Mapping):
            target = http["mirror"]
            mirrors.append(RouteMirror(short_host(target.get("host") or ""), str(target.get("subset") or ""), mirror_percent(http)))
        for extra in http.get("mirrors") or []:  # Istio 1.22+: several mirrors, each with its percentage
            target = (extra or {}).get("destination") or {}
            if target.get("host"):
                percent = _percent(((extra.get("percentage") or {}).get("value")), 100.0)
                mirrors.append(RouteMirror(short_host(target["host"]), str(target.get("subset") or ""), percent))
        delegate = (http.get("delegate") or {}).get("name", "") if isinstance(http.get("delegate"), Mapping) else ""
        rules.append(RouteRule(index, str(http.get("name") or ""), conditions, destinations, tuple(mirrors), str(delegate)))
    others = tuple(section for section in ("tcp", "tls") if spec(vs).get(section))
    return ParsedRoute(VIRTUAL_SERVICES, tuple(rules), relative=False, other_routes=others)


# --- Gateway API -------------------------------------------------------------------------------------

_GW_OPS = {"Exact": MatchOp.EXACT, "PathPrefix": MatchOp.PREFIX, "RegularExpression": MatchOp.REGEX}


def _gateway_condition(match: Mapping[str, Any]) -> tuple[Match, ...]:
    out: list[Match] = []
    path = match.get("path") or {}
    if path:
        op = _GW_OPS.get(str(path.get("type") or "PathPrefix"), MatchOp.PREFIX)
        value = str(path.get("value") or "/")
        if not (op is MatchOp.PREFIX and value == "/"):
            out.append(Match(MatchKind.PATH, "", op, value))
    if match.get("method"):
        out.append(Match(MatchKind.METHOD, "", MatchOp.EXACT, str(match["method"])))
    for key, kind in (("headers", MatchKind.HEADER), ("queryParams", MatchKind.QUERY)):
        for item in match.get(key) or []:
            op = _GW_OPS.get(str(item.get("type") or "Exact"), MatchOp.EXACT)
            out.append(Match(kind, str(item.get("name") or ""), op, str(item.get("value") or "")))
    return tuple(out)


def _specificity(match: Mapping[str, Any]) -> tuple[int, int, int, int, int]:
    """Gateway API's precedence, smaller first: exact path, longer prefix, method, more headers, more query."""
    path = match.get("path") or {}
    kind = str(path.get("type") or "PathPrefix")
    rank = {"Exact": 0, "PathPrefix": 1}.get(kind, 2)
    return (rank, -len(str(path.get("value") or "/")), 0 if match.get("method") else 1, -len(match.get("headers") or []), -len(match.get("queryParams") or []))


def _request_mirror(filters: Any) -> list[RouteMirror]:
    out = []
    for item in filters or []:
        if not isinstance(item, Mapping) or item.get("type") != "RequestMirror":
            continue
        body = item.get("requestMirror") or {}
        ref = body.get("backendRef") or {}
        if not ref.get("name"):
            continue
        percent = 100.0
        if body.get("percent") is not None:
            percent = _percent(body["percent"])
        elif isinstance(body.get("fraction"), Mapping):
            fraction = body["fraction"]
            denominator = int_or(fraction.get("denominator"), 100) or 100
            percent = _percent(int_or(fraction.get("numerator"), 0) * 100.0 / denominator)
        out.append(RouteMirror(str(ref["name"]), "", percent))
    return out


def parse_http_route(route: Mapping[str, Any]) -> ParsedRoute:
    rules = []
    for index, rule in enumerate(spec(route).get("rules") or []):
        if not isinstance(rule, Mapping):
            continue
        matches = [m for m in rule.get("matches") or [] if isinstance(m, Mapping)] or [{}]
        conditions = tuple(_gateway_condition(m) for m in matches)
        refs = [r for r in rule.get("backendRefs") or [] if isinstance(r, Mapping) and str(r.get("kind") or "Service") == "Service"]
        destinations = tuple(
            Destination(str(r.get("name") or ""), "", int_or(r.get("weight"), 1) if r.get("weight") is not None else 1, j) for j, r in enumerate(refs)
        )
        key = min(_specificity(m) for m in matches)
        rules.append((key, index, RouteRule(index, str(rule.get("name") or ""), conditions, destinations, tuple(_request_mirror(rule.get("filters"))))))
    ordered = tuple(r for _, _, r in sorted(rules, key=lambda item: (item[0], item[1])))
    return ParsedRoute(HTTP_ROUTES, ordered, relative=True)


def parse(kind: str, route: Mapping[str, Any]) -> ParsedRoute:
    return parse_virtual_service(route) if kind == VIRTUAL_SERVICES else parse_http_route(route)
