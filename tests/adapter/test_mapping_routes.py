"""Route rules parsed as each router evaluates them, and the mapping's rules for what is (not) a release.

The upstream projects' own objects are in test_upstream_routes.py; these are the edges they lack."""

from __future__ import annotations

from dataclasses import replace

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.kube.mapping import Objects, map_objects
from rolldeck.engine.kube.mapping.argo import release_from_rollout, reported_weights, router_of
from rolldeck.engine.kube.mapping.routes import parse_http_route, parse_virtual_service
from rolldeck.engine.model import Owner, ReleaseRef, Role, Router, Strategy
from rolldeck.engine.plans import plan_action
from tests.engine.factories import fleet
from tests.fakekube import objects as ko


def vs(http, name="web"):
    return {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": name, "namespace": "shop"}, "spec": {"hosts": ["web"], "http": http}}


def route(rules, name="web"):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": name, "namespace": "shop"}, "spec": {"rules": rules}}


def dest(host, weight=None, subset=None):
    d = {"destination": {"host": host, **({"subset": subset} if subset else {})}}
    return {**d, **({"weight": weight} if weight is not None else {})}


def app(name, version, image):
    labels = {"app": name, "version": version}
    return [ko.deployment(f"{name}-{version}", "shop", labels=labels, image=f"r/{name}:{image}"),
            ko.service(f"{name}-{version}", "shop", selector=labels)]


def mapped(*objs):
    by_kind = {}
    for obj in objs:
        key = {"Deployment": "deployments", "Service": "services", "VirtualService": "virtualservices", "HTTPRoute": "httproutes",
               "Rollout": "rollouts", "ReplicaSet": "replicasets", "DestinationRule": "destinationrules"}[obj["kind"]]
        by_kind.setdefault(key, []).append(obj)
    return map_objects(Objects.of(by_kind), cluster="c", region="r")


# --- parsing -------------------------------------------------------------------------------------------


def test_istio_rules_after_the_catch_all_are_unreachable_and_said_so():
    http = [
        {"match": [{"headers": {"x-beta": {"exact": "1"}}}], "route": [dest("web-v2")]},
        {"route": [dest("web-v1")]},
        {"match": [{"uri": {"prefix": "/api"}}], "route": [dest("web-v2")]},
    ]
    parsed = parse_virtual_service(vs(http))
    assert [r.index for r in parsed.cohorts] == [0] and parsed.default.index == 1
    assert [r.index for r in parsed.unreachable] == [2]
    release = mapped(*app("web", "v1", "1"), *app("web", "v2", "2"), vs(http)).releases[0].release
    assert release.rules.lines() == ("header x-beta=1 → web-v2 100%",)
    assert "rule 2 comes after the catch-all rule: Istio never reaches it" in release.unread


def test_istio_uri_prefix_slash_is_everything_and_match_fields_render_in_control_plane_terms():
    parsed = parse_virtual_service(vs([
        {"match": [{"uri": {"prefix": "/"}, "queryParams": {"beta": {"exact": "true"}}, "method": {"exact": "GET"}},
                   {"uri": {"exact": "/login"}}, {"headers": {"cookie": {"regex": "^(.*?;)?(user=qa)(;.*)?$"}}}],
         "route": [dest("web-v2")]},
        {"match": [{"uri": {"prefix": "/"}}], "route": [dest("web-v1")]},
    ]))
    [cohort] = parsed.cohorts
    assert [[m.describe() for m in c] for c in cohort.conditions] == [["method GET", "query beta=true"], ["path /login"], ["cookie user=qa"]]
    assert parsed.default.index == 1  # "uri prefix /" alone is a catch-all


def test_gateway_api_precedence_puts_specific_matches_first_whatever_the_order():
    parsed = parse_http_route(route([
        {"backendRefs": [{"name": "web-v1"}]},
        {"matches": [{"path": {"type": "PathPrefix", "value": "/api"}}], "backendRefs": [{"name": "web-v2"}]},
        {"matches": [{"path": {"type": "Exact", "value": "/api/login"}}], "backendRefs": [{"name": "web-v3"}]},
    ]))
    assert [r.index for r in parsed.rules] == [2, 1, 0]  # exact path, then the longer prefix, then "/"
    assert [r.index for r in parsed.cohorts] == [2, 1] and parsed.default.index == 0


def test_mirror_percentages_keep_fractions():
    istio = parse_virtual_service(vs([{"route": [dest("web-v1")], "mirrors": [
        {"destination": {"host": "web-v2"}, "percentage": {"value": 2.5}}, {"destination": {"host": "web-v3"}}]}]))
    assert [(m.host, m.percent) for m in istio.default.mirrors] == [("web-v2", 2.5), ("web-v3", 100.0)]
    gateway = parse_http_route(route([{"backendRefs": [{"name": "web-v1"}], "filters": [
        {"type": "RequestMirror", "requestMirror": {"backendRef": {"name": "web-v2"}, "fraction": {"numerator": 1, "denominator": 200}}}]}]))
    assert [(m.host, m.percent) for m in gateway.default.mirrors] == [("web-v2", 0.5)]


# --- what is, and is not, a release ------------------------------------------------------------------


def test_delegating_or_tcp_only_routes_are_unmapped_not_releases():
    delegating = vs([{"match": [{"uri": {"prefix": "/x"}}], "delegate": {"name": "web-x"}}], name="front")
    tcp = {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "db", "namespace": "shop"},
           "spec": {"hosts": ["db"], "tcp": [{"route": [dest("db")]}]}}
    result = mapped(delegating, tcp)
    assert result.releases == []
    assert [(u.name, u.reason) for u in result.unmapped] == [
        ("db", "only tcp routes, which rolldeck does not read"),
        ("front", "delegates to VirtualService web-x: read that one"),
    ]


