"""Cluster contents for the adapter tests, written into a fake API server's store."""

from __future__ import annotations

import copy
from typing import Any

from tests.fakekube import objects as ko
from tests.fakekube.controllers import DeploymentController

NS = "shop"
STEPS = [{"setWeight": 20}, {"pause": {}}, {"setWeight": 50}, {"analysis": {"templates": [{"templateName": "rate"}]}}, {"setWeight": 80}]


def _rs(owner: dict[str, Any], hash_: str, revision: int, image: str, replicas: int) -> dict[str, Any]:
    template = ko.pod_template({"app": owner["metadata"]["name"], "rollouts-pod-template-hash": hash_}, f"registry.local/checkout:{image}")
    return ko.replicaset(
        f"{owner['metadata']['name']}-{hash_}", NS, template=template, replicas=replicas, revision=revision, owner=owner,
        revision_annotation="rollout.argoproj.io/revision",
    )


def argo_canary(store, name: str = "checkout", *, step: int = 1, status: dict[str, Any] | None = None, paused: bool = False) -> dict[str, Any]:
    """A canary Rollout mid-flight (stable rev 1 'aaa' v1, canary rev 2 'bbb' v2) with its ReplicaSets."""
    ro = ko.rollout(name, NS, steps=copy.deepcopy(STEPS), virtual_service_name=f"{name}-vs", image="registry.local/checkout:v2", paused=paused)
    ro["status"] = {
        "phase": "Paused",
        "observedGeneration": "1",
        "currentStepIndex": step,
        "stableRS": "aaa",
        "currentPodHash": "bbb",
        "replicas": 6,
        "updatedReplicas": 1,
        "readyReplicas": 6,
        "availableReplicas": 6,
        "canary": {"weights": {"canary": {"weight": 20}, "stable": {"weight": 80}}},
        **(status or {}),
    }
    stored = store.put(ro)
    store.put(_rs(stored, "aaa", 1, "v1", 5))
    canary_rs = _rs(stored, "bbb", 2, "v2", 1)
    canary_rs["spec"]["template"] = copy.deepcopy(stored["spec"]["template"])
    canary_rs["spec"]["template"]["metadata"]["labels"]["rollouts-pod-template-hash"] = "bbb"
    store.put(canary_rs)
    return store.get("rollouts", NS, name)


def argo_blue_green(store, name: str = "search") -> dict[str, Any]:
    ro = ko.rollout(name, NS, blue_green=True, image="registry.local/checkout:v2")
    ro["status"] = {
        "phase": "Paused",
        "observedGeneration": "1",
        "stableRS": "aaa",
        "currentPodHash": "bbb",
        "pauseConditions": [{"reason": "BlueGreenPause", "startTime": "2026-01-01T00:00:00Z"}],
        "controllerPause": True,
        "blueGreen": {"activeSelector": "aaa", "previewSelector": "bbb"},
    }
    stored = store.put(ro)
    store.put(_rs(stored, "aaa", 1, "v1", 3))
    store.put(_rs(stored, "bbb", 2, "v2", 3))
    return stored


