"""``KubeBackend``: the engine's Backend port over kubeconfig contexts.

State: watch caches per (cluster, kind) → pure mapping → an immutable ``FleetState``, rebuilt only
when a cache, a gate, an access answer or the signals changed (and at most once a second for the
health ages). Mutations: ``apply(plan)`` reads the release's objects (cache first), builds the
owner's exact requests, sends them with an RV precondition, and on a conflict re-reads and re-plans
(at most three attempts): a plan made from a state that no longer holds is refused, never forced.
Time is wall time (``time.time``): that is what live means.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from rolldeck.engine.audit import GateAnswer
from rolldeck.engine.kube import verbs
from rolldeck.engine.kube.access import requirements
from rolldeck.engine.kube.cluster import BackendTuning, ClusterConnection
from rolldeck.engine.kube.errors import HttpError, describe, one_line
from rolldeck.engine.kube.flagger_gates import FlaggerGates, GateEvent
from rolldeck.engine.kube.kubeconfig import Kubeconfig, KubeconfigError, private_key_dir, shred_key_files
from rolldeck.engine.kube.mapping import map_objects
from rolldeck.engine.kube.mapping.objects import label_selector_string, spec
from rolldeck.engine.kube.mapping.sources import Discovered
from rolldeck.engine.kube.mapping.workloads import percentages
from rolldeck.engine.kube.reflector import TRANSPORT_ERRORS
from rolldeck.engine.kube.signals import ReleaseSignals, RunningTotals
from rolldeck.engine.model import ClusterState, Gate, FleetState, Owner, RegionState, ReleaseRef, ReleaseState, Signals, Split, Unmapped
from rolldeck.engine.plans import Plan
from rolldeck.engine.port import ApplyError, ApplyResult, DryRun, DryRunKind, DryRunLine

MAX_ATTEMPTS = 3  # a write that keeps conflicting is someone else's active edit: stop and say so
REBUILD_EVERY_S = 1.0  # health ages in the snapshot stay this fresh without any event


class WallClock:
    def now(self) -> float:
        return time.time()


class KubeBackend:
    """Real clusters behind the ``Backend`` port. One instance per console session."""

    def __init__(
        self,
        kubeconfig: Kubeconfig,
        contexts: Sequence[str],
        *,
        unknown_contexts: Sequence[str] = (),
        namespace: str | None = None,
        read_only: bool = False,
        signals: ReleaseSignals | None = None,
        gates: FlaggerGates | None = None,
        serve_gates: bool = True,
        actor: str = "operator",
        tuning: BackendTuning = BackendTuning(),
        seed: int | None = None,
        key_dir: Path | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.kubeconfig = kubeconfig
        self.namespace = namespace
        self.read_only = read_only
        self.actor = actor
        self.tuning = tuning
        self.problems = list(kubeconfig.problems) + [f"context {n}: not found in {', '.join(kubeconfig.paths)}" for n in unknown_contexts]
        self.name = f"live: {len(contexts) + len(unknown_contexts)} context{'s' if len(contexts) + len(unknown_contexts) != 1 else ''}"
        self._clock = WallClock()
        self._rng = random.Random(seed)
        self._monotonic = monotonic  # health ages, the reconnect grace, snapshot freshness; tests pass a manual one
        self._dirty = True
        self.connections: dict[str, ClusterConnection] = {}
        for name in [*contexts, *unknown_contexts]:
            self.connections[name] = ClusterConnection(
                name, namespace=namespace, tuning=tuning, rng=random.Random(self._rng.random()), on_change=self._mark_dirty, monotonic=monotonic
            )
        for name in unknown_contexts:
            self.connections[name].fail_permanently(f"context {name}: not found in {', '.join(kubeconfig.paths)}")
        self._unknown = set(unknown_contexts)
        self._signals_source = signals
        self._signals: dict[ReleaseRef, Mapping[str, Signals] | str] = {}
        self._totals = RunningTotals()  # cumulative counts for the judge, from successive windows
        self._signals_version = 0
        self.gates = gates if gates is not None else (FlaggerGates(on_event=self._on_gate_event) if serve_gates else None)
        if self.gates is not None and self.gates._on_event is None:
            self.gates._on_event = self._on_gate_event
        self._gate_listener: Callable[[GateAnswer], object] | None = None  # the operator's audit, once one is built on us
        self._key_dir = key_dir
        self._lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._started = False
        # snapshot cache
        self._mapped: dict[str, tuple[tuple[int, ...], list[Discovered], tuple[Unmapped, ...]]] = {}
        self._discovered: dict[ReleaseRef, Discovered] = {}
        self._fleet: FleetState | None = None
        self._built_at = 0.0
        self.snapshot_builds = 0

    @classmethod
    def from_kubeconfig(
        cls, context: str | None = None, *, kubeconfig: str | Path | None = None, env: Mapping[str, str] | None = None, **options: Any
    ) -> KubeBackend:
        """``rolldeck live --context A,B|all``; raises ``KubeconfigError`` (one line) when nothing is usable."""
        config = Kubeconfig.load(kubeconfig, env)
        known, unknown = config.select(context)
        if not known and unknown:
            raise KubeconfigError(f"context {', '.join(unknown)}: not found in {', '.join(config.paths)} (have: {', '.join(config.context_names()) or 'none'})")
        return cls(config, known, unknown_contexts=unknown, **options)

    # --- Backend port --------------------------------------------------------------------------------

    @property
    def clock(self) -> WallClock:
        return self._clock

    async def start(self) -> None:
        if self._started:
            return
        self._started = True
        # kubernetes_asyncio logs whole response bodies at DEBUG (a Secret's data, a token review): never
        for name in ("kubernetes_asyncio", "kubernetes_asyncio.client.rest"):
            library_log = logging.getLogger(name)
            if library_log.getEffectiveLevel() < logging.INFO:
                library_log.setLevel(logging.INFO)
        self._key_dir = self._key_dir or private_key_dir()
        self._key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.gates is not None:
            try:
                await self.gates.start()
            except OSError as error:
                self.problems.append(f"Flagger gate service: cannot listen on {self.gates.host}:{self.gates.port} ({error.strerror})")
                self.gates = None
        for name, connection in self.connections.items():
            if name not in self._unknown:
                connection.start(self.kubeconfig, self._key_dir, self._lock)
        if self._signals_source is not None:
            self._tasks.append(asyncio.get_running_loop().create_task(self._poll_signals(), name="rolldeck-signals"))

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await asyncio.gather(*(c.stop() for c in self.connections.values()), return_exceptions=True)
        if self.gates is not None:
            await self.gates.stop()
        if self._key_dir is not None and self._key_dir.exists():
            shred_key_files(self._key_dir)
            with contextlib.suppress(OSError):
                self._key_dir.rmdir()
        self._started = False

    def snapshot(self) -> FleetState:
        now = self._monotonic()
        if self._fleet is not None and not self._dirty and now - self._built_at < REBUILD_EVERY_S:
            return self._fleet
        self._dirty = False
        self._built_at = now
        self.snapshot_builds += 1
        regions: dict[str, list[ClusterState]] = {}
        discovered: dict[ReleaseRef, Discovered] = {}
        for name, connection in self.connections.items():
            releases, unmapped = self._releases(connection)
            for item in releases:
                discovered[item.release.ref] = item
            state = ClusterState(
                name=name,
                region=connection.region,
                releases=tuple(item.release for item in releases),
                health=connection.health(),
                read_only=self.read_only,
                unmapped=unmapped,
            )
            regions.setdefault(connection.region, []).append(state)
        self._discovered = discovered
        self._fleet = FleetState(
            time=self._clock.now(),
            source=self.name,
            regions=tuple(RegionState(region, tuple(clusters)) for region, clusters in sorted(regions.items())),
            simulated=False,
        )
        return self._fleet

    async def apply(self, plan: Plan) -> ApplyResult:
        target = plan.action.target
        if self.read_only:
            raise ApplyError("the console is read-only")
        if plan.change is None:
            raise ApplyError(f"nothing to apply for {target}")
        connection = self._connection(target)
        self.snapshot()
        found = self._discovered.get(target)
        if found is None:
            raise ApplyError(f"release {target} no longer exists")
        fresh = False
        for attempt in range(MAX_ATTEMPTS):
            live = await self._live(connection, plan, found, fresh=fresh)
            try:
                intent = verbs.build(plan, found.release, found.sources, live, connection.kinds, stamp=_rfc3339(self._clock.now()))
            except verbs.StateChanged as error:
                if not fresh:  # the cache may trail a write that just happened: look again before refusing
                    fresh = True
                    continue
                raise ApplyError(f"{one_line(str(error))}; review the plan again") from None
            if intent.gate is not None:
                return self._open_gate(connection, found, intent.gate)
            try:
                detail = await self._send_all(connection, intent, live)
            except _Conflict as conflict:
                if attempt + 1 < MAX_ATTEMPTS:
                    fresh = True  # re-read and re-plan: the guards decide whether the plan still holds
                    continue
                raise ApplyError(f"{target}: still conflicting after {MAX_ATTEMPTS} tries ({conflict}); someone else is editing it") from None
            return ApplyResult(self._clock.now(), detail)
        raise ApplyError(f"{target}: the objects keep changing; review the plan again")

    # --- extras for the console ---------------------------------------------------------------------

    async def dry_run(self, plan: Plan) -> DryRun:
        """Server-side preview (``dryRun=All``) of what ``apply`` would send; one line per request."""
        target = plan.action.target
        try:
            connection = self._connection(target)
        except ApplyError as error:
            return DryRun.unavailable(str(error))
        self.snapshot()
        found = self._discovered.get(target)
        if found is None:
            return DryRun.unavailable(f"release {target} no longer exists")
        try:
            live = await self._live(connection, plan, found, fresh=True)
            intent = verbs.build(plan, found.release, found.sources, live, connection.kinds, stamp=_rfc3339(self._clock.now()))
        except verbs.StateChanged as error:
            return DryRun.unavailable(f"cannot preview: {one_line(str(error))}")
        except ApplyError as error:
            return DryRun.unavailable(f"preview unavailable: {error}")
        if intent.gate is not None:
            url = self.gates.url(connection.name, intent.gate.gate) if self.gates is not None else "(gate service off)"
            text = f"no API request: opens Flagger gate {intent.gate.gate} for {intent.gate.namespace}/{intent.gate.canary}, used once at Flagger's next call to {url}"
            return DryRun((DryRunLine(DryRunKind.NO_REQUEST, text),))
        assert connection.write_api is not None
        lines = []
        for write in intent.writes:
            current = live.objects.get((write.kind.key, write.name))
            rv = _rv(current)
            try:
                preview = await verbs.send(connection.write_api, write, rv=rv, dry_run=True)
            except HttpError as error:
                lines.append(DryRunLine(DryRunKind.UNAVAILABLE, f"{write.path}: preview unavailable ({error})"))
                continue
            except TRANSPORT_ERRORS as error:
                lines.append(DryRunLine(DryRunKind.UNAVAILABLE, f"{write.path}: preview unavailable ({describe(error)})"))
                continue
            changes = object_diff(current or {}, preview)
            lines.append(DryRunLine(DryRunKind.CHANGE, f"PATCH {write.path}: " + ("; ".join(changes) if changes else "no change")))
        return DryRun(tuple(lines))

    def allowed_actions(self, ref: ReleaseRef) -> dict[str, str]:
        """Action kind → "" when allowed, else why not (RBAC from SSARs, a Canary without our gate)."""
        self.snapshot()
        found = self._discovered.get(ref)
        if found is None:
            return {}
        answers = {kind.value: "" for kind in requirements(found.release)}
        answers.update(dict(found.release.denied))
        return answers

    def gate_url(self, cluster: str, gate: str) -> str | None:
        return self.gates.url(cluster, gate) if self.gates is not None else None

    @property
    def requests(self) -> int:
        """Requests sent to every API server so far (the watch benchmark's steady-state count)."""
        return sum(c.requests for c in self.connections.values())

    # --- internals ------------------------------------------------------------------------------------

    def _mark_dirty(self) -> None:
        self._dirty = True

    def _connection(self, target: ReleaseRef) -> ClusterConnection:
        connection = self.connections.get(target.cluster)
        if connection is None:
            raise ApplyError(f"cluster {target.cluster} is not part of this console")
        if connection.write_api is None:
            raise ApplyError(f"cluster {target.cluster}: {connection.error or 'not connected'}")
        return connection

    def _releases(self, connection: ClusterConnection) -> tuple[list[Discovered], tuple[Unmapped, ...]]:
        gates_version = self.gates.version if self.gates is not None else 0
        key = (connection.version, gates_version, connection.access.version, self._signals_version)
        cached = self._mapped.get(connection.name)
        if cached is not None and cached[0] == key:
            return cached[1], cached[2]
        waits = {**self.gates.waiting(""), **self.gates.waiting(connection.name)} if self.gates is not None else {}
        mapped = map_objects(connection.objects(), cluster=connection.name, region=connection.region, gate_waits=waits)
        result = [Discovered(self._decorate(connection, item.release), item.sources) for item in mapped.releases]
        self._mapped[connection.name] = (key, result, mapped.unmapped)
        self._schedule_access_checks(connection, [item.release for item in result])
        return result, mapped.unmapped

    def _decorate(self, connection: ClusterConnection, release: ReleaseState) -> ReleaseState:
        denied = dict(release.denied)
        for kind, reason in connection.access.denied(release):
            denied.setdefault(kind, reason)
        if release.owner is Owner.FLAGGER and self.gates is None:
            for kind in ("promote", "step-up", "abort"):
                denied.setdefault(kind, "rolldeck's Flagger gate service is not running")
        changes: dict[str, Any] = {"denied": tuple(sorted(denied.items()))}
        answer = self._signals.get(release.ref)
        if isinstance(answer, str):
            changes["metrics_error"] = answer
        elif answer:
            versions = tuple(
                replace(v, signals=answer[v.name], totals=self._totals.get(str(release.ref), v.name)) if v.name in answer else v
                for v in release.versions
            )
            changes["versions"] = versions
            total = sum(answer[v.name].requests for v in release.versions if v.name in answer)
            if total > 0:
                names = [v.name for v in release.versions]
                shares = percentages([answer[n].requests if n in answer else 0 for n in names])
                changes["observed"] = Split(tuple(zip(names, shares, strict=True)))
        return replace(release, **changes)

    def _schedule_access_checks(self, connection: ClusterConnection, releases: list[ReleaseState]) -> None:
        if connection.write_api is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        by_namespace: dict[str, set[Any]] = {}
        for release in releases:
            for permissions in requirements(release).values():
                by_namespace.setdefault(release.namespace, set()).update(permissions)
        for namespace, permissions in by_namespace.items():
            missing = connection.access.missing(namespace, permissions)
            if missing:
                task = loop.create_task(self._check_access(connection, namespace, missing))
                self._tasks.append(task)
                task.add_done_callback(lambda t: self._tasks.remove(t) if t in self._tasks else None)

    async def _check_access(self, connection: ClusterConnection, namespace: str, permissions: list[Any]) -> None:
        if connection.write_api is None:
            return
        await connection.access.check(connection.write_api, namespace, permissions, self.tuning.request_timeout)
        self._mark_dirty()

    async def _live(self, connection: ClusterConnection, plan: Plan, found: Discovered, *, fresh: bool) -> verbs.Live:
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

    async def _send_all(self, connection: ClusterConnection, intent: verbs.Intent, live: verbs.Live) -> str:
        assert connection.write_api is not None
        rvs = {key: _rv(obj) for key, obj in live.objects.items()}
        done: list[str] = []
        for write in intent.writes:
            key = (write.kind.key, write.name)
            started = time.monotonic()
            try:
                result = await verbs.send(connection.write_api, write, rv=rvs.get(key))
            except HttpError as error:
                if error.is_conflict and not done:
                    raise _Conflict(str(error)) from None
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
            connection.write_latency_ms = (time.monotonic() - started) * 1000.0
            rvs[key] = _rv(result)  # the next write to the same object is guarded by the new RV
            done.append(write.note or write.path)
        return f"{intent.summary}: " + ", ".join(done) if intent.summary else ", ".join(done)

    def _open_gate(self, connection: ClusterConnection, found: Discovered, decision: verbs.GateDecision) -> ApplyResult:
        if self.gates is None:
            raise ApplyError("the Flagger gate service is not running")
        self.gates.approve(decision.key, decision.namespace, decision.canary, decision.gate, self.actor)
        detail = f"{decision.note}: gate {decision.gate} open once for {decision.namespace}/{decision.canary} (approved by {self.actor}); Flagger passes it at its next check"
        self._mark_dirty()
        return ApplyResult(self._clock.now(), detail)

    def report_gate_answers(self, listener: Callable[[GateAnswer], object]) -> None:
        self._gate_listener = listener

    def _on_gate_event(self, event: GateEvent) -> None:
        self._mark_dirty()
        if event.outcome != "passed" or self._gate_listener is None:
            return
        # The gate key is the Canary's webhook URL segment, usually but not always the context name.
        candidates = [d for d in self._discovered.values() if d.sources.canary == event.canary and d.sources.namespace == event.namespace]
        exact = [d for d in candidates if d.release.cluster == event.cluster]
        found = exact[0] if exact else (candidates[0] if len(candidates) == 1 else None)
        self._gate_listener(
            GateAnswer(
                release=str(found.release.ref) if found else f"{event.cluster}/{event.canary}",
                cluster=event.cluster,
                region=found.release.region if found else "",
                namespace=event.namespace,
                canary=event.canary,
                gate=Gate(event.gate),
                approver=event.actor,
                backend_time=self._clock.now(),
            )
        )

    async def _poll_signals(self) -> None:
        assert self._signals_source is not None
        source = self._signals_source
        limit = asyncio.Semaphore(8)

        async def one(release: ReleaseState) -> None:
            async with limit:
                try:
                    answer = await asyncio.wait_for(source.signals(release), self.tuning.signals_timeout_s)
                except asyncio.TimeoutError:
                    answer = f"metrics source timed out after {self.tuning.signals_timeout_s:.0f}s"
                except Exception as error:  # a broken source is the Error verdict, never a crash
                    answer = f"metrics source failed: {describe(error)}"
                if isinstance(answer, Mapping):
                    value: Mapping[str, Signals] | str = dict(answer)
                    self._totals.add(str(release.ref), value, self._clock.now())
                else:
                    value = one_line(str(answer))
                if self._signals.get(release.ref) != value:
                    self._signals[release.ref] = value
                    self._signals_version += 1
                    self._mark_dirty()

        while True:
            releases = list(self.snapshot().releases())
            await asyncio.gather(*(one(r) for r in releases))
            await asyncio.sleep(self.tuning.signals_interval_s)


class _Conflict(Exception):
    pass


def _rv(obj: Mapping[str, Any] | None) -> str | None:
    if not obj:
        return None
    value = (obj.get("metadata") or {}).get("resourceVersion")
    return str(value) if value else None


def _rfc3339(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_IGNORED = ("metadata.resourceVersion", "metadata.managedFields", "metadata.generation", "metadata.creationTimestamp", "metadata.uid", "status")


def object_diff(before: Mapping[str, Any], after: Mapping[str, Any], limit: int = 12) -> list[str]:
    """Changed leaves between two versions of an object, as ``path: old → new`` (status included
    only when it is what changed, i.e. for status-subresource writes)."""
    left, right = _flatten(before), _flatten(after)
    paths = sorted(set(left) | set(right))
    spec_changed = [p for p in paths if left.get(p, _MISSING) != right.get(p, _MISSING) and not p.startswith(_IGNORED)]
    status_changed = [p for p in paths if left.get(p, _MISSING) != right.get(p, _MISSING) and p.startswith("status")]
    changed = spec_changed or status_changed
    out = [f"{p}: {_show(left.get(p, _MISSING))} → {_show(right.get(p, _MISSING))}" for p in changed[:limit]]
    if len(changed) > limit:
        out.append(f"… {len(changed) - limit} more")
    return out


_MISSING = object()


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        if not value:
            return {prefix: {}} if prefix else {}
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list):
        if not value:
            return {prefix: []}
        out = {}
        for index, inner in enumerate(value):
            out.update(_flatten(inner, f"{prefix}[{index}]"))
        return out
    return {prefix: value}


def _show(value: Any) -> str:
    if value is _MISSING:
        return "∅"
    text = json.dumps(value, separators=(",", ":"), default=str)
    return text if len(text) <= 60 else text[:59] + "…"


__all__ = ["KubeBackend", "WallClock", "object_diff"]
