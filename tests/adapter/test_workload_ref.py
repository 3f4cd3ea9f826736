"""A Rollout whose template comes from a Deployment (``spec.workloadRef``): one release, and undo
rolls the referenced Deployment's template back, as ``kubectl argo rollouts undo`` does
(``undoWorkloadRef`` in cmd/undo/undo.go), verified end to end with kubectl."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.model import Owner, ReleaseRef
from rolldeck.engine.operator import Operator
from tests.adapter import scenes
from tests.adapter.conftest import writes
from tests.adapter.helpers import in_sync, running_backend, wait_release
from tests.fakekube import ClusterSpec, FakeCluster
from tests.fakekube.kubectl import require_kubectl, run_kubectl

pytestmark = pytest.mark.asyncio
CONTEXT = "kind-wr"
DEPLOYMENT = "/apis/apps/v1/namespaces/shop/deployments/checkout"
SERVER_KEPT = ("resourceVersion", "generation", "managedFields")  # what a spec write moves on the server


async def kubectl_json(cluster: FakeCluster, home: Path, *args: str) -> dict:
    result = await run_kubectl(cluster.kubeconfig_path, "get", *args, "-n", "shop", "-o", "json", home=home, timeout=60)
    assert result.ok, result
    return json.loads(result.stdout)


def without(obj: dict, *paths: tuple[str, ...]) -> dict:
    out = copy.deepcopy(obj)
    for path in paths:
        node = out
        for key in path[:-1]:
            node = node.get(key, {})
        node.pop(path[-1], None)
    return out


async def test_undo_rolls_the_referenced_deployment_back_and_changes_nothing_else(tmp_path: Path) -> None:
    require_kubectl()
    home = tmp_path / "home"
    async with FakeCluster(ClusterSpec("wr", tls=True), workdir=tmp_path / "fake") as cluster:
        scenes.argo_workload_ref(cluster.store)
        deployment_before = await kubectl_json(cluster, home, "deployment", "checkout")
        rollout_before = await kubectl_json(cluster, home, "rollout", "checkout")
        replicasets_before = await kubectl_json(cluster, home, "replicasets")
        stable_rs = next(rs for rs in replicasets_before["items"] if rs["metadata"]["name"] == "checkout-aaa")

        async with running_backend(cluster.kubeconfig_path, context=CONTEXT, key_dir=tmp_path / "keys") as backend:
            release = await wait_release(backend, CONTEXT, "checkout", lambda r: r.revisions == (1, 2))
            # one release: the Deployment behind workloadRef is the Rollout's, not an unmanaged rollout
            assert [(r.name, r.owner) for r in backend.snapshot().releases()] == [("checkout", Owner.ARGO_ROLLOUTS)]
            assert [v.revision for v in release.versions] == ["v1 (rev 1)", "v2 (rev 2)"]
            await in_sync(backend, cluster, CONTEXT)
            mark = len(cluster.requests)
            operator = Operator(backend, AuditLog(None, lambda: 0.0))
            plan = operator.plan(Action(ActionKind.UNDO, ReleaseRef(CONTEXT, "checkout")))
            assert plan.ok, plan.refusal
            outcome = await operator.execute(plan, actor="alice")
            assert outcome.ok, outcome.message

        [patch] = writes(cluster, mark)
        assert (patch.path, patch.content_type, patch.param("fieldManager")) == (DEPLOYMENT, "application/json-patch+json", "rolldeck")
        assert [op["op"] for op in patch.json] == ["test", "replace"] and patch.json[1]["path"] == "/spec/template"

        deployment_after = await kubectl_json(cluster, home, "deployment", "checkout")
        wanted = copy.deepcopy(stable_rs["spec"]["template"])
        del wanted["metadata"]["labels"]["rollouts-pod-template-hash"]
        assert deployment_after["spec"]["template"] == wanted  # revision 1's template: v1
        assert deployment_after["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.local/checkout:v1"
        # nothing else changed: not the Deployment's other fields, not the Rollout, not a ReplicaSet
        kept = [("metadata", key) for key in SERVER_KEPT] + [("spec", "template")]
        assert without(deployment_after, *kept) == without(deployment_before, *kept)
        assert deployment_after["metadata"]["generation"] == deployment_before["metadata"]["generation"] + 1
        assert await kubectl_json(cluster, home, "rollout", "checkout") == rollout_before
        assert await kubectl_json(cluster, home, "replicasets") == replicasets_before
