"""A hand-built backend for console tests that must not depend on the simulator's behaviour.

It implements the Backend port (and PacedBackend when ``paced``): a fixed fleet with one canary and
one blue-green release, changes applied at the next whole second, observed split following desired
after ``lag_s`` seconds.
"""

from __future__ import annotations

from dataclasses import replace

from rolldeck.engine.model import (
    ClusterHealth,
    ClusterState,
    GitOpsState,
    FleetState,
    Mirror,
    PauseStep,
    Owner,
    Phase,
    RegionState,
    ReleaseRef,
    ReleaseState,
    Replicas,
    Role,
    Router,
    Signals,
    Split,
    Strategy,
    VersionState,
    WeightStep,
)
from rolldeck.engine.changes import Abort, Pause, Promote, Resume, Retry, SetMirror, SetWeights, SwitchSlot, Undo
from rolldeck.engine.plans import Plan
from rolldeck.engine.port import ApplyResult


class ManualClock:
    def __init__(self) -> None:
        self.time = 0.0

    def now(self) -> float:
        return self.time


def _version(name: str, role: Role, pods: int, errors: int = 1) -> VersionState:
    signals = Signals(window_s=10.0, requests=1000, errors=errors, cumulative=(100.0,) * 12)
    return VersionState(name, f"v-{name}", role, Replicas(pods, pods, pods), signals=signals)


def default_fleet() -> list[ReleaseState]:
    canary = ReleaseState(
        ref=ReleaseRef("eu-prod-1", "checkout"),
        region="eu-west",
        namespace="shop",
        strategy=Strategy.CANARY,
        owner=Owner.UNMANAGED,
        phase=Phase.PAUSED,
        versions=(_version("stable", Role.STABLE, 4), _version("canary", Role.CANDIDATE, 2)),
        desired=Split.of(stable=95, canary=5),
        observed=Split.of(stable=95, canary=5),
        router=Router.HTTP_ROUTE,  # weights, no mirror (controller_fleet has a mirrorable one)
    )
    blue_green = ReleaseState(
        ref=ReleaseRef("us-prod-1", "search"),
        region="us-east",
        namespace="shop",
        strategy=Strategy.BLUE_GREEN,
        owner=Owner.UNMANAGED,
        phase=Phase.PAUSED,
        versions=(_version("blue", Role.STABLE, 3), _version("green", Role.CANDIDATE, 3)),
        desired=Split.of(blue=100, green=0),
        observed=Split.of(blue=100, green=0),
        active_slot="blue",
        preview_slot="green",
        router=Router.SERVICE,
    )
    return [canary, blue_green]


def controller_fleet() -> list[ReleaseState]:
    """Releases whose owners have the controller verbs: an aborted Argo rollout with revisions under
    a self-healing Argo CD app (retry, undo), and a mirrorable canary (set mirror)."""
    argo = ReleaseState(
        ref=ReleaseRef("eu-prod-1", "orders"),
        region="eu-west",
        namespace="shop",
        strategy=Strategy.CANARY,
        owner=Owner.ARGO_ROLLOUTS,
        phase=Phase.DEGRADED,
        versions=(_version("stable", Role.STABLE, 4), _version("canary", Role.CANDIDATE, 1)),
        desired=Split.of(stable=100, canary=0),
        observed=Split.of(stable=100, canary=0),
        aborted=True,
        step=0,
        steps=(WeightStep(20), PauseStep(None), WeightStep(50), PauseStep(600.0)),
        router=Router.VIRTUAL_SERVICE,
        revisions=(3, 4, 5),
        gitops=GitOpsState("orders", "Synced", "Healthy", auto_sync=True, self_heal=True),
        message="RolloutAborted: metric error-rate failed",
    )
    mirrorable = replace(default_fleet()[0], router=Router.VIRTUAL_SERVICE)
    return [argo, mirrorable]


