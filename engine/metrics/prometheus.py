"""``SignalsSource`` over the Prometheus HTTP API (instant queries, httpx, async).

API reference: https://prometheus.io/docs/prometheus/latest/querying/api/ — ``GET /api/v1/query``
with ``query``, ``time`` (evaluation instant, unix seconds) and ``timeout``; answers and error
bodies as described in ``engine.metrics.parse``.

One ``fetch`` runs three instant queries per version (requests, 5xx errors, ``le`` buckets), each
``increase(...[window])`` rendered from the target's template set. The first answer's evaluation
timestamp pins ``time`` for the others, so all counts cover the same window without this module
ever reading the wall clock (the engine takes time only from its backend).

Credentials (bearer token, basic auth, extra headers such as a tenant id) go only into request
headers; they are never logged and are scrubbed from every error reason.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from rolldeck.engine.bodies import MiB, BodyTooLarge, UnsupportedEncoding, read_capped
from rolldeck.engine.metrics.parse import Vector, build_signals, histogram, one_line, parse_response, total
from rolldeck.engine.metrics.source import ErrorKind, MetricsError, MetricsTarget
from rolldeck.engine.metrics.templates import QueryKind, promql_duration
from rolldeck.engine.model import Signals

logger = logging.getLogger(__name__)

# One answer is three vectors' worth of one release's series; 8 MiB is thousands of series, far past
# any sane template, and bounds what a hostile or broken server costs in memory.
MAX_ANSWER_BYTES = 8 * MiB


@dataclass(frozen=True, slots=True)
class BearerToken:
    token: str = field(repr=False)

    def header(self) -> str:
        return f"Bearer {self.token}"


@dataclass(frozen=True, slots=True)
class BasicAuth:
    username: str
    password: str = field(repr=False)

    def header(self) -> str:
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True, slots=True)
class _Query:
    version: str
    kind: QueryKind
    promql: str


def prometheus_endpoint(url: str) -> str:
    """The API root a Prometheus URL names, safe to display; ValueError (never echoing the URL) when
    it is not one. The one rule for the source and for ``rolldeck config check``."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise ValueError("invalid Prometheus URL") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError("Prometheus URL must be http(s)://host[:port][/path]")
    if parsed.userinfo:
        # A URL is shown in messages and logged by HTTP libraries; credentials belong in auth=.
        raise ValueError("credentials in the Prometheus URL are not supported; pass auth= instead")
    return str(parsed.copy_with(query=None, fragment=None)).rstrip("/")


