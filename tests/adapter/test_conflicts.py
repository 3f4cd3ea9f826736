"""Conflicts: a 409 (stale resourceVersion in a merge patch) or 422 (failed JSON-patch ``test``) makes
the backend re-read and re-plan. An unrelated edit → the write is retried with the new RV; an edit
to what the plan was about → refused with one line. Never a blind overwrite."""

from __future__ import annotations

import time

import pytest

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.model import ReleaseRef
from rolldeck.engine.operator import Operator
from tests.adapter import scenes
from tests.adapter.conftest import CONTEXT, writes
from tests.adapter.helpers import in_sync, wait_release

VS_PATH = r"/virtualservices/cart(\?|$)"


def concurrent_edit(cluster, path, kind, name, mutate, times=1):
    """A colleague (or controller) writes the object just before our PATCH reaches the server."""

    async def handler(request):
        cluster.store.modify(kind, "shop", name, mutate)
        return None  # then our request is handled normally, with its now stale precondition

    return cluster.faults.add(method="PATCH", path=path, handler=handler, times=times)


async def execute(live, kind, name, **options):
    await in_sync(live, live.fake)
    operator = Operator(live, AuditLog(None, time.time))
    plan = operator.plan(Action(kind, ReleaseRef(CONTEXT, name), **options))
    assert plan.ok, plan.refusal
    return await operator.execute(plan, actor="alice")


@pytest.mark.asyncio
async def test_unrelated_edit_is_retried_with_the_new_rv(fake_cluster, live):
    scenes.vs_canary(fake_cluster.store, weight=10)
    await wait_release(live, CONTEXT, "cart")
    concurrent_edit(fake_cluster, VS_PATH, "virtualservices", "cart", lambda o: o["metadata"].setdefault("labels", {}).update(team="cart"))
    outcome = await execute(live, ActionKind.SET_WEIGHT, "cart", weight=30)
    assert outcome.ok, outcome.message
    first, second = writes(fake_cluster)
    assert first.status == 422 and second.status == 200
    assert first.json[0]["value"] != second.json[0]["value"]  # re-read: guarded by the new RV
    vs = fake_cluster.store.get("virtualservices", "shop", "cart")
    assert [d["weight"] for d in vs["spec"]["http"][0]["route"]] == [70, 30] and vs["metadata"]["labels"] == {"team": "cart"}


@pytest.mark.asyncio
async def test_a_colleagues_weight_change_refuses_the_plan(fake_cluster, live):
    scenes.vs_canary(fake_cluster.store, weight=10)
    await wait_release(live, CONTEXT, "cart")

    def colleague(vs):
        vs["spec"]["http"][0]["route"][0]["weight"], vs["spec"]["http"][0]["route"][1]["weight"] = 50, 50

    concurrent_edit(fake_cluster, VS_PATH, "virtualservices", "cart", colleague)
    outcome = await execute(live, ActionKind.SET_WEIGHT, "cart", weight=30)
    assert not outcome.ok and outcome.record.result == "failed"
    assert outcome.message == "failed: route cart changed since the plan: now cart-stable 50% / cart-canary 50%; review the plan again"
    assert [w.status for w in writes(fake_cluster)] == [422]  # one rejected attempt, no second write
    assert [d["weight"] for d in fake_cluster.store.get("virtualservices", "shop", "cart")["spec"]["http"][0]["route"]] == [50, 50]


@pytest.mark.asyncio
async def test_a_selector_flipped_meanwhile_is_not_flipped_back(fake_cluster, live):
    scenes.blue_green_service(fake_cluster.store)
    await wait_release(live, CONTEXT, "web")
    concurrent_edit(fake_cluster, r"/services/web(\?|$)", "services", "web", lambda s: s["spec"]["selector"].update(slot="green"))
    outcome = await execute(live, ActionKind.SWITCH_SLOT, "web")
    assert not outcome.ok and "now selects slot=green (the plan saw blue)" in outcome.message


@pytest.mark.asyncio
async def test_a_controller_step_meanwhile_refuses_a_stale_promote(fake_cluster, live):
    scenes.argo_canary(fake_cluster.store, step=3, status={"phase": "Progressing"})
    await wait_release(live, CONTEXT, "checkout", lambda r: r.step == 3)
    concurrent_edit(fake_cluster, r"/rollouts/checkout/status(\?|$)", "rollouts", "checkout", lambda r: r["status"].update(currentStepIndex=4))
    outcome = await execute(live, ActionKind.STEP_UP, "checkout")
    assert not outcome.ok and "rollout moved to step 4 (the plan was made at step 3)" in outcome.message
    assert fake_cluster.store.get("rollouts", "shop", "checkout")["status"]["currentStepIndex"] == 4  # not 5


@pytest.mark.asyncio
async def test_merge_patch_409_is_retried(fake_cluster, live):
    scenes.argo_canary(fake_cluster.store, step=3, status={"phase": "Progressing"})
    await wait_release(live, CONTEXT, "checkout")
    concurrent_edit(fake_cluster, r"/rollouts/checkout/status(\?|$)", "rollouts", "checkout", lambda r: r["status"].update(readyReplicas=5))
    outcome = await execute(live, ActionKind.ABORT, "checkout")
    assert outcome.ok, outcome.message
    assert [w.status for w in writes(fake_cluster)] == [409, 200]


@pytest.mark.asyncio
async def test_endless_conflicts_give_up_with_one_line(fake_cluster, live):
    scenes.vs_canary(fake_cluster.store, weight=10)
    await wait_release(live, CONTEXT, "cart")
    concurrent_edit(fake_cluster, VS_PATH, "virtualservices", "cart", lambda o: o["metadata"].setdefault("labels", {}).update(n=str(time.monotonic())), times=None)
    outcome = await execute(live, ActionKind.SET_WEIGHT, "cart", weight=30)
    assert not outcome.ok and "still conflicting after 3 tries" in outcome.message and "\n" not in outcome.message
    assert [w.status for w in writes(fake_cluster)] == [422, 422, 422]
