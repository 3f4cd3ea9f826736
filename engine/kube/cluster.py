"""One kubeconfig context: its clients, discovered kinds, watch caches and health.

Each cluster is supervised on its own: a broken kubeconfig entry, an unreachable server or a
revoked token shows as that cluster's one-line error while every other cluster keeps streaming.
Two ``ApiClient``s per context share one ``Configuration``: watches hold a connection each, so
writes get their own pool and can never be starved by them (pitfall 15).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubernetes_asyncio.client import ApiClient, AppsV1Api, CoreV1Api

from rolldeck.engine.kube.access import AccessCache
from rolldeck.engine.kube.errors import HttpError, describe, one_line
from rolldeck.engine.kube.kubeconfig import ContextAuth, Kubeconfig, KubeconfigError, prepare_context
from rolldeck.engine.kube.mapping.objects import Objects
from rolldeck.engine.kube.reflector import TRANSPORT_ERRORS, UP_STATES, Backoff, Reflector, ReflectorTuning, Store, slim
from rolldeck.engine.kube.resources import CLUSTER_WIDE, Kind, discover, get_call, list_call, read_json
from rolldeck.engine.model import ClusterHealth

REGION_LABELS = ("topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region")
UNKNOWN_REGION = "unknown"
HEALTHY_STATES = UP_STATES


@dataclass(frozen=True, slots=True)
class BackendTuning:
    reflector: ReflectorTuning = field(default_factory=ReflectorTuning)
    request_timeout: tuple[float, float] = (5.0, 30.0)  # discovery, reads, SSARs
    connect_backoff: tuple[float, float] = (1.0, 30.0)  # retrying a cluster that is down at start
    access_ttl_s: float = 600.0
    reachable_grace_s: float = 5.0  # a watch reconnecting after a dropped socket is not an outage yet
    signals_interval_s: float = 15.0
    signals_timeout_s: float = 10.0


class ClusterConnection:
    def __init__(
        self,
        name: str,
        *,
        namespace: str | None,
        tuning: BackendTuning,
        rng: random.Random,
        on_change: Callable[[], None],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.namespace = namespace
        self.tuning = tuning
        self.region = UNKNOWN_REGION
        self.error = "connecting…"
        self.auth: ContextAuth | None = None
        self.watch_api: ApiClient | None = None
        self.write_api: ApiClient | None = None
        self.kinds: dict[str, Kind] = {}
        self.features: tuple[str, ...] = ()
        self.stores: dict[str, Store] = {}
        self.reflectors: dict[str, Reflector] = {}
        self.access = AccessCache(tuning.access_ttl_s)
        self.version = 0  # bumped on every cache change: the backend re-maps this cluster then
        self.write_latency_ms: float | None = None
        self.setup_requests = 0
        self._rng = rng
        self._on_change = on_change
        self._monotonic = monotonic  # contact ages and the reconnect grace (tests drive it by hand)
        self._tasks: list[asyncio.Task[None]] = []

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self, kubeconfig: Kubeconfig, key_dir: Path, lock: asyncio.Lock) -> None:
        self._tasks.append(asyncio.get_running_loop().create_task(self._supervise(kubeconfig, key_dir, lock), name=f"rolldeck-cluster-{self.name}"))

    def fail_permanently(self, error: str) -> None:
        self.error = error

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for api in (self.watch_api, self.write_api):
            if api is not None:
                with contextlib.suppress(Exception):
                    await api.close()
        self.watch_api = self.write_api = None

    async def _supervise(self, kubeconfig: Kubeconfig, key_dir: Path, lock: asyncio.Lock) -> None:
        backoff = Backoff(*self.tuning.connect_backoff, reset_after=1e9, rng=self._rng)
        while True:
            try:
                await self._connect(kubeconfig, key_dir, lock)
                return
            except KubeconfigError as error:
                self.error = one_line(str(error))  # a config problem does not fix itself: stop trying
                return
            except HttpError as error:
                self.error = f"API server at {self._server()}: {one_line(str(error))}"
                if error.status == 401 and self.auth is not None:
                    with contextlib.suppress(Exception):
                        await self.auth.after_unauthorized()
            except TRANSPORT_ERRORS as error:
                self.error = f"API server at {self._server()}: {describe(error)}"
            except Exception as error:  # never let one cluster's surprise reach the others or the UI
                self.error = f"API server at {self._server()}: {describe(error)}"
            self._notify()
            await asyncio.sleep(backoff.next())

    def _server(self) -> str:
        return self.auth.info.server if self.auth is not None else self.name

    async def _connect(self, kubeconfig: Kubeconfig, key_dir: Path, lock: asyncio.Lock) -> None:
        if self.auth is None:
            def make_clients(auth: ContextAuth) -> tuple[ApiClient, ApiClient]:
                return auth.api_client(), auth.api_client()

            self.auth, (self.watch_api, self.write_api) = await prepare_context(kubeconfig, self.name, key_dir, make_clients, lock)
            if self.auth.info.region:
                self.region = self.auth.info.region
        assert self.watch_api is not None
        started = time.monotonic()
        self.setup_requests += 1
        kinds, _missing = await discover(self.watch_api, self.tuning.request_timeout)
        self.write_latency_ms = (time.monotonic() - started) * 1000.0
        self.kinds = {k.key: k for k in kinds}
        self.features = tuple(sorted({k.feature for k in kinds} - {"core"}))
        if self.region == UNKNOWN_REGION:
            self.region = await self._region_from_nodes()
        self.error = ""
        for kind in kinds:
            self._start_reflector(kind)
        self._notify()

    async def _region_from_nodes(self) -> str:
        assert self.watch_api is not None
        try:
            self.setup_requests += 1
            nodes = await read_json(await CoreV1Api(self.watch_api).list_node(limit=20, _preload_content=False, _request_timeout=self.tuning.request_timeout))
        except (HttpError, *TRANSPORT_ERRORS):
            return UNKNOWN_REGION  # nodes are often forbidden to humans: not worth an error
        for node in nodes.get("items") or []:
            labels = (node.get("metadata") or {}).get("labels") or {}
            for key in REGION_LABELS:
                if labels.get(key):
                    return str(labels[key])
        return UNKNOWN_REGION

    def _start_reflector(self, kind: Kind) -> None:
        assert self.watch_api is not None and self.auth is not None
        store = Store(kind, self._on_store_change)
        namespace = None if kind.key in CLUSTER_WIDE else self.namespace
        reflector = Reflector(
            kind,
            list_call(self.watch_api, kind, namespace),
            store,
            tuning=self.tuning.reflector,
            rng=random.Random(self._rng.random()),
            on_unauthorized=self.auth.after_unauthorized,
            on_state=self._notify,  # health changes reach the snapshot too
            clock=self._monotonic,
        )
        self.stores[kind.key] = store
        self.reflectors[kind.key] = reflector
        self._tasks.append(asyncio.get_running_loop().create_task(self._run_reflector(reflector), name=f"rolldeck-watch-{self.name}-{kind.key}"))

    async def _run_reflector(self, reflector: Reflector) -> None:
        await reflector.run()

    def _on_store_change(self, kind: Kind, event_type: str, obj: dict[str, Any]) -> None:
        self._notify()

    def _notify(self) -> None:
        self.version += 1
        self._on_change()

    # --- reads for verbs ------------------------------------------------------------------------------

    def objects(self) -> Objects:
        return Objects.of({key: store.values() for key, store in self.stores.items()})

    def cached(self, key: str, namespace: str, name: str) -> dict[str, Any] | None:
        store = self.stores.get(key)
        return store.get(namespace, name) if store is not None else None

    async def fetch(self, key: str, namespace: str, name: str) -> dict[str, Any] | None:
        """A fresh GET (after a conflict, for undo and dry runs); None if it does not exist."""
        kind = self.kinds.get(key)
        if kind is None or self.write_api is None:
            return None
        try:
            obj: dict[str, Any] = await read_json(await get_call(self.write_api, kind, namespace, name)(_preload_content=False, _request_timeout=self.tuning.request_timeout))
        except HttpError as error:
            if error.status == 404:
                return None
            raise
        obj.setdefault("kind", kind.kind)
        obj.setdefault("apiVersion", kind.api_version)
        return obj

    async def list_replicasets(self, namespace: str, selector: str) -> list[dict[str, Any]]:
        """LIST ReplicaSets by the workload's selector, as ``kubectl rollout undo`` does."""
        assert self.write_api is not None
        kind = self.kinds["replicasets"]
        page = await read_json(
            await AppsV1Api(self.write_api).list_namespaced_replica_set(
                namespace, label_selector=selector, _preload_content=False, _request_timeout=self.tuning.request_timeout
            )
        )
        return [slim(item, kind) for item in page.get("items") or []]

    # --- health -------------------------------------------------------------------------------------

    def health(self) -> ClusterHealth:
        warnings = list(self.auth.warnings) if self.auth is not None else []
        reflectors = list(self.reflectors.values())
        if not reflectors:
            return ClusterHealth(reachable=False, error=self.error or "connecting…", warnings=tuple(warnings), controllers=self.features)
        now = self._monotonic()
        healthy = [r for r in reflectors if r.state in HEALTHY_STATES]
        if healthy:  # the cluster answers: say which kinds do not (forbidden, missing, failing)
            warnings += [f"{r.kind.key}: {r.error}" for r in reflectors if r.state not in HEALTHY_STATES and r.error]
        contacts = [r.last_contact for r in reflectors if r.last_contact is not None]
        age = now - max(contacts) if contacts else 0.0
        error = ""
        # The grace runs from when the last kind went down, not from the last data: a quiet cluster
        # (its last bookmark 50 s ago) whose watches drop together is reconnecting, not an outage yet.
        downs = [r.down_since for r in reflectors if r.down_since is not None]
        down_for = now - max(downs) if downs else age
        reconnecting = (
            not healthy
            and all(r.state in ("disconnected", "relist(410)", "listing") for r in reflectors)
            and down_for <= self.tuning.reachable_grace_s
        )
        if not healthy:
            failing = sorted((r for r in reflectors if r.error), key=lambda r: r.last_error_at or 0.0, reverse=True)
            error = failing[0].error if failing else "connecting…"
            retry = min((r.retry_at for r in reflectors if r.retry_at is not None), default=None)
            if retry is not None and retry > now:
                error += f" (retry in {retry - now:.0f}s)"
        latencies = [r.latency_ms for r in reflectors if r.latency_ms is not None]
        latency = self.write_latency_ms if self.write_latency_ms is not None else (sum(latencies) / len(latencies) if latencies else None)
        return ClusterHealth(
            reachable=bool(healthy) or reconnecting,
            last_update_age_s=round(age, 1),
            error=error,
            api_latency_ms=round(latency, 1) if latency is not None else None,
            watches=sum(1 for r in reflectors if r.connected),
            controllers=self.features,
            warnings=tuple(warnings),
        )

    @property
    def requests(self) -> int:
        return self.setup_requests + sum(r.requests for r in self.reflectors.values()) + self.access.requests
