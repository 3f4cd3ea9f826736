"""A small stand-in for the Prometheus HTTP API (``/api/v1/query``), served by aiohttp over real HTTP.

Rules pick an answer by the kind of query (requests, errors, buckets — recognised from the rendered
PromQL) and a substring of it (usually the version's selector). Unmatched queries get an empty
vector, as Prometheus answers a selector that matches nothing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from aiohttp import web

TS = 1_700_000_000.123


@dataclass
class Reply:
    status: int = 200
    body: bytes | None = None  # raw body; otherwise ``document`` as JSON
    document: object = None
    delay_s: float = 0.0
    content_type: str = "application/json"


def vector(samples: list[tuple[Mapping[str, str], float | str]], ts: float = TS) -> Reply:
    result = [{"metric": dict(labels), "value": [ts, str(value)]} for labels, value in samples]
    return Reply(document={"status": "success", "data": {"resultType": "vector", "result": result}})


def scalar(value: float) -> Reply:
    return vector([({}, value)])


def buckets(counts: Mapping[str, float], **labels: str) -> Reply:
    return vector([({**labels, "le": le}, count) for le, count in counts.items()])


def api_error(status: int, error_type: str, error: str) -> Reply:
    return Reply(status=status, document={"status": "error", "errorType": error_type, "error": error})


def kind_of(query: str) -> str:
    if "_bucket" in query:
        return "buckets"
    if '"5.."' in query:
        return "errors"
    return "requests"


@dataclass
class Seen:
    params: dict[str, str]
    headers: dict[str, str]

    @property
    def kind(self) -> str:
        return kind_of(self.params.get("query", ""))


@dataclass
class StubPrometheus:
    rules: list[tuple[str, str, Reply]] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    url: str = ""

    def on(self, kind: str, needle: str, reply: Reply) -> None:
        self.rules.append((kind, needle, reply))

    def version(
        self, needle: str, *, requests: float, errors: float | None, le_counts: Mapping[str, float]
    ) -> None:
        self.on("requests", needle, scalar(requests))
        if errors is not None:  # None: no 5xx series exists (Prometheus returns an empty vector)
            self.on("errors", needle, scalar(errors))
        self.on("buckets", needle, buckets(le_counts))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        params = dict(request.query)
        self.seen.append(Seen(params, dict(request.headers)))
        query = params.get("query", "")
        reply = next(
            (r for kind, needle, r in self.rules if kind == kind_of(query) and needle in query),
            vector([]),
        )
        if reply.delay_s:
            try:
                await asyncio.wait_for(self._release.wait(), reply.delay_s)
            except TimeoutError:
                pass
        body = reply.body if reply.body is not None else json.dumps(reply.document).encode()
        return web.Response(status=reply.status, body=body, content_type=reply.content_type)

    async def start(self) -> str:
        self._release = asyncio.Event()
        app = web.Application()
        app.router.add_get("/api/v1/query", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self.url

    async def stop(self) -> None:
        self._release.set()  # let delayed handlers finish so shutdown never waits on them
        await self._runner.cleanup()

    async def __aenter__(self) -> StubPrometheus:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
