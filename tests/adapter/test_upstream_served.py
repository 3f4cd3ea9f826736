"""The fake API server serves the upstream projects' objects (tests/upstream) and kubectl reads every
one of them back unchanged; rolldeck reading them over real HTTP maps them exactly as it maps the files."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from rolldeck.engine.kube.mapping import Objects, map_cluster
from tests.adapter.helpers import in_sync, running_backend
from tests.adapter.upstream import KIND_KEYS, ROOT, scene
from tests.fakekube import ClusterSpec, FakeCluster
from tests.fakekube.kubectl import require_kubectl, run_kubectl
from tests.fakekube.resources import JOBS

pytestmark = pytest.mark.asyncio

# Every file (or plugin scene folder) on its own: several reuse names (podinfo, reviews, canary-demo).
UNITS = [f"argo-rollouts/{p.name}" for p in sorted((ROOT / "argo-rollouts").iterdir()) if p.is_dir()] + [
    str(p.relative_to(ROOT)) for folder in ("flagger", "istio", "gateway-api") for p in sorted((ROOT / folder).glob("*.yaml"))
]
PLURALS = {"Deployment": "deployments", "ReplicaSet": "replicasets", "Service": "services", "Pod": "pods", "Job": "jobs",
           "Rollout": "rollouts", "AnalysisRun": "analysisruns", "Experiment": "experiments", "VirtualService": "virtualservices",
           "DestinationRule": "destinationrules", "HTTPRoute": "httproutes", "Canary": "canaries"}


def _resources(docs: list[dict[str, Any]]) -> str:
    """kubectl resource names pinned to each object's own group version (kubectl would otherwise read
    a VirtualService written as v1beta1 back as v1, the group's preferred version)."""
    names = set()
    for doc in docs:
        group, _, version = doc["apiVersion"].rpartition("/")
        if group == "extensions":
            group, version = "apps", "v1"
        names.add(f"{PLURALS[doc['kind']]}.{version}.{group}" if group else PLURALS[doc["kind"]])
    return ",".join(sorted(names))


def _key(obj: dict[str, Any]) -> tuple[str, str, str]:
    return (obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"])


def _as_sent(obj: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """kubectl's copy with what the server assigned taken back out, for comparison with the file.

    ReplicaSets the plugin's data still writes as extensions/v1beta1 come back as apps/v1, the
    only version a 1.16+ server has; everything else must be exactly what the file holds."""
    out = copy.deepcopy(stored)
    out["metadata"]["resourceVersion"] = obj["metadata"].get("resourceVersion")  # each server counts its own
    if out["metadata"]["resourceVersion"] is None:
        del out["metadata"]["resourceVersion"]
    if obj["apiVersion"].startswith("extensions/") and out["apiVersion"] == "apps/v1":
        out["apiVersion"] = obj["apiVersion"]
    meta = out["metadata"]
    for key in ("uid", "creationTimestamp", "generation"):
        if key not in obj["metadata"]:
            meta.pop(key, None)
    return out


async def test_kubectl_reads_every_upstream_object_back_unchanged(tmp_path: Path) -> None:
    require_kubectl()
    # TLS: kubectl sends the kubeconfig's token only over TLS
    async with FakeCluster(ClusterSpec("upstream", tls=True, extra_resources=[JOBS]), workdir=tmp_path / "fake") as cluster:
        differences: list[str] = []
        served = 0
        for unit in UNITS:
            docs = scene(unit)
            cluster.store.seed(*docs)
            result = await run_kubectl(cluster.kubeconfig_path, "get", _resources(docs), "-A", "-o", "json", home=tmp_path / "home", timeout=60)
            assert result.ok, result
            back = {_key(item): item for item in json.loads(result.stdout)["items"]}
            for doc in docs:
                stored = back.get(_key(doc))
                if stored is None:
                    differences.append(f"{unit}: {_key(doc)} not listed")
                elif _as_sent(doc, stored) != doc:
                    differences.append(f"{unit}: {_key(doc)} differs")
                served += 1
            for doc in docs:
                cluster.store.delete(doc["kind"], doc["metadata"]["namespace"], doc["metadata"]["name"])
        assert not differences, "\n".join(differences)
        assert served == sum(len(scene(u)) for u in UNITS) > 150


# Scenes that share no names, served together so one backend reads them all at once.
TOGETHER = (
    "argo-rollouts/canary", "argo-rollouts/blue-green", "argo-rollouts/experiment-analysis", "argo-rollouts/rollout-aborted",
    "argo-rollouts/rollout-invalid", "flagger/istio-canary.yaml", "flagger/gatewayapi-ab.yaml", "flagger/gatewayapi-bg.yaml",
    "istio/virtual-service-reviews-jason-v2-v3.yaml", "istio/bookinfo-reviews.yaml", "istio/traffic-mirroring-half.yaml",
    "istio/mirroring-backends.yaml", "gateway-api/simple-split.yaml", "gateway-api/bar-httproute.yaml", "gateway-api/foo-backends.yaml",
    "gateway-api/bar-backends.yaml",
)


def _comparable(release):
    # RBAC answers and gate-service notes are the backend's decoration, not the mapping's
    return replace(release, denied=())


async def test_rolldeck_over_http_maps_what_the_server_holds(fake_cluster, tmp_path: Path) -> None:
    """Watches, lists and JSON decoding lose nothing: the backend's releases are the pure mapping of
    the very objects the server stores (which adds uids and timestamps where a file has none)."""
    fake_cluster.store.seed(*scene(*TOGETHER))
    async with running_backend(fake_cluster.kubeconfig_path, context=fake_cluster.context, key_dir=tmp_path / "keys", serve_gates=False) as backend:
        await in_sync(backend, fake_cluster)
        live = {r.name: _comparable(r) for r in backend.snapshot().releases()}
        region = backend.connections[fake_cluster.context].region
    stored = Objects.of({key: fake_cluster.store.list(key) for key in set(KIND_KEYS.values())})
    expected = {d.release.name: _comparable(d.release) for d in map_cluster(stored, cluster=fake_cluster.context, region=region)}
    assert sorted(live) == sorted(expected)
    for name, release in expected.items():
        assert live[name] == release, name
    assert {"canary-demo", "bluegreen-demo", "rollout-experiment-analysis", "test/podinfo", "reviews"} <= set(live)