def test_a_route_to_one_version_is_not_a_release_and_its_deployment_is():
    result = mapped(*app("web", "v1", "1"), vs([{"route": [dest("web-v1")]}]))
    assert [(d.release.name, d.release.strategy) for d in result.releases] == [("web-v1", Strategy.ROLLING)]


def test_a_slot_service_with_one_deployment_is_a_blue_green_release_waiting_for_its_other_slot():
    blue = ko.deployment("web-blue", "shop", labels={"app": "web", "slot": "blue"}, image="r/web:v7")
    result = mapped(blue, ko.service("web", "shop", selector={"app": "web", "slot": "blue"}))
    [found] = result.releases
    r = found.release
    assert (r.name, r.strategy, r.active_slot, r.preview_slot) == ("web", Strategy.BLUE_GREEN, "blue", None)
    none_yet = mapped(ko.service("web", "shop", selector={"app": "web", "slot": "green"})).releases[0].release
    assert none_yet.unread == ("no Deployment found for slot green",)


def test_a_preview_service_beside_the_active_one_is_part_of_the_blue_green_release():
    blue = ko.deployment("web-blue", "shop", labels={"app": "web", "slot": "blue"})
    green = ko.deployment("web-green", "shop", labels={"app": "web", "slot": "green"})
    result = mapped(blue, green, ko.service("web", "shop", selector={"app": "web", "slot": "blue"}),
                    ko.service("web-preview", "shop", selector={"app": "web", "slot": "green"}))
    assert [(d.release.name, d.release.active_slot) for d in result.releases] == [("web", "blue")] and result.unmapped == ()


# --- Argo details the plugin data does not reach ------------------------------------------------------


def test_routers_come_from_the_router_keys_not_from_settings_keys():
    def canary(routing):
        ro = ko.rollout("web", "shop")
        ro["spec"]["strategy"]["canary"]["trafficRouting"] = routing
        return ro
    # the first raw key is a setting here: the router is nginx, which rolldeck reads but does not edit
    assert router_of(canary({"maxTrafficWeight": 1000, "managedRoutes": [{"name": "x"}], "nginx": {"stableIngress": "web"}})) is Router.OTHER
    assert router_of(canary({"managedRoutes": [{"name": "x"}], "istio": {"virtualService": {"name": "web"}}})) is Router.VIRTUAL_SERVICE
    assert router_of(canary({"smi": {}})) is Router.SMI  # every SMI field is optional
    assert router_of(canary({"plugins": {"argoproj-labs/gatewayAPI": {"httpRoute": "web"}}})) is Router.HTTP_ROUTE
    assert router_of(canary({"plugins": {"argoproj-labs/contour": {}}})) is Router.OTHER


def test_experiment_weights_are_kept_not_folded_into_stable():
    ro = ko.rollout("web", "shop", virtual_service_name="web")
    ro["status"] = {"currentStepIndex": 1, "stableRS": "a", "currentPodHash": "b", "availableReplicas": 4,
                    "canary": {"weights": {"canary": {"weight": 20}, "stable": {"weight": 60},
                                           "additional": [{"weight": 20, "serviceName": "web-exp-baseline"}]}}}
    assert reported_weights(ro) == [("stable", 60), ("canary", 20), ("web-exp-baseline", 20)]
    r = release_from_rollout(ro, [], [], cluster="c", region="r").release
    assert r.observed.as_dict() == {"stable": 60, "canary": 20, "web-exp-baseline": 20}
    assert r.desired.as_dict() == {"stable": 80, "canary": 20}


def test_blue_green_without_replicasets_in_view_reads_pods_from_the_status_and_says_so():
    """RBAC can hide ReplicaSets; the plugin's blue-green scene says 6 ready, 3 of them the preview's."""
    ro = ko.rollout("web", "shop", blue_green=True, replicas=3)
    ro["status"] = {"replicas": 6, "updatedReplicas": 3, "readyReplicas": 6, "availableReplicas": 3, "stableRS": "a",
                    "currentPodHash": "b", "blueGreen": {"activeSelector": "a", "previewSelector": "b"},
                    "pauseConditions": [{"reason": "BlueGreenPause"}], "controllerPause": True}
    r = release_from_rollout(ro, [], [], cluster="c", region="r").release
    assert [(v.name, v.role, v.replicas.ready, v.replicas.desired) for v in r.versions] == [
        ("active", Role.STABLE, 3, 3), ("preview", Role.CANDIDATE, 3, 3)]
    assert r.candidate.replicas.all_ready
    # so promote is not refused on "preview pods ready (0/0)": the plan reads the status's counts
    promote = plan_action(fleet(replace(r, ref=ReleaseRef("prod-eu-west-1", "web"), region="eu-west-1")),
                          Action(ActionKind.PROMOTE, ReleaseRef("prod-eu-west-1", "web")))
    assert promote.ok, promote.refusal
    assert r.unread == ("ReplicaSets not in view (RBAC?): pods per version are lower bounds from the Rollout's status",)


def test_workload_ref_deployment_is_the_rollouts_not_a_release_of_its_own():
    dep = ko.deployment("web", "shop", replicas=0)
    ro = ko.rollout("web-rollout", "shop")
    ro["spec"]["workloadRef"] = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}
    result = mapped(dep, ro)
    assert [(d.release.name, d.release.owner) for d in result.releases] == [("web-rollout", Owner.ARGO_ROLLOUTS)]
    assert result.releases[0].sources.workload == ("deployments", "web")
    missing = mapped(ro).releases[0].release
    assert "workloadRef Deployment web not found: the template is unknown" in missing.unread
