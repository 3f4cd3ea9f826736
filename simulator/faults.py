"""The fault timeline: each fault is a SimPy process that switches a modifier on at ``at`` and off
at ``until``. Modifiers live on the targeted versions (see ``simulator.state.VersionSim``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import simpy

from engine.model import Role
from simulator.scenario import ErrorRateFault, LatencyFault, MetricsOutageFault, Scenario, TrafficSpikeFault

if TYPE_CHECKING:
    from simulator.state import ReleaseSim, VersionSim
    from simulator.world import World


def schedule_faults(env: simpy.Environment, scenario: Scenario, world: World) -> None:
    for fault in scenario.faults:
        env.process(_run_fault(env, fault, world))


def _releases(fault, world: World) -> list[ReleaseSim]:
    return [
        release
        for release in world.releases
        if release.ref.name == fault.target.release
        and (fault.target.cluster is None or release.ref.cluster == fault.target.cluster)
    ]


def _versions(fault, world: World) -> list[VersionSim]:
    wanted = fault.target.version
    chosen: list[VersionSim] = []
    for release in _releases(fault, world):
        for version in release.versions:
            if wanted == "all" or (wanted == "stable" and version.role is Role.STABLE) or (
                wanted == "candidate" and version.role is Role.CANDIDATE
            ):
                chosen.append(version)
    return chosen


def _switch(fault, world: World, on: bool, targets: list) -> None:
    """Turn one fault's modifier on or off on its targets."""
    for target in targets:
        if isinstance(fault, ErrorRateFault):
            target.error_rate_override = fault.params.error_rate if on else None
        elif isinstance(fault, LatencyFault):
            target.latency_add_s = fault.params.add_ms / 1000.0 if on else 0.0
            target.latency_factor = fault.params.factor if on else 1.0
        elif isinstance(fault, TrafficSpikeFault):
            target.rate_factor = fault.params.factor if on else 1.0
        elif isinstance(fault, MetricsOutageFault):
            target.metrics_down = on


def _run_fault(env: simpy.Environment, fault, world: World):
    yield env.timeout(fault.at)
    release_level = isinstance(fault, TrafficSpikeFault | MetricsOutageFault)
    targets = _releases(fault, world) if release_level else _versions(fault, world)
    _switch(fault, world, True, targets)
    world.invalidate()
    if fault.until is None:
        return
    yield env.timeout(fault.until - fault.at)
    _switch(fault, world, False, targets)
    world.invalidate()
