"""The controller simulators: Deployment → ReplicaSets, Rollout steps, Flagger phases."""

from __future__ import annotations

import asyncio

import pytest

from tests.fakekube import FakeCluster
from tests.fakekube import objects as ko
from tests.fakekube.controllers import (DEPLOYMENT_REVISION, DeploymentController, FlaggerController,
                                        RolloutController)
from tests.fakekube.rawclient import RawClient
from tests.waiting import wait_until


def test_deployment_revisions_and_owner_references() -> None:
    cluster = FakeCluster("ctl")
    store, ctl = cluster.store, DeploymentController(cluster.store)
    dep = store.put(ko.deployment("web", "prod", image="app:v1"))
    first = ctl.reconcile("prod", "web")
    assert first is not None
    assert first["metadata"]["ownerReferences"][0]["uid"] == dep["metadata"]["uid"]
    assert first["metadata"]["annotations"][DEPLOYMENT_REVISION] == "1"
    hash_label = first["spec"]["template"]["metadata"]["labels"]["pod-template-hash"]
    assert first["metadata"]["name"] == f"web-{hash_label}"
    rv = store.rv
    ctl.reconcile("prod", "web")
    assert store.rv == rv  # idempotent: nothing changed, nothing written
    store.modify("Deployment", "prod", "web", lambda d: d["spec"]["template"]["spec"]["containers"][0].update(image="app:v2"))
    second = ctl.reconcile("prod", "web")
    assert second is not None and second["metadata"]["annotations"][DEPLOYMENT_REVISION] == "2"
    replicas = {rs["metadata"]["name"]: rs["spec"]["replicas"] for rs in store.list("ReplicaSet", "prod")}
    assert replicas == {first["metadata"]["name"]: 0, second["metadata"]["name"]: 3}
    dep = store.get("Deployment", "prod", "web")
    assert dep["status"]["observedGeneration"] == dep["metadata"]["generation"] == 2
    assert dep["metadata"]["annotations"][DEPLOYMENT_REVISION] == "2"


@pytest.mark.asyncio
async def test_deployment_controller_runs_in_the_background(fake_cluster: FakeCluster) -> None:
    store = fake_cluster.store
    task = asyncio.create_task(DeploymentController(store).run())
    try:
        await asyncio.sleep(0)
        async with RawClient(fake_cluster) as api:
            await api.post("/apis/apps/v1/namespaces/prod/deployments", ko.deployment("web", "prod"))
            await wait_until(lambda: store.list("ReplicaSet", "prod"), "the controller's ReplicaSet")
            _, rs = await api.get("/apis/apps/v1/namespaces/prod/replicasets", labelSelector="app=web")
            assert len(rs["items"]) == 1
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def test_rollout_steps_pause_promote_abort() -> None:
    store = FakeCluster("ro").store
    ctl = RolloutController(store)
    store.put(ko.rollout("web", "prod", steps=ko.canary_steps(20, 50)))
    started = ctl.step("prod", "web")  # template hash differs from the builder's placeholder: new revision
    assert started["status"]["phase"] == "Progressing" and started["status"]["currentStepIndex"] == 0
    st = ctl.step("prod", "web")["status"]
    assert (st["currentStepIndex"], st["canary"]["weights"]["canary"]["weight"]) == (1, 20)
    st = ctl.step("prod", "web")["status"]
    assert st["phase"] == "Paused" and st["pauseConditions"][0]["reason"] == "CanaryPauseStep"
    assert ctl.step("prod", "web")["status"]["currentStepIndex"] == 1  # stays paused
    store.modify("Rollout", "prod", "web", lambda r: r["status"].update(pauseConditions=None))  # promote
    st = ctl.step("prod", "web")["status"]
    assert st["currentStepIndex"] == 2 and st["controllerPause"] is False
    st = ctl.step("prod", "web")["status"]
    assert st["canary"]["weights"]["canary"]["weight"] == 50
    store.modify("Rollout", "prod", "web", lambda r: r["status"].update(abort=True))
    st = ctl.step("prod", "web")["status"]
    assert st["phase"] == "Degraded" and st["canary"]["weights"]["canary"]["weight"] == 0
    store.modify("Rollout", "prod", "web", lambda r: r["status"].update(abort=False, promoteFull=True))
    st = ctl.step("prod", "web")["status"]
    assert st["phase"] == "Healthy" and st["stableRS"] == st["currentPodHash"] and "promoteFull" not in st


def test_flagger_walk() -> None:
    store = FakeCluster("fl").store
    ctl = FlaggerController(store)
    store.put(ko.canary("podinfo", "prod", step_weight=20, max_weight=60))
    assert ctl.step("prod", "podinfo")["status"]["phase"] == "Initialized"  # idle until a new spec
    ctl.start("prod", "podinfo")
    assert ctl.walk("prod", "podinfo") == ["Progressing", "Progressing", "Promoting", "Finalising", "Succeeded"]
    final = store.get("Canary", "prod", "podinfo")["status"]
    assert final["canaryWeight"] == 0 and final["lastPromotedSpec"] == final["lastAppliedSpec"]
    ctl.start("prod", "podinfo", spec_hash="spec-c")
    store.modify("Canary", "prod", "podinfo", lambda c: c["status"].update(failedChecks=5))
    assert ctl.walk("prod", "podinfo") == ["Failed"]
