"""The server's behaviour over real HTTP, one test per spec row (fake-apiserver-spec.md §1–3)."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from tests.fakekube import Allow, ClusterSpec, FakeCluster, FakeFleet
from tests.fakekube import objects as ko
from tests.fakekube.rawclient import RawClient
from tests.waiting import HANG_GUARD_S, ManualClock, wait_until

pytestmark = pytest.mark.asyncio

DEPLOYMENTS = "/apis/apps/v1/namespaces/prod/deployments"
ROLLOUTS = "/apis/argoproj.io/v1alpha1/namespaces/prod/rollouts"
VS_V1 = "/apis/networking.istio.io/v1/namespaces/prod/virtualservices"
MERGE, JSONP, SMP = ("application/merge-patch+json", "application/json-patch+json",
                     "application/strategic-merge-patch+json")


# ---- version and discovery ----------------------------------------------------------------------

async def test_version_and_discovery(fake_cluster: FakeCluster) -> None:
    async with RawClient(fake_cluster) as api:
        assert (await api.get("/version/"))[1]["gitVersion"] == "v1.33.1"
        assert (await api.get("/api"))[1]["versions"] == ["v1"]
        _, groups = await api.get("/apis")
        names = [g["name"] for g in groups["groups"]]
        assert names[:2] == ["apps", "authorization.k8s.io"]
        istio = next(g for g in groups["groups"] if g["name"] == "networking.istio.io")
        assert [v["version"] for v in istio["versions"]] == ["v1", "v1beta1", "v1alpha3"]
        _, apps = await api.get("/apis/apps/v1/")
        by_name = {r["name"]: r for r in apps["resources"]}
        assert by_name["deployments"]["shortNames"] == ["deploy"]
        assert by_name["deployments/scale"]["kind"] == "Scale" and by_name["deployments/scale"]["group"] == "autoscaling"
        assert "deployments/status" in by_name
        _, argo = await api.get("/apis/argoproj.io/v1alpha1")
        assert {"rollouts", "rollouts/status", "rollouts/scale", "analysisruns", "applications"} <= \
            {r["name"] for r in argo["resources"]}
        assert (await api.get("/apis/argoproj.io"))[1]["preferredVersion"]["version"] == "v1alpha1"
        for missing in ("/openapi/v2", "/openapi/v3", "/apis/nope.example", "/apis/apps/v2",
                        "/apis/apps/v1/widgets"):
            status, body = await api.get(missing)
            assert status == 404 and body["reason"] == "NotFound", missing


async def test_optional_groups_per_instance(start_fake_clusters) -> None:
    fleet: FakeFleet = await start_fake_clusters(
        ClusterSpec("bare", crds=()), ClusterSpec("old", crds={"istio-v1beta1"}, rollout_status_subresource=False,
                                                 git_version="v1.29.4"))
    async with RawClient(fleet["bare"]) as bare, RawClient(fleet["old"]) as old:
        assert [g["name"] for g in (await bare.get("/apis"))[1]["groups"]] == ["apps", "authorization.k8s.io"]
        assert (await bare.get(ROLLOUTS))[0] == 404
        assert (await old.get("/apis/networking.istio.io/v1"))[0] == 404
        assert (await old.get("/apis/networking.istio.io/v1beta1"))[0] == 200
        assert (await old.get("/version"))[1]["minor"] == "29"
    async with FakeCluster(ClusterSpec("ro", crds={"argo-rollouts"}, rollout_status_subresource=False)) as c:
        c.store.put(ko.rollout("web", "prod"))
        async with RawClient(c) as api:
            _, argo = await api.get("/apis/argoproj.io/v1alpha1")
            assert "rollouts/status" not in {r["name"] for r in argo["resources"]}
            assert (await api.patch(f"{ROLLOUTS}/web/status", {"status": {"abort": True}}))[0] == 404
            # Without a status subresource, status is written through the main resource.
            status, body = await api.patch(f"{ROLLOUTS}/web", {"status": {"abort": True}})
            assert status == 200 and body["status"]["abort"] is True


# ---- list ---------------------------------------------------------------------------------------

async def test_list_selectors_and_rv(fake_cluster: FakeCluster) -> None:
    store = fake_cluster.store
    store.seed(ko.deployment("web", "prod"), ko.deployment("api", "prod", labels={"app": "api", "tier": "be"}),
               ko.deployment("web", "staging"))
    async with RawClient(fake_cluster) as api:
        _, body = await api.get(DEPLOYMENTS)
        assert body["kind"] == "DeploymentList" and body["metadata"]["resourceVersion"] == str(store.rv)
        assert [i["metadata"]["name"] for i in body["items"]] == ["api", "web"]
        assert "kind" not in body["items"][0]  # typed lists omit it, like the real server
        _, every = await api.get("/apis/apps/v1/deployments")
        assert [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in every["items"]] == \
            [("prod", "api"), ("prod", "web"), ("staging", "web")]
        _, sel = await api.get("/apis/apps/v1/deployments", labelSelector="app in (api),tier")
        assert [i["metadata"]["name"] for i in sel["items"]] == ["api"]
        _, fld = await api.get("/apis/apps/v1/deployments", fieldSelector="metadata.namespace!=prod")
        assert [i["metadata"]["namespace"] for i in fld["items"]] == ["staging"]
        store.put(ko.rollout("r1", "prod"))
        _, crs = await api.get(ROLLOUTS)
        assert crs["items"][0]["kind"] == "Rollout"  # CR lists keep apiVersion/kind
        status, bad = await api.get(DEPLOYMENTS, labelSelector="app in web")
        assert status == 400 and bad["kind"] == "Status"


async def test_list_pagination_and_expired_continue(fake_cluster: FakeCluster) -> None:
    store = fake_cluster.store
    store.seed(*(ko.service(f"svc-{i}", "prod") for i in range(5)))
    async with RawClient(fake_cluster) as api:
        _, page1 = await api.get("/api/v1/namespaces/prod/services", limit="2")
        rv = page1["metadata"]["resourceVersion"]
        assert page1["metadata"]["remainingItemCount"] == 3
        store.put(ko.service("svc-9", "prod"))  # does not leak into the paged snapshot
        _, page2 = await api.get("/api/v1/namespaces/prod/services", limit="2", **{"continue": page1["metadata"]["continue"]})
        _, page3 = await api.get("/api/v1/namespaces/prod/services", limit="2", **{"continue": page2["metadata"]["continue"]})
        names = [i["metadata"]["name"] for p in (page1, page2, page3) for i in p["items"]]
        assert names == [f"svc-{i}" for i in range(5)]
        assert "continue" not in page3["metadata"] and page3["metadata"]["resourceVersion"] == rv
        _, again = await api.get("/api/v1/namespaces/prod/services", limit="2")
        fake_cluster.compact()
        status, body = await api.get("/api/v1/namespaces/prod/services", limit="2",
                                     **{"continue": again["metadata"]["continue"]})
        assert status == 410 and body["reason"] == "Expired"
        assert body["message"].startswith("The provided continue parameter is too old")


# ---- watch --------------------------------------------------------------------------------------

async def collect(api: RawClient, path: str, n: int, timeout: float = HANG_GUARD_S, **params: str) -> list[dict]:
    events: list[dict] = []
    async for event in api.watch(path, timeout=timeout, **params):
        events.append(event)
        if len(events) == n:
            break
    return events


async def test_watch_initial_replay_and_live(fake_cluster: FakeCluster) -> None:
    store = fake_cluster.store
    store.put(ko.rollout("a", "prod"))
    start_rv = str(store.rv)
    store.put(ko.rollout("b", "prod"))
    store.modify("Rollout", "prod", "a", lambda r: r["status"].update(phase="Paused"))
    async with RawClient(fake_cluster) as api:
        for rv in ("", "0"):
            initial = await collect(api, ROLLOUTS, 2, resourceVersion=rv, timeoutSeconds="1")
            assert [(e["type"], e["object"]["metadata"]["name"]) for e in initial] == [("ADDED", "a"), ("ADDED", "b")]
        replay = await collect(api, ROLLOUTS, 2, resourceVersion=start_rv, timeoutSeconds="1")
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in replay] == [("ADDED", "b"), ("MODIFIED", "a")]

        task = asyncio.create_task(collect(api, ROLLOUTS, 1, resourceVersion=str(store.rv)))
        await wait_for_watches(fake_cluster, 1)
        store.delete("Rollout", "prod", "b")
        live = await task
        assert live[0]["type"] == "DELETED" and live[0]["object"]["metadata"]["resourceVersion"] == str(store.rv)
        assert live[0]["object"]["status"]["phase"] == "Healthy"  # the last state


async def test_watch_accepts_every_bool_spelling_and_times_out(fake_cluster: FakeCluster) -> None:
    clock = fake_cluster.clock = ManualClock()  # the watch ends when the test moves time, not before
    async with RawClient(fake_cluster) as api:
        for spelling in ("1", "true", "True"):
            async with api.session.get(fake_cluster.url + ROLLOUTS,
                                       params={"watch": spelling, "timeoutSeconds": "1"}) as resp:
                assert resp.status == 200
                body = asyncio.create_task(resp.read())
                await wait_for_watches(fake_cluster, 1)
                clock.advance(0.9)
                await server_looked(fake_cluster, times=3)
                assert not body.done()  # 0.9 s in: still open
                clock.advance(0.1)
                assert await asyncio.wait_for(body, HANG_GUARD_S) == b""  # at 1 s: a clean end, no events
            await wait_until(lambda: fake_cluster.open_watches == 0, "the watch to close")


async def test_watch_410_after_compaction(fake_cluster: FakeCluster) -> None:
    store = fake_cluster.store
    store.put(ko.rollout("a", "prod"))
    old = str(store.rv - 1)
    store.put(ko.rollout("b", "prod"))
    fake_cluster.compact()
    async with RawClient(fake_cluster) as api:
        events = await collect(api, ROLLOUTS, 2, resourceVersion=old)
        assert len(events) == 1 and events[0]["type"] == "ERROR"
        err = events[0]["object"]
        assert (err["kind"], err["code"], err["reason"]) == ("Status", 410, "Expired")
        assert err["message"] == f"too old resource version: {old} ({store.rv})"
        # The current RV is still fine after compaction.
        assert await collect(api, ROLLOUTS, 1, resourceVersion=str(store.rv), timeoutSeconds="1") == []


async def test_watch_bookmarks_and_selector_transitions(fake_cluster: FakeCluster) -> None:
    store = fake_cluster.store
    fake_cluster.bookmark_interval = 0.1
    store.put(ko.deployment("web", "prod", labels={"app": "web", "track": "stable"}))
    async with RawClient(fake_cluster) as api:
        events: list[dict] = []

        async def consume() -> None:
            async for event in api.watch(DEPLOYMENTS, labelSelector="track=stable",
                                         resourceVersion=str(store.rv), allowWatchBookmarks="true",
                                         timeoutSeconds="60"):
                events.append(event)
                if event["type"] == "ADDED":
                    return

        task = asyncio.create_task(consume())
        await wait_until(lambda: events, "the first bookmark")
        store.modify("Deployment", "prod", "web", lambda d: d["metadata"]["labels"].update(track="canary"))
        await wait_until(lambda: any(e["type"] == "DELETED" for e in events), "the DELETED as it leaves the selector")
        marks = fake_cluster.bookmarks_sent
        await wait_until(lambda: fake_cluster.bookmarks_sent > marks, "a bookmark after the DELETED")
        store.modify("Deployment", "prod", "web", lambda d: d["metadata"]["labels"].update(track="stable"))
        await asyncio.wait_for(task, HANG_GUARD_S)
    kinds = [e["type"] for e in events]
    assert kinds[0] == "BOOKMARK" and "DELETED" in kinds and kinds[-1] == "ADDED"
    bookmark = events[0]["object"]
    assert bookmark == {"kind": "Deployment", "apiVersion": "apps/v1",
                        "metadata": {"resourceVersion": bookmark["metadata"]["resourceVersion"]}}
    deleted = next(e for e in events if e["type"] == "DELETED")
    assert deleted["object"]["metadata"]["labels"]["track"] == "canary"
    later_bookmarks = [e for e in events[events.index(deleted):] if e["type"] == "BOOKMARK"]
    assert all(int(b["object"]["metadata"]["resourceVersion"]) >= int(deleted["object"]["metadata"]["resourceVersion"])
               for b in later_bookmarks)


async def test_single_object_watch(fake_cluster: FakeCluster) -> None:
    fake_cluster.store.seed(ko.rollout("a", "prod"), ko.rollout("b", "prod"))
    async with RawClient(fake_cluster) as api:
        events = await collect(api, f"{ROLLOUTS}/b", 2, timeoutSeconds="1")
        assert [e["object"]["metadata"]["name"] for e in events] == ["b"]


async def test_watch_serves_the_requested_version(fake_cluster: FakeCluster) -> None:
    fake_cluster.store.put(ko.virtual_service("vs", "prod", api_version="networking.istio.io/v1beta1"))
    async with RawClient(fake_cluster) as api:
        [event] = await collect(api, VS_V1, 1, timeoutSeconds="1")
        assert event["object"]["apiVersion"] == "networking.istio.io/v1"
        _, old = await api.get("/apis/networking.istio.io/v1alpha3/namespaces/prod/virtualservices/vs")
        assert old["apiVersion"] == "networking.istio.io/v1alpha3"


async def test_drop_watches_and_silence(fake_cluster: FakeCluster) -> None:
    store = fake_cluster.store
    async with RawClient(fake_cluster) as api:
        async def consume() -> list[dict]:
            return await collect(api, ROLLOUTS, 5, resourceVersion=str(store.rv))

        task = asyncio.create_task(consume())
        await wait_for_watches(fake_cluster, 1)
        assert fake_cluster.drop_watches() == 1
        with pytest.raises(aiohttp.ClientPayloadError):
            await asyncio.wait_for(task, HANG_GUARD_S)
        await wait_until(lambda: fake_cluster.open_watches == 0, "the dropped watch to close")

        clock = fake_cluster.clock = ManualClock()
        fake_cluster.silent = True
        fake_cluster.bookmark_interval = 0.05
        got: list[dict] = []

        async def quiet() -> None:
            async for event in api.watch(ROLLOUTS, resourceVersion=str(store.rv),
                                         allowWatchBookmarks="true", timeoutSeconds="1"):
                got.append(event)
                if event["type"] == "ADDED":
                    return

        task = asyncio.create_task(quiet())
        await wait_for_watches(fake_cluster, 1)
        store.put(ko.rollout("late", "prod"))
        clock.advance(1.3)  # past timeoutSeconds and many bookmark intervals
        await server_looked(fake_cluster, times=5)
        assert got == [] and not task.done()  # a silent server neither ends nor speaks
        fake_cluster.silent = False
        await asyncio.wait_for(task, HANG_GUARD_S)
        assert got[-1]["type"] == "ADDED" and got[-1]["object"]["metadata"]["name"] == "late"


async def wait_for_watches(cluster: FakeCluster, n: int) -> None:
    await wait_until(lambda: cluster.open_watches >= n, f"{n} open watch(es)")


async def server_looked(cluster: FakeCluster, times: int) -> None:
    """Wait until the server's watch loops have made ``times`` more passes (each checks its deadline)."""
    start = cluster.watch_polls
    await wait_until(lambda: cluster.watch_polls >= start + times, f"{times} more passes of the watch loop")


