"""Map per object: a malformed object becomes one "unreadable" row with its reason, never a crash.

The API server checks built-in kinds, but a custom resource (a Rollout, a Canary, a route) can hold
whatever its CRD schema lets through, and a buggy controller or a proxy can send anything. So each
object is checked before it joins the indexes other objects are read through (``readable``), and
mapping one object is guarded (``Guard``): what goes wrong there marks that object, and the rest of
the cluster maps as if it were absent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from rolldeck.engine.kube.mapping.argo_analysis import analysis_summary, experiment_summary
from rolldeck.engine.kube.mapping.argocd import gitops_state, tracked_app
from rolldeck.engine.kube.mapping.objects import (
    Obj,
    Objects,
    controller_of,
    image_tag,
    labels,
    meta,
    name_of,
    namespace_of,
    revision_of,
    spec,
    template_labels,
    workload_replicas,
)
from rolldeck.engine.model import Unmapped

T = TypeVar("T")

# What a bad value raises in pure code over JSON: a str where a mapping was expected, a list too
# short, a number too big. A NameError or an ImportError is a bug in rolldeck and still surfaces.
DATA_ERRORS = (AttributeError, KeyError, IndexError, TypeError, ValueError, ArithmeticError, RecursionError)
MAX_REASON = 160  # one line on the clusters view, whatever the object holds

# The watch's kind, not what the object claims (engine.kube.resources holds the same names, but
# importing it would bring the API client into the pure mapping).
KIND_NAMES = {
    "deployments": "Deployment", "replicasets": "ReplicaSet", "services": "Service", "virtualservices": "VirtualService",
    "destinationrules": "DestinationRule", "httproutes": "HTTPRoute", "rollouts": "Rollout", "analysisruns": "AnalysisRun",
    "experiments": "Experiment", "canaries": "Canary", "applications": "Application",
}
WORKLOADS = ("deployments", "replicasets")
_TYPE_NAMES = {str: "a string", list: "a list", bool: "a boolean", int: "a number", float: "a number"}


def _a(value: object) -> str:
    return _TYPE_NAMES.get(type(value), f"a {type(value).__name__}")


def _not_an_object(where: str, value: object) -> str | None:
    """``where`` must be a JSON object or absent."""
    if value is None or isinstance(value, Mapping):
        return None
    return f"{where} is {_a(value)}, not an object"


def shape_problem(key: str, obj: object) -> str | None:
    """What makes ``obj`` unreadable before any mapping reads it, or None."""
    if not isinstance(obj, Mapping):
        return f"the object is {_a(obj)}, not an object"
    metadata = obj.get("metadata")
    if not isinstance(metadata, Mapping):
        return _not_an_object("metadata", metadata) or "metadata is missing"
    if not isinstance(metadata.get("name"), str) or not metadata["name"]:
        return "metadata.name is missing or not a string"
    for where, value in (
        ("metadata.labels", metadata.get("labels")),
        ("metadata.annotations", metadata.get("annotations")),
        ("spec", obj.get("spec")),
        ("status", obj.get("status")),
    ):
        problem = _not_an_object(where, value)
        if problem:
            return problem
    owners = metadata.get("ownerReferences")
    if owners is not None and (not isinstance(owners, list) or not all(isinstance(o, Mapping) for o in owners)):
        return "metadata.ownerReferences is not a list of objects"
    try:
        _probe(key, obj)
    except DATA_ERRORS as error:
        return describe(error)
    return None


def _probe(key: str, obj: Mapping[str, Any]) -> None:
    """Read what other objects' mapping reads of this one (indexes, owners, versions): if that
    fails, this object is the culprit, not the Rollout or route that happens to look at it."""
    reads: list[Callable[[Mapping[str, Any]], object]] = [
        name_of, namespace_of, lambda o: dict(labels(o)), controller_of, tracked_app, lambda o: str(meta(o).get("uid") or ""),
    ]
    if key in (*WORKLOADS, "rollouts"):
        reads.append(lambda o: dict(template_labels(o)))
    reads += PROBES.get(key, [])
    for read in reads:
        read(obj)


def _selector(service: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in (spec(service).get("selector") or {}).items()}


PROBES: dict[str, list[Callable[[Mapping[str, Any]], object]]] = {
    "deployments": [workload_replicas, image_tag, lambda o: revision_of(o, "deployment.kubernetes.io/revision")],
    "replicasets": [workload_replicas, image_tag, lambda o: revision_of(o, "rollout.argoproj.io/revision")],
    "services": [_selector],  # every Service of a namespace is compared with the others by selector
    "analysisruns": [analysis_summary],
    "experiments": [lambda o: experiment_summary(o, ())],
    "applications": [gitops_state],
}


def describe(error: BaseException) -> str:
    """One line from an exception raised by bad data."""
    text = " ".join(str(error).split()) or type(error).__name__
    line = f"unexpected value ({text})"
    return line if len(line) <= MAX_REASON else line[: MAX_REASON - 1] + "…"


def unreadable(key: str, obj: object, reason: str) -> Unmapped:
    kind = KIND_NAMES.get(key, key)
    metadata = obj.get("metadata") if isinstance(obj, Mapping) else None
    if not isinstance(metadata, Mapping):
        return Unmapped(kind, "", "?", reason, unreadable=True)
    namespace, name = metadata.get("namespace"), metadata.get("name")
    return Unmapped(kind, namespace if isinstance(namespace, str) else "", name if isinstance(name, str) and name else "?", reason, unreadable=True)


@dataclass(frozen=True, slots=True)
class Readable:
    objects: Objects  # what every mapping may read
    rows: tuple[Unmapped, ...]  # one per object set aside
    aside: tuple[tuple[str, Obj], ...]  # (kind key, object) set aside, for claims that can still be read


def readable(objects: Objects) -> Readable:
    kept: dict[str, list[Obj]] = {}
    rows: list[Unmapped] = []
    aside: list[tuple[str, Obj]] = []
    for key, items in objects.by_kind.items():
        kept[key] = []
        for obj in items:
            problem = shape_problem(key, obj)
            if problem is None:
                kept[key].append(obj)
            else:
                rows.append(unreadable(key, obj, problem))
                aside.append((key, obj))
    return Readable(Objects.of(kept), tuple(rows), tuple(aside))


class Guard:
    """Runs one object's mapping; a data error marks that object unreadable instead of raising."""

    def __init__(self) -> None:
        self.rows: list[Unmapped] = []
        self._seen: set[tuple[str, str, str]] = set()

    def run(self, key: str, obj: Obj, mapping: Callable[[], T]) -> T | None:
        try:
            return mapping()
        except DATA_ERRORS as error:
            self.mark(key, obj, describe(error))
            return None

    def mark(self, key: str, obj: Obj, reason: str) -> None:
        row = unreadable(key, obj, reason)
        if (row.kind, row.namespace, row.name) not in self._seen:
            self._seen.add((row.kind, row.namespace, row.name))
            self.rows.append(row)
