"""The applier: a confirmed plan → the owner's exact requests on the cluster, never forced.

It reads the release's objects (the watch cache first; fresh after a conflict, and always for undo,
as kubectl does), builds the owner's requests (``verbs.build``), and sends them with an RV
precondition. A conflict re-reads and re-plans (at most ``MAX_ATTEMPTS``): the verbs' guards decide
whether the plan still holds; a plan made from a state that no longer holds is refused with one
line. Flagger verbs write nothing: they open a gate through the ``GateService``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Mapping
from typing import Any

from rolldeck.engine.kube import verbs
from rolldeck.engine.kube.cluster import ClusterConnection
from rolldeck.engine.kube.errors import HttpError, describe, one_line
from rolldeck.engine.kube.gate_service import GateService
from rolldeck.engine.kube.mapping.objects import label_selector_string, spec
from rolldeck.engine.kube.mapping.sources import Discovered
from rolldeck.engine.kube.reflector import TRANSPORT_ERRORS
from rolldeck.engine.model import ReleaseRef
from rolldeck.engine.plans import Plan
from rolldeck.engine.port import ApplyError, ApplyResult, Clock

MAX_ATTEMPTS = 3  # a write that keeps conflicting is someone else's active edit: stop and say so

FindRelease = Callable[[ReleaseRef], Discovered | None]


class Conflict(Exception):
    """The API server answered 409 before anything of the plan was written: re-read and re-plan."""


class Applier:
    def __init__(
        self,
        connections: Mapping[str, ClusterConnection],
        *,
        find: FindRelease,
        gates: GateService,
        clock: Clock,
        actor: str,
        read_only: bool,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._connections = connections
        self._find = find
        self._gates = gates
        self._clock = clock
        self.actor = actor  # who approves a Flagger gate
        self.read_only = read_only
        self._monotonic = monotonic  # write latency

    async def apply(self, plan: Plan) -> ApplyResult:
        target = plan.action.target
        if self.read_only:
            raise ApplyError("the console is read-only")
        if plan.change is None:
            raise ApplyError(f"nothing to apply for {target}")
        connection = self.connection(target)
        found = self._find(target)
        if found is None:
            raise ApplyError(f"release {target} no longer exists")
        fresh = False
        for attempt in range(MAX_ATTEMPTS):
            live = await self.read_live(connection, plan, found, fresh=fresh)
            try:
                intent = self.intent(connection, plan, found, live)
            except verbs.StateChanged as error:
                if not fresh:  # the cache may trail a write that just happened: look again before refusing
                    fresh = True
                    continue
                raise ApplyError(f"{one_line(str(error))}; review the plan again") from None
            if intent.gate is not None:
                return ApplyResult(self._clock.now(), self._gates.open(intent.gate, self.actor))
            try:
                detail = await self._send_all(connection, intent, live)
            except Conflict as conflict:
                if attempt + 1 < MAX_ATTEMPTS:
                    fresh = True  # re-read and re-plan: the guards decide whether the plan still holds
                    continue
                raise ApplyError(f"{target}: still conflicting after {MAX_ATTEMPTS} tries ({conflict}); someone else is editing it") from None
            return ApplyResult(self._clock.now(), detail)
        raise ApplyError(f"{target}: the objects keep changing; review the plan again")

    # --- shared with the dry run -------------------------------------------------------------------

    def connection(self, target: ReleaseRef) -> ClusterConnection:
        """The target's connected cluster, or ``ApplyError`` saying why there is none."""
        connection = self._connections.get(target.cluster)
        if connection is None:
            raise ApplyError(f"cluster {target.cluster} is not part of this console")
        if connection.write_api is None:
            raise ApplyError(f"cluster {target.cluster}: {connection.error or 'not connected'}")
        return connection

    def find(self, target: ReleaseRef) -> Discovered | None:
        return self._find(target)

    def intent(self, connection: ClusterConnection, plan: Plan, found: Discovered, live: verbs.Live) -> verbs.Intent:
        return verbs.build(plan, found.release, found.sources, live, connection.kinds, stamp=rfc3339(self._clock.now()))

    async def read_live(self, connection: ClusterConnection, plan: Plan, found: Discovered, *, fresh: bool) -> verbs.Live:
        wanted, need_replicasets = verbs.needed(plan, found.release, found.sources)
        namespace = found.sources.namespace
        live = verbs.Live()
        try:
            for key, name in wanted:
                if not name:
                    continue
                # undo reads fresh, as kubectl does: the cache drops the last-applied annotation it must keep
                obj = await connection.fetch(key, namespace, name) if fresh or need_replicasets else connection.cached(key, namespace, name)
                if obj is not None:
                    live.objects[(key, name)] = obj
            if need_replicasets:
                workload = next(iter(live.objects.values()), None)
                selector = label_selector_string((spec(workload) or {}).get("selector") or {}) if workload else ""
                if selector:
                    live.replicasets = await connection.list_replicasets(namespace, selector)
        except HttpError as error:
            raise ApplyError(f"{found.release.ref}: reading {namespace} objects failed: {error}") from None
        except TRANSPORT_ERRORS as error:
            raise ApplyError(f"cluster {connection.name}: {describe(error)}") from None
        return live

    # --- writes --------------------------------------------------------------------------------------

    async def _send_all(self, connection: ClusterConnection, intent: verbs.Intent, live: verbs.Live) -> str:
        assert connection.write_api is not None
        rvs = {key: resource_version(obj) for key, obj in live.objects.items()}
        done: list[str] = []
        for write in intent.writes:
            key = (write.kind.key, write.name)
            started = self._monotonic()
            try:
                result = await verbs.send(connection.write_api, write, rv=rvs.get(key))
            except HttpError as error:
                if error.is_conflict and not done:
                    raise Conflict(str(error)) from None
                if error.status == 403:
                    connection.access.forget()
                elif error.status == 401 and connection.auth is not None:
                    with contextlib.suppress(Exception):
                        await connection.auth.after_unauthorized()
                prefix = f"partly applied ({', '.join(done)}); " if done else ""
                raise ApplyError(f"{prefix}{write.kind.kind} {write.namespace}/{write.name}: {error}") from None
            except TRANSPORT_ERRORS as error:
                prefix = f"partly applied ({', '.join(done)}); " if done else ""
                raise ApplyError(f"{prefix}cluster {connection.name}: {describe(error)}") from None
            connection.write_latency_ms = (self._monotonic() - started) * 1000.0
            rvs[key] = resource_version(result)  # the next write to the same object is guarded by the new RV
            done.append(write.note or write.path)
        return f"{intent.summary}: " + ", ".join(done) if intent.summary else ", ".join(done)


def resource_version(obj: Mapping[str, Any] | None) -> str | None:
    if not obj:
        return None
    value = (obj.get("metadata") or {}).get("resourceVersion")
    return str(value) if value else None


def rfc3339(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