class FakeBackend:
    """Backend (and optionally PacedBackend) over a list of releases the test can edit."""

    def __init__(
        self,
        releases: list[ReleaseState] | None = None,
        *,
        lag_s: float = 3.0,
        health: dict[str, ClusterHealth] | None = None,
        simulated: bool = True,
    ) -> None:
        self.name = "fake: two releases"
        self._clock = ManualClock()
        self.releases = releases if releases is not None else default_fleet()
        self.lag_s = lag_s
        self.health = health or {}  # per cluster; reachable and fresh when absent
        self.simulated = simulated
        self._queued: list[Plan] = []
        self._pending_observed: list[tuple[float, ReleaseRef, Split]] = []
        self.started = False
        self.stopped = False

    @property
    def clock(self) -> ManualClock:
        return self._clock

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    def snapshot(self) -> FleetState:
        regions: dict[str, dict[str, list[ReleaseState]]] = {}
        for release in self.releases:
            regions.setdefault(release.region, {}).setdefault(release.cluster, []).append(release)
        return FleetState(
            time=self._clock.time,
            source=self.name,
            simulated=self.simulated,
            regions=tuple(
                RegionState(
                    region,
                    tuple(
                        ClusterState(c, region, tuple(rs), self.health.get(c, ClusterHealth()))
                        for c, rs in clusters.items()
                    ),
                )
                for region, clusters in regions.items()
            ),
        )

    async def apply(self, plan: Plan) -> ApplyResult:
        self._queued.append(plan)
        return ApplyResult(self._clock.time, "queued for the next tick")

    def run_until(self, t: float) -> None:
        while self._clock.time + 1 <= t:
            self._clock.time += 1
            self._tick()

    def _tick(self) -> None:
        for plan in self._queued:
            self._apply_now(plan)
        self._queued.clear()
        due = [p for p in self._pending_observed if p[0] <= self._clock.time]
        for _, ref, split in due:
            self._replace(ref, observed=split)
        self._pending_observed = [p for p in self._pending_observed if p[0] > self._clock.time]

    def _apply_now(self, plan: Plan) -> None:
        change = plan.change
        assert change is not None
        ref = plan.action.target
        release = next(r for r in self.releases if r.ref == ref)
        names = [v.name for v in release.versions]
        fields: dict[str, object] = {}
        match change:
            case SetWeights(weights=weights):
                fields["desired"] = weights
            case SwitchSlot(to=slot):
                fields.update(active_slot=slot, desired=Split.only(slot, names))
            case Promote(full=True, to=slot) if release.active_slot is not None:
                fields.update(active_slot=slot, desired=Split.only(slot, names), paused=False)
            case Promote(full=True, to=version):
                fields.update(desired=Split.only(version, names), paused=False)
            case Promote(full=False):
                fields["paused"] = False
            case Abort(to=version):
                fields.update(aborted=True, desired=Split.only(version, names))
                if release.active_slot is not None:
                    fields["active_slot"] = version
            case Pause():
                fields["paused"] = True
            case Resume():
                fields["paused"] = False
            case Retry():
                fields.update(aborted=False, step=0, phase=Phase.PROGRESSING)
            case Undo():
                fields.update(revisions=(*release.revisions, max(release.revisions) + 1), phase=Phase.PROGRESSING)
            case SetMirror(version=version, percent=percent):
                fields["mirror"] = Mirror(version, percent) if percent > 0 else None
        self._replace(ref, **fields)
        desired = fields.get("desired", release.desired)
        assert isinstance(desired, Split)
        self._pending_observed.append((self._clock.time + self.lag_s, ref, desired))

    def _replace(self, ref: ReleaseRef, **fields: object) -> None:
        self.releases = [replace(r, **fields) if r.ref == ref else r for r in self.releases]  # type: ignore[arg-type]


class PacedFakeBackend(FakeBackend):
    """The same fake with speed and pause, so it satisfies engine.port.PacedBackend."""

    def __init__(self, releases: list[ReleaseState] | None = None) -> None:
        super().__init__(releases)
        self.speed = 1.0
        self.paused = True
        self.stopped = ""

    def set_speed(self, speed: float) -> float:
        self.speed = min(1000.0, max(1.0, float(speed)))
        return self.speed

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
