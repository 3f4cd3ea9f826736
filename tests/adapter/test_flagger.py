"""Flagger: the console's verbs answer Flagger's gate webhooks (served by the backend on 127.0.0.1),
once per decision, with the approving operator in the audit log; suspend/resume and retry are writes."""

from __future__ import annotations

import aiohttp
import pytest

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.model import Gate, ReleaseRef, Wait
from rolldeck.engine.port import DryRunKind, DryRunner
from tests.adapter import scenes
from tests.adapter.conftest import CONTEXT, writes
from tests.adapter.helpers import in_sync, wait_release


async def flagger_calls(live, gate: str, name: str = "podinfo") -> tuple[int, str]:
    """What Flagger does every interval: POST its payload to the webhook URL."""
    url = live.gate_url(CONTEXT, gate)
    payload = {"name": name, "namespace": "shop", "phase": "WaitingPromotion", "checksum": "abc", "metadata": {}}
    async with aiohttp.ClientSession() as session, session.post(url, json=payload) as response:
        return response.status, await response.text()


def synced(release) -> bool:
    """The Canary and both its Deployments are in the cache (the Canary alone may arrive first)."""
    return all(v.replicas.desired > 0 for v in release.versions)


def seed(live, cluster, **options):
    base = f"http://127.0.0.1:{live.gates.port}"
    return scenes.flagger_canary(cluster.store, base=base, cluster=CONTEXT, **options)


@pytest.mark.asyncio
async def test_promote_opens_confirm_promotion_once(fake_cluster, live, act, tmp_path):
    seed(live, fake_cluster)
    await wait_release(live, CONTEXT, "podinfo", lambda r: r.wait == Wait.at_gate(Gate.CONFIRM_PROMOTION) and synced(r))
    status, text = await flagger_calls(live, "confirm-promotion")
    assert status == 403 and "waits for an operator" in text
    outcome = await act(ActionKind.PROMOTE, "podinfo")
    assert outcome.record.reason.startswith("approve promotion: gate confirm-promotion open once for shop/podinfo (approved by alice)")
    assert writes(fake_cluster) == []  # a gate answer is not an API write
    status, text = await flagger_calls(live, "confirm-promotion")
    assert status == 200 and '"approved_by": "alice"' in text
    status, _ = await flagger_calls(live, "confirm-promotion")
    assert status == 403  # closed again after one use (flagger#1017)
    # one audit path: the operator's approval and Flagger's use of it, in the operator's own log
    records = AuditLog.read(tmp_path / "audit.jsonl")
    assert [(r["actor"], r["action"], r["result"]) for r in records] == [("alice", "promote", "applied"), ("alice", "gate:confirm-promotion", "applied")]
    assert records[1]["release"] == f"{CONTEXT}/podinfo" and "approved by alice" in records[1]["diff"]
    assert [r.action for r in act.operator.audit.recent()] == ["promote", "gate:confirm-promotion"]


@pytest.mark.asyncio
async def test_abort_answers_the_rollback_webhook(fake_cluster, live, act):
    seed(live, fake_cluster, phase="Progressing", weight=20)
    await wait_release(live, CONTEXT, "podinfo", synced)
    assert (await flagger_calls(live, "rollback"))[0] == 403  # no rollback requested: keep going
    await act(ActionKind.ABORT, "podinfo")
    assert (await flagger_calls(live, "rollback"))[0] == 200  # 2xx triggers Flagger's rollback
    assert (await flagger_calls(live, "rollback"))[0] == 403


@pytest.mark.asyncio
async def test_step_up_approves_one_traffic_increase(fake_cluster, live, act):
    seed(live, fake_cluster, phase="Progressing", weight=20)
    await wait_release(live, CONTEXT, "podinfo", synced)
    assert (await flagger_calls(live, "confirm-traffic-increase"))[0] == 403
    await wait_release(live, CONTEXT, "podinfo", lambda r: r.wait == Wait.at_gate(Gate.CONFIRM_TRAFFIC_INCREASE))
    outcome = await act(ActionKind.STEP_UP, "podinfo")
    assert "approve the next traffic increase (canary 20%, step 2/5)" in outcome.message
    assert (await flagger_calls(live, "confirm-traffic-increase"))[0] == 200


