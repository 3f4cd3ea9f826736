"""The fault timeline: each fault is a SimPy process that switches a condition on at ``at`` and off
at ``until`` (if given). Conditions live on the targeted releases, versions, pods or nodes; the data
plane and the pod lifecycle read them. Names follow Chaos Mesh / Litmus / AWS FIS vocabulary (see
../shared/reference/scenario-catalogue.md)."""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import TYPE_CHECKING, Any

import simpy

from rolldeck.engine.model import Role
from rolldeck.simulator import scenario as sc
from rolldeck.simulator.pods import PodState

Undo = Callable[[], None]

if TYPE_CHECKING:
    from rolldeck.simulator.state import ReleaseSim, VersionSim
    from rolldeck.simulator.world import World


def schedule_faults(env: simpy.Environment, scenario: sc.Scenario, world: World) -> None:
    for index, fault in enumerate(scenario.faults):
        env.process(_run_fault(env, index, fault, world))


def _releases(fault: sc.FaultBase, world: World) -> list[ReleaseSim]:
    target = fault.target
    region_of = {c.name: c.region for c in world.scenario.clusters}
    return [
        release
        for release in world.releases
        if (target.release is None or release.ref.name == target.release)
        and (target.cluster is None or release.ref.cluster == target.cluster)
        and (target.region is None or region_of[release.ref.cluster] == target.region)
    ]


def _versions(fault: sc.FaultBase, world: World, default: str | None = None) -> list[VersionSim]:
    wanted = default if default and "version" not in fault.target.model_fields_set else fault.target.version
    chosen: list[VersionSim] = []
    for release in _releases(fault, world):
        for version in release.versions:
            if wanted == "all" or (wanted == "stable" and version.role is Role.STABLE) or (
                wanted == "candidate" and version.role is Role.CANDIDATE
            ):
                chosen.append(version)
    return chosen


def _run_fault(env: simpy.Environment, index: int, fault: sc.FaultBase, world: World) -> Generator[simpy.Event, Any, None]:
    yield env.timeout(fault.at)
    undo = _apply(index, fault, world)
    world.invalidate()
    if fault.until is None or undo is None:
        return
    yield env.timeout(fault.until - fault.at)
    undo()
    world.invalidate()


def _set(objects: Sequence[object], attribute: str, on: object, off: object) -> Undo:
    for obj in objects:
        setattr(obj, attribute, on)

    def undo() -> None:
        for obj in objects:
            setattr(obj, attribute, off)

    return undo


