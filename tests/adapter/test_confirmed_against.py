"""A confirmed plan carries what the operator saw; a world that moved since is refused, not overwritten.

Measured before the typed changes: a colleague's ``kubectl`` edit 25 % → 40 % that reached the watch
cache while the confirm modal was open was overwritten by the confirmed "25 % → 50 %" (re-planning
STEP_UP from 40 % gives the same target). Here the edit is a real kubectl JSON patch against the fake
API server, and the plan is executed only once the cache shows it.
"""

from __future__ import annotations

import json
import time

import pytest

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.kube.mapping.routes import mirror_percent
from rolldeck.engine.model import Mirror, ReleaseRef
from rolldeck.engine.operator import Operator
from tests.adapter import scenes
from tests.adapter.conftest import CONTEXT, writes
from tests.adapter.helpers import in_sync, running_backend, wait_release
from tests.fakekube import ClusterSpec
from tests.fakekube.kubectl import require_kubectl, run_kubectl


@pytest.mark.asyncio
@pytest.mark.fakekube(ClusterSpec("kc", tls=True))  # kubectl sends its token over TLS only
async def test_a_kubectl_edit_that_reached_the_cache_refuses_the_confirmed_plan(fake_clusters, tmp_path):
    require_kubectl()
    cluster = fake_clusters["kind-kc"]
    cart = ReleaseRef("kind-kc", "cart")
    scenes.vs_canary(cluster.store, weight=25)
    async with running_backend(cluster.kubeconfig_path, context="kind-kc", key_dir=tmp_path / "keys") as live:
        await wait_release(live, "kind-kc", "cart", lambda r: r.desired.weight("cart-canary") == 25)
        await in_sync(live, cluster, "kind-kc")
        operator = Operator(live, AuditLog(tmp_path / "audit.jsonl", time.time))
        shown = operator.plan(Action(ActionKind.STEP_UP, cart))
        assert shown.ok and shown.diff.startswith("cart-canary 25% → 50%")

        # A colleague, while the confirm modal is open:
        edit = [
            {"op": "replace", "path": "/spec/http/0/route/0/weight", "value": 60},
            {"op": "replace", "path": "/spec/http/0/route/1/weight", "value": 40},
        ]
        result = await run_kubectl(
            cluster.kubeconfig_path, "-n", "shop", "patch", "virtualservice", "cart", "--type=json", "-p", json.dumps(edit),
            home=tmp_path / "home",
        )
        assert result.ok, result
        await wait_release(live, "kind-kc", "cart", lambda r: r.desired.weight("cart-canary") == 40)
        assert operator.plan(Action(ActionKind.STEP_UP, cart)).change.weights == shown.change.weights  # re-planning alone is blind
        before = len(writes(cluster))

        outcome = await operator.execute(shown, actor="alice")

    reason = "cart changed since you looked: cart-canary now 40% (you saw 25%); review the new plan"
    assert not outcome.ok and outcome.message == f"refused: {reason}"
    assert writes(cluster)[before:] == []  # nothing written after the colleague's patch
    route = cluster.store.get("virtualservices", "shop", "cart")["spec"]["http"][0]["route"]
    assert [d["weight"] for d in route] == [60, 40]
    (record,) = AuditLog.read(tmp_path / "audit.jsonl")
    assert (record["actor"], record["action"], record["result"], record["reason"]) == ("alice", "step-up", "refused", reason)


@pytest.mark.asyncio
async def test_a_stale_switch_is_refused_before_any_write(fake_cluster, live, tmp_path):
    scenes.blue_green_service(fake_cluster.store)
    await wait_release(live, CONTEXT, "web", lambda r: r.active_slot == "blue")
    await in_sync(live, fake_cluster)
    operator = Operator(live, AuditLog(None, time.time))
    shown = operator.plan(Action(ActionKind.SWITCH_SLOT, ReleaseRef(CONTEXT, "web")))
    assert shown.ok
    fake_cluster.store.modify("services", "shop", "web", lambda s: s["spec"]["selector"].update(slot="green"))
    await wait_release(live, CONTEXT, "web", lambda r: r.active_slot == "green")
    outcome = await operator.execute(shown, actor="alice")
    assert outcome.message == "refused: web changed since you looked: active slot now green (you saw blue); review the new plan"
    assert writes(fake_cluster) == []


@pytest.mark.parametrize(
    ("rule", "percent"),
    [
        ({"mirror": {"host": "c"}, "mirrorPercentage": {"value": 0.5}}, 0.5),  # a double: 0.5 is not 0
        ({"mirror": {"host": "c"}, "mirrorPercentage": {"value": 12}}, 12.0),
        ({"mirror": {"host": "c"}, "mirrorPercent": 30}, 30.0),  # deprecated integer field
        ({"mirror": {"host": "c"}, "mirror_percent": 7}, 7.0),  # its proto spelling
        ({"mirror": {"host": "c"}}, 100.0),  # Istio mirrors everything when no percentage is set
    ],
)
def test_mirror_percentage_reads_as_a_float(rule, percent):
    assert mirror_percent(rule) == percent


@pytest.mark.asyncio
async def test_half_a_percent_mirror_is_written_and_read_back(fake_cluster, live, act):
    scenes.vs_canary(fake_cluster.store, weight=0)
    await wait_release(live, CONTEXT, "cart")
    await act(ActionKind.SET_MIRROR, "cart", percent=0.5)
    rule = fake_cluster.store.get("virtualservices", "shop", "cart")["spec"]["http"][0]
    assert rule["mirrorPercentage"] == {"value": 0.5} and rule["mirror"]["host"] == "cart-canary"
    mirrored = await wait_release(live, CONTEXT, "cart", lambda r: r.mirror is not None)
    assert mirrored.mirror == Mirror("cart-canary", 0.5)