# ---- get, create, update, delete ----------------------------------------------------------------

async def test_create_get_and_errors(fake_cluster: FakeCluster) -> None:
    async with RawClient(fake_cluster) as api:
        status, created = await api.post(DEPLOYMENTS, ko.deployment("web", "prod"))
        assert status == 201
        meta = created["metadata"]
        assert meta["generation"] == 1 and meta["uid"] and meta["creationTimestamp"] and meta["resourceVersion"]
        assert "status" not in created  # set through /status only
        status, dup = await api.post(DEPLOYMENTS, ko.deployment("web", "prod"))
        assert (status, dup["reason"]) == (409, "AlreadyExists")
        assert dup["message"] == 'deployments.apps "web" already exists'
        status, missing = await api.get(f"{DEPLOYMENTS}/nope")
        assert (status, missing["reason"], missing["message"]) == (404, "NotFound", 'deployments.apps "nope" not found')
        status, wrong_ns = await api.post(DEPLOYMENTS, ko.deployment("x", "other"))
        assert status == 400
        status, generated = await api.post(ROLLOUTS, {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                                                      "metadata": {"generateName": "web-"}, "spec": {}})
        assert status == 201 and generated["metadata"]["name"].startswith("web-")


async def test_update_conflict_and_cr_without_rv(fake_cluster: FakeCluster) -> None:
    store = fake_cluster.store
    dep = store.put(ko.deployment("web", "prod"))
    ro = store.put(ko.rollout("web", "prod"))
    async with RawClient(fake_cluster) as api:
        dep["spec"]["replicas"] = 7
        status, updated = await api.put(f"{DEPLOYMENTS}/web", dep)
        assert status == 200 and updated["metadata"]["generation"] == 2
        assert updated["status"] == dep["status"]  # main-resource writes keep status
        status, stale = await api.put(f"{DEPLOYMENTS}/web", dep)  # dep still carries the old RV
        assert (status, stale["reason"]) == (409, "Conflict")
        assert stale["message"] == ('Operation cannot be fulfilled on deployments.apps "web": the object has been '
                                    "modified; please apply your changes to the latest version and try again")
        del dep["metadata"]["resourceVersion"]  # built-ins allow unconditional updates
        assert (await api.put(f"{DEPLOYMENTS}/web", dep))[0] == 200
        del ro["metadata"]["resourceVersion"]
        status, invalid = await api.put(f"{ROLLOUTS}/web", ro)
        assert (status, invalid["reason"]) == (422, "Invalid")
        assert "metadata.resourceVersion: Invalid value: 0x0: must be specified for an update" in invalid["message"]
        status, renamed = await api.put(f"{ROLLOUTS}/other", store.get("Rollout", "prod", "web"))
        assert status in (400, 404)