def _apply(index: int, fault: sc.FaultBase, world: World) -> Undo | None:  # noqa: C901 - one branch per fault type, flat on purpose
    """Switch the fault on; return how to switch it off (None when it cannot be undone)."""
    now = world.now
    if isinstance(fault, sc.ErrorRateFault):
        return _set(_versions(fault, world), "error_rate_override", fault.params.error_rate, None)
    if isinstance(fault, sc.LatencyFault):
        versions = _versions(fault, world)
        return _all(
            _set(versions, "latency_factor", fault.params.factor, 1.0),
            _set(versions, "latency_add_s", fault.params.add_ms / 1000.0, 0.0),
        )
    if isinstance(fault, sc.TrafficSpikeFault):
        return _set(_releases(fault, world), "rate_factor", fault.params.factor, 1.0)
    if isinstance(fault, sc.MetricsOutageFault):
        return _set(_releases(fault, world), "metrics_down", True, False)
    if isinstance(fault, sc.DependencySlowdownFault):
        return _set(_versions(fault, world, default="all"), "latency_add_s", fault.params.add_ms / 1000.0, 0.0)
    if isinstance(fault, sc.DependencyLossFault):
        versions = _versions(fault, world, default="all")
        return _all(
            _set(versions, "dependency_timeout_s", fault.params.timeout_ms / 1000.0, 0.0),
            _set(versions, "timeout_rate", fault.params.failure_rate, 0.0),
        )
    if isinstance(fault, sc.DnsFailureFault):
        return _set(_versions(fault, world, default="all"), "fast_error_rate", fault.params.error_rate, 0.0)
    if isinstance(fault, sc.CertificateExpiryFault):
        return _set(_versions(fault, world, default="all"), "fast_error_rate", fault.params.error_rate, 0.0)
    if isinstance(fault, sc.ColdStartFault):
        versions = _versions(fault, world)
        return _all(_set(versions, "cold_decay_s", fault.params.decay, 120.0), _set(versions, "cold_factor", fault.params.factor, 1.0))
    if isinstance(fault, sc.PropagationDelayFault):
        return _set(_releases(fault, world), "propagation_override", fault.params.delay, None)
    if isinstance(fault, sc.MemoryLeakFault):
        versions = _versions(fault, world)
        for version in versions:
            version.leak_since = now
        return _woken(world, versions, _set(versions, "leak_mb_per_s", fault.params.mb_per_min / 60.0, 0.0))
    if isinstance(fault, sc.CrashLoopFault):
        versions = _versions(fault, world)
        return _woken(world, versions, _set(versions, "crash_looping", True, False))
    if isinstance(fault, sc.PodKillFault):
        rng = world.rng(f"faults/{index}/pod_kill")
        for version in _versions(fault, world):
            ready = version.ready
            chosen = sorted(rng.choice(len(ready), size=min(fault.params.count, len(ready)), replace=False)) if ready else []
            world.pods.kill(version, [ready[i] for i in chosen])
        return None
    if isinstance(fault, sc.NodeDrainFault):
        node = _node(fault, world)
        for version in _versions(fault, world, default="all"):
            world.pods.kill(version, [p for p in version.pods if p.node == node and p.state is PodState.READY])
        return None
    if isinstance(fault, sc.NoisyNeighbourFault):
        node = _node(fault, world)
        clusters = {r.ref.cluster for r in _releases(fault, world)}
        for cluster in clusters:
            world.node_speed[cluster][node] = 1.0 - fault.params.slowdown

        def undo_speed() -> None:
            for cluster in clusters:
                world.node_speed[cluster].pop(node, None)

        return undo_speed
    if isinstance(fault, sc.RegionOutageFault):
        return _region_outage(fault, world)
    if isinstance(fault, sc.FlagPathFault):
        paths = [f for r in _releases(fault, world) if (f := r.flag(fault.params.flag)) is not None]
        return _all(_set(paths, "error_rate", fault.params.error_rate, None), _set(paths, "latency_add_s", fault.params.add_ms / 1000.0, 0.0))
    if isinstance(fault, sc.ApiUnavailableFault):
        clusters = {r.ref.cluster for r in _releases(fault, world)} | ({fault.target.cluster} if fault.target.cluster else set())
        for cluster in clusters:
            world.api_down(cluster)

        def undo_outage() -> None:
            for cluster in clusters:
                world.api_up(cluster)

        return undo_outage
    raise AssertionError(f"unhandled fault type {fault.type}")


def _node(fault: sc.FaultBase, world: World) -> int:
    """The node a node-level fault hits: target.node, or where the targeted version's first pod runs."""
    if fault.target.node is not None:
        return fault.target.node
    for version in _versions(fault, world):
        if version.pods:
            return version.pods[0].node
    return 0


def _all(*undos: Undo) -> Undo:
    """One undo for a fault that switched several conditions: every one of them goes back."""

    def undo_all() -> None:
        for undo in undos:
            undo()

    return undo_all


def _woken(world: World, versions: list[VersionSim], undo: Undo) -> Undo:
    """Pod conditions take effect at the pods' next event: wake them now, and again when undone."""
    _wake(world, versions)

    def undo_and_wake() -> None:
        undo()
        _wake(world, versions)

    return undo_and_wake


def _wake(world: World, versions: list[VersionSim]) -> None:
    for version in versions:
        world.pods.wake(version)


def _region_outage(fault: sc.RegionOutageFault, world: World) -> Undo:
    """The region loses its capacity; with fail-over the global load balancer moves its users to the
    same application in the surviving regions, in proportion to their normal share."""
    down = _releases(fault, world)
    for release in down:
        release.region_down = True
        release.failover_factor = 0.0 if fault.params.failover else 1.0
    survivors: dict[str, list[ReleaseSim]] = {}
    if fault.params.failover:
        for release in world.releases:
            if release not in down and any(d.ref.name == release.ref.name for d in down):
                survivors.setdefault(release.ref.name, []).append(release)
        for name, group in survivors.items():
            lost = sum(d.spec.rps for d in down if d.ref.name == name)
            kept = sum(r.spec.rps for r in group)
            for release in group:
                release.failover_factor = 1.0 + lost / kept

    def undo() -> None:
        for release in down:
            release.region_down, release.failover_factor = False, 1.0
        for group in survivors.values():
            for release in group:
                release.failover_factor = 1.0

    return undo
