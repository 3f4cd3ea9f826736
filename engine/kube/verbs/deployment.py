"""Plain Deployment verbs as ``kubectl rollout pause|resume|undo`` send them (kubernetes-mechanics.md §3)."""

from __future__ import annotations

from collections.abc import Iterable

from rolldeck.engine.kube.mapping import objects
from rolldeck.engine.kube.mapping.objects import Obj, name_of, namespace_of, owned_by, revision_of, spec
from rolldeck.engine.kube.resources import DEPLOYMENTS, JSON_PATCH, STRATEGIC_MERGE_PATCH
from rolldeck.engine.kube.verbs.write import Intent, StateChanged, Write, pointer, template_without_label

REVISION = "deployment.kubernetes.io/revision"
POD_TEMPLATE_HASH = "pod-template-hash"
# kubectl's annotationsToSkip (polymorphichelpers/rollback.go): kept from the Deployment, not the RS
KEEP_FROM_DEPLOYMENT = (
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
)


def set_paused(deployment: Obj, paused: bool) -> Intent:
    """``kubectl rollout pause|resume``: a strategic merge patch of ``spec.paused``."""
    if bool(spec(deployment).get("paused")) == paused:
        raise StateChanged(f"deployment {name_of(deployment)} is already {'paused' if paused else 'running'}")
    note = "pause" if paused else "resume"
    write = Write(DEPLOYMENTS, namespace_of(deployment), name_of(deployment), {"spec": {"paused": paused}}, STRATEGIC_MERGE_PATCH, note=note)
    return Intent((write,), summary=f"{note} deployment {name_of(deployment)}")


def undo(deployment: Obj, replicasets: Iterable[Obj], to_revision: int | None) -> Intent:
    """``kubectl rollout undo [--to-revision=N]``, step by step (``DeploymentRollbacker.Rollback``)."""
    name = name_of(deployment)
    if spec(deployment).get("paused"):
        raise StateChanged("you cannot rollback a paused deployment; resume it first")
    owned = [rs for rs in replicasets if owned_by(rs, deployment)]
    by_revision = {r: rs for rs in owned if (r := revision_of(rs, REVISION)) is not None}
    ordered = sorted(by_revision)
    if to_revision in (None, 0):
        if len(ordered) < 2:
            raise StateChanged(f"no rollout history found for deployment {name}")
        to_revision = ordered[-2]  # the second-highest revision
    target = by_revision.get(to_revision)
    if target is None:
        raise StateChanged(f"unable to find the specified revision {to_revision} for deployment {name}")
    template = template_without_label(spec(target).get("template") or {}, POD_TEMPLATE_HASH)
    if template == template_without_label(spec(deployment).get("template") or {}, POD_TEMPLATE_HASH):
        raise StateChanged(f"skipped rollback (current template already matches revision {to_revision})")
    kept = {k: v for k, v in objects.annotations_of(deployment).items() if k in KEEP_FROM_DEPLOYMENT}
    copied = {k: v for k, v in objects.annotations_of(target).items() if k not in KEEP_FROM_DEPLOYMENT}
    ops = [
        {"op": "replace", "path": pointer("spec", "template"), "value": template},
        {"op": "replace", "path": pointer("metadata", "annotations"), "value": {**kept, **copied}},
    ]
    write = Write(DEPLOYMENTS, namespace_of(deployment), name, ops, JSON_PATCH, note=f"roll back to revision {to_revision}")
    return Intent((write,), summary=f"undo deployment {name} to revision {to_revision}", extra={"revision": to_revision})
