"""Serving one watch: chunked JSON lines, replay, 410 ERROR events, bookmarks, timeouts, silence."""

from __future__ import annotations

import asyncio
import collections
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .errors import status_body
from .resources import ResourceType
from .selectors import Matcher
from .store import Store, WatchExpired
from .verbs import render

# How often a quiet watch wakes up to check silence, the deadline and a vanished client.
_POLL = 0.05


def _line(event_type: str, obj: dict[str, Any]) -> bytes:
    return (json.dumps({"type": event_type, "object": obj}) + "\n").encode()


async def _start(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(status=200, headers={"Content-Type": "application/json",
                                                       "Cache-Control": "no-cache, private"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    return response


async def serve_watch(request: web.Request, store: Store, rt: ResourceType, namespace: str | None,
                      labels: Matcher, fields: Matcher, *, resource_version: str | None,
                      timeout_seconds: float | None, bookmarks: bool,
                      bookmark_interval: Callable[[], float], silent: Callable[[], bool],
                      clock: Callable[[], float], on_poll: Callable[[], None] = lambda: None,
                      on_bookmark: Callable[[], None] = lambda: None) -> web.StreamResponse:
    """``clock`` times ``timeoutSeconds`` and bookmarks (a test may drive it by hand); ``on_poll`` is
    called on every pass of the loop and ``on_bookmark`` on every bookmark, so tests can count them."""
    loop = asyncio.get_running_loop()
    try:
        watcher, initial = store.open_watch(rt, namespace, labels, fields, resource_version, loop)
    except WatchExpired as exc:
        # The real server answers 200 and reports the expiry as the only event (kubernetes#35068).
        response = await _start(request)
        await response.write(_line("ERROR", status_body(410, str(exc), reason="Expired")))
        await response.write_eof()
        return response

    transport = request.transport
    watcher.abort = transport.abort if transport is not None else None
    watcher.token = request.headers.get("Authorization")
    response = web.StreamResponse()
    try:
        response = await _start(request)
        pending: collections.deque[tuple[str, dict]] = collections.deque(initial)
        last_rv = watcher.start_rv
        deadline = clock() + timeout_seconds if timeout_seconds else None
        next_bookmark = clock() + bookmark_interval()
        stopping = False
        woke: Any = None  # an event taken while waiting, handled at the top of the loop
        while not stopping:
            on_poll()
            if request.transport is None or request.transport.is_closing():
                break  # the client went away (or drop_watches aborted us)
            if silent():
                await asyncio.sleep(_POLL)  # hold everything, deadline included, until un-silenced
                next_bookmark = clock() + bookmark_interval()
                continue
            while not watcher.queue.empty() or woke is not None:  # committed events go out before any deadline
                event, woke = (woke, None) if woke is not None else (watcher.queue.get_nowait(), None)
                if event is None:
                    stopping = True  # server stopping or connection dropped
                    break
                last_rv = event.rv  # bookmarks may only advance past events already handled
                if seen := watcher.translate(event):
                    pending.append(seen)
            if pending:
                event_type, obj = pending.popleft()
                await response.write(_line(event_type, render(rt, obj)))
                continue
            now = clock()
            if stopping or (deadline is not None and now >= deadline):
                break
            if bookmarks and now >= next_bookmark:
                bookmark = {"kind": rt.kind, "apiVersion": rt.group_version,
                            "metadata": {"resourceVersion": str(last_rv)}}
                await response.write(_line("BOOKMARK", bookmark))
                on_bookmark()
                next_bookmark = now + bookmark_interval()
                continue
            wait = _POLL if deadline is None else min(_POLL, max(deadline - now, 0))
            try:
                woke = await asyncio.wait_for(watcher.queue.get(), wait)  # handled by the drain above
            except asyncio.TimeoutError:
                continue
            if woke is None:
                break
        if request.transport is not None and not request.transport.is_closing():
            await response.write_eof()
        return response
    except (ConnectionError, RuntimeError):
        # A vanished client or an aborted transport (drop_watches): nothing left to say.
        return response
    finally:
        store.close_watch(watcher)
