"""Unmanaged verbs over real HTTP: Deployment pause/resume/undo (kubectl's own patches), Service
selector switch, VirtualService/HTTPRoute weights and mirroring with ``test`` guards, and the
server-side dry run the confirm dialog shows."""

from __future__ import annotations

import time

import pytest

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.model import ReleaseRef, Strategy
from rolldeck.engine.operator import Operator
from rolldeck.engine.port import DryRunKind
from tests.adapter import scenes
from tests.adapter.conftest import CONTEXT, writes
from tests.adapter.helpers import in_sync, running_backend, wait_release
from tests.waiting import wait_until
from tests.fakekube import ClusterSpec
from tests.fakekube import objects as ko
from tests.fakekube.kubectl import require_kubectl, run_kubectl

JSON_PATCH = "application/json-patch+json"
SMP = "application/strategic-merge-patch+json"


@pytest.mark.asyncio
async def test_deployment_pause_and_resume_are_kubectls_strategic_merge(fake_cluster, live, act):
    dep = scenes.rolling_deployment(fake_cluster.store)
    await wait_release(live, CONTEXT, "api", lambda r: r.strategy is Strategy.ROLLING and r.candidate is not None)
    await act(ActionKind.PAUSE, "api")
    await wait_release(live, CONTEXT, "api", lambda r: r.paused)
    await act(ActionKind.RESUME, "api")
    pause, resume = writes(fake_cluster)
    path = "/apis/apps/v1/namespaces/shop/deployments/api"
    assert (pause.path, pause.content_type, pause.param("fieldManager")) == (path, SMP, "rolldeck")
    assert pause.json == {"spec": {"paused": True}, "metadata": {"resourceVersion": dep["metadata"]["resourceVersion"]}}
    assert resume.json["spec"] == {"paused": False} and resume.status == 200


@pytest.mark.asyncio
async def test_undo_refuses_a_paused_deployment(fake_cluster, live, act):
    scenes.rolling_deployment(fake_cluster.store, paused=True)
    await wait_release(live, CONTEXT, "api", lambda r: r.paused)
    await in_sync(live, fake_cluster)
    plan = act.operator.plan(Action(ActionKind.UNDO, ReleaseRef(CONTEXT, "api")))
    assert not plan.ok and "the Deployment is paused" in plan.refusal


@pytest.mark.asyncio
@pytest.mark.fakekube(ClusterSpec("kc", tls=True))
async def test_undo_sends_exactly_what_kubectl_rollout_undo_sends(fake_clusters, tmp_path):
    """Same cluster state, once undone by the engine and once by the machine's kubectl: same patch."""
    require_kubectl()
    cluster = fake_clusters["kind-kc"]
    scenes.rolling_deployment(cluster.store, "engine-api")
    scenes.rolling_deployment(cluster.store, "kubectl-api")
    async with running_backend(cluster.kubeconfig_path, context="kind-kc", key_dir=tmp_path / "keys") as backend:
        await in_sync(backend, cluster, "kind-kc")
        operator = Operator(backend, AuditLog(None, time.time))
        outcome = await operator.execute(operator.plan(Action(ActionKind.UNDO, ReleaseRef("kind-kc", "engine-api"))), actor="alice")
        assert outcome.ok, outcome.message
        result = await run_kubectl(cluster.kubeconfig_path, "-n", "shop", "rollout", "undo", "deployment/kubectl-api", home=tmp_path / "home")
        assert result.ok, result
    ours = next(r for r in cluster.requests if r.method == "PATCH" and r.path.endswith("/engine-api"))
    theirs = next(r for r in cluster.requests if r.method == "PATCH" and r.path.endswith("/kubectl-api"))
    assert ours.content_type == theirs.content_type == JSON_PATCH
    assert theirs.param("fieldManager") is None and ours.param("fieldManager") == "rolldeck"
    # ours = kubectl's ops, preceded by the RV precondition kubectl does not send
    assert ours.json[0] == {"op": "test", "path": "/metadata/resourceVersion", "value": ours.json[0]["value"]}
    assert normalise(ours.json[1:]) == normalise(theirs.json)
    after = cluster.store.get("deployments", "shop", "engine-api")
    assert after["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.local/api:v1"


def normalise(value):
    """Names aside, and without the zero values Go's encoder writes (``creationTimestamp: null``,
    ``resources: {}``), which the API server drops anyway."""
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items() if v is not None and v != {}}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, str):
        return value.replace("kubectl-api", "X").replace("engine-api", "X")
    return value


