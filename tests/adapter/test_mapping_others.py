"""Flagger, unmanaged (routes, selectors, rolling Deployments) and Argo CD mapping: pure, from fixtures."""

from __future__ import annotations

import pytest

from rolldeck.engine.kube.mapping import Objects, map_cluster
from rolldeck.engine.kube.mapping.argocd import gitops_for
from rolldeck.engine.kube.mapping.flagger import release_from_canary
from rolldeck.engine.kube.mapping.workloads import percentages
from rolldeck.engine.kube.mapping.unmanaged import release_from_http_route, release_from_service, release_from_virtual_service
from rolldeck.engine.model import Gate, Owner, Phase, Role, Strategy, Wait
from tests.fakekube import objects as ko


def with_uid(obj, uid):
    obj["metadata"]["uid"] = uid
    return obj


def gate_hooks(*types, base="http://127.0.0.1:8797/kind-eu/rolldeck/gate/"):
    return [{"name": t, "type": t, "url": base + t} for t in types]


# --- Flagger -------------------------------------------------------------------------------------------

FLAGGER_PHASES = [
    ("Waiting", Phase.PAUSED, Wait.at_gate(Gate.CONFIRM_ROLLOUT)),
    ("WaitingPromotion", Phase.PAUSED, Wait.at_gate(Gate.CONFIRM_PROMOTION)),
    ("Progressing", Phase.PROGRESSING, None),
    ("Promoting", Phase.PROGRESSING, None),
    ("Finalising", Phase.PROGRESSING, None),
    ("Initialized", Phase.HEALTHY, None),
    ("Succeeded", Phase.HEALTHY, None),
    ("Failed", Phase.DEGRADED, None),
    ("Terminating", Phase.UNKNOWN, None),
]


@pytest.mark.parametrize(("flagger_phase", "phase", "waiting"), FLAGGER_PHASES)
def test_flagger_phase_rows(flagger_phase, phase, waiting):
    canary = ko.canary("podinfo", "test", phase=flagger_phase, canary_weight=20)
    deployments = {"podinfo": ko.deployment("podinfo", "test", image="r/podinfo:6.1"), "podinfo-primary": ko.deployment("podinfo-primary", "test", image="r/podinfo:6.0")}
    r = release_from_canary(canary, deployments, cluster="c", region="r").release
    assert (r.phase, r.wait) == (phase, waiting)
    assert r.aborted is (flagger_phase == "Failed")


def test_flagger_canary_weights_steps_and_versions():
    canary = ko.canary("podinfo", "test", phase="Progressing", canary_weight=30, step_weight=10, max_weight=50, failed_checks=1, threshold=5)
    canary["spec"]["analysis"]["webhooks"] = gate_hooks("confirm-promotion", "rollback")
    deployments = {"podinfo": ko.deployment("podinfo", "test", image="r/podinfo:6.1"), "podinfo-primary": ko.deployment("podinfo-primary", "test", image="r/podinfo:6.0")}
    found = release_from_canary(canary, deployments, cluster="c", region="r", gate_waits={"test/podinfo": "confirm-traffic-increase"})
    r = found.release
    assert r.owner is Owner.FLAGGER and r.strategy is Strategy.CANARY
    assert [(v.name, v.revision, v.role) for v in r.versions] == [("primary", "6.0", Role.STABLE), ("canary", "6.1", Role.CANDIDATE)]
    assert r.desired.as_dict() == {"primary": 70, "canary": 30}
    assert (r.step, r.step_count) == (3, 5) and r.weight_steps == (0, 10, 20, 30, 40, 50, 100)
    assert "failed checks 1/5" in r.message
    assert r.wait == Wait.at_gate(Gate.CONFIRM_TRAFFIC_INCREASE)  # what our gate last refused
    # promote and abort have gates; step-up has none pointing at rolldeck
    assert dict(r.denied).keys() == {"step-up"}
    assert found.sources.target == "podinfo" and found.sources.deployments["primary"] == ("podinfo-primary",)


def test_flagger_webhooks_elsewhere_do_not_count_as_gates():
    canary = ko.canary("podinfo", "test")
    canary["spec"]["analysis"]["webhooks"] = [{"name": "lt", "type": "confirm-promotion", "url": "http://flagger-loadtester/gate/check"}]
    r = release_from_canary(canary, {}, cluster="c", region="r").release
    assert "promote" in dict(r.denied)


