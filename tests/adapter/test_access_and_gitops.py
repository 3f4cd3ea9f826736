"""SelfSubjectAccessReview decides which verbs the planner offers (with the reason), Argo CD's
self-heal is a warning on the plan, and live signals feed the observed split."""

from __future__ import annotations

import time

import pytest
import yaml

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.model import ReleaseRef, Signals
from rolldeck.engine.operator import Operator
from rolldeck.engine.plans import plan_action
from rolldeck.engine.kube.signals import StaticSignals
from tests.adapter import scenes
from tests.adapter.conftest import CONTEXT
from tests.adapter.helpers import in_sync, running_backend, wait_release
from tests.fakekube import Allow, ClusterSpec
from tests.fakekube import objects as ko

PROMOTER = ClusterSpec("test", tokens={"promoter": ("bob", [Allow("get,list,watch"), Allow("patch", "rollouts/status", namespace="shop")])})


@pytest.mark.asyncio
@pytest.mark.fakekube(PROMOTER)
async def test_rbac_dims_what_the_user_may_not_do_with_the_reason(fake_clusters, tmp_path):
    cluster = fake_clusters["kind-test"]
    document = cluster.kubeconfig_dict()
    document["users"][0]["user"]["token"] = "promoter"
    path = tmp_path / "bob.yaml"
    path.write_text(yaml.safe_dump(document))
    scenes.argo_canary(cluster.store, step=3, status={"phase": "Progressing"})
    async with running_backend(path, CONTEXT, key_dir=tmp_path / "k") as backend:
        ref = ReleaseRef(CONTEXT, "checkout")
        await in_sync(backend, cluster)
        await wait_release(backend, CONTEXT, "checkout", lambda r: "pause" in dict(r.denied))
        allowed = backend.allowed_actions(ref)
        assert allowed["abort"] == allowed["step-up"] == allowed["promote"] == ""
        assert allowed["pause"] == "RBAC: you may not patch rollouts.argoproj.io in shop"
        assert allowed["undo"].startswith("RBAC: you may not patch rollouts.argoproj.io")
        refused = plan_action(backend.snapshot(), Action(ActionKind.PAUSE, ref))
        assert refused.refusal == "cannot pause kind-test/checkout: RBAC: you may not patch rollouts.argoproj.io in shop"
        reviews = [r.json["spec"]["resourceAttributes"] for r in cluster.requests if r.path.endswith("selfsubjectaccessreviews")]
        assert {"verb": "patch", "group": "argoproj.io", "resource": "rollouts", "subresource": "status", "namespace": "shop"} in reviews
        # what SSAR allows still works, as bob
        operator = Operator(backend, AuditLog(None, time.time))
        outcome = await operator.execute(operator.plan(Action(ActionKind.ABORT, ref)), actor="bob")
        assert outcome.ok, outcome.message
        assert cluster.requests.writes()[-1].user == "bob"


@pytest.mark.asyncio
async def test_a_403_on_write_is_one_line(fake_cluster, live, act):
    scenes.argo_canary(fake_cluster.store, step=3, status={"phase": "Progressing"})
    await wait_release(live, CONTEXT, "checkout")
    fake_cluster.faults.add(method="PATCH", status=403, body={"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden", "code": 403,
                                                            "message": 'rollouts.argoproj.io "checkout" is forbidden: User "x" cannot patch resource "rollouts/status"'})
    outcome = await act(ActionKind.ABORT, "checkout", expect_ok=False)
    assert outcome.message == 'failed: Rollout shop/checkout: 403 Forbidden: rollouts.argoproj.io "checkout" is forbidden: User "x" cannot patch resource "rollouts/status"'


@pytest.mark.asyncio
async def test_argo_cd_self_heal_warns_before_spec_edits_only(fake_cluster, live):
    ro = scenes.argo_canary(fake_cluster.store, step=3, status={"phase": "Progressing"})
    fake_cluster.store.modify("rollouts", "shop", "checkout", lambda r: r["metadata"]["labels"].update({"app.kubernetes.io/instance": "checkout"}))
    fake_cluster.store.put(ko.application("checkout", sync="Synced", health="Progressing", self_heal=True, dest_namespace="shop"))
    release = await wait_release(live, CONTEXT, "checkout", lambda r: r.gitops is not None)
    assert (release.gitops.app, release.gitops.sync, release.gitops.health, release.gitops.self_heal) == ("checkout", "Synced", "Progressing", True)
    ref = ReleaseRef(CONTEXT, "checkout")
    await in_sync(live, fake_cluster)
    pause = plan_action(live.snapshot(), Action(ActionKind.PAUSE, ref))
    assert pause.ok and pause.warnings == ("Argo CD app checkout self-heals: it will revert this edit",)
    assert pause.diff.endswith("⚠ Argo CD app checkout self-heals: it will revert this edit")
    abort = plan_action(live.snapshot(), Action(ActionKind.ABORT, ref))
    assert abort.warnings == ()  # a status-subresource verb is not drift
    assert ro is not None


@pytest.mark.asyncio
async def test_signals_source_feeds_versions_and_observed_split(fake_cluster, tmp_path):
    scenes.vs_canary(fake_cluster.store, weight=10)
    source = StaticSignals()
    source.set(f"{CONTEXT}/cart", {"cart-stable": Signals(window_s=60, requests=900, errors=1), "cart-canary": Signals(window_s=60, requests=100, errors=5)})
    async with running_backend(fake_cluster.kubeconfig_path, CONTEXT, key_dir=tmp_path / "k", signals=source) as backend:
        release = await wait_release(backend, CONTEXT, "cart", lambda r: r.candidate.signals.requests == 100)
        assert release.observed.as_dict() == {"cart-stable": 90, "cart-canary": 10} and release.candidate.signals.errors == 5
        source.set(f"{CONTEXT}/cart", "prometheus: query timed out")
        release = await wait_release(backend, CONTEXT, "cart", lambda r: r.metrics_error != "")
        assert release.metrics_error == "prometheus: query timed out"
