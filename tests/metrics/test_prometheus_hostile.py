"""A hostile Prometheus on 127.0.0.1: answers far past the byte cap, gzip bombs, a lying
Content-Length, an encoding nobody asked for. Each one becomes one TOO_LARGE (or BAD_RESPONSE)
error naming the endpoint, with what was read counted in bytes (issue 11, item 7, network half).

The server counts what it produced and sent; the assertions are on those counts and on the bytes
the source says it read, never on how long anything took.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio
from aiohttp import web

from rolldeck.engine.bodies import MiB, BodyTooLarge, read_capped
from rolldeck.engine.metrics import ErrorKind, MetricsError, MetricsTarget, PrometheusSource
from tests.metrics.stub_prometheus import TS, buckets, kind_of, scalar
from tests.waiting import HANG_GUARD_S

TARGET = MetricsTarget({"canary": {"version": "canary"}}, templates="app", window_s=60, slo_latency_s=0.5)
CAP = 8 * MiB
CHUNK = 256 * 1024


class Hostile:
    """One aiohttp app whose handler the test sets; ``produced`` counts the body bytes it made
    (before any compression), ``sent`` the bytes it handed to the socket."""

    def __init__(self) -> None:
        self.handler: Callable[[web.Request], Awaitable[web.StreamResponse]] | None = None
        self.produced = 0
        self.sent = 0
        self.requests = 0
        self.url = ""

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        assert self.handler is not None
        return await self.handler(request)

    async def stream(self, request: web.Request, chunks: AsyncIterator[bytes], headers: dict[str, str]) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json", **headers})
        await response.prepare(request)
        try:
            async for chunk in chunks:
                await response.write(chunk)  # blocks once the client stops reading: TCP backpressure
                self.sent += len(chunk)
        except (ConnectionError, asyncio.CancelledError):
            pass  # the client gave up: that is the point
        return response


@pytest_asyncio.fixture
async def hostile() -> AsyncIterator[Hostile]:
    server = Hostile()
    app = web.Application()
    app.router.add_get("/api/v1/query", server._handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    server.url = f"http://{host}:{port}"
    try:
        yield server
    finally:
        await runner.cleanup()


async def fetch(url: str, **options: object) -> MetricsError:
    async with PrometheusSource(url, timeout_s=30.0, **options) as source:  # type: ignore[arg-type]
        result = await asyncio.wait_for(source.fetch(TARGET), HANG_GUARD_S)
    assert isinstance(result, MetricsError), result
    return result


def read_counts(reason: str) -> tuple[int, int]:
    """(decoded, wire) from '… stopped after N bytes, M on the wire)'."""
    tail = reason.split("stopped after ", 1)[1]
    decoded, wire = tail.split(" bytes, ", 1)
    return int(decoded.replace(",", "")), int(wire.split(" ", 1)[0].replace(",", ""))


@pytest.mark.asyncio
async def test_a_300_mb_answer_stops_at_the_cap_and_is_never_parsed(hostile):
    total = 300 * MiB

    async def body() -> AsyncIterator[bytes]:
        yield b'{"status":"success","data":{"resultType":"vector","result":["'
        while hostile.produced < total:
            hostile.produced += CHUNK
            yield b"x" * CHUNK

    async def handler(request: web.Request) -> web.StreamResponse:
        return await hostile.stream(request, body(), {})

    hostile.handler = handler
    error = await fetch(hostile.url)
    assert error.kind is ErrorKind.TOO_LARGE
    assert error.reason.startswith(f"Prometheus {hostile.url}: canary requests: answer exceeds 8 MiB")
    decoded, wire = read_counts(error.reason)
    assert CAP < decoded <= CAP + CHUNK + 64 and wire == decoded  # one chunk past the cap at most
    assert hostile.requests == 1  # the first answer failed: the other queries were never sent
    assert hostile.sent < total // 4  # the server was cut off: it did not get to write the rest


def gzip_bomb(inflated: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(MiB)
    return b"".join(packer.compress(zeros) for _ in range(inflated // MiB)) + packer.flush()


@pytest.mark.asyncio
async def test_a_gzip_bomb_is_inflated_only_up_to_the_cap(hostile):
    inflated = 256 * MiB
    bomb = gzip_bomb(inflated)  # about 250 KB on the wire

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(bomb), 4096):
            hostile.produced += 4096
            yield bomb[start:start + 4096]

    async def handler(request: web.Request) -> web.StreamResponse:
        assert request.headers.get("Accept-Encoding") == "gzip"  # only what the source can bound
        return await hostile.stream(request, pieces(), {"Content-Encoding": "gzip"})

    hostile.handler = handler
    error = await fetch(hostile.url)
    assert error.kind is ErrorKind.TOO_LARGE and "answer exceeds 8 MiB" in error.reason
    decoded, wire = read_counts(error.reason)
    assert decoded == CAP + 1  # zlib's max_length: not one chunk's worth of inflation past the cap
    assert wire < len(bomb) // 4  # about 8 KB of deflate make 8 MiB of zeros: the rest is never read


@pytest.mark.asyncio
async def test_a_declared_length_past_the_cap_is_refused_before_reading(hostile):
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json", "Content-Length": str(CAP + 1)})
        await response.prepare(request)
        await response.write(b"{")
        return response

    hostile.handler = handler
    error = await fetch(hostile.url)
    assert error.kind is ErrorKind.TOO_LARGE
    assert read_counts(error.reason) == (0, 0)


@pytest.mark.asyncio
async def test_a_gzipped_answer_under_the_cap_is_read_and_an_unasked_encoding_is_refused(hostile):
    replies = {"requests": scalar(1000), "errors": scalar(7), "buckets": buckets({"0.25": 900, "0.5": 990, "1": 1000, "+Inf": 1000})}

    async def gzipped(request: web.Request) -> web.StreamResponse:
        document = replies[kind_of(request.query.get("query", ""))].document
        return web.Response(body=gzip.compress(json.dumps(document).encode()),
                            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})

    hostile.handler = gzipped
    async with PrometheusSource(hostile.url, timeout_s=30.0) as source:
        result = await source.fetch(TARGET)
    assert isinstance(result, dict), result  # inflated under the cap and parsed as usual
    assert (result["canary"].requests, result["canary"].errors, result["canary"].slow) == (1000, 7, 10)

    async def brotli(request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"\x0b\x01\x80", headers={"Content-Type": "application/json", "Content-Encoding": "br"})

    hostile.handler = brotli
    error = await fetch(hostile.url)
    assert error.kind is ErrorKind.BAD_RESPONSE and "unsupported Content-Encoding 'br'" in error.reason


@pytest.mark.asyncio
async def test_read_capped_counts_wire_and_inflated_bytes():
    async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
        for part in parts:
            yield part

    assert await read_capped(chunks(b"ab", b"cd"), 4) == b"abcd"
    with pytest.raises(BodyTooLarge) as too_large:
        await read_capped(chunks(b"ab", b"cde"), 4)
    assert (too_large.value.wire, too_large.value.decoded) == (5, 5)
    packed = gzip.compress(bytes(10_000))
    assert await read_capped(chunks(packed), 10_000, encoding="gzip") == bytes(10_000)
    with pytest.raises(BodyTooLarge) as bomb:
        await read_capped(chunks(packed), 1000, encoding="gzip")
    assert bomb.value.decoded == 1001 and bomb.value.wire == len(packed)
