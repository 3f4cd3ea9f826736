"""Turn Prometheus HTTP API answers into numbers, and numbers into ``Signals``.

Response format: https://prometheus.io/docs/prometheus/latest/querying/api/#format-overview and
#instant-vectors — ``{"status": "success"|"error", "data": {"resultType": "vector", "result":
[{"metric": {labels}, "value": [<unix seconds>, "<float as string>"]}]}, "errorType", "error"}``.
Sample values are strings so that ``NaN``, ``+Inf`` and ``-Inf`` survive JSON.

Every function returns a ``MetricsError`` instead of raising: the caller must never crash on bad data.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass

from rolldeck.engine.buckets import count_above
from rolldeck.engine.metrics.source import ErrorKind, MetricsError
from rolldeck.engine.model import Signals

_MAX_REASON = 200


@dataclass(frozen=True, slots=True)
class Sample:
    labels: Mapping[str, str]
    timestamp: float
    value: float


@dataclass(frozen=True, slots=True)
class Vector:
    samples: tuple[Sample, ...]

    @property
    def timestamp(self) -> float | None:
        return self.samples[0].timestamp if self.samples else None


def one_line(text: str, limit: int = _MAX_REASON) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def parse_response(status_code: int, reason_phrase: str, body: bytes) -> Vector | MetricsError:
    """Decode one ``/api/v1/query`` answer into an instant vector."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        document = None
    # Prometheus sends a JSON error body with 400/422/503; prefer its message over the bare status.
    if isinstance(document, dict) and document.get("status") == "error":
        error_type = one_line(document.get("errorType") or "error", 40)
        # Prometheus' own query timeout (the ``timeout`` parameter) answers 503 with errorType timeout.
        kind = ErrorKind.TIMEOUT if error_type in ("timeout", "canceled") else ErrorKind.QUERY
        return MetricsError(kind, one_line(f"Prometheus {error_type}: {document.get('error', '')}"))
    if not 200 <= status_code < 300:
        hint = " (check the Prometheus credentials)" if status_code in (401, 403) else ""
        return MetricsError(ErrorKind.HTTP, one_line(f"HTTP {status_code} {reason_phrase}{hint}"))
    if document is None:
        return MetricsError(ErrorKind.BAD_RESPONSE, "answer is not JSON")
    if not isinstance(document, dict) or document.get("status") != "success":
        return MetricsError(ErrorKind.BAD_RESPONSE, "answer has no success status")
    data = document.get("data")
    if not isinstance(data, dict):
        return MetricsError(ErrorKind.BAD_RESPONSE, "answer has no data object")
    if data.get("resultType") != "vector":
        # increase() over a window at one instant is a vector; anything else is a broken template.
        return MetricsError(ErrorKind.BAD_RESPONSE, one_line(f"expected a vector, got {data.get('resultType')!r}", 80))
    result = data.get("result")
    if not isinstance(result, list):
        return MetricsError(ErrorKind.BAD_RESPONSE, "vector result is not a list")
    samples = []
    seen: set[tuple[tuple[str, str], ...]] = set()
    for item in result:
        sample = _sample(item)
        if isinstance(sample, MetricsError):
            return sample
        # A vector holds one sample per label set; a repeat (two le="0.5" buckets, the same counter
        # twice) would be counted twice, so the answer is broken, not data (issue 11, item 10).
        labels = tuple(sorted(sample.labels.items()))
        if labels in seen:
            shown = ",".join(f"{k}={v!r}" for k, v in labels)
            return MetricsError(ErrorKind.BAD_RESPONSE, one_line(f"the answer repeats the series {{{shown}}}", 120))
        seen.add(labels)
        samples.append(sample)
    return Vector(tuple(samples))


def _sample(item: object) -> Sample | MetricsError:
    bad = MetricsError(ErrorKind.BAD_RESPONSE, "malformed vector sample")
    if not isinstance(item, dict):
        return bad
    labels, value = item.get("metric", {}), item.get("value")
    if not isinstance(labels, dict) or not isinstance(value, list) or len(value) != 2:
        return bad
    timestamp, text = value
    if isinstance(timestamp, bool) or not isinstance(timestamp, int | float):
        return bad
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        return bad
    try:
        number = float(text)  # accepts Prometheus' "NaN", "+Inf", "-Inf"
    except ValueError:
        return bad
    return Sample({str(k): str(v) for k, v in labels.items()}, float(timestamp), number)


def _count(value: float) -> float | MetricsError:
    # increase() of a counter is finite and ≥ 0; NaN/Inf/negative means a broken query or exporter.
    if not math.isfinite(value) or value < 0:
        return MetricsError(ErrorKind.BAD_RESPONSE, f"count is {value!r}, not a finite non-negative number")
    return value


def total(vector: Vector) -> float | MetricsError:
    """Sum of a counter vector's samples (the templates already ``sum``; custom ones may not)."""
    result = 0.0
    for sample in vector.samples:
        value = _count(sample.value)
        if isinstance(value, MetricsError):
            return value
        result += value
    return result


def histogram(vector: Vector, le_per_second: float) -> tuple[tuple[float, ...], tuple[float, ...]] | MetricsError:
    """Finite ``le`` bounds in seconds and cumulative counts with a final ``+Inf`` entry."""
    by_le: dict[float, float] = {}
    for sample in vector.samples:
        le_text = sample.labels.get("le")
        if le_text is None:
            return MetricsError(ErrorKind.BAD_RESPONSE, "histogram sample without an le label")
        try:
            le = float(le_text)
        except ValueError:
            return MetricsError(ErrorKind.BAD_RESPONSE, one_line(f"bad le label {le_text!r}", 80))
        if math.isnan(le) or le < 0:
            return MetricsError(ErrorKind.BAD_RESPONSE, one_line(f"bad le label {le_text!r}", 80))
        value = _count(sample.value)
        if isinstance(value, MetricsError):
            return value
        # "1" and "1.0" are the same bound (exporters and Prometheus versions spell it differently).
        by_le[le] = by_le.get(le, 0.0) + value
    if math.inf not in by_le:
        return MetricsError(ErrorKind.BAD_RESPONSE, "histogram has no +Inf bucket")
    ordered = sorted(by_le.items())
    bounds = tuple(le / le_per_second for le, _ in ordered[:-1])
    cumulative: list[float] = []
    running = 0.0
    for _, count in ordered:
        # increase() extrapolates each bucket series on its own, so cumulative counts can dip a
        # little; Prometheus' histogram_quantile enforces monotonicity the same way.
        running = max(running, count)
        cumulative.append(running)
    return bounds, tuple(cumulative)


def build_signals(
    *,
    window_s: float,
    requests: float,
    errors: float,
    bounds: tuple[float, ...],
    cumulative: tuple[float, ...],
    slo_latency_s: float,
) -> Signals | MetricsError:
    if not any(math.isclose(bound, slo_latency_s, rel_tol=1e-9) for bound in bounds):
        shown = ", ".join(f"{b:g}" for b in bounds)
        return MetricsError(
            ErrorKind.CONFIG,
            one_line(f"SLO latency {slo_latency_s:g}s is not an le bound of the histogram (bounds: {shown})"),
        )
    # Slow requests come from the bucket at the threshold, never from an interpolated quantile.
    slow = count_above(slo_latency_s, bounds, cumulative)
    n = round(requests)
    # Counter and histogram series are extrapolated separately by increase(); the judge needs x ≤ n.
    return Signals(
        window_s=window_s,
        requests=n,
        errors=min(round(errors), n),
        slow=min(round(slow), n),
        bounds=bounds,
        cumulative=cumulative,
    )
