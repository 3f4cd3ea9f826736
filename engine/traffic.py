"""Traffic rules: what a route does beside its weighted split (DESIGN.md vocabulary).

* **Match cohorts**: requests matching a header, cookie, query parameter, path or method go to a
  version whatever the weights say. Kept in the order the router evaluates them (Istio: rule order;
  Gateway API: match precedence), ahead of the weighted default.
* **Mirrors**: a copy of ``percent`` % of the traffic goes to ``version`` (a float: Istio's
  ``mirrorPercentage`` is a double, so 0.5 % is 0.5, not 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # model.py imports this module; the split is only read here, never built
    from rolldeck.engine.model import Split


class MatchKind(StrEnum):
    HEADER = "header"
    COOKIE = "cookie"  # Istio writes it as a regex on the cookie header; Gateway API has none
    QUERY = "query"
    PATH = "path"
    METHOD = "method"
    OTHER = "other"  # a field rolldeck shows as written (sourceLabels, port, authority…)


class MatchOp(StrEnum):
    EXACT = "exact"
    PREFIX = "prefix"
    REGEX = "regex"
    PRESENT = "present"


@dataclass(frozen=True, slots=True)
class Match:
    kind: MatchKind
    name: str  # header/cookie/query parameter name; "" for path and method
    op: MatchOp
    value: str = ""

    def describe(self) -> str:
        if self.kind is MatchKind.PATH:
            return {MatchOp.EXACT: f"path {self.value}", MatchOp.PREFIX: f"path {self.value}*", MatchOp.REGEX: f"path ~{self.value}"}.get(
                self.op, f"path {self.value}"
            )
        if self.kind is MatchKind.METHOD:
            return f"method {self.value}"
        if self.op is MatchOp.PRESENT:
            return f"{self.kind.value} {self.name} present"
        sign = {MatchOp.EXACT: "=", MatchOp.PREFIX: "^=", MatchOp.REGEX: "~"}[self.op]
        subject = self.name if self.kind is MatchKind.OTHER else f"{self.kind.value} {self.name}"
        return f"{subject}{sign}{self.value}"


@dataclass(frozen=True, slots=True)
class Cohort:
    """One match rule: it applies when any condition holds (a condition's matches all hold)."""

    conditions: tuple[tuple[Match, ...], ...]
    split: Split  # where the cohort's requests go, in percent
    order: int = 0  # evaluation position among the route's rules (0 first)

    def describe(self) -> str:
        """Control-plane terms: ``header end-user=jason → v2 100%``."""
        who = " or ".join(" and ".join(m.describe() for m in condition) or "every request" for condition in self.conditions)
        where = ", ".join(f"{name} {weight}%" for name, weight in self.split.weights if weight > 0) or "no destination"
        return f"{who} → {where}"

    def sends_to(self, version: str) -> int:
        return self.split.weight(version)


class Mirror(NamedTuple):
    """Shadow traffic: ``percent`` % of requests copied to ``version`` (a float, as Istio's double);
    responses are discarded. (engine.model re-exports it.)"""

    version: str
    percent: float

    def describe(self) -> str:
        return f"mirror {self.percent:g}% → {self.version}"


@dataclass(frozen=True, slots=True)
class TrafficRules:
    cohorts: tuple[Cohort, ...] = ()
    mirrors: tuple[Mirror, ...] = ()

    @property
    def bypasses_weights(self) -> bool:
        """Some requests are routed by a match, ahead of the weighted split."""
        return bool(self.cohorts)

    def lines(self) -> tuple[str, ...]:
        return tuple(c.describe() for c in self.cohorts) + tuple(m.describe() for m in self.mirrors)