async def test_delete(fake_cluster: FakeCluster) -> None:
    store = fake_cluster.store
    store.put(ko.deployment("web", "prod"))
    ro = store.put(ko.rollout("web", "prod"))
    async with RawClient(fake_cluster) as api:
        status, gone = await api.delete(f"{DEPLOYMENTS}/web")
        assert status == 200 and gone["kind"] == "Status" and gone["status"] == "Success"
        status, stale = await api.delete(f"{ROLLOUTS}/web", {"preconditions": {"resourceVersion": "1"}})
        assert status == 409
        status, last = await api.delete(f"{ROLLOUTS}/web", {"preconditions": {"uid": ro["metadata"]["uid"]}})
        assert status == 200 and last["kind"] == "Rollout"  # CRs answer with the deleted object
        assert (await api.delete(f"{ROLLOUTS}/web"))[0] == 404
        assert (await api.delete(ROLLOUTS))[0] == 405


# ---- patch --------------------------------------------------------------------------------------

async def test_patch_types_table(fake_cluster: FakeCluster) -> None:
    store = fake_cluster.store
    store.put(ko.deployment("web", "prod", sidecars=[{"name": "envoy", "image": "envoy:1"}]))
    store.put(ko.virtual_service("vs", "prod", canary_weight=10))
    async with RawClient(fake_cluster) as api:
        status, body = await api.patch(f"{DEPLOYMENTS}/web",
                                       {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "v2"}]}}}},
                                       SMP)
        assert status == 200 and [c["name"] for c in body["spec"]["template"]["spec"]["containers"]] == ["app", "envoy"]
        status, body = await api.patch(f"{DEPLOYMENTS}/web",
                                       {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "v3"}]}}}},
                                       MERGE)
        assert status == 200 and [c["name"] for c in body["spec"]["template"]["spec"]["containers"]] == ["app"]

        rv = store.get("VirtualService", "prod", "vs")["metadata"]["resourceVersion"]
        guarded = [{"op": "test", "path": "/metadata/resourceVersion", "value": rv},
                   {"op": "test", "path": "/spec/http/0/name", "value": "primary"},
                   {"op": "replace", "path": "/spec/http/0/route/0/weight", "value": 75},
                   {"op": "replace", "path": "/spec/http/0/route/1/weight", "value": 25}]
        status, body = await api.patch(f"{VS_V1}/vs", guarded, JSONP)
        assert status == 200 and [r["weight"] for r in body["spec"]["http"][0]["route"]] == [75, 25]
        status, body = await api.patch(f"{VS_V1}/vs", guarded, JSONP)  # RV moved on: the test op fails
        assert (status, body["reason"]) == (422, "Invalid")
        status, body = await api.patch(f"{VS_V1}/vs", {"spec": {}}, JSONP)
        assert (status, body["message"]) == (400, "json: cannot unmarshal object into Go value of type jsonpatch.Patch")
        status, body = await api.patch(f"{VS_V1}/vs", {"spec": {}}, SMP)
        assert status == 415 and "application/apply-patch+yaml" in body["message"]
        for content_type in ("application/json", "text/plain", "application/apply-patch+yaml"):
            assert (await api.patch(f"{VS_V1}/vs", {"spec": {}}, content_type))[0] == 415
        status, body = await api.patch(f"{VS_V1}/vs", {"metadata": {"resourceVersion": rv}, "spec": {"x": 1}}, MERGE)
        assert (status, body["reason"]) == (409, "Conflict")
        assert (await api.patch(f"{VS_V1}/nope", {"spec": {}}, MERGE))[0] == 404