@pytest.mark.asyncio
async def test_rolling_abort_is_rollout_undo(fake_cluster, live, act):
    scenes.rolling_deployment(fake_cluster.store)
    await wait_release(live, CONTEXT, "api", lambda r: r.candidate is not None)
    await act(ActionKind.ABORT, "api")
    [patch] = writes(fake_cluster)
    assert patch.content_type == JSON_PATCH and [op["path"] for op in patch.json] == ["/metadata/resourceVersion", "/spec/template", "/metadata/annotations"]


@pytest.mark.asyncio
async def test_service_selector_switch_is_guarded(fake_cluster, live, act):
    svc = scenes.blue_green_service(fake_cluster.store)
    await wait_release(live, CONTEXT, "web", lambda r: r.active_slot == "blue")
    outcome = await act(ActionKind.SWITCH_SLOT, "web")
    assert "switch active slot blue → green" in outcome.message
    [patch] = writes(fake_cluster)
    assert (patch.path, patch.content_type) == ("/api/v1/namespaces/shop/services/web", JSON_PATCH)
    assert patch.json == [
        {"op": "test", "path": "/metadata/resourceVersion", "value": svc["metadata"]["resourceVersion"]},
        {"op": "test", "path": "/spec/selector/slot", "value": "blue"},
        {"op": "replace", "path": "/spec/selector/slot", "value": "green"},
    ]
    await wait_release(live, CONTEXT, "web", lambda r: r.active_slot == "green")


@pytest.mark.asyncio
async def test_virtual_service_weights_test_every_destination(fake_cluster, live, act):
    vs = scenes.vs_canary(fake_cluster.store, weight=10)
    await wait_release(live, CONTEXT, "cart", lambda r: r.desired.as_dict() == {"cart-stable": 90, "cart-canary": 10})
    outcome = await act(ActionKind.STEP_UP, "cart")
    assert "cart-canary 10% → 25%" in outcome.message
    [patch] = writes(fake_cluster)
    assert (patch.path, patch.content_type) == ("/apis/networking.istio.io/v1/namespaces/shop/virtualservices/cart", JSON_PATCH)
    assert patch.json == [
        {"op": "test", "path": "/metadata/resourceVersion", "value": vs["metadata"]["resourceVersion"]},
        {"op": "test", "path": "/spec/http/0/name", "value": "primary"},
        {"op": "test", "path": "/spec/http/0/route/0/destination/host", "value": "cart-stable"},
        {"op": "test", "path": "/spec/http/0/route/1/destination/host", "value": "cart-canary"},
        # the split the operator saw: an edit landing between our read and our write fails with 422
        {"op": "test", "path": "/spec/http/0/route/0/weight", "value": 90},
        {"op": "test", "path": "/spec/http/0/route/1/weight", "value": 10},
        {"op": "replace", "path": "/spec/http/0/route/0/weight", "value": 75},
        {"op": "replace", "path": "/spec/http/0/route/1/weight", "value": 25},
    ]
    await wait_release(live, CONTEXT, "cart", lambda r: r.desired.as_dict() == {"cart-stable": 75, "cart-canary": 25})


@pytest.mark.asyncio
async def test_http_route_weights(fake_cluster, live, act):
    scenes.http_route_canary(fake_cluster.store, weight=10)
    await wait_release(live, CONTEXT, "shipping")
    await act(ActionKind.SET_WEIGHT, "shipping", weight=50)
    [patch] = writes(fake_cluster)
    assert patch.path == "/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes/shipping"
    assert patch.json[1:] == [
        {"op": "test", "path": "/spec/rules/0/backendRefs/0/name", "value": "shipping-stable"},
        {"op": "test", "path": "/spec/rules/0/backendRefs/1/name", "value": "shipping-canary"},
        {"op": "test", "path": "/spec/rules/0/backendRefs/0/weight", "value": 90},
        {"op": "test", "path": "/spec/rules/0/backendRefs/1/weight", "value": 10},
        {"op": "replace", "path": "/spec/rules/0/backendRefs/0/weight", "value": 50},
        {"op": "replace", "path": "/spec/rules/0/backendRefs/1/weight", "value": 50},
    ]


