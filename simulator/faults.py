"""The fault timeline: each fault is a SimPy process that switches a modifier on at ``at`` and off
at ``until``. Modifiers live on the targeted versions (see ``simulator.state.VersionSim``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import simpy

from engine.model import Role
from simulator.scenario import ErrorRateFault, LatencyFault, Scenario

if TYPE_CHECKING:
    from simulator.state import VersionSim
    from simulator.world import World


def schedule_faults(env: simpy.Environment, scenario: Scenario, world: World) -> None:
    for fault in scenario.faults:
        env.process(_run_fault(env, fault, world))


def _targets(fault: ErrorRateFault | LatencyFault, world: World) -> list[VersionSim]:
    chosen: list[VersionSim] = []
    for release in world.releases:
        if release.ref.name != fault.target.release:
            continue
        if fault.target.cluster is not None and release.ref.cluster != fault.target.cluster:
            continue
        for version in release.versions:
            wanted = fault.target.version
            if wanted == "all" or (wanted == "stable" and version.role is Role.STABLE) or (
                wanted == "candidate" and version.role is Role.CANDIDATE
            ):
                chosen.append(version)
    return chosen


def _run_fault(env: simpy.Environment, fault: ErrorRateFault | LatencyFault, world: World):
    yield env.timeout(fault.at)
    targets = _targets(fault, world)
    for version in targets:
        if isinstance(fault, ErrorRateFault):
            version.error_rate_override = fault.params.error_rate
        else:
            version.latency_add_s = fault.params.add_ms / 1000.0
            version.latency_factor = fault.params.factor
    if fault.until is None:
        return
    yield env.timeout(fault.until - fault.at)
    for version in targets:
        if isinstance(fault, ErrorRateFault):
            version.error_rate_override = None
        else:
            version.latency_add_s, version.latency_factor = 0.0, 1.0
