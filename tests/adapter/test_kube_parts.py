"""The parts ``KubeBackend`` is composed of, each on its own: snapshot assembly, the signals poller,
the gate service (over real HTTP, as Flagger calls it), the applier's refusals and the dry run."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.audit import GateAnswer
from rolldeck.engine.kube.access import AccessCache
from rolldeck.engine.kube.access_reviews import AccessReviews
from rolldeck.engine.kube.applier import Applier
from rolldeck.engine.kube.dry_run import ServerDryRun, object_diff
from rolldeck.engine.kube.flagger_gates import FlaggerGates
from rolldeck.engine.kube.gate_service import NOT_RUNNING, GateService
from rolldeck.engine.kube.mapping.objects import Objects
from rolldeck.engine.kube.signals import StaticSignals
from rolldeck.engine.kube.signals_poller import SignalsPoller
from rolldeck.engine.kube.snapshots import REBUILD_EVERY_S, Dirty, SnapshotAssembler
from rolldeck.engine.kube.verbs import GateDecision
from rolldeck.engine.model import ClusterHealth, Gate, ReleaseRef, Signals, Split
from rolldeck.engine.plans import plan_action
from rolldeck.engine.port import ApplyError, DryRunKind
from tests.engine.factories import canary_release, fleet
from tests.fakekube import objects as ko
from tests.waiting import ManualClock

CLUSTER = "kind-test"
NS = "shop"


class FixedClock:
    def __init__(self, now: float = 1_790_000_000.0) -> None:
        self.value = now

    def now(self) -> float:
        return self.value


@dataclass
class CachedCluster:
    """What the assembler reads of a ``ClusterConnection``: its caches, version, access answers and
    health (no clients: nothing here talks to a server)."""

    name: str = CLUSTER
    region: str = "eu-west-1"
    objects_by_kind: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    version: int = 0
    access: AccessCache = field(default_factory=AccessCache)
    write_api: Any = None
    error: str = "not connected"

    def objects(self) -> Objects:
        return Objects.of(self.objects_by_kind)

    def health(self) -> ClusterHealth:
        return ClusterHealth(reachable=True)

    def put(self, key: str, obj: dict[str, Any]) -> None:
        self.objects_by_kind.setdefault(key, []).append(obj)
        self.version += 1


def vs_canary(cluster: CachedCluster, name: str = "cart", weight: int = 10) -> None:
    cluster.put("deployments", ko.deployment(f"{name}-stable", NS, labels={"app": name, "track": "stable"}, image=f"registry.local/{name}:v1"))
    cluster.put("deployments", ko.deployment(f"{name}-canary", NS, labels={"app": name, "track": "canary"}, image=f"registry.local/{name}:v2", replicas=1))
    cluster.put("services", ko.service(f"{name}-stable", NS, selector={"app": name, "track": "stable"}))
    cluster.put("services", ko.service(f"{name}-canary", NS, selector={"app": name, "track": "canary"}))
    cluster.put("virtualservices", ko.virtual_service(name, NS, stable=f"{name}-stable", canary=f"{name}-canary", canary_weight=weight))


def flagger_canary(cluster: CachedCluster, name: str = "podinfo") -> None:
    cluster.put("deployments", ko.deployment(name, NS, image=f"registry.local/{name}:6.1", replicas=2))
    cluster.put("deployments", ko.deployment(f"{name}-primary", NS, labels={"app": f"{name}-primary"}, image=f"registry.local/{name}:6.0", replicas=2))
    canary = ko.canary(name, NS, phase="WaitingPromotion", canary_weight=50)
    canary["spec"]["analysis"]["webhooks"] = [{"name": g.value, "type": g.value, "url": f"http://127.0.0.1:1/{CLUSTER}/rolldeck/gate/{g.value}"} for g in Gate]
    cluster.put("canaries", canary)


def assembler(*clusters: CachedCluster, gates: FlaggerGates | None = None, signals: SignalsPoller | None = None, monotonic: ManualClock | None = None) -> tuple[SnapshotAssembler, Dirty, GateService]:
    dirty = Dirty()
    connections = {c.name: c for c in clusters}
    holder: list[SnapshotAssembler] = []
    service = GateService(gates, clock=FixedClock(), on_change=dirty.mark, find_canary=lambda *key: holder[0].find_canary(*key))
    built = SnapshotAssembler(
        connections,  # the assembler reads only what CachedCluster has
        source="live: test",
        read_only=False,
        clock=FixedClock(),
        monotonic=monotonic or ManualClock(),
        dirty=dirty,
        gates=service,
        access=AccessReviews(timeout=(1.0, 1.0), on_change=dirty.mark),
        signals=signals,
    )
    holder.append(built)
    return built, dirty, service


# --- snapshot assembly -------------------------------------------------------------------------------


def test_the_snapshot_is_rebuilt_only_when_something_it_shows_changed():
    cluster = CachedCluster()
    vs_canary(cluster)
    clock = ManualClock()
    snapshots, dirty, _ = assembler(cluster, monotonic=clock)
    first = snapshots.snapshot()
    assert [r.name for r in first.releases()] == ["cart"]
    assert snapshots.snapshot() is first and snapshots.builds == 1  # nothing changed: the same object
    vs_canary(cluster, "search", weight=20)
    dirty.mark()  # what the connection's on_change does
    second = snapshots.snapshot()
    assert snapshots.builds == 2 and sorted(r.name for r in second.releases()) == ["cart", "search"]
    clock.advance(REBUILD_EVERY_S)
    third = snapshots.snapshot()  # health ages move on without an event; the mapping is reused
    assert snapshots.builds == 3 and third is not second
    assert third.release(ReleaseRef(CLUSTER, "cart")) is second.release(ReleaseRef(CLUSTER, "cart"))


def test_a_flagger_release_without_the_gate_service_refuses_its_gated_verbs():
    cluster = CachedCluster()
    flagger_canary(cluster)
    off, _, _ = assembler(cluster, gates=None)
    release = off.snapshot().release(ReleaseRef(CLUSTER, "podinfo"))
    assert release is not None and dict(release.denied) == {"abort": NOT_RUNNING, "promote": NOT_RUNNING, "step-up": NOT_RUNNING}
    on, _, _ = assembler(cluster, gates=FlaggerGates())
    release = on.snapshot().release(ReleaseRef(CLUSTER, "podinfo"))
    assert release is not None and "promote" not in dict(release.denied)


def test_a_canary_is_found_by_its_gate_key_or_as_the_only_one_of_its_name():
    eu, us = CachedCluster("kind-eu"), CachedCluster("kind-us")
    flagger_canary(eu)
    snapshots, _, _ = assembler(eu, us, gates=FlaggerGates())
    snapshots.snapshot()
    assert snapshots.find_canary("kind-eu", NS, "podinfo").release.cluster == "kind-eu"
    assert snapshots.find_canary("prod", NS, "podinfo").release.cluster == "kind-eu"  # a key that is not a context
    flagger_canary(us)
    snapshots.snapshot()
    snapshots._dirty.mark()
    snapshots.snapshot()
    assert snapshots.find_canary("kind-us", NS, "podinfo").release.cluster == "kind-us"
    assert snapshots.find_canary("prod", NS, "podinfo") is None  # two of that name: never a guess


# --- the signals poller ------------------------------------------------------------------------------


class BrokenSource:
    async def signals(self, release):
        raise RuntimeError("connection refused by prometheus.local:9090")


class SilentSource:
    """A source that never answers (a hung Prometheus)."""

    async def signals(self, release):
        await asyncio.Event().wait()


def poller(source, release, changes: list[int], clock: FixedClock | None = None) -> SignalsPoller:
    return SignalsPoller(source, releases=lambda: [release], clock=clock or FixedClock(), on_change=lambda: changes.append(1), timeout_s=0.05, interval_s=60.0)


@pytest.mark.asyncio
async def test_the_poller_decorates_versions_with_signals_totals_and_the_observed_split():
    release = canary_release(10)
    source = StaticSignals()
    source.set(str(release.ref), {"stable": Signals(60.0, requests=900, errors=9), "canary": Signals(60.0, requests=100, errors=5)})
    changes: list[int] = []
    clock = FixedClock()
    signals = poller(source, release, changes, clock)
    await signals.poll_once()
    decorated = signals.decorate(release)
    canary = decorated.version("canary")
    assert canary is not None and canary.signals.requests == 100 and canary.totals is not None and canary.totals.errors == 5
    assert decorated.observed == Split.of(stable=90, canary=10)
    clock.value += 60.0  # one window later, the same answer: nothing to re-map, and the totals grow
    await signals.poll_once()
    assert (signals.version, len(changes)) == (1, 1)
    assert signals.decorate(release).version("canary").totals.errors == 10


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("source", "error"),
    [
        (BrokenSource(), "metrics source failed: RuntimeError: connection refused by prometheus.local:9090"),
        (SilentSource(), "metrics source timed out after 0s"),
    ],
)
async def test_a_failing_or_silent_source_is_the_releases_metrics_error(source, error):
    release = canary_release(10)
    signals = poller(source, release, [])
    await signals.poll_once()
    decorated = signals.decorate(release)
    assert decorated.metrics_error == error and decorated.versions == release.versions


# --- the gate service --------------------------------------------------------------------------------


async def flagger_posts(url: str, name: str = "podinfo") -> int:
    """Flagger's call: POST its payload to the webhook URL."""
    payload = {"name": name, "namespace": NS, "phase": "WaitingPromotion", "checksum": "abc", "metadata": {}}
    async with aiohttp.ClientSession() as session, session.post(url, json=payload) as response:
        return response.status