@pytest.mark.asyncio
async def test_resume_a_waiting_canary_confirms_the_rollout(fake_cluster, live, act):
    seed(live, fake_cluster, phase="Waiting", weight=0)
    await wait_release(live, CONTEXT, "podinfo", lambda r: r.wait == Wait.at_gate(Gate.CONFIRM_ROLLOUT) and synced(r))
    await act(ActionKind.RESUME, "podinfo")
    assert (await flagger_calls(live, "confirm-rollout"))[0] == 200


@pytest.mark.asyncio
async def test_pause_resume_suspend_and_retry_are_writes(fake_cluster, live, act):
    seed(live, fake_cluster, phase="Progressing", weight=20)
    await wait_release(live, CONTEXT, "podinfo", synced)
    await act(ActionKind.PAUSE, "podinfo")
    await wait_release(live, CONTEXT, "podinfo", lambda r: r.paused)
    await act(ActionKind.RESUME, "podinfo")
    fake_cluster.store.modify("canaries", "shop", "podinfo", lambda c: c["status"].update(phase="Failed", canaryWeight=0))
    await wait_release(live, CONTEXT, "podinfo", lambda r: r.aborted)
    await act(ActionKind.RETRY, "podinfo")
    suspend, unsuspend, retry = writes(fake_cluster)
    assert (suspend.path, suspend.content_type) == ("/apis/flagger.app/v1beta1/namespaces/shop/canaries/podinfo", "application/merge-patch+json")
    assert suspend.json["spec"] == {"suspend": True} and unsuspend.json["spec"] == {"suspend": False}
    assert retry.path == "/apis/apps/v1/namespaces/shop/deployments/podinfo"
    assert retry.content_type == "application/strategic-merge-patch+json"
    assert "rolldeck.io/retry-at" in retry.json["spec"]["template"]["metadata"]["annotations"]


@pytest.mark.asyncio
async def test_a_canary_without_our_gates_refuses_promote_with_the_reason(fake_cluster, live, act):
    seed(live, fake_cluster, gates=())
    await wait_release(live, CONTEXT, "podinfo", synced)
    await in_sync(live, fake_cluster)
    plan = act.operator.plan(Action(ActionKind.PROMOTE, ReleaseRef(CONTEXT, "podinfo")))
    assert not plan.ok and "no confirm-promotion webhook pointing at rolldeck" in plan.refusal


@pytest.mark.asyncio
async def test_dry_run_of_a_gate_says_no_api_request(fake_cluster, live, act):
    seed(live, fake_cluster)
    await wait_release(live, CONTEXT, "podinfo", synced)
    await in_sync(live, fake_cluster)
    answer = await live.dry_run(act.operator.plan(Action(ActionKind.PROMOTE, ReleaseRef(CONTEXT, "podinfo"))))
    assert isinstance(live, DryRunner) and [line.kind for line in answer.lines] == [DryRunKind.NO_REQUEST] and answer.complete
    preview = answer.text
    assert preview == f"no API request: opens Flagger gate confirm-promotion for shop/podinfo, used once at Flagger's next call to {live.gate_url(CONTEXT, 'confirm-promotion')}"


@pytest.mark.asyncio
async def test_the_gate_key_is_whatever_the_canarys_webhook_url_says(fake_cluster, live, act):
    """A Canary configured with /prod/rolldeck/gate/… (not the context name) still gets its answer."""
    scenes.flagger_canary(fake_cluster.store, base=f"http://127.0.0.1:{live.gates.port}", cluster="prod")
    await in_sync(live, fake_cluster)
    await act(ActionKind.PROMOTE, "podinfo")
    url = live.gate_url("prod", "confirm-promotion")
    async with aiohttp.ClientSession() as session, session.post(url, json={"name": "podinfo", "namespace": "shop"}) as response:
        assert response.status == 200
