"""``KubeBackend``: the engine's Backend port over kubeconfig contexts — a thin composition.

The parts, each in its own module and unit-tested on its own:

* ``ClusterConnection`` (``cluster.py``): one context's clients, watch caches and health;
* ``SnapshotAssembler`` (``snapshots.py``): caches → pure mapping → one immutable ``FleetState``,
  rebuilt only when something it shows changed;
* ``AccessReviews`` (``access_reviews.py``): SelfSubjectAccessReviews that dim what RBAC refuses;
* ``SignalsPoller`` (``signals_poller.py``): each release's metrics, running totals and observed split;
* ``GateService`` (``gate_service.py``): Flagger's gate webhooks, wired to the verbs and to the
  operator's audit log (the port's ``GateAnswers``);
* ``Applier`` (``applier.py``): ``apply(plan)`` — the owner's requests under RV preconditions,
  re-read and re-planned on a conflict, refused rather than forced;
* ``ServerDryRun`` (``dry_run.py``): the port's ``DryRunner``, the API server's ``dryRun=All``.

Time is wall time (``time.time``): that is what live means.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rolldeck.engine.audit import GateAnswer
from rolldeck.engine.kube.access import requirements
from rolldeck.engine.kube.access_reviews import AccessReviews
from rolldeck.engine.kube.applier import Applier
from rolldeck.engine.kube.cluster import BackendTuning, ClusterConnection
from rolldeck.engine.kube.dry_run import ServerDryRun
from rolldeck.engine.kube.flagger_gates import FlaggerGates
from rolldeck.engine.kube.gate_service import GateService
from rolldeck.engine.kube.kubeconfig import Kubeconfig, KubeconfigError, private_key_dir, shred_key_files
from rolldeck.engine.kube.mapping.sources import Discovered
from rolldeck.engine.kube.signals import ReleaseSignals
from rolldeck.engine.kube.signals_poller import SignalsPoller
from rolldeck.engine.kube.snapshots import Dirty, SnapshotAssembler
from rolldeck.engine.model import FleetState, ReleaseRef
from rolldeck.engine.plans import Plan
from rolldeck.engine.port import ApplyResult, DryRun

# kubernetes_asyncio logs whole response bodies at DEBUG (a Secret's data, a token review): never
_LIBRARY_LOGS = ("kubernetes_asyncio", "kubernetes_asyncio.client.rest")


class WallClock:
    def now(self) -> float:
        return time.time()


class KubeBackend:
    """Real clusters behind the ``Backend`` port (and ``DryRunner``, ``GateAnswers``). One per console session."""

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
        missing = [f"context {n}: not found in {', '.join(kubeconfig.paths)}" for n in unknown_contexts]
        self.problems = list(kubeconfig.problems) + missing
        count = len(contexts) + len(unknown_contexts)
        self.name = f"live: {count} context{'s' if count != 1 else ''}"
        self._clock = WallClock()
        self._key_dir = key_dir
        self._lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._started = False
        self._unknown = set(unknown_contexts)
        dirty = Dirty()
        rng = random.Random(seed)
        self.connections: dict[str, ClusterConnection] = {}
        for name in [*contexts, *unknown_contexts]:
            self.connections[name] = ClusterConnection(
                name, namespace=namespace, tuning=tuning, rng=random.Random(rng.random()), on_change=dirty.mark, monotonic=monotonic
            )
        for name, problem in zip(unknown_contexts, missing, strict=True):
            self.connections[name].fail_permanently(problem)
        served = gates if gates is not None else (FlaggerGates() if serve_gates else None)
        self._gates = GateService(served, clock=self._clock, on_change=dirty.mark, find_canary=self._find_canary)
        self._access = AccessReviews(timeout=tuning.request_timeout, on_change=dirty.mark)
        self._signals = (
            SignalsPoller(
                signals,
                releases=lambda: self.snapshot().releases(),
                clock=self._clock,
                on_change=dirty.mark,
                timeout_s=tuning.signals_timeout_s,
                interval_s=tuning.signals_interval_s,
            )
            if signals is not None
            else None
        )
        self._snapshots = SnapshotAssembler(
            self.connections,
            source=self.name,
            read_only=read_only,
            clock=self._clock,
            monotonic=monotonic,
            dirty=dirty,
            gates=self._gates,
            access=self._access,
            signals=self._signals,
        )
        self._applier = Applier(self.connections, find=self._snapshots.discovered, gates=self._gates, clock=self._clock, actor=actor, read_only=read_only)
        self._dry_run = ServerDryRun(self._applier, self._gates)

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
        for name in _LIBRARY_LOGS:
            library_log = logging.getLogger(name)
            if library_log.getEffectiveLevel() < logging.INFO:
                library_log.setLevel(logging.INFO)
        self._key_dir = self._key_dir or private_key_dir()
        self._key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        problem = await self._gates.start()
        if problem:
            self.problems.append(problem)
        for name, connection in self.connections.items():
            if name not in self._unknown:
                connection.start(self.kubeconfig, self._key_dir, self._lock)
        if self._signals is not None:
            self._tasks.append(asyncio.get_running_loop().create_task(self._signals.run(), name="rolldeck-signals"))

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._access.stop()
        await asyncio.gather(*(c.stop() for c in self.connections.values()), return_exceptions=True)
        await self._gates.stop()
        if self._key_dir is not None and self._key_dir.exists():
            shred_key_files(self._key_dir)
            with contextlib.suppress(OSError):
                self._key_dir.rmdir()
        self._started = False

    def snapshot(self) -> FleetState:
        return self._snapshots.snapshot()

    async def apply(self, plan: Plan) -> ApplyResult:
        return await self._applier.apply(plan)

    # --- optional extras of the port ------------------------------------------------------------------

    async def dry_run(self, plan: Plan) -> DryRun:
        """Server-side preview (``dryRun=All``) of what ``apply`` would send; one line per request."""
        return await self._dry_run.dry_run(plan)

    def report_gate_answers(self, listener: Callable[[GateAnswer], object]) -> None:
        self._gates.report_gate_answers(listener)

    # --- for tests, benchmarks and the CLI ----------------------------------------------------------

    @property
    def gates(self) -> FlaggerGates | None:
        """The gate webhook server (None when it is off or could not listen)."""
        return self._gates.gates

    def gate_url(self, cluster: str, gate: str) -> str | None:
        return self._gates.url(cluster, gate)

    def allowed_actions(self, ref: ReleaseRef) -> dict[str, str]:
        """Action kind → "" when allowed, else why not (RBAC from SSARs, a Canary without our gate)."""
        found = self._snapshots.discovered(ref)
        if found is None:
            return {}
        answers = {kind.value: "" for kind in requirements(found.release)}
        answers.update(dict(found.release.denied))
        return answers

    @property
    def snapshot_builds(self) -> int:
        return self._snapshots.builds

    @property
    def requests(self) -> int:
        """Requests sent to every API server so far (the watch benchmark's steady-state count)."""
        return sum(c.requests for c in self.connections.values())

    def _find_canary(self, cluster: str, namespace: str, canary: str) -> Discovered | None:
        return self._snapshots.find_canary(cluster, namespace, canary)


__all__ = ["KubeBackend", "WallClock"]