@pytest.mark.asyncio
async def test_a_gate_flagger_passes_is_reported_once_with_its_release():
    cluster = CachedCluster()
    flagger_canary(cluster)
    snapshots, _, service = assembler(cluster, gates=FlaggerGates())
    snapshots.snapshot()
    answers: list[GateAnswer] = []
    service.report_gate_answers(answers.append)
    assert await service.start() == ""
    try:
        url = service.url(CLUSTER, Gate.CONFIRM_PROMOTION.value)
        assert url is not None
        assert await flagger_posts(url) == 403 and answers == []  # nobody approved: Flagger waits, nothing to audit
        assert service.waits(CLUSTER) == {f"{NS}/podinfo": "confirm-promotion"}
        detail = service.open(GateDecision(NS, "podinfo", "confirm-promotion", "approve promotion", CLUSTER), "alice")
        assert detail.startswith("approve promotion: gate confirm-promotion open once for shop/podinfo (approved by alice)")
        assert await flagger_posts(url) == 200
        assert await flagger_posts(url) == 403  # used once
    finally:
        await service.stop()
    assert answers == [GateAnswer(f"{CLUSTER}/podinfo", CLUSTER, "eu-west-1", NS, "podinfo", Gate.CONFIRM_PROMOTION, "alice", FixedClock().now())]