def test_flagger_step_weights_and_blue_green():
    canary = ko.canary("podinfo", "test", phase="Progressing", canary_weight=25)
    canary["spec"]["analysis"].pop("stepWeight")
    canary["spec"]["analysis"]["stepWeights"] = [5, 25, 50]
    r = release_from_canary(canary, {}, cluster="c", region="r").release
    assert (r.step, r.step_count, r.weight_steps) == (2, 3, (0, 5, 25, 50, 100))
    bg = ko.canary("podinfo", "test", phase="Progressing")
    bg["spec"]["analysis"] = {"interval": "1m", "threshold": 2, "iterations": 10}
    bg["status"]["iterations"] = 4
    r = release_from_canary(bg, {}, cluster="c", region="r").release
    assert r.strategy is Strategy.BLUE_GREEN and (r.step, r.step_count) == (4, 10)
    assert (r.active_slot, r.preview_slot) == ("primary", "canary")


def test_flagger_claims_generated_objects():
    canary = ko.canary("podinfo", "test", phase="Succeeded")
    objects = Objects.of(
        {
            "canaries": [canary],
            "deployments": [ko.deployment("podinfo", "test"), ko.deployment("podinfo-primary", "test", labels={"app": "podinfo-primary"})],
            "services": [ko.service("podinfo", "test", selector={"app": "podinfo-primary"}), ko.service("podinfo-canary", "test")],
            "virtualservices": [ko.virtual_service("podinfo", "test", stable="podinfo-primary", canary="podinfo-canary")],
        }
    )
    assert [(d.release.name, d.release.owner) for d in map_cluster(objects, cluster="c", region="r")] == [("podinfo", Owner.FLAGGER)]


# --- unmanaged -------------------------------------------------------------------------------------------


def test_percentages_sum_to_100():
    assert percentages([1, 1, 1]) == [34, 33, 33]
    assert percentages([90, 10]) == [90, 10]
    assert percentages([3, 1]) == [75, 25]
    assert percentages([0, 0]) == [0, 0]


def test_virtual_service_canary_with_subsets_and_mirror():
    vs = ko.virtual_service("checkout", "shop", stable="checkout", canary="checkout", canary_weight=10, subsets=True)
    vs["spec"]["http"][0]["mirror"] = {"host": "checkout", "subset": "canary"}
    vs["spec"]["http"][0]["mirrorPercentage"] = {"value": 5.0}
    rule = {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": {"name": "checkout", "namespace": "shop"},
            "spec": {"host": "checkout", "subsets": [{"name": "stable", "labels": {"track": "stable"}}, {"name": "canary", "labels": {"track": "canary"}}]}}
    deployments = [
        ko.deployment("checkout-stable", "shop", labels={"app": "checkout", "track": "stable"}, image="r/c:v1", replicas=4),
        ko.deployment("checkout-canary", "shop", labels={"app": "checkout", "track": "canary"}, image="r/c:v2", replicas=1),
    ]
    services = {"checkout": ko.service("checkout", "shop")}
    found = release_from_virtual_service(vs, services, deployments, [], [rule], cluster="c", region="r")
    r = found.release
    assert (r.owner, r.strategy, r.router) == (Owner.UNMANAGED, Strategy.CANARY, "VirtualService")
    assert r.desired.as_dict() == {"stable": 90, "canary": 10}
    assert [(v.name, v.revision, v.replicas.desired) for v in r.versions] == [("stable", "v1", 4), ("canary", "v2", 1)]
    assert r.phase is Phase.PROGRESSING  # a canary holding between 0 and 100%
    assert r.mirror == ("canary", 5)
    assert found.sources.deployments == {"stable": ("checkout-stable",), "canary": ("checkout-canary",)}
    assert found.sources.backends["canary"].index == 1


def test_http_route_weights_are_relative():
    route = ko.http_route("web", "shop", stable="web-stable", canary="web-canary", stable_weight=3, canary_weight=1)
    services = {"web-stable": ko.service("web-stable", "shop", selector={"app": "web", "track": "stable"}), "web-canary": ko.service("web-canary", "shop", selector={"app": "web", "track": "canary"})}
    deployments = [ko.deployment("web-stable", "shop", labels={"app": "web", "track": "stable"}), ko.deployment("web-canary", "shop", labels={"app": "web", "track": "canary"})]
    r = release_from_http_route(route, services, deployments, [], cluster="c", region="r").release
    assert r.router == "HTTPRoute" and r.desired.as_dict() == {"web-stable": 75, "web-canary": 25}


