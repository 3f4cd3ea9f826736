"""PromQL query templates: one set per way an application's request metrics are exposed.

A ``TemplateSet`` holds three ``string.Template`` strings (``$name`` placeholders — PromQL itself uses
``{}`` for label matchers, so ``str.format`` braces would clash):

``requests``  total requests of one version over the window (a single-sample instant vector)
``errors``    5xx responses of one version over the window; an empty result means zero errors
``buckets``   the latency histogram of one version over the window, one sample per ``le`` label

Placeholders every set gets:

``$selector``  the version's label matchers, rendered and escaped, e.g.
               ``destination_workload="checkout-canary",destination_workload_namespace="shop"``
``$window``    the window as a PromQL duration, e.g. ``60s`` (``1500ms`` for fractional seconds)

Placeholders of a set (defaults in ``TemplateSet.defaults``, overridden by ``MetricsTarget.params``;
values must be PromQL identifiers, since they are pasted into the query unquoted):

``istio``  ``$reporter`` (``destination``): which proxy reports; both sides report every request,
           so without it each request would count twice.
``app``    ``$requests_metric`` (``http_requests_total``), ``$duration_metric``
           (``http_request_duration_seconds``, without ``_bucket``), ``$status_label`` (``status``;
           Go's promhttp uses ``code``).

``le_per_second`` converts ``le`` bounds to seconds: Istio's histogram is in milliseconds.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from string import Template
from types import MappingProxyType
from typing import Literal

MatchOp = Literal["=", "!=", "=~", "!~"]
_LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_IDENTIFIER = re.compile(r"^[A-Za-z_:][A-Za-z0-9_:]*$")
BUILTIN_PLACEHOLDERS = frozenset({"selector", "window"})


class QueryKind(StrEnum):
    REQUESTS = "requests"
    ERRORS = "errors"
    BUCKETS = "buckets"


@dataclass(frozen=True, slots=True)
class Matcher:
    """One PromQL label matcher, e.g. ``Matcher("pod", "checkout-canary-.*", "=~")``."""

    label: str
    value: str
    op: MatchOp = "="

    def __post_init__(self) -> None:
        if not _LABEL_NAME.match(self.label):
            raise ValueError(f"invalid Prometheus label name {self.label!r}")
        if self.op not in ("=", "!=", "=~", "!~"):
            raise ValueError(f"invalid label matcher operator {self.op!r}")

    def render(self) -> str:
        # PromQL string literals take Go escapes; JSON's escaping is a subset of them.
        return f"{self.label}{self.op}{json.dumps(self.value, ensure_ascii=False)}"


@dataclass(frozen=True)
class TemplateSet:
    name: str
    requests: str
    errors: str
    buckets: str
    le_per_second: float = 1.0  # 1000.0 when the histogram's le bounds are milliseconds
    defaults: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "defaults", MappingProxyType(dict(self.defaults)))
        allowed = BUILTIN_PLACEHOLDERS | set(self.defaults)
        for kind in QueryKind:
            template = Template(self.template(kind))
            if not template.is_valid():
                raise ValueError(f"template set {self.name!r}: malformed placeholder in {kind} template")
            unknown = set(template.get_identifiers()) - allowed
            if unknown:
                raise ValueError(f"template set {self.name!r}: {kind} template uses undeclared {sorted(unknown)}")
        self.check_params(self.defaults)
        if not (math.isfinite(self.le_per_second) and self.le_per_second > 0):
            raise ValueError(f"template set {self.name!r}: le_per_second must be positive")

    def template(self, kind: QueryKind) -> str:
        return str(getattr(self, kind.value))

    def check_params(self, params: Mapping[str, str]) -> None:
        unknown = set(params) - set(self.defaults)
        if unknown:
            raise ValueError(f"template set {self.name!r} has no placeholder(s) {sorted(unknown)}")
        for key, value in params.items():
            if not _IDENTIFIER.match(str(value)):
                raise ValueError(f"template parameter {key}={value!r} is not a PromQL identifier")

    def render(
        self, kind: QueryKind, matchers: tuple[Matcher, ...], window_s: float, params: Mapping[str, str] = {}
    ) -> str:
        values = {**self.defaults, **params}
        values["selector"] = ",".join(m.render() for m in matchers)
        values["window"] = promql_duration(window_s)
        return Template(self.template(kind)).substitute(values)


def promql_duration(seconds: float) -> str:
    """A PromQL duration literal; PromQL durations are integers with a unit, so fractions go to ms."""
    if float(seconds).is_integer():
        return f"{int(seconds)}s"
    return f"{max(1, round(seconds * 1000))}ms"


ISTIO = TemplateSet(
    name="istio",
    requests='sum(increase(istio_requests_total{reporter="$reporter",$selector}[$window]))',
    errors='sum(increase(istio_requests_total{reporter="$reporter",response_code=~"5..",$selector}[$window]))',
    buckets='sum by (le) (increase(istio_request_duration_milliseconds_bucket{reporter="$reporter",$selector}[$window]))',
    le_per_second=1000.0,
    defaults={"reporter": "destination"},
)

APP = TemplateSet(
    name="app",
    requests="sum(increase(${requests_metric}{$selector}[$window]))",
    errors='sum(increase(${requests_metric}{${status_label}=~"5..",$selector}[$window]))',
    buckets="sum by (le) (increase(${duration_metric}_bucket{$selector}[$window]))",
    defaults={
        "requests_metric": "http_requests_total",
        "duration_metric": "http_request_duration_seconds",
        "status_label": "status",
    },
)

TEMPLATE_SETS: Mapping[str, TemplateSet] = MappingProxyType({t.name: t for t in (ISTIO, APP)})