def rolling_deployment(store, name: str = "api", *, paused: bool = False) -> dict[str, Any]:
    """A Deployment with two revisions (v1 then v2), ReplicaSets as the Deployment controller makes them."""
    controller = DeploymentController(store)
    dep = ko.deployment(name, NS, image="registry.local/api:v1", replicas=3, annotations={"team": "payments"})
    store.put(dep)
    controller.reconcile(NS, name)
    store.modify("deployments", NS, name, lambda d: d["spec"]["template"]["spec"]["containers"][0].update(image="registry.local/api:v2"))
    controller.reconcile(NS, name)
    # leave one old pod running so the release shows the rollout in progress
    old = next(rs for rs in store.list("replicasets", NS) if rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1")
    store.modify("replicasets", NS, old["metadata"]["name"], lambda rs: rs["status"].update(replicas=1, readyReplicas=1))
    if paused:
        store.modify("deployments", NS, name, lambda d: d["spec"].update(paused=True))
    return store.get("deployments", NS, name)


def blue_green_service(store, name: str = "web") -> dict[str, Any]:
    store.put(ko.deployment(f"{name}-blue", NS, labels={"app": name, "slot": "blue"}, image=f"registry.local/{name}:v7"))
    store.put(ko.deployment(f"{name}-green", NS, labels={"app": name, "slot": "green"}, image=f"registry.local/{name}:v8"))
    return store.put(ko.service(name, NS, selector={"app": name, "slot": "blue"}))


def vs_canary(store, name: str = "cart", weight: int = 10) -> dict[str, Any]:
    store.put(ko.deployment(f"{name}-stable", NS, labels={"app": name, "track": "stable"}, image=f"registry.local/{name}:v1"))
    store.put(ko.deployment(f"{name}-canary", NS, labels={"app": name, "track": "canary"}, image=f"registry.local/{name}:v2", replicas=1))
    store.put(ko.service(f"{name}-stable", NS, selector={"app": name, "track": "stable"}))
    store.put(ko.service(f"{name}-canary", NS, selector={"app": name, "track": "canary"}))
    return store.put(ko.virtual_service(name, NS, stable=f"{name}-stable", canary=f"{name}-canary", canary_weight=weight))


def http_route_canary(store, name: str = "shipping", weight: int = 10) -> dict[str, Any]:
    store.put(ko.deployment(f"{name}-stable", NS, labels={"app": name, "track": "stable"}))
    store.put(ko.deployment(f"{name}-canary", NS, labels={"app": name, "track": "canary"}, replicas=1))
    store.put(ko.service(f"{name}-stable", NS, selector={"app": name, "track": "stable"}))
    store.put(ko.service(f"{name}-canary", NS, selector={"app": name, "track": "canary"}))
    return store.put(ko.http_route(name, NS, stable=f"{name}-stable", canary=f"{name}-canary", stable_weight=100 - weight, canary_weight=weight))


def flagger_canary(store, name: str = "podinfo", *, phase: str = "WaitingPromotion", weight: int = 50, cluster: str = "kind-test", gates=("confirm-promotion", "confirm-traffic-increase", "rollback", "confirm-rollout"), base: str = "http://127.0.0.1:1") -> dict[str, Any]:
    store.put(ko.deployment(name, NS, image=f"registry.local/{name}:6.1", replicas=2))
    store.put(ko.deployment(f"{name}-primary", NS, labels={"app": f"{name}-primary"}, image=f"registry.local/{name}:6.0", replicas=2))
    canary = ko.canary(name, NS, phase=phase, canary_weight=weight)
    canary["spec"]["analysis"]["webhooks"] = [{"name": g, "type": g, "url": f"{base}/{cluster}/rolldeck/gate/{g}"} for g in gates]
    return store.put(canary)


def argo_workload_ref(store, name: str = "checkout") -> dict[str, Any]:
    """A canary Rollout whose template comes from a Deployment (``spec.workloadRef``, the shape of the
    Argo plugin's testdata/canary/canary-rollout3.yaml), mid-flight: stable rev 1 'aaa' v1, canary
    rev 2 'bbb' v2. The Deployment is scaled to zero, as Argo leaves it; it holds the v2 template."""
    labels = {"app": name}
    dep = ko.deployment(name, NS, image="registry.local/checkout:v2", replicas=0, labels=labels, annotations={"team": "payments"})
    dep["status"] = {"observedGeneration": 1, "replicas": 0}
    stored_dep = store.put(dep)
    ro = ko.rollout(name, NS, steps=copy.deepcopy(STEPS), virtual_service_name=f"{name}-vs")
    del ro["spec"]["template"]
    ro["spec"]["workloadRef"] = {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    ro["status"] = {
        "phase": "Paused",
        "observedGeneration": "1",
        "currentStepIndex": 1,
        "stableRS": "aaa",
        "currentPodHash": "bbb",
        "replicas": 6,
        "updatedReplicas": 1,
        "readyReplicas": 6,
        "availableReplicas": 6,
        "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2026-01-01T00:00:00Z"}],
        "controllerPause": True,
        "canary": {"weights": {"canary": {"weight": 20}, "stable": {"weight": 80}}},
    }
    stored = store.put(ro)
    for hash_, revision, image, replicas in (("aaa", 1, "v1", 5), ("bbb", 2, "v2", 1)):
        rs = _rs(stored, hash_, revision, image, replicas)
        rs["spec"]["template"] = copy.deepcopy(stored_dep["spec"]["template"])
        rs["spec"]["template"]["metadata"]["labels"]["rollouts-pod-template-hash"] = hash_
        rs["spec"]["template"]["spec"]["containers"][0]["image"] = f"registry.local/checkout:{image}"
        store.put(rs)
    return store.get("rollouts", NS, name)
