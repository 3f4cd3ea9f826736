"""Per-request fault hooks: canned responses (503 text or JSON, 429 + Retry-After, 401), delays.

Faults are checked in insertion order before authentication, like a proxy in front of the server.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .errors import status_body

ENVOY_503 = "upstream connect error or disconnect/reset before headers. reset reason: connection failure"

CustomHandler = Callable[[web.Request], Awaitable[web.StreamResponse | None]]


@dataclass(eq=False)
class Fault:
    method: str | None = None  # None: any method
    path: str | None = None  # regex searched in path?query; None: any
    watch: bool | None = None  # True: only watch requests, False: never watches
    status: int | None = None  # None: no canned response (delay-only, or custom handler)
    body: str | dict | None = None  # str → text/plain, dict → JSON
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    times: int | None = None  # fire this many times, then it is removed; None: until removed
    handler: CustomHandler | None = None  # full control: return a response or None to continue
    hits: int = 0
    _owner: "Faults | None" = None

    def matches(self, method: str, path_qs: str, is_watch: bool) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method and self.method.upper() != method:
            return False
        if self.watch is not None and self.watch != is_watch:
            return False
        return self.path is None or re.search(self.path, path_qs) is not None

    def remove(self) -> None:
        if self._owner is not None:
            self._owner.remove(self)

    def response(self) -> web.Response | None:
        if self.status is None:
            return None
        if isinstance(self.body, dict):
            return web.Response(status=self.status, text=json.dumps(self.body) + "\n",
                                content_type="application/json", headers=self.headers)
        return web.Response(status=self.status, text=self.body or "", content_type="text/plain",
                            headers=self.headers)


class Faults:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, *, method: str | None = None, path: str | None = None, watch: bool | None = None,
            status: int | None = None, body: str | dict | None = None, headers: dict[str, str] | None = None,
            delay: float = 0.0, times: int | None = None, handler: CustomHandler | None = None) -> Fault:
        fault = Fault(method, path, watch, status, body, dict(headers or {}), delay, times, handler)
        fault._owner = self
        with self._lock:
            self._faults.append(fault)
        return fault

    def remove(self, fault: Fault) -> None:
        with self._lock:
            if fault in self._faults:
                self._faults.remove(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def active(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    # ---- shortcuts --------------------------------------------------------------------------

    def text_503(self, body: str = ENVOY_503, **match: Any) -> Fault:
        """A proxy's non-JSON 503 (kubernetes-asyncio watches yield it as a plain `str` event)."""
        return self.add(status=503, body=body, **match)

    def json_503(self, message: str = "the server is currently unable to handle the request", **match: Any) -> Fault:
        return self.add(status=503, body=status_body(503, message), **match)

    def json_500(self, message: str = "Internal error occurred: etcdserver: request timed out", **match: Any) -> Fault:
        return self.add(status=500, body=status_body(500, message), **match)

    def throttle(self, retry_after: int = 1, **match: Any) -> Fault:
        body = status_body(429, "Too many requests, please try again later.",
                           details={"retryAfterSeconds": retry_after})
        return self.add(status=429, body=body, headers={"Retry-After": str(retry_after)}, **match)

    def delay(self, seconds: float, **match: Any) -> Fault:
        """Hold the request for `seconds`, then handle it normally (client timeouts)."""
        return self.add(delay=seconds, **match)

    def unauthorized(self, **match: Any) -> Fault:
        return self.add(status=401, body=status_body(401, "Unauthorized"), **match)

    # ---- server side ------------------------------------------------------------------------

    async def apply(self, request: web.Request, is_watch: bool) -> web.StreamResponse | None:
        """Run every matching fault's delay; return the first canned response, if any."""
        with self._lock:
            matching = [f for f in self._faults if f.matches(request.method, request.path_qs, is_watch)]
            for fault in matching:
                fault.hits += 1
                if fault.times is not None and fault.hits >= fault.times:
                    self._faults.remove(fault)  # spent
        for fault in matching:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.handler is not None:
                custom = await fault.handler(request)
                if custom is not None:
                    return custom
            canned = fault.response()
            if canned is not None:
                return canned
        return None
