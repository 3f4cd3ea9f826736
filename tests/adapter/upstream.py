"""Load the upstream projects' objects in ``tests/upstream`` (see its README) as scenes."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from rolldeck.engine.kube.mapping import Objects

ROOT = Path(__file__).resolve().parent.parent / "upstream"

# kind → the cache key rolldeck's watches use (engine.kube.resources)
KIND_KEYS = {
    "Deployment": "deployments",
    "ReplicaSet": "replicasets",
    "Service": "services",
    "Pod": "pods",
    "VirtualService": "virtualservices",
    "DestinationRule": "destinationrules",
    "HTTPRoute": "httproutes",
    "Rollout": "rollouts",
    "AnalysisRun": "analysisruns",
    "Experiment": "experiments",
    "Canary": "canaries",
}


def documents(path: str | Path) -> list[dict[str, Any]]:
    """Every object of one file (or of every ``*.yaml`` in a folder), in file order; namespace
    ``default`` where the file names none, as ``kubectl apply`` would."""
    target = ROOT / path
    files = sorted(target.glob("*.yaml")) if target.is_dir() else [target]
    out = []
    for file in files:
        for doc in yaml.safe_load_all(file.read_text()):
            if doc:
                doc.setdefault("metadata", {}).setdefault("namespace", "default")
                out.append(doc)
    return out


def scene(*paths: str | Path) -> list[dict[str, Any]]:
    return [doc for path in paths for doc in documents(path)]


def objects(*paths: str | Path) -> Objects:
    """The scene as the mapping sees it: kinds rolldeck does not watch (Jobs) are left out."""
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for doc in scene(*paths):
        if doc["kind"] in KIND_KEYS:
            by_kind[KIND_KEYS[doc["kind"]]].append(doc)
    return Objects.of(by_kind)