def test_service_selector_blue_green():
    blue = with_uid(ko.deployment("web-blue", "shop", labels={"app": "web", "slot": "blue"}, image="r/web:v7"), "d1")
    green = with_uid(ko.deployment("web-green", "shop", labels={"app": "web", "slot": "green"}, image="r/web:v8", ready=False), "d2")
    svc = ko.service("web", "shop", selector={"app": "web", "slot": "blue"})
    found = release_from_service(svc, [blue, green], [], cluster="c", region="r")
    r = found.release
    assert (r.strategy, r.active_slot, r.preview_slot, r.router) == (Strategy.BLUE_GREEN, "blue", "green", "Service")
    assert r.desired.as_dict() == {"blue": 100, "green": 0}
    assert [(v.name, v.role, v.replicas.ready) for v in r.versions] == [("blue", Role.STABLE, 3), ("green", Role.CANDIDATE, 0)]
    assert found.sources.selector_key == "slot"
    assert release_from_service(ko.service("other", "shop", selector={"app": "other"}), [blue, green], [], cluster="c", region="r") is None


def test_services_behind_a_route_are_not_blue_green_releases():
    deployments = [ko.deployment("web-stable", "shop", labels={"app": "web", "track": "stable"}), ko.deployment("web-canary", "shop", labels={"app": "web", "track": "canary"})]
    objects = Objects.of(
        {
            "deployments": deployments,
            "services": [ko.service("web-stable", "shop", selector={"app": "web", "track": "stable"}), ko.service("web-canary", "shop", selector={"app": "web", "track": "canary"})],
            "virtualservices": [ko.virtual_service("web", "shop", stable="web-stable", canary="web-canary", canary_weight=5)],
        }
    )
    assert [d.release.name for d in map_cluster(objects, cluster="c", region="r")] == ["web"]


def test_plain_deployment_is_a_rolling_release_with_revisions():
    dep = with_uid(ko.deployment("api", "shop", image="r/api:v3", replicas=4), "d1")
    old = ko.replicaset("api-1", "shop", template=ko.pod_template({"app": "api"}, "r/api:v2"), replicas=1, revision=1, owner={"apiVersion": "apps/v1", "kind": "Deployment", "metadata": dep["metadata"]})
    new = ko.replicaset("api-2", "shop", template=ko.pod_template({"app": "api"}, "r/api:v3"), replicas=3, revision=2, owner={"apiVersion": "apps/v1", "kind": "Deployment", "metadata": dep["metadata"]})
    objects = Objects.of({"deployments": [dep, ko.deployment("coredns", "kube-system")], "replicasets": [old, new]})
    [found] = map_cluster(objects, cluster="c", region="r")
    r = found.release
    assert (r.name, r.strategy, r.owner, r.phase) == ("api", Strategy.ROLLING, Owner.UNMANAGED, Phase.PROGRESSING)
    assert [(v.name, v.revision, v.role) for v in r.versions] == [("old", "v2", Role.STABLE), ("new", "v3", Role.CANDIDATE)]
    assert r.desired.as_dict() == {"old": 25, "new": 75} and r.revisions == (1, 2)


def test_same_name_in_two_namespaces_is_qualified():
    objects = Objects.of({"deployments": [ko.deployment("api", "a"), ko.deployment("api", "b")]})
    assert [d.release.name for d in map_cluster(objects, cluster="c", region="r")] == ["a/api", "b/api"]


# --- Argo CD --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("marker", "app_name"),
    [
        ({"labels": {"app.kubernetes.io/instance": "checkout"}}, "checkout"),
        ({"annotations": {"argocd.argoproj.io/tracking-id": "checkout:argoproj.io/Rollout:shop/checkout"}}, "checkout"),
        ({"labels": {"app.kubernetes.io/instance": "argocd_checkout"}}, "checkout"),
    ],
)
def test_gitops_tracking(marker, app_name):
    ro = ko.rollout("checkout", "shop")
    for key, values in marker.items():
        ro["metadata"].setdefault(key, {}).update(values)
    app = ko.application("checkout", sync="OutOfSync", health="Suspended", self_heal=True)
    state = gitops_for([ro], [app])
    assert state is not None and (state.app, state.sync, state.health, state.auto_sync, state.self_heal) == (app_name, "OutOfSync", "Suspended", True, True)


def test_helm_instance_label_without_an_application_is_not_gitops():
    dep = ko.deployment("api", "shop", labels={"app": "api", "app.kubernetes.io/instance": "api"})
    assert gitops_for([dep], [ko.application("other")]) is None
    assert gitops_for([dep], []) is None