async def test_status_and_scale_subresources_and_generation(fake_cluster: FakeCluster) -> None:
    store = fake_cluster.store
    store.put(ko.rollout("web", "prod"))
    store.put(ko.deployment("web", "prod", replicas=3))
    async with RawClient(fake_cluster) as api:
        status, body = await api.patch(f"{ROLLOUTS}/web/status",
                                       {"status": {"pauseConditions": None, "currentStepIndex": 2}, "spec": {"paused": True}})
        assert status == 200 and body["status"]["currentStepIndex"] == 2 and "paused" not in body["spec"]
        assert body["metadata"]["generation"] == 1
        status, body = await api.patch(f"{ROLLOUTS}/web", {"spec": {"paused": True}, "status": {"abort": True}})
        assert body["spec"]["paused"] is True and "abort" not in body["status"]
        assert body["metadata"]["generation"] == 2
        status, body = await api.patch(f"{ROLLOUTS}/web", {"metadata": {"annotations": {"a": "b"}}})
        assert body["metadata"]["generation"] == 2  # metadata-only change

        status, scale = await api.get(f"{DEPLOYMENTS}/web/scale")
        assert (scale["kind"], scale["apiVersion"], scale["spec"]["replicas"]) == ("Scale", "autoscaling/v1", 3)
        assert scale["status"] == {"replicas": 3, "selector": "app=web"}
        status, scale = await api.patch(f"{DEPLOYMENTS}/web/scale", {"spec": {"replicas": 5}})
        assert status == 200 and scale["spec"]["replicas"] == 5
        dep = store.get("Deployment", "prod", "web")
        assert dep["spec"]["replicas"] == 5 and dep["metadata"]["generation"] == 2
        scale["metadata"]["resourceVersion"] = "1"
        assert (await api.put(f"{DEPLOYMENTS}/web/scale", scale))[0] == 409
        _, ro_scale = await api.get(f"{ROLLOUTS}/web/scale")
        assert ro_scale["status"] == {"replicas": 5, "selector": "app=web"}
        status, whole = await api.get(f"{ROLLOUTS}/web/status")
        assert status == 200 and whole["kind"] == "Rollout"
        assert (await api.get(f"{VS_V1}/x/status"))[0] == 404
        store.put(ko.analysis_run("ar", "prod"))
        assert (await api.get("/apis/argoproj.io/v1alpha1/namespaces/prod/analysisruns/ar/status"))[0] == 404


