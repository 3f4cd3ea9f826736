"""Objects, the global resourceVersion counter, the event log and watch fan-out.

Thread-safe (one re-entrant lock) so a test thread may seed objects while the server's event loop
streams watches; events reach each watcher through `loop.call_soon_threadsafe`, in commit order.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import itertools
import json
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .errors import ApiError, not_found
from .resources import Registry, ResourceType
from .selectors import Matcher

StorageKey = tuple[str, str]  # (group, plural): versions of one group share objects
ObjectKey = tuple[str, str]  # (namespace or "", name)

CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can start a "
    "new list without the continue parameter, or use the continue token in this response to retrieve "
    "the remainder of the results. Continuing with the provided token results in an inconsistent list "
    "- objects that were created, modified, or deleted between the time the first chunk was returned "
    "and now may show up in the list."
)


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _meta(obj: dict) -> dict:
    return obj.setdefault("metadata", {})


def spec_changed(old: dict, new: dict, rt: ResourceType) -> bool:
    """The generation rule: any change outside metadata (and outside status, if it is a subresource)."""
    ignored = {"metadata", "status"} if rt.has_status else {"metadata"}
    strip = lambda o: {k: v for k, v in o.items() if k not in ignored}  # noqa: E731
    return strip(old) != strip(new)


@dataclass
class Event:
    rv: int
    type: str  # ADDED | MODIFIED | DELETED
    key: StorageKey
    namespace: str
    obj: dict
    old: dict | None = None  # previous state of a MODIFIED object, for selector transitions


@dataclass(eq=False)
class Watcher:
    """One open watch: its filter and the queue the store feeds."""

    key: StorageKey
    namespace: str | None
    labels: Matcher
    fields: Matcher
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    start_rv: int = 0
    token: str | None = None
    # Set by the HTTP layer so drop_watches() can abort the TCP connection.
    abort: Callable[[], None] | None = None

    def matches(self, obj: dict) -> bool:
        return self.labels(obj) and self.fields(obj)

    def translate(self, event: Event) -> tuple[str, dict] | None:
        """The event this watcher sees: selector transitions become ADDED/DELETED, as in the watch cache."""
        if event.key != self.key or (self.namespace is not None and event.namespace != self.namespace):
            return None
        new_match = self.matches(event.obj)
        if event.type == "ADDED":
            return ("ADDED", event.obj) if new_match else None
        if event.type == "DELETED":
            return ("DELETED", event.obj) if new_match else None
        old_match = event.old is not None and self.matches(event.old)
        if old_match and new_match:
            return ("MODIFIED", event.obj)
        if new_match:
            return ("ADDED", event.obj)
        if old_match:
            return ("DELETED", event.obj)
        return None

    def deliver(self, event: Event | None) -> None:
        # None is the "stop" sentinel; the loop may already be closed at teardown.
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, event)
        except RuntimeError:
            pass


class WatchExpired(Exception):
    def __init__(self, requested: int, oldest: int) -> None:
        super().__init__(f"too old resource version: {requested} ({oldest})")


class Store:
    def __init__(self, registry: Registry, *, start_rv: int = 1000, max_events: int = 10_000) -> None:
        self.registry = registry
        self._lock = threading.RLock()
        self._rv = start_rv
        self._objects: dict[StorageKey, dict[ObjectKey, dict]] = {}
        self._events: list[Event] = []
        self._compacted_rv = start_rv  # events with rv <= this are forgotten
        self._max_events = max_events
        self._watchers: set[Watcher] = set()
        self._snapshots: dict[str, tuple[int, list[dict]]] = {}
        self._snapshot_ids = itertools.count(1)

    # ---- state -------------------------------------------------------------------------------

    @property
    def rv(self) -> int:
        """The global resourceVersion counter (the RV of the last write)."""
        return self._rv

    @property
    def compacted_rv(self) -> int:
        return self._compacted_rv

    @property
    def watchers(self) -> list[Watcher]:
        with self._lock:
            return list(self._watchers)

    def events(self) -> list[Event]:
        """The retained event log (oldest first)."""
        with self._lock:
            return list(self._events)

    def compact(self) -> None:
        """Forget event history and continue snapshots: older watch RVs get 410, old tokens expire."""
        with self._lock:
            self._events.clear()
            self._compacted_rv = self._rv
            self._snapshots.clear()

    # ---- low-level storage used by the HTTP verbs ---------------------------------------------

    def read(self, rt: ResourceType, namespace: str, name: str) -> dict:
        with self._lock:
            obj = self._objects.get(rt.storage_key, {}).get((namespace, name))
            if obj is None:
                raise not_found(rt.qualified, name)
            return copy.deepcopy(obj)

    def exists(self, rt: ResourceType, namespace: str, name: str) -> bool:
        with self._lock:
            return (namespace, name) in self._objects.get(rt.storage_key, {})

    def commit(self, rt: ResourceType, obj: dict, *, dry_run: bool = False) -> dict:
        """Create or replace `obj` (already validated), assign the next RV and emit the event."""
        with self._lock:
            meta = _meta(obj)
            ns, name = meta.get("namespace", "") if rt.namespaced else "", meta["name"]
            bucket = self._objects.setdefault(rt.storage_key, {})
            old = bucket.get((ns, name))
            if dry_run:
                return copy.deepcopy(obj)
            self._rv += 1
            meta["resourceVersion"] = str(self._rv)
            stored = copy.deepcopy(obj)
            bucket[(ns, name)] = stored
            self._publish(Event(self._rv, "MODIFIED" if old else "ADDED", rt.storage_key, ns,
                                stored, old))
            return copy.deepcopy(stored)

    def remove(self, rt: ResourceType, namespace: str, name: str, *, dry_run: bool = False) -> dict:
        with self._lock:
            bucket = self._objects.get(rt.storage_key, {})
            if (namespace, name) not in bucket:
                raise not_found(rt.qualified, name)
            if dry_run:
                return copy.deepcopy(bucket[(namespace, name)])
            last = bucket.pop((namespace, name))
            self._rv += 1
            # The DELETED event carries the last state at the deletion's RV, as etcd reports it.
            last = copy.deepcopy(last)
            _meta(last)["resourceVersion"] = str(self._rv)
            self._publish(Event(self._rv, "DELETED", rt.storage_key, namespace, last))
            return copy.deepcopy(last)

    def _publish(self, event: Event) -> None:
        self._events.append(event)
        if len(self._events) > self._max_events:
            dropped = self._events[: len(self._events) - self._max_events]
            del self._events[: len(dropped)]
            self._compacted_rv = dropped[-1].rv
        for watcher in self._watchers:
            watcher.deliver(event)

    def select(self, rt: ResourceType, namespace: str | None, labels: Matcher, fields: Matcher) -> list[dict]:
        with self._lock:
            bucket = self._objects.get(rt.storage_key, {})
            return [copy.deepcopy(o) for (ns, _), o in sorted(bucket.items())
                    if (namespace is None or ns == namespace) and labels(o) and fields(o)]

    # ---- list pagination ----------------------------------------------------------------------

    def list_page(self, rt: ResourceType, namespace: str | None, labels: Matcher, fields: Matcher,
                  limit: int | None, continue_token: str | None) -> tuple[list[dict], int, str | None, int | None]:
        """(items, list RV, next continue token or None, remainingItemCount or None).

        The first page snapshots the whole result so later pages are consistent with it, as the
        real server's etcd-revision reads are; compact() expires the snapshots (HTTP 410).
        """
        with self._lock:
            if continue_token:
                snap_id, start = self._decode_continue(continue_token)
                if snap_id not in self._snapshots:
                    raise ApiError(410, CONTINUE_EXPIRED, reason="Expired")
                rv, items = self._snapshots[snap_id]
            else:
                rv, items, start = self._rv, self.select(rt, namespace, labels, fields), 0
                snap_id = ""
            if not limit or limit <= 0 or start + limit >= len(items):
                return items[start:], rv, None, None
            if not snap_id:
                snap_id = str(next(self._snapshot_ids))
                self._snapshots[snap_id] = (rv, items)
                while len(self._snapshots) > 64:
                    self._snapshots.pop(next(iter(self._snapshots)))
            end = start + limit
            last = _meta(items[end - 1])
            token = base64.urlsafe_b64encode(json.dumps({
                "v": "meta.k8s.io/v1", "rv": rv, "start": f"{last.get('namespace', '')}/{last['name']}\u0000",
                "snapshot": snap_id, "offset": end,
            }).encode()).decode()
            return items[start:end], rv, token, len(items) - end

    @staticmethod
    def _decode_continue(token: str) -> tuple[str, int]:
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode()))
            return str(data["snapshot"]), int(data["offset"])
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise ApiError(400, f"continue key is not valid: {exc}") from exc

    # ---- watch --------------------------------------------------------------------------------

    def open_watch(self, rt: ResourceType, namespace: str | None, labels: Matcher, fields: Matcher,
                   resource_version: str | None, loop: asyncio.AbstractEventLoop) -> tuple[Watcher, list[tuple[str, dict]]]:
        """Register a watcher and return the events it must send first.

        RV ""/"0"/absent: synthetic ADDED for every current object. RV N: the retained events after N,
        or WatchExpired when N predates the compaction point.
        """
        with self._lock:
            watcher = Watcher(rt.storage_key, namespace, labels, fields, loop, start_rv=self._rv)
            initial: list[tuple[str, dict]] = []
            if resource_version in (None, "", "0"):
                initial = [("ADDED", o) for o in self.select(rt, namespace, labels, fields)]
            else:
                try:
                    since = int(resource_version)
                except ValueError as exc:
                    raise ApiError(400, f'resourceVersion: Invalid value: "{resource_version}": '
                                   "strconv.ParseUint: parsing: invalid syntax") from exc
                if since < self._compacted_rv:
                    raise WatchExpired(since, self._compacted_rv)
                for event in self._events:
                    if event.rv > since and (seen := watcher.translate(event)):
                        initial.append((seen[0], copy.deepcopy(seen[1])))
            self._watchers.add(watcher)
            return watcher, initial

    def close_watch(self, watcher: Watcher) -> None:
        with self._lock:
            self._watchers.discard(watcher)

    # ---- test controls: play "the controller" --------------------------------------------------

    def _type(self, kind_or_plural: str | ResourceType) -> ResourceType:
        return kind_or_plural if isinstance(kind_or_plural, ResourceType) else self.registry.find(kind_or_plural)

    def put(self, obj: dict) -> dict:
        """Create or replace an object as a controller would (status included), emitting the event.

        Keeps uid/creationTimestamp of an existing object and bumps `generation` when the spec changed.
        """
        rt = self.registry.for_object(obj)
        obj = copy.deepcopy(obj)
        meta = _meta(obj)
        if not rt.namespaced:
            meta.pop("namespace", None)
        elif not meta.get("namespace"):
            meta["namespace"] = "default"
        with self._lock:
            ns = meta.get("namespace", "")
            current = self._objects.get(rt.storage_key, {}).get((ns, meta["name"]))
            if current is None:
                meta.setdefault("uid", str(uuid.uuid4()))
                meta.setdefault("creationTimestamp", now_rfc3339())
                meta.setdefault("generation", 1)
            else:
                cmeta = current["metadata"]
                meta["uid"] = cmeta["uid"]
                meta["creationTimestamp"] = cmeta["creationTimestamp"]
                meta["generation"] = cmeta.get("generation", 1) + (1 if spec_changed(current, obj, rt) else 0)
            return self.commit(rt, obj)

    def seed(self, *objs: dict | Iterable[dict]) -> list[dict]:
        out: list[dict] = []
        for item in objs:
            for obj in ([item] if isinstance(item, dict) else item):
                out.append(self.put(obj))
        return out

    def get(self, kind_or_plural: str | ResourceType, namespace: str | None, name: str) -> dict:
        rt = self._type(kind_or_plural)
        return self.read(rt, (namespace or "") if rt.namespaced else "", name)

    def find(self, kind_or_plural: str | ResourceType, namespace: str | None, name: str) -> dict | None:
        try:
            return self.get(kind_or_plural, namespace, name)
        except ApiError:
            return None

    def list(self, kind_or_plural: str | ResourceType, namespace: str | None = None) -> list[dict]:
        rt = self._type(kind_or_plural)
        return self.select(rt, namespace, lambda o: True, lambda o: True)

    def delete(self, kind_or_plural: str | ResourceType, namespace: str | None, name: str) -> dict:
        rt = self._type(kind_or_plural)
        return self.remove(rt, (namespace or "") if rt.namespaced else "", name)

    def modify(self, kind_or_plural: str | ResourceType, namespace: str | None, name: str,
               mutate: Callable[[dict], Any]) -> dict:
        """Read-modify-put in one step: `store.modify("Rollout", "prod", "web", lambda o: ...)`."""
        with self._lock:
            obj = self.get(kind_or_plural, namespace, name)
            mutate(obj)
            return self.put(obj)
