"""kubernetes-asyncio 36 against the fake: list, watch with bookmarks, patch content types, errors, mTLS."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from kubernetes_asyncio import client, config, watch
from kubernetes_asyncio.client.exceptions import ApiException

from tests.fakekube import Allow, ClusterSpec, FakeCluster, FakeFleet
from tests.fakekube import objects as ko
from tests.waiting import HANG_GUARD_S, wait_until

pytestmark = pytest.mark.asyncio

MERGE = "application/merge-patch+json"
RO = ("argoproj.io", "v1alpha1", "prod", "rollouts")


@pytest_asyncio.fixture
async def api(fake_cluster: FakeCluster, tmp_path: Path) -> AsyncIterator[client.ApiClient]:
    async with await config.new_client_from_config_dict(fake_cluster.kubeconfig_dict(),
                                                        temp_file_path=str(tmp_path)) as api_client:
        yield api_client


async def test_list_watch_with_bookmarks_and_merge_patch(fake_cluster: FakeCluster, api: client.ApiClient) -> None:
    store = fake_cluster.store
    fake_cluster.bookmark_interval = 0.1
    store.seed(ko.rollout("checkout", "prod"), ko.rollout("cart", "prod"))
    custom = client.CustomObjectsApi(api)
    listed = await custom.list_namespaced_custom_object(*RO, _request_timeout=HANG_GUARD_S)
    assert [i["metadata"]["name"] for i in listed["items"]] == ["cart", "checkout"]
    rv = listed["metadata"]["resourceVersion"]

    seen: list[tuple[str, str]] = []
    last_rv: list[str] = []

    async def consume() -> None:
        async with watch.Watch(return_type="object") as w:
            async for event in w.stream(custom.list_namespaced_custom_object, *RO, resource_version=rv,
                                        allow_watch_bookmarks=True, timeout_seconds=60):
                obj = event["raw_object"]
                seen.append((event["type"], obj["metadata"].get("name", "")))
                last_rv.append(w.resource_version)
                if event["type"] == "MODIFIED":
                    return

    task = asyncio.create_task(consume())
    await wait_until(lambda: len(seen) >= 2, "a few bookmarks first")
    patched = await custom.patch_namespaced_custom_object(*RO, "checkout", {"spec": {"paused": True}},
                                                         _content_type=MERGE, field_manager="rolldeck",
                                                         _request_timeout=HANG_GUARD_S)
    await asyncio.wait_for(task, HANG_GUARD_S)
    assert patched["spec"]["paused"] is True
    assert seen[0] == ("BOOKMARK", "") and seen[-1] == ("MODIFIED", "checkout")
    assert last_rv[-1] == patched["metadata"]["resourceVersion"]
    [sent] = fake_cluster.requests.matching("PATCH", "/rollouts/checkout")
    assert sent.content_type == MERGE and sent.param("fieldManager") == "rolldeck"
    [watch_request] = fake_cluster.requests.matching("GET", "watch=True")  # the library's spelling
    assert watch_request.param("allowWatchBookmarks") == "True"


async def test_patch_content_type_pitfalls(fake_cluster: FakeCluster, api: client.ApiClient) -> None:
    store = fake_cluster.store
    store.put(ko.rollout("checkout", "prod"))
    store.put(ko.deployment("web", "prod", sidecars=[{"name": "envoy", "image": "envoy:1"}]))
    custom = client.CustomObjectsApi(api)
    with pytest.raises(ApiException) as err:  # a dict without _content_type goes out as JSON patch
        await custom.patch_namespaced_custom_object(*RO, "checkout", {"spec": {"paused": True}}, _request_timeout=HANG_GUARD_S)
    assert err.value.status == 400
    status = await custom.patch_namespaced_custom_object_status(*RO, "checkout", {"status": {"abort": True}},
                                                                _content_type=MERGE, _request_timeout=HANG_GUARD_S)
    assert status["status"]["abort"] is True
    apps = client.AppsV1Api(api)
    dep = await apps.patch_namespaced_deployment(
        "web", "prod", {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:v2"}]}}}},
        _request_timeout=HANG_GUARD_S)
    assert [c.name for c in dep.spec.template.spec.containers] == ["app", "envoy"]
    assert fake_cluster.requests.matching("PATCH", "/deployments/web")[0].content_type == \
        "application/strategic-merge-patch+json"
    rollback = [{"op": "replace", "path": "/spec/template", "value": store.get("Deployment", "prod", "web")["spec"]["template"]}]
    await apps.patch_namespaced_deployment("web", "prod", rollback, _request_timeout=HANG_GUARD_S)
    assert fake_cluster.requests.matching("PATCH", "/deployments/web")[1].content_type == "application/json-patch+json"
    with pytest.raises(ApiException) as err:
        await custom.patch_namespaced_custom_object(
            *RO, "checkout", [{"op": "test", "path": "/metadata/resourceVersion", "value": "1"}], _request_timeout=HANG_GUARD_S)
    assert err.value.status == 422


async def test_watch_errors_as_the_library_sees_them(fake_cluster: FakeCluster, api: client.ApiClient) -> None:
    store = fake_cluster.store
    store.put(ko.rollout("checkout", "prod"))
    old_rv = str(store.rv)
    store.put(ko.rollout("cart", "prod"))
    fake_cluster.compact()
    custom = client.CustomObjectsApi(api)
    with pytest.raises(ApiException) as err:
        async with watch.Watch(return_type="object") as w:
            async for _ in w.stream(custom.list_namespaced_custom_object, *RO, resource_version=old_rv,
                                    timeout_seconds=2):
                pass
    assert err.value.status == 410 and "too old resource version" in err.value.reason

    fake_cluster.faults.text_503(watch=True, times=1)
    async with watch.Watch(return_type="object") as w:
        events = [e async for e in w.stream(custom.list_namespaced_custom_object, *RO, timeout_seconds=1)]
    assert events and isinstance(events[0], str) and events[0].startswith("upstream connect error")

    async def stream_forever() -> None:
        async with watch.Watch(return_type="object") as w:
            async for _ in w.stream(custom.list_namespaced_custom_object, *RO, resource_version=str(store.rv),
                                    timeout_seconds=30):
                pass

    task = asyncio.create_task(stream_forever())
    await wait_until(lambda: fake_cluster.open_watches, "the watch to open")
    fake_cluster.drop_watches()
    with pytest.raises(aiohttp.ClientPayloadError):
        await asyncio.wait_for(task, HANG_GUARD_S)


async def test_revoked_token_and_forbidden_watch(fake_cluster: FakeCluster, api: client.ApiClient) -> None:
    custom = client.CustomObjectsApi(api)
    fake_cluster.tokens.revoke(fake_cluster.token)
    with pytest.raises(ApiException) as err:
        async with watch.Watch(return_type="object") as w:
            async for _ in w.stream(custom.list_namespaced_custom_object, *RO, timeout_seconds=1):
                pass
    assert err.value.status == 401
    fake_cluster.tokens.restore(fake_cluster.token)
    fake_cluster.tokens.add(fake_cluster.token, "viewer", [Allow("list", "rollouts")])  # no watch
    with pytest.raises(ApiException) as err:
        async with watch.Watch(return_type="object") as w:
            async for _ in w.stream(custom.list_namespaced_custom_object, *RO, timeout_seconds=1):
                pass
    assert err.value.status == 403 and 'cannot watch resource "rollouts"' in err.value.reason
    fake_cluster.faults.json_500(times=1)
    with pytest.raises(ApiException) as err:
        await custom.list_namespaced_custom_object(*RO, _request_timeout=HANG_GUARD_S)
    assert err.value.status == 500


@pytest.mark.fakekube(ClusterSpec("secure", mtls=True), ClusterSpec("plain"))
async def test_mtls_and_multi_cluster(fake_clusters: FakeFleet, tmp_path: Path) -> None:
    secure, plain = fake_clusters["kind-secure"], fake_clusters["kind-plain"]
    assert secure.url.startswith("https://") and plain.url.startswith("http://")
    secure.store.put(ko.deployment("web", "prod"))
    plain.faults.delay(2.0)  # one slow cluster does not hold up the other
    for context, expected in (("kind-secure", ["web"]),):
        async with await config.new_client_from_config_dict(fake_clusters.kubeconfig_dict(), context=context,
                                                            temp_file_path=str(tmp_path)) as api_client:
            deps = await client.AppsV1Api(api_client).list_namespaced_deployment("prod", _request_timeout=HANG_GUARD_S)
            assert [d.metadata.name for d in deps.items] == expected
    # Without a client certificate the TLS handshake is refused.
    assert secure.tls is not None
    no_cert = ssl.create_default_context(cadata=secure.tls.ca_pem.decode())
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientError):
            async with session.get(secure.url + "/version", ssl=no_cert, timeout=aiohttp.ClientTimeout(total=HANG_GUARD_S)):
                pass
    async with await config.new_client_from_config_dict(fake_clusters.kubeconfig_dict(), context="kind-plain",
                                                        temp_file_path=str(tmp_path)) as api_client:
        with pytest.raises(asyncio.TimeoutError):
            await client.CoreV1Api(api_client).list_namespace(_request_timeout=0.5)
