"""Watch resilience over real HTTP: dropped connections, 410 after compaction with a deletion while
away, a non-JSON 503, a revoked token on one cluster while another keeps working, a silent socket,
429 with Retry-After, a forbidden kind, bookmarks, and no polling in steady state."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from rolldeck.engine.kube.resources import BUILTIN_KINDS, CUSTOM_KINDS
from rolldeck.engine.model import Owner, ReleaseRef
from tests.adapter.helpers import FAST, cluster_health, running_backend, wait_release
from tests.waiting import ManualClock, wait_until
from tests.fakekube import Allow, ClusterSpec
from tests.fakekube import objects as ko

KINDS = len(BUILTIN_KINDS) + len(CUSTOM_KINDS)  # the fake cluster serves every CRD set: one watch each

CTX = "kind-test"
DEPLOYMENTS = "/apis/apps/v1/deployments"  # the all-namespaces collection the backend watches


def watches(cluster, path=DEPLOYMENTS, since=0):
    return [r for r in list(cluster.requests)[since:] if r.path == path and r.param("watch") in ("True", "true", "1")]


def lists(cluster, path=DEPLOYMENTS, since=0):
    return [r for r in list(cluster.requests)[since:] if r.path == path and r.param("watch") is None]


def image_of(backend, name):
    release = backend.snapshot().release(ReleaseRef(CTX, name))
    return release.versions[-1].revision if release else None


def set_image(cluster, name, tag):
    cluster.store.modify("deployments", "shop", name, lambda d: d["spec"]["template"]["spec"]["containers"][0].update(image=f"registry.local/{name}:{tag}"))


@pytest.mark.asyncio
async def test_dropped_connection_resumes_from_the_last_rv_without_relisting(fake_cluster, tmp_path):
    fake_cluster.store.put(ko.deployment("api", "shop", image="registry.local/api:v1"))
    async with running_backend(fake_cluster.kubeconfig_path, CTX, key_dir=tmp_path / "k") as backend:
        await wait_release(backend, CTX, "api")
        await wait_until(lambda: fake_cluster.open_watches >= 10, "all watches open")
        mark = len(fake_cluster.requests)
        last_rv = str(fake_cluster.store.rv)
        assert fake_cluster.drop_watches() >= 10
        set_image(fake_cluster, "api", "v2")
        await wait_until(lambda: image_of(backend, "api") == "v2", "the change after the drop")
        resumed = watches(fake_cluster, since=mark)
        assert resumed and resumed[0].param("resourceVersion") == last_rv
        assert lists(fake_cluster, since=mark) == []  # resume, not relist


@pytest.mark.asyncio
async def test_410_after_compaction_relists_and_catches_a_deletion_made_while_away(fake_cluster, tmp_path):
    store = fake_cluster.store
    store.put(ko.deployment("api", "shop"))
    store.put(ko.deployment("billing", "shop"))
    async with running_backend(fake_cluster.kubeconfig_path, CTX, key_dir=tmp_path / "k") as backend:
        await wait_release(backend, CTX, "billing")
        away = fake_cluster.faults.add(watch=True, status=503, body="upstream connect error or disconnect/reset before headers")
        fake_cluster.drop_watches()
        await wait_until(lambda: away.hits >= 10, "watches failing while away")
        old_rv = str(store.rv)
        store.delete("deployments", "shop", "billing")  # missed: no watch is open
        store.compact()
        mark = len(fake_cluster.requests)
        away.remove()
        await wait_until(lambda: backend.snapshot().release(ReleaseRef(CTX, "billing")) is None, "the deletion")
        assert [r.name for r in backend.snapshot().releases()] == ["api"]
        after = list(fake_cluster.requests)[mark:]
        rewatch = [r for r in after if r.path == DEPLOYMENTS and r.param("watch")]
        assert rewatch[0].param("resourceVersion") == old_rv  # resume first...
        relist = lists(fake_cluster, since=mark)
        assert relist and relist[0].param("resourceVersion") is None  # ...410 → consistent relist
        assert all(r.param("resourceVersion") != old_rv for r in rewatch[1:])  # never the expired RV again


@pytest.mark.asyncio
async def test_non_json_503_is_a_health_error_then_recovers(fake_cluster, tmp_path):
    fake_cluster.store.put(ko.deployment("api", "shop", image="registry.local/api:v1"))
    async with running_backend(fake_cluster.kubeconfig_path, CTX, key_dir=tmp_path / "k") as backend:
        await wait_release(backend, CTX, "api")
        outage = fake_cluster.faults.text_503()
        fake_cluster.drop_watches()
        health = await wait_until(lambda: (h := cluster_health(backend.snapshot(), CTX)) and "503" in h.error and h, "503 in health")
        assert not health.reachable and "503" in health.error and "upstream connect error" in health.error and "\n" not in health.error
        outage.remove()
        set_image(fake_cluster, "api", "v2")
        await wait_until(lambda: image_of(backend, "api") == "v2", "recovery")
        assert cluster_health(backend.snapshot(), CTX).reachable


@pytest.mark.asyncio
@pytest.mark.fakekube(ClusterSpec("eu"), ClusterSpec("us", tls=True))
async def test_revoked_token_on_one_cluster_while_the_other_keeps_streaming(fake_clusters, tmp_path):
    eu, us = fake_clusters["kind-eu"], fake_clusters["kind-us"]
    for cluster in (eu, us):
        cluster.store.put(ko.deployment("api", "shop", image="registry.local/api:v1"))
    async with running_backend(fake_clusters.kubeconfig_path, "all", key_dir=tmp_path / "k") as backend:
        await wait_release(backend, "kind-eu", "api")
        await wait_release(backend, "kind-us", "api")
        eu.tokens.revoke(eu.token)
        eu.drop_watches()
        health = await wait_until(lambda: (h := cluster_health(backend.snapshot(), "kind-eu")) and "401" in h.error and h, "eu 401")
        assert not health.reachable and health.error.startswith("401 Unauthorized")
        assert eu.token not in health.error
        us.store.modify("deployments", "shop", "api", lambda d: d["spec"]["template"]["spec"]["containers"][0].update(image="registry.local/api:v2"))
        await wait_release(backend, "kind-us", "api", lambda r: r.versions[-1].revision == "v2")
        assert cluster_health(backend.snapshot(), "kind-us").reachable
        eu.tokens.restore(eu.token)
        await wait_until(lambda: cluster_health(backend.snapshot(), "kind-eu").reachable, "eu back")


@pytest.mark.asyncio
async def test_silent_socket_hits_the_inactivity_timeout_and_rewatches_from_the_same_rv(fake_cluster, tmp_path):
    fake_cluster.store.put(ko.deployment("api", "shop", image="registry.local/api:v1"))
    async with running_backend(fake_cluster.kubeconfig_path, CTX, key_dir=tmp_path / "k") as backend:
        await wait_release(backend, CTX, "api")
        await wait_until(lambda: fake_cluster.open_watches >= 10, "all watches open")
        mark = len(fake_cluster.requests)
        rv = str(fake_cluster.store.rv)
        fake_cluster.silent = True
        set_image(fake_cluster, "api", "v2")
        # each silent watch is abandoned after sock_read (0.6 s here, ~90 s in production)
        again = await wait_until(lambda: len(w := watches(fake_cluster, since=mark)) >= 2 and w, "re-watches")
        assert {r.param("resourceVersion") for r in again} == {rv}
        assert image_of(backend, "api") == "v1"
        fake_cluster.silent = False
        await wait_until(lambda: image_of(backend, "api") == "v2", "the missed change")


@pytest.mark.asyncio
async def test_429_honours_retry_after(fake_cluster, tmp_path):
    fake_cluster.store.put(ko.deployment("api", "shop"))
    throttle = fake_cluster.faults.throttle(retry_after=1, path=r"^/apis/apps/v1/deployments\?", times=1)
    async with running_backend(fake_cluster.kubeconfig_path, CTX, key_dir=tmp_path / "k") as backend:

        def throttled():
            reflector = backend.connections[CTX].reflectors.get("deployments")
            return reflector if reflector is not None and reflector.state == "throttled" and reflector.retry_at is not None else None

        reflector = await wait_until(throttled, "the throttled list to schedule its retry")
        assert reflector.retry_at - reflector.last_error_at >= 1.0  # Retry-After, not the 0.05 s back-off
        await wait_release(backend, CTX, "api")
        assert throttle.hits == 1
        first, second = lists(fake_cluster)[:2]


@pytest.mark.asyncio
@pytest.mark.fakekube(ClusterSpec("test", tokens={"no-canaries": ("carol", [Allow("get,list,watch", "deployments,replicasets,services,virtualservices,destinationrules,httproutes,rollouts,analysisruns,applications")])}))
async def test_a_forbidden_kind_is_a_warning_not_an_outage(fake_clusters, tmp_path):
    cluster = fake_clusters["kind-test"]
    config = cluster.kubeconfig_dict()
    config["users"][0]["user"]["token"] = "no-canaries"
    path = tmp_path / "carol.yaml"
    path.write_text(yaml.safe_dump(config))
    cluster.store.put(ko.deployment("api", "shop"))
    async with running_backend(path, CTX, key_dir=tmp_path / "k") as backend:
        await wait_release(backend, CTX, "api")
        health = await wait_until(lambda: (h := cluster_health(backend.snapshot(), CTX)) and h.warnings and h, "warning")
        assert health.reachable
        assert any(w.startswith("canaries: 403 Forbidden") and "carol" in w for w in health.warnings)


@pytest.mark.asyncio
async def test_steady_state_sends_no_requests(fake_cluster, tmp_path):
    fake_cluster.bookmark_interval = 0.1
    fake_cluster.store.put(ko.deployment("api", "shop"))
    clock = ManualClock(1000.0)  # the backend's monotonic clock: contact ages move only when told
    async with running_backend(fake_cluster.kubeconfig_path, CTX, key_dir=tmp_path / "k", monotonic=clock) as backend:
        await wait_release(backend, CTX, "api")
        await wait_until(lambda: fake_cluster.open_watches == KINDS, "one watch per kind")
        access = backend.connections[CTX].access

        def settled() -> bool:  # the snapshot asks for any review it lacks; then all are answered
            backend.snapshot()
            return access.requests > 0 and access.in_flight == 0 and all(r.status is not None for r in list(fake_cluster.requests) if r.param("watch") is None)

        await wait_until(settled, "the SelfSubjectAccessReviews for the new release to settle")
        mark, sent = len(fake_cluster.requests), backend.requests
        clock.advance(10.0)
        bookmarks = fake_cluster.bookmarks_sent
        await wait_until(lambda: fake_cluster.bookmarks_sent >= bookmarks + 100, "100 bookmarks, about 10 per watch")
        assert list(fake_cluster.requests)[mark:] == [] and backend.requests == sent  # watches only, no polling
        health = cluster_health(backend.snapshot(), CTX)
        assert health.watches == KINDS
        assert health.last_update_age_s == 0.0  # heard from since the clock moved 10 s: bookmarks count as contact


@pytest.mark.asyncio
async def test_unreachable_server_and_unknown_context_are_one_line_each(fake_cluster, tmp_path):
    config = fake_cluster.kubeconfig_dict()
    dead = {"name": "dead", "cluster": {"server": "http://127.0.0.1:9"}}
    config["clusters"].append(dead)
    config["contexts"].append({"name": "kind-dead", "context": {"cluster": "dead", "user": config["users"][0]["name"]}})
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    fake_cluster.store.put(ko.deployment("api", "shop"))
    async with running_backend(path, f"{CTX},kind-dead,kind-nope", key_dir=tmp_path / "k") as backend:
        await wait_release(backend, CTX, "api")
        state = backend.snapshot()
        dead_health = await wait_until(lambda: (h := cluster_health(backend.snapshot(), "kind-dead")) and h.error.startswith("API server") and h, "the dead context's error")
        assert dead_health.error.startswith("API server at http://127.0.0.1:9: cannot connect to 127.0.0.1:9")
        nope = cluster_health(state, "kind-nope")
        assert not nope.reachable and nope.error == f"context kind-nope: not found in {path}"
        assert backend.problems == [nope.error]
        assert cluster_health(state, CTX).reachable
        assert backend.snapshot().release(ReleaseRef(CTX, "api")).owner is Owner.UNMANAGED


@pytest.mark.asyncio
async def test_a_bookmark_advances_the_rv_the_next_watch_starts_from(fake_cluster, tmp_path):
    """The fake's bookmarks only repeat the last event's RV, so this one is scripted: a watch that
    sends one BOOKMARK at RV 5000 and ends, as a real server does when its watch cache moved on."""
    from aiohttp import web

    async def bookmark_then_end(request):
        line = '{"type":"BOOKMARK","object":{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"resourceVersion":"5000"}}}\n'
        return web.Response(text=line, content_type="application/json")

    fake_cluster.store.put(ko.deployment("api", "shop"))
    async with running_backend(fake_cluster.kubeconfig_path, CTX, key_dir=tmp_path / "k") as backend:
        await wait_release(backend, CTX, "api")
        await wait_until(lambda: fake_cluster.open_watches == KINDS, "one watch per kind")
        fake_cluster.faults.add(watch=True, path=r"^/apis/apps/v1/deployments\?", handler=bookmark_then_end, times=1)
        mark = len(fake_cluster.requests)
        fake_cluster.drop_watches()
        following = await wait_until(lambda: len(w := watches(fake_cluster, since=mark)) >= 2 and w, "the watch after the bookmark")
        assert following[1].param("resourceVersion") == "5000"
        assert lists(fake_cluster, since=mark) == []


@pytest.mark.asyncio
async def test_region_comes_from_the_nodes_topology_label(fake_cluster, tmp_path):
    """The fake serves no Nodes; this one NodeList is scripted. Clusters group into regions by it."""
    from aiohttp import web

    async def nodes(request):
        body = {"kind": "NodeList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"},
                "items": [{"metadata": {"name": "n1", "labels": {"topology.kubernetes.io/region": "eu-west-1"}}}]}
        return web.json_response(body)

    fake_cluster.faults.add(method="GET", path=r"^/api/v1/nodes", handler=nodes)
    async with running_backend(fake_cluster.kubeconfig_path, CTX, key_dir=tmp_path / "k") as backend:
        await wait_until(lambda: cluster_health(backend.snapshot(), CTX).reachable, "the cluster reachable")
        [region] = backend.snapshot().regions
        assert region.name == "eu-west-1" and region.clusters[0].region == "eu-west-1"


@pytest.mark.asyncio
async def test_a_reconnecting_watch_is_not_an_outage_until_the_grace_runs_out(fake_cluster, tmp_path):
    fake_cluster.store.put(ko.deployment("api", "shop"))
    tuning = dataclasses.replace(FAST, reachable_grace_s=1.0)
    clock = ManualClock(1000.0)  # the grace runs out when the test says, however slow the machine
    async with running_backend(fake_cluster.kubeconfig_path, CTX, key_dir=tmp_path / "k", tuning=tuning, monotonic=clock) as backend:
        await wait_release(backend, CTX, "api")
        await wait_until(lambda: fake_cluster.open_watches == KINDS, "every kind listed and watching")
        clock.advance(50.0)  # a quiet cluster: its data was last confirmed 50 s ago (no bookmark since)
        fake_cluster.faults.text_503()
        fake_cluster.drop_watches()
        degraded = await wait_until(lambda: (h := cluster_health(backend.snapshot(), CTX)) and "503" in h.error and h, "the retries' 503")
        assert degraded.reachable  # within the grace, counted from the drop, not from the last data
        assert degraded.last_update_age_s >= 50.0
        clock.advance(1.5)
        down = await wait_until(lambda: (h := cluster_health(backend.snapshot(), CTX)) and not h.reachable and h, "outage once the grace ran out")
        assert "503" in down.error


@pytest.mark.asyncio
async def test_freshness_is_data_confirmed_a_silent_watch_that_reconnects_keeps_ageing(fake_cluster, tmp_path):
    """Issue 11, item 8: the age is the time since the last list, event or BOOKMARK, never since a
    connection. A silent server's watches time out (sock_read) and reconnect with a 200 each time;
    the cluster keeps ageing through them and the view calls it STALE; one bookmark makes it fresh."""
    from rolldeck.console.attention import AttentionTracker

    fake_cluster.store.put(ko.deployment("api", "shop"))
    clock = ManualClock(1000.0)
    async with running_backend(fake_cluster.kubeconfig_path, CTX, key_dir=tmp_path / "k", monotonic=clock) as backend:
        await wait_release(backend, CTX, "api")
        await wait_until(lambda: fake_cluster.open_watches == KINDS, "one watch per kind")
        fake_cluster.silent = True
        clock.advance(100.0)  # past the view's threshold (90 s): nothing arrives from here on
        mark = len(fake_cluster.requests)
        # every watch is abandoned on the inactivity timeout and opened again, answered 200 each time
        await wait_until(lambda: len(watches(fake_cluster, since=mark)) >= 3, "three silent reconnects of the deployments watch")
        await wait_until(lambda: any(r.connected for r in backend.connections[CTX].reflectors.values()), "a reconnected watch")
        assert all(r.param("allowWatchBookmarks") in ("true", "True") for r in watches(fake_cluster, since=mark))
        health = cluster_health(backend.snapshot(), CTX)
        assert health.reachable and health.last_update_age_s >= 100.0  # connected, but no data confirmed
        items = AttentionTracker(stale_after_s=90.0).items(backend.snapshot(), {}, {})
        assert [(i.kind, i.cluster) for i in items] == [("STALE", CTX)]

        fake_cluster.bookmark_interval = 0.05
        sent = fake_cluster.bookmarks_sent
        fake_cluster.silent = False
        await wait_until(lambda: fake_cluster.bookmarks_sent > sent, "a bookmark")
        fresh = await wait_until(lambda: (h := cluster_health(backend.snapshot(), CTX)).last_update_age_s == 0.0 and h, "the bookmark to count")
        assert fresh.reachable
        assert AttentionTracker(stale_after_s=90.0).items(backend.snapshot(), {}, {}) == []
        assert [r for r in list(fake_cluster.requests)[mark:] if r.param("watch") is None and r.path == DEPLOYMENTS] == []  # no relist: the bookmark did it


@pytest.mark.asyncio
async def test_a_list_page_past_the_byte_cap_is_refused_while_it_streams(fake_cluster, tmp_path):
    """Issue 11, item 7 (network half): a list body is read streaming with a byte cap and never
    parsed past it; the kind shows one line naming where, the rest of the cluster keeps working."""
    from aiohttp import web

    cap = 1024 * 1024
    total = 64 * cap
    sent = {"bytes": 0}

    async def endless_list(request):
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        try:
            await response.write(b'{"kind":"DeploymentList","items":[')
            while sent["bytes"] < total:
                await response.write(b" " * 65536)  # blocks once the client stops reading
                sent["bytes"] += 65536
        except (ConnectionError, Exception):
            pass  # the client hung up: the point of the test
        return response

    fake_cluster.store.put(ko.deployment("api", "shop"))
    fake_cluster.store.put(ko.service("api", "shop"))
    fake_cluster.faults.add(method="GET", watch=False, path=r"^/apis/apps/v1/deployments\?", handler=endless_list, times=1)
    tuning = dataclasses.replace(FAST, reflector=dataclasses.replace(FAST.reflector, max_body_bytes=cap))
    async with running_backend(fake_cluster.kubeconfig_path, CTX, key_dir=tmp_path / "k", tuning=tuning) as backend:
        reflector = await wait_until(lambda: (r := backend.connections[CTX].reflectors.get("deployments")) and "exceeds" in r.error and r, "the refused page")
        assert reflector.error.startswith(f"Kubernetes answer from {fake_cluster.url}/apis/apps/v1/deployments exceeds 1 MiB (stopped after ")
        assert sent["bytes"] < total // 4  # cut off: the other 60 MiB were never read
        health = cluster_health(backend.snapshot(), CTX)
        assert health.reachable and any(w.startswith("deployments: Kubernetes answer from") for w in health.warnings)
        await wait_release(backend, CTX, "api")  # the next list (the fault was once) reads normally
