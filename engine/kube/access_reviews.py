"""RBAC for the snapshot: SelfSubjectAccessReviews for what each mapped release's verbs need.

Asked in the background, once per (namespace, permission) and TTL (``AccessCache``), whenever a
cluster is re-mapped; each answer marks the snapshot dirty, and a denied permission becomes the
release's ``denied`` reason, which dims the verb in the console and refuses it in the planner.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable

from rolldeck.engine.kube.access import Permission, requirements
from rolldeck.engine.kube.cluster import ClusterConnection
from rolldeck.engine.model import ReleaseState


class AccessReviews:
    def __init__(self, *, timeout: tuple[float, float], on_change: Callable[[], None]) -> None:
        self._timeout = timeout
        self._on_change = on_change
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def pending(self) -> int:
        """Review rounds asked and not answered yet."""
        return len(self._tasks)

    def schedule(self, connection: ClusterConnection, releases: Iterable[ReleaseState]) -> None:
        """Ask, in the background, for the permissions these releases need that are not known yet."""
        if connection.write_api is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a snapshot outside the loop (a test, a script): ask at the next one
            return
        by_namespace: dict[str, set[Permission]] = {}
        for release in releases:
            for needed in requirements(release).values():
                by_namespace.setdefault(release.namespace, set()).update(needed)
        for namespace, permissions in by_namespace.items():
            missing = connection.access.missing(namespace, permissions)
            if missing:
                task = loop.create_task(self._check(connection, namespace, missing))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        tasks, self._tasks = list(self._tasks), set()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _check(self, connection: ClusterConnection, namespace: str, permissions: list[Permission]) -> None:
        if connection.write_api is None:
            return
        await connection.access.check(connection.write_api, namespace, permissions, self._timeout)
        self._on_change()
