"""Hand-built fleet states for pure planner tests."""

from __future__ import annotations

from dataclasses import replace

from rolldeck.engine.model import (
    ClusterHealth,
    ClusterState,
    FleetState,
    Owner,
    Phase,
    RegionState,
    ReleaseRef,
    ReleaseState,
    Replicas,
    Role,
    Router,
    Split,
    Strategy,
    VersionState,
)

CANARY = ReleaseRef("prod-eu-west-1", "checkout")
BLUE_GREEN = ReleaseRef("prod-eu-west-1", "search")


def canary_release(weight: int = 10, *, owner: Owner = Owner.UNMANAGED, canary_ready: int = 2, **changes) -> ReleaseState:
    release = ReleaseState(
        ref=CANARY,
        region="eu-west-1",
        namespace="shop",
        strategy=Strategy.CANARY,
        owner=owner,
        phase=Phase.PROGRESSING,
        versions=(
            VersionState("stable", "v1", Role.STABLE, Replicas(8, 8, 8)),
            VersionState("canary", "v2", Role.CANDIDATE, Replicas(2, canary_ready, 2)),
        ),
        desired=Split.of(stable=100 - weight, canary=weight),
        observed=Split.of(stable=100 - weight, canary=weight),
        router=Router.VIRTUAL_SERVICE,
    )
    return replace(release, **changes)


def blue_green_release(*, green_ready: int = 4, **changes) -> ReleaseState:
    release = ReleaseState(
        ref=BLUE_GREEN,
        region="eu-west-1",
        namespace="shop",
        strategy=Strategy.BLUE_GREEN,
        owner=Owner.UNMANAGED,
        phase=Phase.PAUSED,
        versions=(
            VersionState("blue", "v7", Role.STABLE, Replicas(4, 4, 4)),
            VersionState("green", "v8", Role.CANDIDATE, Replicas(4, green_ready, 4)),
        ),
        desired=Split.of(blue=100, green=0),
        observed=Split.of(blue=100, green=0),
        active_slot="blue",
        preview_slot="green",
        router=Router.SERVICE,
    )
    return replace(release, **changes)


def fleet(*releases: ReleaseState, reachable: bool = True, read_only: bool = False) -> FleetState:
    cluster = ClusterState(
        "prod-eu-west-1",
        "eu-west-1",
        tuple(releases),
        ClusterHealth(reachable=reachable, error="" if reachable else "connection refused"),
        read_only=read_only,
    )
    return FleetState(time=100.0, source="test", regions=(RegionState("eu-west-1", (cluster,)),))