async def test_dry_run_stores_nothing(fake_cluster: FakeCluster) -> None:
    store = fake_cluster.store
    store.put(ko.rollout("web", "prod"))
    rv, events = store.rv, len(store.events())
    async with RawClient(fake_cluster) as api:
        status, body = await api.patch(f"{ROLLOUTS}/web", {"spec": {"paused": True}}, dryRun="All")
        assert status == 200 and body["spec"]["paused"] is True and body["metadata"]["generation"] == 2
        assert (await api.post(ROLLOUTS, ko.rollout("new", "prod"), dryRun="All"))[0] == 201
        assert (await api.put(f"{ROLLOUTS}/web", store.get("Rollout", "prod", "web"), dryRun="All"))[0] == 200
        assert (await api.delete(f"{ROLLOUTS}/web", dryRun="All"))[0] == 200
        assert (await api.patch(f"{ROLLOUTS}/web", {"spec": {}}, dryRun="Some"))[0] == 400
    assert (store.rv, len(store.events())) == (rv, events)
    assert "paused" not in store.get("Rollout", "prod", "web")["spec"]
    assert store.find("Rollout", "prod", "new") is None


async def test_request_log(fake_cluster: FakeCluster) -> None:
    fake_cluster.store.put(ko.rollout("web", "prod"))
    async with RawClient(fake_cluster) as api:
        await api.patch(f"{ROLLOUTS}/web", {"spec": {"paused": True}}, fieldManager="rolldeck", dryRun="All")
    [record] = fake_cluster.requests.matching("PATCH", param=("fieldManager", "rolldeck"))
    assert (record.method, record.path, record.content_type) == ("PATCH", f"{ROLLOUTS}/web", MERGE)
    assert record.param("dryRun") == "All" and record.json == {"spec": {"paused": True}}
    assert record.status == 200 and record.user == "admin@test"
    assert record.headers["Authorization"] == "<redacted>"


