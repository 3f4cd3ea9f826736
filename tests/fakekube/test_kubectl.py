"""The machine's kubectl against the fake server: discovery, get, patch types, subresources, undo, auth, watch, TLS."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.fakekube import FULL_ACCESS, READ_ONLY, Allow, ClusterSpec, FakeCluster, FakeFleet
from tests.fakekube import objects as ko
from tests.fakekube.controllers import DeploymentController
from tests.fakekube.protobuf import decode_review
from tests.fakekube.kubectl import KUBECTL_GUARD_S, KubectlResult, require_kubectl, run_kubectl, start_kubectl, stop_process
from tests.waiting import wait_until

pytestmark = pytest.mark.asyncio


@pytest.fixture(autouse=True)
def _kubectl_present() -> None:
    require_kubectl()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest_asyncio.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[FakeCluster]:
    """TLS, because kubectl (client-go clientcmd) sends kubeconfig credentials only over TLS."""
    spec = ClusterSpec("kc", tls=True, tokens={
        "viewer-token": ("viewer", READ_ONLY),
        "promoter-token": ("promoter", (Allow("get,list,watch"), Allow("patch", "rollouts/status", namespace="prod"))),
    })
    async with FakeCluster(spec, workdir=tmp_path / "fakekube") as c:
        yield c


async def kubectl(cluster: FakeCluster, home: Path, *args: str) -> KubectlResult:
    return await run_kubectl(cluster.kubeconfig_path, *args, home=home)


async def test_dispatcher_runs_the_kubectl_matching_server_minor(cluster: FakeCluster, home: Path) -> None:
    result = await kubectl(cluster, home, "get", "namespaces")
    assert result.ok, result
    agents = {r.headers.get("User-Agent", "") for r in cluster.requests}
    # /version is read by the gcloud dispatcher; the real work is done by the kubectl it selected.
    assert any(a.startswith("kubectl/v1.33.") for a in agents), agents


async def test_get_deployments_and_rollouts_via_crd_discovery(cluster: FakeCluster, home: Path) -> None:
    cluster.store.seed(ko.deployment("web", "prod"), ko.rollout("checkout", "prod"))
    deployments = await kubectl(cluster, home, "get", "deployments", "-n", "prod")
    assert deployments.ok, deployments
    assert "web" in deployments.stdout
    rollouts = await kubectl(cluster, home, "get", "ro", "-n", "prod", "-o", "json")
    assert rollouts.ok, rollouts
    items = json.loads(rollouts.stdout)["items"]
    assert [i["metadata"]["name"] for i in items] == ["checkout"]
    assert cluster.requests.matching("GET", "/apis/argoproj.io/v1alpha1/namespaces/prod/rollouts?limit=500")


async def test_merge_patch_on_rollout(cluster: FakeCluster, home: Path) -> None:
    cluster.store.put(ko.rollout("checkout", "prod"))
    result = await kubectl(cluster, home, "patch", "rollout", "checkout", "-n", "prod",
                           "--type", "merge", "-p", '{"spec":{"paused":true}}')
    assert result.ok, result
    [patch] = cluster.requests.matching("PATCH", "/rollouts/checkout")
    assert patch.content_type == "application/merge-patch+json"
    assert patch.param("fieldManager") == "kubectl-patch"
    assert patch.json == {"spec": {"paused": True}}
    stored = cluster.store.get("Rollout", "prod", "checkout")
    assert stored["spec"]["paused"] is True
    assert stored["metadata"]["generation"] == 2


async def test_strategic_merge_patch_on_deployment_keeps_sidecar(cluster: FakeCluster, home: Path) -> None:
    cluster.store.put(ko.deployment("web", "prod", sidecars=[{"name": "envoy", "image": "envoy:1"}]))
    result = await kubectl(cluster, home, "patch", "deployment", "web", "-n", "prod", "-p",
                           '{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"app:v2"}]}}}}')
    assert result.ok, result
    [patch] = cluster.requests.matching("PATCH", "/deployments/web")
    assert patch.content_type == "application/strategic-merge-patch+json"
    containers = cluster.store.get("Deployment", "prod", "web")["spec"]["template"]["spec"]["containers"]
    assert [(c["name"], c["image"]) for c in containers] == [("app", "app:v2"), ("envoy", "envoy:1")]


async def test_strategic_merge_patch_on_rollout_is_415(cluster: FakeCluster, home: Path) -> None:
    cluster.store.put(ko.rollout("checkout", "prod"))
    result = await kubectl(cluster, home, "patch", "rollout", "checkout", "-n", "prod",
                           "-p", '{"spec":{"paused":true}}')
    assert not result.ok
    assert ("the body of the request was in an unknown format - accepted media types include: "
            "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml") in result.stderr
    assert cluster.requests.matching("PATCH", "/rollouts/checkout")[0].status == 415
    assert "paused" not in cluster.store.get("Rollout", "prod", "checkout")["spec"]


async def test_patch_status_subresource(cluster: FakeCluster, home: Path) -> None:
    cluster.store.put(ko.rollout("checkout", "prod"))
    before = cluster.store.get("Rollout", "prod", "checkout")
    result = await kubectl(cluster, home, "patch", "rollout", "checkout", "-n", "prod", "--subresource",
                           "status", "--type", "merge", "-p", '{"status":{"abort":true},"spec":{"replicas":1}}')
    assert result.ok, result
    assert cluster.requests.matching("GET", "/rollouts/checkout/status")
    [patch] = cluster.requests.matching("PATCH", "/rollouts/checkout/status")
    assert patch.content_type == "application/merge-patch+json"
    after = cluster.store.get("Rollout", "prod", "checkout")
    assert after["status"]["abort"] is True
    assert after["spec"] == before["spec"]  # /status writes change only status
    assert after["metadata"]["generation"] == before["metadata"]["generation"]


async def test_patch_server_dry_run_stores_nothing(cluster: FakeCluster, home: Path) -> None:
    cluster.store.put(ko.rollout("checkout", "prod"))
    rv = cluster.store.rv
    result = await kubectl(cluster, home, "patch", "rollout", "checkout", "-n", "prod", "--type", "merge",
                           "-p", '{"spec":{"paused":true}}', "--dry-run=server", "-o", "json")
    assert result.ok, result
    assert json.loads(result.stdout)["spec"]["paused"] is True
    [patch] = cluster.requests.matching("PATCH", "/rollouts/checkout")
    assert patch.param("dryRun") == "All"
    assert cluster.store.rv == rv
    assert "paused" not in cluster.store.get("Rollout", "prod", "checkout")["spec"]


async def test_rollout_history_and_undo_send_the_json_patch(cluster: FakeCluster, home: Path) -> None:
    store, controller = cluster.store, DeploymentController(cluster.store)
    store.put(ko.deployment("web", "prod", image="app:v1"))
    controller.reconcile("prod", "web")
    store.modify("Deployment", "prod", "web",
                 lambda d: d["spec"]["template"]["spec"]["containers"][0].update(image="app:v2"))
    controller.reconcile("prod", "web")

    history = await kubectl(cluster, home, "rollout", "history", "deployment/web", "-n", "prod")
    assert history.ok, history
    assert [line.split()[0] for line in history.stdout.splitlines()[2:] if line.strip()] == ["1", "2"]

    cluster.clear_requests()
    undo = await kubectl(cluster, home, "rollout", "undo", "deployment/web", "-n", "prod")
    assert undo.ok, undo
    assert "rolled back" in undo.stdout
    [patch] = cluster.requests.matching("PATCH", "/deployments/web")
    assert patch.content_type == "application/json-patch+json"
    ops = patch.json
    assert [(op["op"], op["path"]) for op in ops] == [("replace", "/spec/template"),
                                                     ("replace", "/metadata/annotations")]
    assert ops[0]["value"]["spec"]["containers"][0]["image"] == "app:v1"
    assert "pod-template-hash" not in ops[0]["value"]["metadata"]["labels"]
    lists = cluster.requests.matching("GET", "/apis/apps/v1/namespaces/prod/replicasets")
    assert lists and lists[0].param("labelSelector") == "app=web"

    controller.reconcile("prod", "web")  # rolls forward to revision 3 with the v1 template
    dep = store.get("Deployment", "prod", "web")
    assert dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == "app:v1"


async def test_auth_can_i(cluster: FakeCluster, home: Path) -> None:
    eu = cluster
    admin = await kubectl(eu, home, "auth", "can-i", "patch", "rollouts", "--subresource", "status", "-n", "prod")
    assert admin.ok and admin.stdout.strip() == "yes", admin
    allowed = await kubectl(eu, home, "--token", "promoter-token", "auth", "can-i", "patch",
                            "rollouts.argoproj.io", "--subresource", "status", "-n", "prod")
    assert allowed.ok and allowed.stdout.strip() == "yes", allowed
    denied = await kubectl(eu, home, "--token", "promoter-token", "auth", "can-i", "patch",
                           "rollouts.argoproj.io", "-n", "prod")
    assert denied.returncode == 1 and denied.stdout.strip() == "no", denied
    sent = eu.requests.matching("POST", "/selfsubjectaccessreviews")[-1]
    assert sent.content_type == "application/vnd.kubernetes.protobuf"  # kubectl's typed client
    assert decode_review(sent.raw)["spec"]["resourceAttributes"] == {
        "namespace": "prod", "verb": "patch", "group": "argoproj.io", "version": "", "resource": "rollouts",
        "subresource": "", "name": ""}

    eu.store.put(ko.rollout("checkout", "prod"))
    forbidden = await kubectl(eu, home, "--token", "viewer-token", "patch", "rollout", "checkout", "-n", "prod",
                              "--type", "merge", "-p", '{"spec":{"paused":true}}')
    assert not forbidden.ok
    assert ('rollouts.argoproj.io "checkout" is forbidden: User "viewer" cannot patch resource "rollouts" '
            'in API group "argoproj.io" in the namespace "prod"') in forbidden.stderr


async def test_get_watch_receives_an_event(cluster: FakeCluster, home: Path) -> None:
    store = cluster.store
    store.put(ko.rollout("checkout", "prod"))
    proc = await start_kubectl(cluster.kubeconfig_path, "get", "rollouts", "-n", "prod", "-w",
                               "-o", "custom-columns=NAME:.metadata.name,ABORT:.status.abort",
                               "--no-headers", home=home)
    try:
        assert proc.stdout is not None
        first = await asyncio.wait_for(proc.stdout.readline(), KUBECTL_GUARD_S)
        assert first.split() == [b"checkout", b"<none>"]
        await wait_until(lambda: cluster.open_watches, "kubectl's watch to open")  # then change the object
        store.modify("Rollout", "prod", "checkout", lambda r: r["status"].update(abort=True))
        second = await asyncio.wait_for(proc.stdout.readline(), KUBECTL_GUARD_S)
        assert second.split() == [b"checkout", b"true"]
    finally:
        await stop_process(proc)
    [watch] = cluster.requests.matching("GET", "watch=true")
    assert watch.param("resourceVersion")


async def test_kubectl_over_tls(fake_clusters: FakeFleet, home: Path) -> None:
    us = fake_clusters["kind-us"]
    assert us.url.startswith("https://")
    us.store.put(ko.rollout("checkout", "prod"))
    result = await run_kubectl(fake_clusters.kubeconfig_path, "get", "rollouts", "-n", "prod",
                               home=home, context="kind-us")
    assert result.ok, result
    assert "checkout" in result.stdout
    # kind-us serves no Flagger CRDs: kubectl cannot resolve the type there.
    missing = await run_kubectl(fake_clusters.kubeconfig_path, "get", "canaries", home=home,
                                context="kind-us")
    assert not missing.ok and 'the server doesn\'t have a resource type "canaries"' in missing.stderr


async def test_plain_http_kubectl_is_anonymous(start_fake_clusters, home: Path) -> None:
    """client-go drops kubeconfig credentials on http://, so only `anonymous` rules can let kubectl in."""
    fleet = await start_fake_clusters(ClusterSpec("closed"), ClusterSpec("open", anonymous=FULL_ACCESS))
    closed = await run_kubectl(fleet.kubeconfig_path, "get", "pods", home=home, context="kind-closed")
    assert not closed.ok and "You must be logged in to the server" in closed.stderr
    assert all(r.headers.get("Authorization") is None for r in fleet["closed"].requests)
    opened = await run_kubectl(fleet.kubeconfig_path, "get", "pods", home=home, context="kind-open")
    assert opened.ok, opened
    assert fleet["open"].requests[-1].user == "system:anonymous"
