"""The simulated world: a SimPy environment, the fleet's releases, and the one world-tick process.

Each tick runs its phases in a fixed order — commands → faults already fired → control plane →
traffic → metrics — so the same seed and the same command log give the same drill however the run
is chunked (one long ``run_until`` or many budgeted slices from the UI).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
import simpy

from rolldeck.engine.model import FleetState, Gate, Mirror, Owner, ReleaseRef, Role, Strategy, WeightStep
from rolldeck.engine.changes import Change
from rolldeck.simulator.controlplane import ControlPlane
from rolldeck.simulator.dataplane import Buckets, Streams, diurnal_factor, serve_tick
from rolldeck.simulator.faults import schedule_faults
from rolldeck.simulator.flagger import FlaggerState
from rolldeck.simulator.flags import flag_sim
from rolldeck.simulator.latency import le_mapping
from rolldeck.simulator.pods import PodLifecycle
from rolldeck.simulator.revisions import initial_history
from rolldeck.simulator.rng import stream
from rolldeck.simulator.scenario import ReleaseSpec, Scenario
from rolldeck.simulator.snapshot import build_snapshot
from rolldeck.simulator.state import Profile, ReleaseSim, VersionSim


@dataclass(frozen=True)
class Command:
    """An operator change waiting for the next tick boundary."""

    ref: ReleaseRef
    change: Change
    label: str


@dataclass(frozen=True)
class LoggedCommand:
    tick: int
    release: str
    label: str


class World:
    def __init__(self, scenario: Scenario, *, autopilot: bool = False) -> None:
        self.scenario = scenario
        # With the autopilot on, it plays the rollout controller for the releases it has plans for:
        # their own `steps` are ignored and they start at 0 % (blue-green: no auto-promotion).
        self.autopilot_driven = (
            {p.release for p in scenario.autopilot.plans} if autopilot and scenario.autopilot else set()
        )
        self.env = simpy.Environment()
        self.dt = scenario.tick
        self.pods = PodLifecycle(self.env, self.rng, {c.name: c.nodes for c in scenario.clusters})
        self.control = ControlPlane(self.env, self.pods)
        self.node_speed: dict[str, dict[int, float]] = {c.name: {} for c in scenario.clusters}
        self.releases: list[ReleaseSim] = []
        self._streams: dict[ReleaseRef, Streams] = {}
        self._buckets: dict[ReleaseRef, Buckets] = {}
        self._queue: list[Command] = []
        self.command_log: list[LoggedCommand] = []
        self.tick_count = 0
        self._digest = hashlib.sha256()
        self._snapshot: FleetState | None = None
        self.unreachable: set[str] = set()
        self._frozen: dict[str, tuple[float, object]] = {}
        window_ticks = max(1, int(round(scenario.signal_window / self.dt)))
        region_of = {c.name: c.region for c in scenario.clusters}
        for spec in scenario.releases:
            self._add_release(spec, region_of[spec.cluster], window_ticks)
        schedule_faults(self.env, scenario, self)
        self.env.process(self._ticks())

    # --- set-up -----------------------------------------------------------------------------
    def rng(self, name: str) -> np.random.Generator:
        return stream(self.scenario.seed, name)

    def _add_release(self, spec: ReleaseSpec, region: str, window_ticks: int) -> None:
        ref = ReleaseRef(spec.cluster, spec.name)
        if spec.name in self.autopilot_driven:
            # The autopilot is the controller: it sets route weights through the operator, which the
            # owner rule allows only on routes nobody else owns, so the release plays `unmanaged`.
            spec = spec.model_copy(update={"steps": [], "auto_promote_after": None, "owner": Owner.UNMANAGED, "flagger": None})
        le_count = len(self.scenario.latency_buckets_s)

        def version(name: str, role: Role, vspec, ready: bool) -> VersionSim:
            sim = VersionSim(name, role, Profile.of(vspec), vspec.pods, window_ticks, le_count, updated_pods=vspec.pods)
            sim.base_memory_mb, sim.memory_limit_mb = spec.memory_mb, spec.memory_limit_mb
            return sim

        if spec.strategy is Strategy.CANARY:
            versions = [
                version("stable", Role.STABLE, spec.stable, ready=True),
                version("canary", Role.CANDIDATE, spec.candidate, ready=True),
            ]
            flagger = FlaggerState(spec.analysis()) if spec.owner is Owner.FLAGGER else None
            steps = spec.controller_steps() if flagger is None else tuple(WeightStep(w) for w in flagger.spec.weights())
            # The scenario starts with the first step's weight already set (its pods ready) — unless
            # Flagger waits for confirm-rollout first.
            started = isinstance(steps[0], WeightStep) if steps else False
            if flagger is not None and Gate.CONFIRM_ROLLOUT in flagger.spec.gates:
                started = False
            first = steps[0].weight if started else spec.weight  # type: ignore[union-attr]  # a WeightStep when started
            canary = versions[1]
            canary.desired_pods = canary.updated_pods = max(canary.desired_pods, math.ceil(spec.stable.pods * first / 100))
            weights = {"stable": 100 - first, "canary": first}
            release = ReleaseSim(ref, region, spec, Strategy.CANARY, versions, dict(weights), dict(weights))
            release.steps = steps
            release.step = (1 if started else 0) if steps else None
            release.flagger = flagger
            if flagger is not None:
                flagger.next_check, flagger.last = flagger.spec.interval, (0.0, 0.0, 0.0)
                if not started:
                    self.control.flagger.start(release, flagger, 0.0)
            release.mirror = Mirror("canary", float(spec.mirror)) if spec.mirror else None
            manual = "weights set by the autopilot" if spec.name in self.autopilot_driven else "manual canary"
            release.message = f"step 1/{len(steps)}: weight {first}%" if steps else manual
        elif spec.strategy is Strategy.ROLLING:
            versions = [
                version("old", Role.STABLE, spec.stable, ready=True),
                version("new", Role.CANDIDATE, spec.candidate, ready=False),
            ]
            versions[1].desired_pods = versions[1].updated_pods = 0  # the controller scales it up
            weights = {"old": 100, "new": 0}
            release = ReleaseSim(ref, region, spec, Strategy.ROLLING, versions, dict(weights), dict(weights))
            release.message = "rolling update starting"
        else:
            versions = [
                version("blue", Role.STABLE, spec.stable, ready=True),
                version("green", Role.CANDIDATE, spec.candidate, ready=False),
            ]
            weights = {"blue": 100, "green": 0}
            release = ReleaseSim(ref, region, spec, Strategy.BLUE_GREEN, versions, dict(weights), dict(weights))
            release.active_slot, release.preview_slot = "blue", "green"
        # Pods that run when the scenario starts; a blue-green preview slot starts from scratch.
        for sim in release.versions:
            starting = release.strategy is Strategy.BLUE_GREEN and sim.role is Role.CANDIDATE
            for _ in range(sim.desired_pods):
                self.pods.add(release, sim, ready=not starting)
        release.autopilot_driven = spec.name in self.autopilot_driven
        release.owner = spec.owner
        release.revisions = initial_history(release.versions[0].profile, release.versions[1].profile, spec.history)
        release.flags = [flag_sim(f, release) for f in spec.flags]
        self.releases.append(release)
        self._streams[ref] = Streams(
            arrivals=self.rng(f"arrivals/{ref}"),
            errors=self.rng(f"errors/{ref}"),
            latency=self.rng(f"latency/{ref}"),
        )
        mapping = le_mapping(self.scenario.latency_buckets_s)
        threshold = next(
            i for i, b in enumerate(self.scenario.latency_buckets_s) if math.isclose(b, spec.slo.latency_threshold_s)
        )
        self._buckets[ref] = Buckets(mapping, le_count, threshold + 1, spec.slo.latency_threshold_s)

    # --- the outside world ----------------------------------------------------------------------
    @property
    def now(self) -> float:
        return float(self.env.now)

    def release(self, ref: ReleaseRef) -> ReleaseSim | None:
        return next((r for r in self.releases if r.ref == ref), None)

    def enqueue(self, command: Command) -> int:
        """Queue a change; returns the tick that will apply it."""
        self._queue.append(command)
        return int(math.ceil(self.now / self.dt - 1e-9))

    def run_until(self, time: float) -> None:
        if time > self.env.now:
            self.env.run(until=time)

    def snapshot(self) -> FleetState:
        if self._snapshot is None:
            self._snapshot = build_snapshot(self)
        return self._snapshot

    def api_down(self, cluster: str) -> None:
        """The cluster's API server stops answering: its last state freezes, commands fail."""
        self._frozen[cluster] = (self.now, self.snapshot().cluster(cluster))
        self.unreachable.add(cluster)

    def api_up(self, cluster: str) -> None:
        self.unreachable.discard(cluster)
        self._frozen.pop(cluster, None)

    def frozen(self, cluster: str):
        return self._frozen.get(cluster)

    def invalidate(self) -> None:
        """Something outside the tick changed what a snapshot shows."""
        self._snapshot = None

    def digest(self) -> str:
        return self._digest.hexdigest()

    # --- the world tick ---------------------------------------------------------------------------
    def _ticks(self):
        while True:
            self._tick()
            yield self.env.timeout(self.dt)

    def _tick(self) -> None:
        now = self.now
        tick = self.tick_count
        self._apply_commands(tick, now)
        for release in self.releases:
            if release.strategy is Strategy.CANARY:
                self.control.release_waiting_routes(release)
                self.control.canary_step(release, now)
            elif release.strategy is Strategy.ROLLING:
                self.control.rolling_step(release, now)
            else:
                self.control.blue_green_step(release, now)
        scenario = self.scenario
        for release in self.releases:
            region = scenario.regions[release.region]
            factor = diurnal_factor(scenario.start_time + now, region.diurnal_amplitude, region.diurnal_peak)
            serve_tick(
                release, tick, now, self.dt, factor, self._streams[release.ref], self._buckets[release.ref],
                scenario.latency_samples, self.node_speed[release.ref.cluster],
            )
            for version in release.versions:
                self._digest.update(version.ring[tick % version.window_ticks][:2].astype(np.int64).tobytes())
        self.tick_count += 1
        self._snapshot = None

    def _apply_commands(self, tick: int, now: float) -> None:
        queue, self._queue = self._queue, []
        for command in queue:
            release = self.release(command.ref)
            if release is None:
                continue
            self.control.apply_change(release, command.change, now)
            self.command_log.append(LoggedCommand(tick, str(command.ref), command.label))
            self._digest.update(f"{tick}:{command.ref}:{command.label}".encode())