@pytest.mark.asyncio
async def test_a_gate_service_that_cannot_listen_is_a_problem_line_and_refuses_gated_verbs():
    first = FlaggerGates()
    await first.start()
    try:
        service = GateService(FlaggerGates(port=first.port), clock=FixedClock(), on_change=lambda: None, find_canary=lambda *key: None)
        problem = await service.start()
        assert problem.startswith(f"Flagger gate service: cannot listen on 127.0.0.1:{first.port} (")
        assert not service.running and service.url(CLUSTER, "rollback") is None
        with pytest.raises(ApplyError, match="the Flagger gate service is not running"):
            service.open(GateDecision(NS, "podinfo", "rollback", "abort", CLUSTER), "alice")
    finally:
        await first.stop()


# --- the applier and the dry run: what they refuse before any request ------------------------------------


def applier_on(cluster: CachedCluster, *, read_only: bool = False) -> tuple[Applier, SnapshotAssembler]:
    snapshots, _, service = assembler(cluster, gates=None)
    applier = Applier({cluster.name: cluster}, find=snapshots.discovered, gates=service, clock=FixedClock(), actor="alice", read_only=read_only)
    return applier, snapshots


def step_up_plan(snapshots: SnapshotAssembler, name: str = "cart"):
    plan = plan_action(snapshots.snapshot(), Action(ActionKind.STEP_UP, ReleaseRef(CLUSTER, name)))
    assert plan.ok, plan.refusal
    return plan


@pytest.mark.asyncio
async def test_the_applier_refuses_read_only_and_a_cluster_it_cannot_reach_and_sends_nothing():
    cluster = CachedCluster()
    vs_canary(cluster)
    applier, snapshots = applier_on(cluster, read_only=True)
    plan = step_up_plan(snapshots)
    with pytest.raises(ApplyError, match="^the console is read-only$"):
        await applier.apply(plan)
    applier.read_only = False
    with pytest.raises(ApplyError, match=f"^cluster {CLUSTER}: not connected$"):
        await applier.apply(plan)  # no write client: nothing could have been sent
    elsewhere = plan_action(fleet(canary_release(10)), Action(ActionKind.STEP_UP, ReleaseRef("prod-eu-west-1", "checkout")))
    with pytest.raises(ApplyError, match="^cluster prod-eu-west-1 is not part of this console$"):
        await applier.apply(elsewhere)


@pytest.mark.asyncio
async def test_the_dry_run_answers_unavailable_lines_instead_of_raising():
    cluster = CachedCluster()
    vs_canary(cluster)
    applier, snapshots = applier_on(cluster)
    preview = ServerDryRun(applier, GateService(None, clock=FixedClock(), on_change=lambda: None, find_canary=lambda *key: None))
    answer = await preview.dry_run(step_up_plan(snapshots))
    assert [(line.kind, line.text) for line in answer.lines] == [(DryRunKind.UNAVAILABLE, f"cluster {CLUSTER}: not connected")]
    assert not answer.complete


def test_object_diff_names_the_changed_leaves_and_ignores_server_bookkeeping():
    before = {"metadata": {"name": "cart", "resourceVersion": "7"}, "spec": {"http": [{"route": [{"weight": 90}, {"weight": 10}]}]}, "status": {"x": 1}}
    after = {"metadata": {"name": "cart", "resourceVersion": "8"}, "spec": {"http": [{"route": [{"weight": 60}, {"weight": 40}]}]}, "status": {"x": 2}}
    assert object_diff(before, after) == ["spec.http[0].route[0].weight: 90 → 60", "spec.http[0].route[1].weight: 10 → 40"]
    assert object_diff({"status": {"abort": False}}, {"status": {"abort": True}}) == ["status.abort: false → true"]  # a status write
    many = object_diff({}, {"spec": {f"k{i}": i for i in range(14)}}, limit=12)
    assert len(many) == 13 and many[-1] == "… 2 more"
