"""The signals-source port: what a backend calls to get per-version ``Signals`` from a metrics store.

The Kubernetes backend (``engine.kube``) holds one ``SignalsSource`` per Prometheus endpoint and calls
``fetch(target)`` once per release and analysis interval. The answer is either a ``Signals`` for every
version named in the target, or one ``MetricsError`` — never a partial answer, never an exception for
an operational failure, and never a zero-count ``Signals`` standing in for "no data". The judge turns a
``MetricsError`` into the Error verdict (freeze), so a broken query can never look like a healthy canary.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Protocol, runtime_checkable

from rolldeck.engine.metrics.templates import TEMPLATE_SETS, Matcher, TemplateSet
from rolldeck.engine.model import Signals


def _matchers(version: str, selector: Mapping[str, str] | Sequence[Matcher]) -> tuple[Matcher, ...]:
    if isinstance(selector, Mapping):
        result = tuple(Matcher(str(label), str(value)) for label, value in selector.items())
    else:
        result = tuple(selector)
        if not all(isinstance(m, Matcher) for m in result):
            raise ValueError(f"selector for version {version!r} must be a label mapping or Matchers")
    # An empty selector would sum every workload in the mesh into this version's counts.
    if not result:
        raise ValueError(f"selector for version {version!r} is empty")
    return result


@dataclass(frozen=True)
class MetricsTarget:
    """What to query for one release: a template set, a label selector per version, a window and the SLO.

    ``selectors`` maps a version name (``"stable"``, ``"canary"``, ``"blue"``…) to label matchers; a plain
    mapping means equality matchers, e.g. ``{"destination_workload": "checkout-canary",
    "destination_workload_namespace": "shop"}``. ``templates`` names a set in
    ``engine.metrics.templates.TEMPLATE_SETS`` (``"istio"``, ``"app"``) or is a ``TemplateSet`` itself;
    ``params`` overrides that set's extra placeholders (e.g. ``{"status_label": "code"}``).
    ``slo_latency_s`` must be one of the histogram's ``le`` bounds (in seconds, after unit conversion):
    slow requests are read from that bucket, never interpolated. Checked when the buckets arrive,
    because only Prometheus knows the bounds; a mismatch is a ``MetricsError`` of kind ``config``.

    Being a stdlib dataclass, it also validates from plain data with
    ``pydantic.TypeAdapter(MetricsTarget).validate_python({...})``.
    """

    selectors: Mapping[str, Mapping[str, str] | Sequence[Matcher]]
    templates: str | TemplateSet = "istio"  # a set name in TEMPLATE_SETS, or a custom TemplateSet
    window_s: float = 60.0
    slo_latency_s: float = 0.5
    params: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.selectors:
            raise ValueError("a metrics target needs at least one version selector")
        normalized = {str(v): _matchers(str(v), s) for v, s in self.selectors.items()}
        object.__setattr__(self, "selectors", MappingProxyType(normalized))
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        template_set = self.template_set  # unknown names fail here, not at query time
        template_set.check_params(self.params)
        if not (math.isfinite(self.window_s) and self.window_s >= 0.001):
            raise ValueError(f"window must be a positive number of seconds, got {self.window_s}")
        if not (math.isfinite(self.slo_latency_s) and self.slo_latency_s > 0):
            raise ValueError(f"SLO latency threshold must be positive seconds, got {self.slo_latency_s}")

    @property
    def template_set(self) -> TemplateSet:
        if isinstance(self.templates, TemplateSet):
            return self.templates
        try:
            return TEMPLATE_SETS[self.templates]
        except KeyError:
            names = ", ".join(sorted(TEMPLATE_SETS))
            raise ValueError(f"unknown metrics template set {self.templates!r} (known: {names})") from None

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(self.selectors)

    def matchers(self, version: str) -> tuple[Matcher, ...]:
        return self.selectors[version]  # type: ignore[return-value]  # normalized in __post_init__


class ErrorKind(StrEnum):
    UNREACHABLE = "unreachable"  # connection refused, DNS, TLS
    TIMEOUT = "timeout"
    HTTP = "http"  # a non-2xx answer without a Prometheus error body (proxy, auth, overload)
    QUERY = "query"  # Prometheus answered ``status: error`` (bad PromQL, execution failure)
    BAD_RESPONSE = "bad-response"  # not JSON, wrong shape, wrong result type, NaN/Inf counts
    TOO_LARGE = "too-large"  # the answer passed the byte cap (on the wire or inflated): never parsed
    NO_DATA = "no-data"  # the query matched no series
    CONFIG = "config"  # target and data disagree (SLO threshold not an ``le`` bound, unknown template)
    INTERNAL = "internal"  # a bug in the source; reported, never raised into the backend's loop


@dataclass(frozen=True, slots=True)
class MetricsError:
    """Why no signals could be produced; ``reason`` is one line, safe to show and log (no credentials)."""

    kind: ErrorKind
    reason: str

    def __str__(self) -> str:
        return self.reason


@runtime_checkable
class SignalsSource(Protocol):
    """A store of request metrics the engine can ask for per-version signals over a recent window."""

    async def fetch(self, target: MetricsTarget) -> dict[str, Signals] | MetricsError:
        """Signals for every version in ``target.selectors`` (same keys), or one ``MetricsError``.

        Never raises for operational failures (network, HTTP, bad data); every request is bounded by
        the source's timeout, so a call always returns in bounded time.
        """
        ...

    async def aclose(self) -> None:
        """Release connections. Idempotent."""
        ...
