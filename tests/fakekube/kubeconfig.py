"""Writes a kubeconfig with one context per fake cluster (bearer-token users, optional TLS)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from .cluster import FakeCluster


def kubeconfig_dict(clusters: Iterable["FakeCluster"], namespace: str = "default") -> dict[str, Any]:
    clusters = list(clusters)
    doc: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", "preferences": {},
                           "clusters": [], "users": [], "contexts": [],
                           "current-context": clusters[0].context if clusters else ""}
    for c in clusters:
        cluster: dict[str, Any] = {"server": c.url}
        user: dict[str, Any] = {"token": c.token}
        if c.tls is not None:
            cluster.update(c.tls.kubeconfig_cluster_fields())
            user.update(c.tls.kubeconfig_user_fields())
        doc["clusters"].append({"name": c.context, "cluster": cluster})
        doc["users"].append({"name": f"{c.context}-user", "user": user})
        doc["contexts"].append({"name": c.context, "context": {"cluster": c.context, "user": f"{c.context}-user",
                                                                "namespace": namespace}})
    return doc


def write_kubeconfig(path: Path, clusters: Iterable["FakeCluster"], namespace: str = "default") -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(kubeconfig_dict(clusters, namespace), sort_keys=False))
    path.chmod(0o600)  # it holds tokens and keys
    return path
