"""Watch caches with client-go reflector semantics: one ``Reflector`` per (cluster, kind).

List (paginated, consistent read) → diff into the ``Store`` (so deletions missed while away are
caught) → watch from the list's resourceVersion with bookmarks, a bounded server timeout and a
read-inactivity timeout → on a clean end re-watch from the last RV, on 410 relist, on anything
else back off with jitter (honouring Retry-After) and resume from the last RV.

The watch stream is read line by line from the library's list call with ``watch=True`` and
``_preload_content=False`` rather than through ``kubernetes_asyncio.watch.Watch``: we need the
HTTP status and ``Retry-After`` of the response that starts the watch (Watch turns them into a
``str`` event or an exception without headers, pitfalls 3 and 6), and plain dicts without Watch's
second JSON round trip (pitfall 9). Requests, auth and TLS remain the library's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp

from rolldeck.engine.kube.errors import HttpError, describe, http_error, one_line
from rolldeck.engine.kube.redaction import scrub_object
from rolldeck.engine.kube.resources import MAX_BODY_BYTES, Call, Kind, read_json

log = logging.getLogger(__name__)

TRANSPORT_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError, ConnectionError)


@dataclass(frozen=True, slots=True)
class ReflectorTuning:
    """Numbers from client-go and kopf (kubernetes-asyncio-notes.md §3); tests shrink them."""

    watch_timeout_s: tuple[int, int] = (300, 600)  # server-side timeoutSeconds, randomised
    inactivity_s: float = 90.0  # sock_read on a watch: bookmarks come about once a minute
    request_timeout: tuple[float, float] = (10.0, 30.0)  # (connect, read) for lists
    backoff_initial_s: float = 0.8
    backoff_max_s: float = 30.0
    backoff_reset_s: float = 120.0  # healthy this long → back-off starts over
    forbidden_retry_s: float = 300.0  # 403 / 404 on a kind: look again in minutes, not seconds
    page_size: int = 500
    short_watch_s: float = 1.0  # a watch that ends this fast with no events counts as a failure
    max_body_bytes: int = MAX_BODY_BYTES  # one list page, read streaming: past it, refused unparsed


class Backoff:
    """Exponential back-off with full jitter: initial × 2^n capped, times a factor in [1, 2)."""

    def __init__(self, initial: float, cap: float, reset_after: float, rng: random.Random, clock: Callable[[], float] = time.monotonic) -> None:
        self.initial, self.cap, self.reset_after = initial, cap, reset_after
        self._rng, self._clock = rng, clock
        self.failures = 0
        self._last_failure = -1e18

    def next(self, retry_after: float | None = None) -> float:
        base = min(self.cap, self.initial * (2**self.failures))
        self.failures += 1
        self._last_failure = self._clock()
        delay: float = base * (1.0 + self._rng.random())
        return max(delay, retry_after) if retry_after else delay

    def note_healthy(self) -> None:
        if self.failures and self._clock() - self._last_failure >= self.reset_after:
            self.failures = 0


UP_STATES = ("listed", "watching")  # the server answers this kind


class Expired(Exception):
    """410 Gone: the resourceVersion was compacted away; only a relist helps."""


class ShortWatch(Exception):
    """A watch closed at once without events: a sick server or proxy, back off."""


def object_key(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def slim(obj: dict[str, Any], kind: Kind) -> dict[str, Any]:
    """Drop what the console never reads (managedFields, last-applied) and fill kind/apiVersion,
    which list items lack. Keeps memory per object small."""
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
        annotations = meta.get("annotations")
        if isinstance(annotations, dict):
            annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    obj.setdefault("kind", kind.kind)
    obj.setdefault("apiVersion", kind.api_version)
    return obj


class Store:
    """The cache for one (cluster, kind): objects by ``namespace/name``."""

    def __init__(self, kind: Kind, on_change: Callable[[Kind, str, dict[str, Any]], None] | None = None) -> None:
        self.kind = kind
        self.objects: dict[str, dict[str, Any]] = {}
        self._on_change = on_change

    def __len__(self) -> int:
        return len(self.objects)

    def values(self) -> Iterable[dict[str, Any]]:
        return self.objects.values()

    def get(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self.objects.get(f"{namespace}/{name}")

    def apply(self, event_type: str, obj: dict[str, Any]) -> None:
        key = object_key(obj)
        if event_type == "DELETED":
            if self.objects.pop(key, None) is not None:
                self._emit("DELETED", obj)
            return
        old = self.objects.get(key)
        self.objects[key] = obj
        self._emit("ADDED" if old is None else "MODIFIED", obj)

    def replace(self, items: list[dict[str, Any]]) -> int:
        """Swap in a fresh list, emitting the difference; returns how many objects changed."""
        fresh = {object_key(o): o for o in items}
        changed = 0
        for key in [k for k in self.objects if k not in fresh]:
            changed += 1
            self._emit("DELETED", self.objects.pop(key))
        for key, obj in fresh.items():
            old = self.objects.get(key)
            if old is not None and _rv(old) == _rv(obj):
                continue  # RVs are opaque: equality only
            self.objects[key] = obj
            changed += 1
            self._emit("ADDED" if old is None else "MODIFIED", obj)
        return changed

    def _emit(self, event_type: str, obj: dict[str, Any]) -> None:
        if self._on_change is not None:
            self._on_change(self.kind, event_type, obj)


def _rv(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion", ""))


class Reflector:
    """Keeps one ``Store`` in sync with the API server, forever, surviving whatever it says."""

    def __init__(
        self,
        kind: Kind,
        call: Call,
        store: Store,
        *,
        tuning: ReflectorTuning = ReflectorTuning(),
        rng: random.Random | None = None,
        on_unauthorized: Callable[[], Any] | None = None,
        on_state: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.kind = kind
        self.store = store
        self.tuning = tuning
        self._call = call
        self._rng = rng or random.Random()
        self._on_unauthorized = on_unauthorized
        self._on_state = on_state
        self._state = "starting"
        self._clock = clock
        self.backoff = Backoff(tuning.backoff_initial_s, tuning.backoff_max_s, tuning.backoff_reset_s, self._rng, clock)
        # health, read by the cluster's health summary
        self.error = ""
        self.rv: str | None = None
        self.synced = False  # at least one complete list
        self.connected = False  # a watch stream is open right now
        self.last_contact: float | None = None  # data confirmed current: list, event or bookmark (monotonic), never a connection
        self.last_error_at: float | None = None
        self.down_since: float | None = None  # when it left an up state; None while up (or never up yet)
        self.latency_ms: float | None = None  # last list round trip
        self.requests = 0  # lists + watches started (the bench counts these)
        self.lists = 0
        self.retry_at: float | None = None

    @property
    def state(self) -> str:
        """listing, listed, watching, relist(410), disconnected, unauthorized, forbidden, missing, throttled."""
        return self._state

    @state.setter
    def state(self, value: str) -> None:
        if value != self._state:
            was_up = self._state in UP_STATES
            self._state = value
            if value in UP_STATES:
                self.down_since = None
            elif was_up:
                self.down_since = self._clock()
            if self._on_state is not None:
                self._on_state()

    async def run(self) -> None:
        expired_in_a_row = 0
        while True:
            try:
                if self.rv is None:
                    self.state = "listing" if not self.synced else self.state
                    self.rv = await self._list()
                self.rv = await self._watch(self.rv)
                expired_in_a_row = 0
                self.backoff.note_healthy()
            except Expired:
                self.rv = None
                self.state, self.error = "relist(410)", ""
                expired_in_a_row += 1
                # First 410: relist at once (tiny jitter). Repeated: something is wrong, back off.
                await self._sleep(self._rng.uniform(0, 0.1) if expired_in_a_row == 1 else self.backoff.next())
            except HttpError as error:
                await self._on_http_error(error)
            except ShortWatch:
                self._fail("disconnected", "watch closed immediately")
                await self._sleep(self.backoff.next())
            except TRANSPORT_ERRORS as error:
                self._fail("disconnected", describe(error))  # keep rv: resume, relist only on 410
                await self._sleep(self.backoff.next())
            except asyncio.CancelledError:
                raise
            except Exception as error:  # a malformed object or a library surprise: never kill the loop
                log.warning("reflector %s: %s", self.kind.key, describe(error))
                self._fail("disconnected", describe(error))
                self.rv = None
                await self._sleep(self.backoff.next())

    async def _on_http_error(self, error: HttpError) -> None:
        status = error.status
        if status == 410:
            self.rv = None  # expired continue token
            return
        if status == 401:
            self._fail("unauthorized", "401 Unauthorized: credentials rejected")
            if self._on_unauthorized is not None:
                try:
                    await self._on_unauthorized()
                except Exception as refresh_error:  # exec plugin failed: say so, keep trying slowly
                    self.error = describe(refresh_error)
            await self._sleep(self.backoff.next() * 4)
        elif status in (403, 404):
            self._fail("forbidden" if status == 403 else "missing", str(error))
            self.rv = None
            await self._sleep(self.tuning.forbidden_retry_s)
        elif status == 429:
            self._fail("throttled", str(error))
            await self._sleep(self.backoff.next(retry_after=error.retry_after))
        elif status >= 500:
            self._fail("disconnected", str(error))
            await self._sleep(self.backoff.next(retry_after=error.retry_after))
        else:
            self._fail("disconnected", str(error))
            self.rv = None
            await self._sleep(self.backoff.next())

    def _fail(self, state: str, error: str) -> None:
        error = one_line(error)
        changed = error != self.error and state == self._state  # the state setter reports the others
        self.state, self.error = state, error
        self.connected = False
        self.last_error_at = self._clock()
        if changed and self._on_state is not None:
            self._on_state()  # a new reason in the same state reaches the snapshot too, not only on a timer

    async def _sleep(self, seconds: float) -> None:
        self.retry_at = self._clock() + seconds
        try:
            await asyncio.sleep(seconds)
        finally:
            self.retry_at = None

    async def _list(self) -> str:
        """Paginated consistent list (RV unset: a stale read after failover is worse), then diff."""
        items: list[dict[str, Any]] = []
        token: str | None = None
        started = self._clock()
        while True:
            options: dict[str, Any] = {"limit": self.tuning.page_size}
            if token:
                options["_continue"] = token
            self.requests += 1
            response = await self._call(**options, _preload_content=False, _request_timeout=self.tuning.request_timeout)
            page = await read_json(response, self.tuning.max_body_bytes)
            items.extend(slim(item, self.kind) for item in page.get("items") or [])
            meta = page.get("metadata") or {}
            token = meta.get("continue") or None
            if not token:
                break
        self.lists += 1
        self.latency_ms = (self._clock() - started) * 1000.0
        self.store.replace(items)
        self.synced = True
        self.last_contact = self._clock()
        self.state, self.error = "listed", ""
        return str(meta.get("resourceVersion", ""))

    async def _watch(self, rv: str) -> str:
        timeout_s = self._rng.randint(*self.tuning.watch_timeout_s)
        self.requests += 1
        response = await self._call(
            watch=True,
            resource_version=rv,
            allow_watch_bookmarks=True,
            timeout_seconds=timeout_s,
            _preload_content=False,
            # sock_read is the inactivity timeout: a silent socket raises instead of hanging forever
            _request_timeout=aiohttp.ClientTimeout(sock_connect=self.tuning.request_timeout[0], sock_read=self.tuning.inactivity_s),
        )
        started = self._clock()
        events = 0
        clean = False
        try:
            if response.status != 200:
                body = await response.read()
                raise http_error(response.status, response.reason or "", body, response.headers)
            # A connection is not data: freshness moves only on a list, an event or a bookmark, so
            # a watch that reconnects to a silent server keeps ageing (issue 11, item 8).
            self.state, self.error, self.connected = "watching", "", True
            while True:
                line = await response.content.readline()
                if not line:
                    clean = True
                    break
                if not line.strip():
                    continue
                rv = self._on_line(line, rv)
                events += 1
        finally:
            self.connected = False
            if clean:
                response.release()
            else:
                response.close()  # half-read stream: never hand it back to the pool
        if events == 0 and self._clock() - started < self.tuning.short_watch_s:
            raise ShortWatch()
        return rv

    def _on_line(self, line: bytes, rv: str) -> str:
        try:
            event = scrub_object(json.loads(line))  # as read_json does for every other answer
        except ValueError:
            # a proxy's text error inside a 200 stream (pitfall 3): treat like a 5xx
            raise HttpError(502, "Bad Gateway", one_line(line.decode("utf-8", "replace"))) from None
        if not isinstance(event, dict):
            raise HttpError(502, "Bad Gateway", "watch sent a non-object line")
        if "type" not in event:
            if event.get("kind") == "Status":  # an error Status as the first line
                raise http_error(int(event.get("code") or 500), str(event.get("reason") or ""), json.dumps(event))
            raise HttpError(502, "Bad Gateway", "watch event without a type")
        event_type = event["type"]
        obj = event.get("object") or {}
        if event_type == "ERROR":
            code = int(obj.get("code") or 500)
            if code == 410:
                raise Expired()
            raise http_error(code, str(obj.get("reason") or ""), json.dumps(obj))
        new_rv = str((obj.get("metadata") or {}).get("resourceVersion") or rv)
        self.last_contact = self._clock()
        if event_type in ("ADDED", "MODIFIED", "DELETED"):
            self.store.apply(event_type, slim(obj, self.kind))
        return new_rv  # bookmarks only advance the RV