# ---- auth ---------------------------------------------------------------------------------------

@pytest.mark.fakekube(ClusterSpec("eu", tokens={
    "bob": ("bob", [Allow("get,list,watch"), Allow("patch", "rollouts/status", namespace="prod"),
                    Allow("get,patch", "deployments/scale", group="apps")])}))
async def test_tokens_rbac_and_reviews(fake_clusters: FakeFleet) -> None:
    eu = fake_clusters["kind-eu"]
    eu.store.put(ko.rollout("web", "prod"))
    async with RawClient(eu, token="bob") as bob, RawClient(eu, token="nope") as stranger, \
            RawClient(eu, token=None) as anonymous:
        assert (await stranger.get(ROLLOUTS))[0] == 401
        assert (await anonymous.get(ROLLOUTS))[0] == 401
        assert (await anonymous.get("/version"))[0] == 200
        assert (await bob.get(ROLLOUTS))[0] == 200
        assert (await bob.patch(f"{ROLLOUTS}/web/status", {"status": {"abort": True}}))[0] == 200
        status, body = await bob.patch(f"{ROLLOUTS}/web", {"spec": {"paused": True}})
        assert status == 403 and body["reason"] == "Forbidden"
        assert body["message"] == ('rollouts.argoproj.io "web" is forbidden: User "bob" cannot patch resource '
                                   '"rollouts" in API group "argoproj.io" in the namespace "prod"')
        status, body = await bob.post("/api/v1/namespaces/prod/services", ko.service("s", "prod"))
        assert status == 403 and body["message"].startswith('services is forbidden: User "bob" cannot create resource "services" in API group ""')
        # 403 on a watch start is a Status body read as the first line.
        async with bob.session.get(eu.url + "/apis/apps/v1/namespaces/prod/deployments",
                                   params={"watch": "true"}) as resp:
            assert resp.status == 200  # list/watch are allowed for bob
        eu.tokens.add("ro", "carol", [Allow("get", "deployments")])
        async with RawClient(eu, token="ro") as carol:
            async with carol.session.get(eu.url + DEPLOYMENTS, params={"watch": "true"}) as resp:
                assert resp.status == 403
                first = await resp.content.readline()
                assert b'"code": 403' in first and first.endswith(b"\n")

        async def can(verb: str, resource: str, sub: str = "", ns: str = "prod", group: str = "argoproj.io") -> bool:
            review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                      "spec": {"resourceAttributes": {"verb": verb, "group": group, "resource": resource,
                                                      "subresource": sub, "namespace": ns}}}
            status, body = await bob.post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", review)
            assert status == 201
            return body["status"]["allowed"]

        assert await can("patch", "rollouts", "status")
        assert not await can("patch", "rollouts")
        assert not await can("patch", "rollouts", "status", ns="staging")
        assert await can("get", "deployments", "scale", group="apps")
        assert not await can("update", "deployments", "scale", group="apps")
        status, rules = await bob.post("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
                                       {"spec": {"namespace": "prod"}})
        assert status == 201 and {"verbs": ["patch"], "apiGroups": ["*"], "resources": ["rollouts/status"]} \
            in rules["status"]["resourceRules"]

        eu.tokens.revoke("bob")
        assert (await bob.get(ROLLOUTS))[0] == 401
        eu.tokens.restore("bob")
        assert (await bob.get(ROLLOUTS))[0] == 200