class PrometheusSource:
    """Signals for releases from one Prometheus (or a Prometheus-compatible API: Thanos, Mimir…).

    ``url`` is the API root (``https://prom.example:9090`` or ``https://host/prometheus``), without
    credentials. ``timeout_s`` bounds every request end to end and is passed to Prometheus as the
    query timeout. ``headers`` are extra request headers (e.g. ``X-Scope-OrgID``), treated as secrets.
    ``max_bytes`` caps each answer, on the wire and inflated; a larger one is a ``TOO_LARGE`` error.
    """

    def __init__(
        self,
        url: str,
        *,
        auth: BearerToken | BasicAuth | None = None,
        headers: Mapping[str, str] | None = None,
        timeout_s: float = 5.0,
        verify: bool | str = True,
        max_concurrency: int = 8,
        max_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        base = prometheus_endpoint(url)
        if not timeout_s > 0:
            raise ValueError("timeout_s must be positive")
        self.endpoint = base  # safe to display: no userinfo, no query string
        self._query_url = base + "/api/v1/query"
        self._timeout_s = float(timeout_s)
        self._max_bytes = max_bytes
        # gzip only: bodies are inflated here under the byte cap (engine.bodies), not by httpx's
        # decoders, which inflate a whole chunk at once
        request_headers = {"Accept": "application/json", **dict(headers or {}), "Accept-Encoding": "gzip"}
        self._secrets = [value for value in (headers or {}).values() if value]
        if auth is not None:
            request_headers["Authorization"] = auth.header()
            self._secrets.append(auth.header())
            self._secrets.append(auth.token if isinstance(auth, BearerToken) else auth.password)
        self._client = httpx.AsyncClient(
            headers=request_headers,
            timeout=httpx.Timeout(self._timeout_s),
            verify=verify,
            follow_redirects=False,  # a redirect to another host must not carry the credentials
        )
        self._limit = asyncio.Semaphore(max_concurrency)

    def __repr__(self) -> str:
        return f"PrometheusSource({self.endpoint!r})"

    async def __aenter__(self) -> PrometheusSource:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(self, target: MetricsTarget) -> dict[str, Signals] | MetricsError:
        try:
            return await self._fetch(target)
        except Exception as exc:  # noqa: BLE001 — the backend's loop must never die on a metrics bug
            logger.warning("metrics fetch failed unexpectedly: %s", type(exc).__name__)
            return self._error(MetricsError(ErrorKind.INTERNAL, f"unexpected {type(exc).__name__}"))

    async def _fetch(self, target: MetricsTarget) -> dict[str, Signals] | MetricsError:
        templates = target.template_set
        queries = [
            _Query(version, kind, templates.render(kind, target.matchers(version), target.window_s, target.params))
            for version in target.versions
            for kind in QueryKind
        ]
        first = await self._run(queries[0], at=None)
        if isinstance(first, MetricsError):
            return self._error(first, queries[0])
        if first.timestamp is None:
            return self._error(MetricsError(ErrorKind.NO_DATA, "no data (the query matched no series)"), queries[0])
        rest = await asyncio.gather(*(self._run(q, at=first.timestamp) for q in queries[1:]))
        vectors: dict[tuple[str, QueryKind], Vector] = {}
        for query, answer in zip(queries, [first, *rest]):  # report the first failure in a stable order
            if isinstance(answer, MetricsError):
                return self._error(answer, query)
            vectors[(query.version, query.kind)] = answer

        signals: dict[str, Signals] = {}
        for version in target.versions:
            result = self._signals(target, version, {kind: vectors[(version, kind)] for kind in QueryKind})
            if isinstance(result, MetricsError):
                return result
            signals[version] = result
        return signals

    def _signals(self, target: MetricsTarget, version: str, answers: dict[QueryKind, Vector]) -> Signals | MetricsError:
        def fail(error: MetricsError, kind: QueryKind) -> MetricsError:
            return self._error(error, _Query(version, kind, ""))

        no_series = MetricsError(ErrorKind.NO_DATA, "no data (the query matched no series)")
        if not answers[QueryKind.REQUESTS].samples:
            return fail(no_series, QueryKind.REQUESTS)
        requests = total(answers[QueryKind.REQUESTS])
        if isinstance(requests, MetricsError):
            return fail(requests, QueryKind.REQUESTS)
        # No 5xx series at all is the normal healthy case (counters appear on first increment), so an
        # empty errors vector is zero errors — but only because the requests query did find series.
        errors = total(answers[QueryKind.ERRORS])
        if isinstance(errors, MetricsError):
            return fail(errors, QueryKind.ERRORS)
        if not answers[QueryKind.BUCKETS].samples:
            return fail(no_series, QueryKind.BUCKETS)
        buckets = histogram(answers[QueryKind.BUCKETS], target.template_set.le_per_second)
        if isinstance(buckets, MetricsError):
            return fail(buckets, QueryKind.BUCKETS)
        bounds, cumulative = buckets
        result = build_signals(
            window_s=target.window_s,
            requests=requests,
            errors=errors,
            bounds=bounds,
            cumulative=cumulative,
            slo_latency_s=target.slo_latency_s,
        )
        return fail(result, QueryKind.BUCKETS) if isinstance(result, MetricsError) else result

    async def _run(self, query: _Query, *, at: float | None) -> Vector | MetricsError:
        params = {"query": query.promql, "timeout": promql_duration(self._timeout_s)}
        if at is not None:
            params["time"] = f"{at:.3f}"
        logger.debug("prometheus query %s %s: %s", query.version, query.kind, query.promql)
        try:
            # one bound for the whole query: connect, headers and every byte of the body
            async with self._limit, asyncio.timeout(self._timeout_s):
                async with self._client.stream("GET", self._query_url, params=params) as response:
                    body = await read_capped(
                        response.aiter_raw(),
                        self._max_bytes,
                        encoding=response.headers.get("content-encoding", "identity"),
                        declared=response.headers.get("content-length"),
                    )
        except (TimeoutError, httpx.TimeoutException):
            return MetricsError(ErrorKind.TIMEOUT, f"timed out after {self._timeout_s:g}s")
        except BodyTooLarge as exc:  # refused before parsing: no 300 MB json.loads, no gzip bomb
            logger.warning("Prometheus answer from %s %s", self.endpoint, exc)
            return MetricsError(ErrorKind.TOO_LARGE, f"answer {exc}")
        except UnsupportedEncoding as exc:
            return MetricsError(ErrorKind.BAD_RESPONSE, str(exc))
        except httpx.ConnectError as exc:
            return MetricsError(ErrorKind.UNREACHABLE, one_line(f"cannot connect ({str(exc) or 'connection failed'})", 120))
        except httpx.HTTPError as exc:
            return MetricsError(ErrorKind.UNREACHABLE, f"request failed ({type(exc).__name__})")
        # parsed only once the size is known to be bounded
        return parse_response(response.status_code, response.reason_phrase, body)

    def _error(self, error: MetricsError, query: _Query | None = None) -> MetricsError:
        where = f"{query.version} {query.kind}: " if query is not None else ""
        reason = one_line(f"Prometheus {self.endpoint}: {where}{error.reason}", 300)
        for secret in self._secrets:
            reason = reason.replace(secret, "***")
        return MetricsError(error.kind, reason)
