"""Every Argo Rollouts verb over real HTTP: the exact bodies, content types and subresources of the
``kubectl argo rollouts`` CLI (kubernetes-mechanics.md §7), plus fieldManager and RV preconditions."""

from __future__ import annotations

import pytest

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.model import ReleaseRef, WaitKind
from rolldeck.engine.operator import Operator
from tests.adapter import scenes
from tests.adapter.conftest import CONTEXT, writes
from tests.adapter.helpers import in_sync, running_backend, wait_release
from tests.waiting import wait_until
from tests.fakekube import ClusterSpec

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STATUS = "/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/checkout/status"
MAIN = "/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/checkout"


def only_writes(cluster):
    sent = writes(cluster)
    for record in sent:
        assert record.param("fieldManager") == "rolldeck", record.path_qs
        assert record.param("dryRun") is None
    return sent


@pytest.mark.asyncio
async def test_promote_past_a_pause_step_clears_pause_conditions(fake_cluster, live, act):
    ro = scenes.argo_canary(fake_cluster.store, status={"pauseConditions": [{"reason": "CanaryPauseStep"}], "controllerPause": True})
    await wait_release(live, CONTEXT, "checkout", lambda r: r.wait is not None and r.wait.kind is WaitKind.PAUSE_STEP)
    outcome = await act(ActionKind.STEP_UP, "checkout")
    assert "continue past CanaryPauseStep at step 1/5" in outcome.message
    [patch] = only_writes(fake_cluster)
    assert (patch.method, patch.path, patch.content_type) == ("PATCH", STATUS, MERGE)
    # branch (b), with the RV precondition the CLI lacks
    assert patch.json == {"status": {"pauseConditions": None}, "metadata": {"resourceVersion": ro["metadata"]["resourceVersion"]}}
    assert patch.status == 200
    assert "pauseConditions" not in fake_cluster.store.get("rollouts", "shop", "checkout")["status"]


@pytest.mark.asyncio
async def test_promote_out_of_an_inconclusive_analysis(fake_cluster, live, act):
    status = {
        "currentStepIndex": 3,
        "controllerPause": True,
        "pauseConditions": [{"reason": "InconclusiveAnalysisRun"}],
        "canary": {"currentStepAnalysisRunStatus": {"name": "checkout-bbb-3", "status": "Inconclusive"}},
    }
    ro = scenes.argo_canary(fake_cluster.store, step=3, status=status)
    await wait_release(live, CONTEXT, "checkout", lambda r: r.wait is not None and r.wait.kind is WaitKind.INCONCLUSIVE)
    outcome = await act(ActionKind.STEP_UP, "checkout")
    assert "inconclusive analysis: step 3/5 → 4/5" in outcome.message
    [patch] = only_writes(fake_cluster)
    assert (patch.path, patch.content_type) == (STATUS, JSON_PATCH)
    assert patch.json == [
        {"op": "test", "path": "/metadata/resourceVersion", "value": ro["metadata"]["resourceVersion"]},
        {"op": "test", "path": "/status/currentStepIndex", "value": 3},
        {"op": "remove", "path": "/status/pauseConditions"},
        {"op": "add", "path": "/status/controllerPause", "value": False},
        {"op": "add", "path": "/status/currentStepIndex", "value": 4},
    ]
    st = fake_cluster.store.get("rollouts", "shop", "checkout")["status"]
    assert (st["currentStepIndex"], st["controllerPause"], "pauseConditions" in st) == (4, False, False)


@pytest.mark.asyncio
async def test_promote_skips_a_running_step(fake_cluster, live, act):
    scenes.argo_canary(fake_cluster.store, step=3, status={"phase": "Progressing"})
    await wait_release(live, CONTEXT, "checkout", lambda r: r.step == 3)
    await act(ActionKind.STEP_UP, "checkout")
    [patch] = only_writes(fake_cluster)
    assert patch.content_type == JSON_PATCH and patch.json[1:] == [
        {"op": "test", "path": "/status/currentStepIndex", "value": 3},
        {"op": "add", "path": "/status/currentStepIndex", "value": 4},
    ]


@pytest.mark.asyncio
async def test_promote_on_a_manual_pause_resumes_and_advances(fake_cluster, live, act):
    """The CLI's quirk: branch (c) fires *and* the spec unpause; the plan says so."""
    scenes.argo_canary(fake_cluster.store, step=2, paused=True, status={"phase": "Paused"})
    await wait_release(live, CONTEXT, "checkout", lambda r: r.paused and r.step == 2)
    outcome = await act(ActionKind.STEP_UP, "checkout")
    assert "end the manual pause and skip step 2/5 → 3/5" in outcome.message
    status_patch, spec_patch = only_writes(fake_cluster)
    assert status_patch.path == STATUS and status_patch.json[-1] == {"op": "add", "path": "/status/currentStepIndex", "value": 3}
    assert (spec_patch.path, spec_patch.content_type) == (MAIN, MERGE)
    # guarded by the RV the status write returned, not the stale one
    assert spec_patch.json["spec"] == {"paused": False}
    assert spec_patch.json["metadata"]["resourceVersion"] != status_patch.json[0]["value"]
    assert spec_patch.status == 200


@pytest.mark.asyncio
async def test_resume_only_unpauses(fake_cluster, live, act):
    scenes.argo_canary(fake_cluster.store, step=2, paused=True, status={"phase": "Paused"})
    await wait_release(live, CONTEXT, "checkout", lambda r: r.paused)
    await act(ActionKind.RESUME, "checkout")
    [patch] = only_writes(fake_cluster)
    assert (patch.path, patch.content_type) == (MAIN, MERGE) and patch.json["spec"] == {"paused": False}


