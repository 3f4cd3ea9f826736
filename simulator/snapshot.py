"""Build the immutable ``FleetState`` the engine and console see from the world's mutable state."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rolldeck.engine.actions import ActionKind
from rolldeck.engine.model import (
    ClusterHealth,
    ClusterState,
    FleetState,
    Gate,
    Owner,
    RegionState,
    ReleaseState,
    Replicas,
    Signals,
    Split,
    VersionState,
)
from rolldeck.simulator.state import ERRORS, FIRST_LE, REQUESTS, SLOW, ReleaseSim, VersionSim

if TYPE_CHECKING:
    from rolldeck.simulator.world import World


def signals_of(row: np.ndarray, window_s: float, bounds: tuple[float, ...]) -> Signals:
    cumulative = tuple(float(x) for x in np.cumsum(row[FIRST_LE:]))
    return Signals(
        window_s=window_s,
        requests=int(round(row[REQUESTS])),
        errors=int(round(row[ERRORS])),
        slow=int(round(row[SLOW])),
        bounds=bounds,
        cumulative=cumulative,
    )


def _version_state(
    version: VersionSim, window_s: float, bounds: tuple[float, ...], now: float, metrics_down: bool
) -> VersionState:
    replicas = Replicas(version.desired_pods, version.ready_pods, version.updated_pods)
    if metrics_down:
        # Missing, not zero: no window counts and no totals, so the judge sees "no data".
        return VersionState(version.name, version.profile.revision, version.role, replicas, version.restarts,
                            Signals(bounds=bounds, cumulative=(0.0,) * (len(bounds) + 1)), None)
    return VersionState(
        name=version.name,
        revision=version.profile.revision,
        role=version.role,
        replicas=replicas,
        restarts=version.restarts,
        signals=signals_of(version.window, window_s, bounds),
        totals=signals_of(version.totals, now, bounds),
    )


def _release_state(release: ReleaseSim, window_s: float, bounds: tuple[float, ...], now: float) -> ReleaseState:
    order = [v.name for v in release.versions]
    return ReleaseState(
        ref=release.ref,
        region=release.region,
        namespace=release.spec.namespace,
        strategy=release.strategy,
        owner=release.owner,
        phase=release.phase,
        versions=tuple(_version_state(v, window_s, bounds, now, release.metrics_down) for v in release.versions),
        desired=Split(tuple((name, release.desired.get(name, 0)) for name in order)),
        observed=Split(tuple((name, release.effective.get(name, 0)) for name in order)),
        # Argo reports pause conditions as paused too (its phase is Paused); Flagger only its suspend.
        paused=release.paused or (release.owner is Owner.ARGO_ROLLOUTS and release.wait is not None),
        aborted=release.aborted,
        step=release.step,
        weight_steps=tuple(release.spec.weight_steps),
        active_slot=release.active_slot,
        preview_slot=release.preview_slot,
        message=release.message,
        metrics_error="metrics provider unavailable" if release.metrics_down else "",
        router=release.spec.router,
        wait=release.wait,
        mirror=release.mirror,
        revisions=tuple(r.number for r in release.revisions),
        denied=_missing_gates(release),
        steps=release.steps,
        step_started=release.step_started if release.steps else None,
        flags=tuple(f.model(release.ref.cluster, metrics_down=release.metrics_down) for f in release.flags),
    )


def _missing_gates(release: ReleaseSim) -> tuple[tuple[str, str], ...]:
    """Flagger verbs without their gate: the console cannot answer Flagger for that decision."""
    if release.flagger is None:
        return ()
    gates = release.flagger.spec.gates
    return tuple(
        (verb.value, f"the Canary has no {gate.value} gate pointing at rolldeck (flagger.gates)")
        for verb, gate in VERB_GATES
        if gate not in gates
    )


VERB_GATES = ((ActionKind.PROMOTE, Gate.CONFIRM_PROMOTION), (ActionKind.STEP_UP, Gate.CONFIRM_TRAFFIC_INCREASE), (ActionKind.ABORT, Gate.ROLLBACK))


def build_snapshot(world: World) -> FleetState:
    scenario = world.scenario
    bounds = tuple(scenario.latency_buckets_s)
    window_s = min(world.tick_count, next(iter(world.releases)).versions[0].window_ticks if world.releases else 1) * world.dt
    regions = []
    for region_name in scenario.regions:
        clusters = []
        for cluster in scenario.clusters:
            if cluster.region != region_name:
                continue
            frozen = world.frozen(cluster.name)
            if frozen is not None:
                # The API server is down: show the last state we saw, marked stale.
                since, last = frozen
                health = ClusterHealth(False, world.now - since, "API server unavailable")
                clusters.append(ClusterState(cluster.name, region_name, last.releases if last else (), health))
                continue
            releases = tuple(
                _release_state(r, window_s, bounds, world.now) for r in world.releases if r.ref.cluster == cluster.name
            )
            clusters.append(ClusterState(cluster.name, region_name, releases, ClusterHealth()))
        regions.append(RegionState(region_name, tuple(clusters)))
    return FleetState(
        time=world.now,
        source=f"simulation: {scenario.scenario}",
        regions=tuple(regions),
        simulated=True,
    )
