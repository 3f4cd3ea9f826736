"""Argo CD: which Application manages a release's objects, and its sync and health.

Argo CD marks what it manages with the label ``app.kubernetes.io/instance`` (label tracking, the
default) or the annotation ``argocd.argoproj.io/tracking-id: <app>:<group>/<kind>:<ns>/<name>``
(annotation tracking). Apps outside Argo CD's own namespace appear as ``<namespace>_<app>``. A
label alone is not proof (Helm sets the same label), so only an Application that exists counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rolldeck.engine.kube.mapping.objects import Obj, annotations_of, labels, name_of, namespace_of, spec, status
from rolldeck.engine.model import GitOpsState

INSTANCE_LABEL = "app.kubernetes.io/instance"
TRACKING_ID = "argocd.argoproj.io/tracking-id"


def tracked_app(obj: Mapping[str, Any]) -> str | None:
    tracking = annotations_of(obj).get(TRACKING_ID)
    if tracking and ":" in tracking:
        return tracking.split(":", 1)[0]
    return labels(obj).get(INSTANCE_LABEL) or None


def find_application(app: str, applications: Iterable[Obj]) -> Obj | None:
    namespace, _, name = app.rpartition("_")
    for application in applications:
        if name_of(application) == name and (not namespace or namespace_of(application) == namespace):
            return application
    return None


def gitops_state(application: Mapping[str, Any]) -> GitOpsState:
    st = status(application)
    automated = (spec(application).get("syncPolicy") or {}).get("automated")
    return GitOpsState(
        app=name_of(application),
        sync=str((st.get("sync") or {}).get("status") or "Unknown"),
        health=str((st.get("health") or {}).get("status") or "Unknown"),
        auto_sync=automated is not None,
        self_heal=bool((automated or {}).get("selfHeal")),
    )


def gitops_for(objects: Iterable[Mapping[str, Any]], applications: list[Obj]) -> GitOpsState | None:
    """The first managing Application found among a release's objects (rollout, route, Deployments)."""
    if not applications:
        return None
    for obj in objects:
        app = tracked_app(obj)
        if app:
            application = find_application(app, applications)
            if application is not None:
                return gitops_state(application)
    return None