@pytest.mark.asyncio
async def test_pause_is_a_spec_edit(fake_cluster, live, act):
    scenes.argo_canary(fake_cluster.store, step=3, status={"phase": "Progressing"})
    await wait_release(live, CONTEXT, "checkout")
    await act(ActionKind.PAUSE, "checkout")
    [patch] = only_writes(fake_cluster)
    assert (patch.path, patch.content_type) == (MAIN, MERGE) and patch.json["spec"] == {"paused": True}
    assert fake_cluster.store.get("rollouts", "shop", "checkout")["spec"]["paused"] is True


@pytest.mark.asyncio
async def test_promote_full_abort_and_retry_write_status(fake_cluster, live, act):
    scenes.argo_canary(fake_cluster.store, step=3, status={"phase": "Progressing"})
    await wait_release(live, CONTEXT, "checkout")
    await act(ActionKind.ABORT, "checkout")
    await wait_release(live, CONTEXT, "checkout", lambda r: r.aborted)
    await act(ActionKind.RETRY, "checkout")
    await wait_release(live, CONTEXT, "checkout", lambda r: not r.aborted)
    await act(ActionKind.PROMOTE, "checkout")
    bodies = [(p.path, p.content_type, {k: v for k, v in p.json.items() if k != "metadata"}) for p in only_writes(fake_cluster)]
    assert bodies == [
        (STATUS, MERGE, {"status": {"abort": True}}),
        (STATUS, MERGE, {"status": {"abort": False}}),
        (STATUS, MERGE, {"status": {"promoteFull": True}}),
    ]


@pytest.mark.asyncio
async def test_promote_is_refused_while_aborted(fake_cluster, live, act):
    scenes.argo_canary(fake_cluster.store, step=3, status={"abort": True, "phase": "Degraded"})
    await wait_release(live, CONTEXT, "checkout", lambda r: r.aborted)
    await in_sync(live, fake_cluster)
    plan = act.operator.plan(Action(ActionKind.STEP_UP, ReleaseRef(CONTEXT, "checkout")))
    assert not plan.ok and "aborted: retry first, or undo" in plan.refusal


@pytest.mark.asyncio
async def test_undo_sends_the_previous_template_without_its_hash(fake_cluster, live, act):
    scenes.argo_canary(fake_cluster.store, step=3, status={"phase": "Progressing"})
    await wait_release(live, CONTEXT, "checkout", lambda r: r.revisions == (1, 2))
    fake_cluster.clear_requests()
    await act(ActionKind.UNDO, "checkout")
    # Watches re-arm in the background (a relist or a new watch can land here): look at the verb's reads.
    reads = [r for r in fake_cluster.requests if r.method == "GET" and r.param("watch") is None]
    assert any(r.path == MAIN for r in reads)  # fresh GET, as the CLI does
    listing = next(r for r in reads if r.path.endswith("/replicasets") and r.param("labelSelector"))
    assert listing.param("labelSelector") == "app=checkout"
    [patch] = only_writes(fake_cluster)
    assert (patch.path, patch.content_type) == (MAIN, JSON_PATCH)
    assert patch.json[0]["op"] == "test" and patch.json[0]["path"] == "/metadata/resourceVersion"
    replace = patch.json[1]
    assert replace["op"] == "replace" and replace["path"] == "/spec/template"
    assert replace["value"]["metadata"]["labels"] == {"app": "checkout"}  # rollouts-pod-template-hash stripped
    assert replace["value"]["spec"]["containers"][0]["image"] == "registry.local/checkout:v1"


@pytest.mark.asyncio
async def test_blue_green_switch_is_argo_promote(fake_cluster, live, act):
    scenes.argo_blue_green(fake_cluster.store)
    await wait_release(live, CONTEXT, "search", lambda r: r.preview_slot == "preview")
    await act(ActionKind.SWITCH_SLOT, "search")
    [patch] = only_writes(fake_cluster)
    assert patch.path.endswith("/rollouts/search/status") and patch.json["status"] == {"pauseConditions": None}


@pytest.mark.asyncio
@pytest.mark.fakekube(ClusterSpec("test", rollout_status_subresource=False))
async def test_old_controllers_without_status_subresource_get_the_unified_patch(fake_clusters, tmp_path):
    """Rollouts before v0.10: /status is 404, the CLI falls back to the main resource."""
    cluster = fake_clusters["kind-test"]
    scenes.argo_canary(cluster.store, step=3, status={"phase": "Progressing"})
    async with running_backend(cluster.kubeconfig_path, context=CONTEXT, key_dir=tmp_path / "keys") as backend:
        await in_sync(backend, cluster)
        operator = Operator(backend, AuditLog(None, lambda: 0.0))
        outcome = await operator.execute(operator.plan(Action(ActionKind.ABORT, ReleaseRef(CONTEXT, "checkout"))), actor="alice")
        assert outcome.ok, outcome.message
        status_try, main = writes(cluster)
        assert (status_try.path, status_try.status) == (STATUS, 404)
        assert (main.path, main.status, main.json["status"]) == (MAIN, 200, {"abort": True})
        await wait_until(lambda: cluster.store.get("rollouts", "shop", "checkout")["status"].get("abort"), "the abort on the Rollout")
