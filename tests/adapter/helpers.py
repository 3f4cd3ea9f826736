"""Shared helpers for the adapter tests: fast tuning, condition waits, a started backend.

Waits come from ``tests.waiting`` (``wait_until``: a predicate polled with a bound on polls, never a
deadline); this module adds the adapter's usual conditions on top.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from rolldeck.engine.kube.backend import KubeBackend
from rolldeck.engine.kube.cluster import BackendTuning
from rolldeck.engine.kube.reflector import ReflectorTuning
from rolldeck.engine.model import FleetState, ReleaseRef, ReleaseState
from tests.waiting import wait_until

# Seconds instead of minutes, so every resilience path runs in a few seconds of a test.
FAST = BackendTuning(
    reflector=ReflectorTuning(
        watch_timeout_s=(20, 30),
        inactivity_s=0.6,
        request_timeout=(2.0, 5.0),
        backoff_initial_s=0.05,
        backoff_max_s=0.4,
        backoff_reset_s=5.0,
        forbidden_retry_s=1.0,
        short_watch_s=0.2,
    ),
    request_timeout=(2.0, 5.0),
    connect_backoff=(0.1, 0.5),
    reachable_grace_s=0.0,
    access_ttl_s=600.0,
    signals_interval_s=0.1,
    signals_timeout_s=1.0,
)


def release(backend: KubeBackend, cluster: str, name: str) -> ReleaseState | None:
    return backend.snapshot().release(ReleaseRef(cluster, name))


async def wait_release(backend: KubeBackend, cluster: str, name: str, check: Callable[[ReleaseState], bool] = lambda r: True) -> ReleaseState:
    def ready() -> ReleaseState | None:
        found = release(backend, cluster, name)
        return found if found is not None and check(found) else None

    return await wait_until(ready, f"release {cluster}/{name}")


def cluster_health(state: FleetState, name: str):
    cluster = state.cluster(name)
    assert cluster is not None, name
    return cluster.health


@asynccontextmanager
async def running_backend(kubeconfig: Path | str, context: str = "all", **options: Any) -> AsyncIterator[KubeBackend]:
    options.setdefault("tuning", FAST)
    options.setdefault("seed", 7)
    backend = KubeBackend.from_kubeconfig(context, kubeconfig=kubeconfig, **options)
    await backend.start()
    try:
        yield backend
    finally:
        await backend.stop()


def cache_matches(backend: KubeBackend, cluster: Any, context: str) -> bool:
    """Every watched kind's cache holds exactly the fake server's objects, at the same RVs."""
    connection = backend.connections[context]
    if not connection.stores:
        return False
    for key, store in connection.stores.items():
        want = {f"{o['metadata'].get('namespace', '')}/{o['metadata']['name']}": o["metadata"]["resourceVersion"] for o in cluster.store.list(key)}
        have = {k: o["metadata"]["resourceVersion"] for k, o in store.objects.items()}
        if want != have:
            return False
    return True


async def in_sync(backend: KubeBackend, cluster: Any, context: str | None = None) -> None:
    """Wait until the watch caches caught up with everything a test wrote into the fake server."""
    await wait_until(lambda: cache_matches(backend, cluster, context or cluster.context), "caches in sync with the server")


# For tests that also run a Textual app on the same loop: rendering stalls the loop for longer than
# FAST's 0.6 s inactivity timeout, which would read as a silent socket.
FAST_WITH_UI = dataclasses.replace(FAST, reflector=dataclasses.replace(FAST.reflector, inactivity_s=10.0), reachable_grace_s=5.0)