# ---- faults -------------------------------------------------------------------------------------

async def test_faults(fake_cluster: FakeCluster) -> None:
    faults = fake_cluster.faults
    async with RawClient(fake_cluster) as api:
        text = faults.text_503(path="/rollouts", times=1)
        status, body = await api.get(ROLLOUTS)
        assert status == 503 and body.startswith("upstream connect error")
        assert (await api.get(ROLLOUTS))[0] == 200 and text.hits == 1
        faults.json_503(method="PATCH")
        status, body = await api.patch(f"{ROLLOUTS}/x", {})
        assert status == 503 and body["kind"] == "Status" and body["code"] == 503
        faults.clear()
        faults.throttle(retry_after=3, times=1)
        async with api.session.get(fake_cluster.url + ROLLOUTS) as resp:
            assert resp.status == 429 and resp.headers["Retry-After"] == "3"
        faults.unauthorized(times=1)
        assert (await api.get(ROLLOUTS))[0] == 401
        slow = faults.delay(0.3, path="/rollouts", times=1)
        started = time.monotonic()
        assert (await api.get(ROLLOUTS))[0] == 200
        # A lower bound on a delay the server itself sleeps: load can only lengthen it, never fail it.
        assert time.monotonic() - started >= 0.3 and slow.hits == 1
        only_watch = faults.text_503(watch=True)
        assert (await api.get(ROLLOUTS))[0] == 200
        assert (await api.get(ROLLOUTS, watch="true"))[0] == 503
        only_watch.remove()
        assert faults.active == []
