"""Store semantics without HTTP: the RV counter, generation, event log, threaded use."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.request

import pytest

from tests.waiting import HANG_GUARD_S
from tests.fakekube import ClusterSpec, FakeCluster
from tests.fakekube import objects as ko
from tests.fakekube.errors import ApiError


def test_put_assigns_identity_and_bumps_generation_only_for_spec() -> None:
    store = FakeCluster("s").store
    first = store.put(ko.rollout("web", "prod"))
    meta = first["metadata"]
    assert meta["generation"] == 1 and meta["uid"] and int(meta["resourceVersion"]) == store.rv
    status_only = store.modify("Rollout", "prod", "web", lambda r: r["status"].update(phase="Paused"))
    assert status_only["metadata"]["generation"] == 1
    assert status_only["metadata"]["uid"] == meta["uid"]
    spec = store.modify("Rollout", "prod", "web", lambda r: r["spec"].update(paused=True))
    assert spec["metadata"]["generation"] == 2
    ar = store.put(ko.analysis_run("ar", "prod"))  # no status subresource: status counts as spec
    assert store.modify("AnalysisRun", "prod", "ar", lambda a: a["status"].update(phase="Failed"))["metadata"]["generation"] == 2
    del ar
    assert [e.type for e in store.events()][-4:] == ["MODIFIED", "MODIFIED", "ADDED", "MODIFIED"]


def test_lookup_by_any_name_and_missing_objects() -> None:
    store = FakeCluster("s").store
    store.put(ko.virtual_service("vs", "prod"))
    for name in ("VirtualService", "virtualservices", "vs", "virtualservices.networking.istio.io"):
        assert store.get(name, "prod", "vs")["metadata"]["name"] == "vs"
    with pytest.raises(ApiError) as err:
        store.get("vs", "prod", "nope")
    assert err.value.code == 404
    assert store.find("vs", "prod", "nope") is None
    assert [n["metadata"]["name"] for n in store.list("Namespace")] == ["default", "kube-system"]


def test_put_falls_back_to_a_served_version_and_refuses_unserved_kinds() -> None:
    store = FakeCluster(ClusterSpec("us", crds={"istio-v1beta1"})).store
    stored = store.put(ko.virtual_service("vs", "prod"))  # the builder says networking.istio.io/v1
    assert stored["metadata"]["name"] == "vs"
    with pytest.raises(KeyError, match="serves no Rollout"):
        store.put(ko.rollout("web", "prod"))


def test_threaded_cluster_for_synchronous_code() -> None:
    with FakeCluster(ClusterSpec("sync", objects=[ko.deployment("web", "prod")])).in_thread() as cluster:
        request = urllib.request.Request(cluster.url + "/apis/apps/v1/namespaces/prod/deployments",
                                         headers={"Authorization": f"Bearer {cluster.token}"})
        with urllib.request.urlopen(request, timeout=HANG_GUARD_S) as resp:  # noqa: S310 (loopback only)
            body = json.load(resp)
        assert [i["metadata"]["name"] for i in body["items"]] == ["web"]
        # A write from this thread reaches a watch served on the server's thread.
        url = cluster.url + f"/apis/apps/v1/namespaces/prod/deployments?watch=1&timeoutSeconds=3&resourceVersion={cluster.store.rv}"
        lines: list[bytes] = []

        def watch() -> None:
            req = urllib.request.Request(url, headers={"Authorization": f"Bearer {cluster.token}"})
            with urllib.request.urlopen(req, timeout=HANG_GUARD_S) as resp:  # noqa: S310
                lines.append(resp.readline())

        thread = threading.Thread(target=watch)
        thread.start()
        for _ in range(200):
            if cluster.open_watches:
                break
            threading.Event().wait(0.02)
        cluster.store.modify("Deployment", "prod", "web", lambda d: d["spec"].update(replicas=1))
        thread.join(5)
        assert json.loads(lines[0])["type"] == "MODIFIED"


@pytest.mark.asyncio
async def test_many_events_keep_commit_order(fake_cluster: FakeCluster) -> None:
    store = fake_cluster.store
    rt = store.registry.find("services")
    watcher, _ = store.open_watch(rt, "prod", lambda o: True, lambda o: True, str(store.rv),
                                  asyncio.get_running_loop())
    try:
        for i in range(50):
            store.put(ko.service(f"s{i}", "prod"))
        rvs = []
        for _ in range(50):
            event = await asyncio.wait_for(watcher.queue.get(), HANG_GUARD_S)
            rvs.append(event.rv)
        assert rvs == sorted(rvs) and len(set(rvs)) == 50
    finally:
        store.close_watch(watcher)