@pytest.mark.asyncio
async def test_http_route_relative_weights_are_tested_as_written(fake_cluster, live, act):
    """HTTPRoute weights are relative: 3 and 1 read as 75 % / 25 %; the guard tests the raw 3 and 1."""
    route = ko.http_route("shipping", scenes.NS, stable="shipping-stable", canary="shipping-canary", stable_weight=3, canary_weight=1)
    scenes.http_route_canary(fake_cluster.store)
    fake_cluster.store.put(route)
    await wait_release(live, CONTEXT, "shipping", lambda r: r.desired.as_dict() == {"shipping-stable": 75, "shipping-canary": 25})
    await act(ActionKind.SET_WEIGHT, "shipping", weight=50)
    [patch] = writes(fake_cluster)
    assert [op for op in patch.json if op["path"].endswith("/weight")] == [
        {"op": "test", "path": "/spec/rules/0/backendRefs/0/weight", "value": 3},
        {"op": "test", "path": "/spec/rules/0/backendRefs/1/weight", "value": 1},
        {"op": "replace", "path": "/spec/rules/0/backendRefs/0/weight", "value": 50},
        {"op": "replace", "path": "/spec/rules/0/backendRefs/1/weight", "value": 50},
    ]


@pytest.mark.asyncio
async def test_mirror_on_and_off(fake_cluster, live, act):
    scenes.vs_canary(fake_cluster.store, weight=0)
    await wait_release(live, CONTEXT, "cart")
    await act(ActionKind.SET_MIRROR, "cart", percent=10)
    await wait_release(live, CONTEXT, "cart", lambda r: r.mirror == ("cart-canary", 10))
    await act(ActionKind.SET_MIRROR, "cart", percent=0)
    on, off = writes(fake_cluster)
    assert on.json[-2:] == [
        {"op": "add", "path": "/spec/http/0/mirror", "value": {"host": "cart-canary"}},
        {"op": "add", "path": "/spec/http/0/mirrorPercentage", "value": {"value": 10.0}},
    ]
    assert off.json[-2:] == [{"op": "remove", "path": "/spec/http/0/mirror"}, {"op": "remove", "path": "/spec/http/0/mirrorPercentage"}]
    await wait_release(live, CONTEXT, "cart", lambda r: r.mirror is None)


@pytest.mark.asyncio
async def test_controller_owned_route_refuses_manual_weights(fake_cluster, live, act):
    scenes.argo_canary(fake_cluster.store)
    fake_cluster.store.put(ko.virtual_service("checkout-vs", "shop", canary_weight=20))
    await wait_release(live, CONTEXT, "checkout")
    assert "cart" not in [r.name for r in live.snapshot().releases()]
    await in_sync(live, fake_cluster)
    plan = act.operator.plan(Action(ActionKind.SET_WEIGHT, ReleaseRef(CONTEXT, "checkout"), weight=50))
    assert not plan.ok and "owned by Argo Rollouts" in plan.refusal
    assert [r.name for r in live.snapshot().releases()] == ["checkout"]  # the VS is the rollout's


@pytest.mark.asyncio
async def test_dry_run_previews_without_storing(fake_cluster, live, act):
    vs = scenes.vs_canary(fake_cluster.store, weight=10)
    await wait_release(live, CONTEXT, "cart")
    await in_sync(live, fake_cluster)
    plan = act.operator.plan(Action(ActionKind.SET_WEIGHT, ReleaseRef(CONTEXT, "cart"), weight=40))
    answer = await live.dry_run(plan)
    assert [line.kind for line in answer.lines] == [DryRunKind.CHANGE] and answer.complete
    preview = answer.text
    assert "spec.http[0].route[0].weight: 90 → 60" in preview and "spec.http[0].route[1].weight: 10 → 40" in preview
    [patch] = writes(fake_cluster)
    assert patch.param("dryRun") == "All" and patch.param("fieldManager") == "rolldeck"
    assert fake_cluster.store.get("virtualservices", "shop", "cart")["metadata"]["resourceVersion"] == vs["metadata"]["resourceVersion"]
    fake_cluster.store.delete("virtualservices", "shop", "cart")
    await in_sync(live, fake_cluster)
    gone = await live.dry_run(plan)  # no preview is a typed line too, never an exception
    assert not gone.complete and [line.kind for line in gone.lines] == [DryRunKind.UNAVAILABLE]
    assert gone.text == f"release {CONTEXT}/cart no longer exists"


@pytest.mark.asyncio
async def test_dry_run_of_an_argo_status_verb(fake_cluster, live, act):
    scenes.argo_canary(fake_cluster.store, status={"pauseConditions": [{"reason": "CanaryPauseStep"}], "controllerPause": True})
    await wait_release(live, CONTEXT, "checkout", lambda r: r.paused)
    await in_sync(live, fake_cluster)
    preview = (await live.dry_run(act.operator.plan(Action(ActionKind.STEP_UP, ReleaseRef(CONTEXT, "checkout"))))).text
    assert preview.startswith("PATCH /apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/checkout/status: status.pauseConditions")
    await wait_until(lambda: fake_cluster.store.get("rollouts", "shop", "checkout")["status"].get("pauseConditions"), "pause conditions on the Rollout")
