"""What this user may do, from SelfSubjectAccessReviews: targeted checks, cached per namespace.

Each verb needs specific permissions (kubernetes-asyncio-notes.md §4: ``patch rollouts`` *and*
``patch rollouts/status``, ``list replicasets`` for undo, …). SelfSubjectRulesReview can come back
``incomplete`` with webhook authorizers (EKS, GKE), so rolldeck asks one SSAR per permission and
keeps the answers for ``ttl_s``. Unknown means allowed: the write itself then fails with one line.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kubernetes_asyncio.client import ApiClient, AuthorizationV1Api

from rolldeck.engine.actions import ActionKind
from rolldeck.engine.kube.errors import one_line
from rolldeck.engine.kube.resources import read_json
from rolldeck.engine.model import Owner, ReleaseState, Router, Strategy


@dataclass(frozen=True, slots=True)
class Permission:
    verb: str
    group: str
    resource: str
    subresource: str = ""

    def __str__(self) -> str:
        resource = f"{self.resource}/{self.subresource}" if self.subresource else self.resource
        return f"{self.verb} {resource}" + (f".{self.group}" if self.group else "")


ROLLOUT_STATUS = Permission("patch", "argoproj.io", "rollouts", "status")
ROLLOUT = Permission("patch", "argoproj.io", "rollouts")
CANARY = Permission("patch", "flagger.app", "canaries")
DEPLOYMENT = Permission("patch", "apps", "deployments")
LIST_RS = Permission("list", "apps", "replicasets")
SERVICE = Permission("patch", "", "services")
VIRTUAL_SERVICE = Permission("patch", "networking.istio.io", "virtualservices")
HTTP_ROUTE = Permission("patch", "gateway.networking.k8s.io", "httproutes")

_WEIGHT_VERBS = (ActionKind.SET_WEIGHT, ActionKind.STEP_UP, ActionKind.STEP_DOWN, ActionKind.PROMOTE, ActionKind.ABORT)


def requirements(release: ReleaseState) -> dict[ActionKind, tuple[Permission, ...]]:
    """The permissions each verb needs on this release, by owner and router."""
    if release.owner is Owner.ARGO_ROLLOUTS:
        status_verbs = (ActionKind.STEP_UP, ActionKind.PROMOTE, ActionKind.ABORT, ActionKind.RETRY, ActionKind.SWITCH_SLOT)
        needs: dict[ActionKind, tuple[Permission, ...]] = {k: (ROLLOUT_STATUS,) for k in status_verbs}
        if release.paused:  # promote also sends {"spec":{"paused":false}}
            needs[ActionKind.STEP_UP] = needs[ActionKind.PROMOTE] = (ROLLOUT_STATUS, ROLLOUT)
        needs[ActionKind.PAUSE] = needs[ActionKind.RESUME] = (ROLLOUT,)
        needs[ActionKind.UNDO] = (ROLLOUT, LIST_RS)
        return needs
    if release.owner is Owner.FLAGGER:  # gate answers need no API permission at all
        return {ActionKind.PAUSE: (CANARY,), ActionKind.RESUME: (CANARY,), ActionKind.RETRY: (DEPLOYMENT,)}
    if release.owner is not Owner.UNMANAGED:
        return {}
    needs = {ActionKind.PAUSE: (DEPLOYMENT,), ActionKind.RESUME: (DEPLOYMENT,), ActionKind.UNDO: (DEPLOYMENT, LIST_RS)}
    if release.strategy is Strategy.ROLLING:
        needs[ActionKind.ABORT] = (DEPLOYMENT, LIST_RS)  # abort = kubectl rollout undo
        return needs
    route = {Router.VIRTUAL_SERVICE: VIRTUAL_SERVICE, Router.HTTP_ROUTE: HTTP_ROUTE, Router.SERVICE: SERVICE}.get(release.router)
    if route is not None:
        for kind in (*_WEIGHT_VERBS, ActionKind.SWITCH_SLOT, ActionKind.SET_MIRROR):
            needs[kind] = (route,)
    return needs


class AccessCache:
    """SSAR answers for one cluster: (namespace, permission) → (allowed, reason, checked at)."""

    def __init__(self, ttl_s: float = 600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._answers: dict[tuple[str, Permission], tuple[bool, str, float]] = {}
        self._pending: set[tuple[str, Permission]] = set()
        self._failed: dict[tuple[str, Permission], float] = {}  # SSAR itself failed: retry later, not per snapshot
        self.retry_failed_s = 60.0
        self.version = 0  # bumped when an answer changes, so snapshots re-map
        self.requests = 0

    @property
    def in_flight(self) -> int:
        """Reviews asked and not answered yet."""
        return len(self._pending)

    def missing(self, namespace: str, permissions: Iterable[Permission]) -> list[Permission]:
        now = self._clock()
        out = []
        for permission in set(permissions):
            key = (namespace, permission)
            answer = self._answers.get(key)
            failed = self._failed.get(key)
            if failed is not None and now - failed < self.retry_failed_s:
                continue
            if key not in self._pending and (answer is None or now - answer[2] > self.ttl_s):
                out.append(permission)
        return out

    def denied(self, release: ReleaseState) -> tuple[tuple[str, str], ...]:
        result = []
        for kind, permissions in requirements(release).items():
            for permission in permissions:
                answer = self._answers.get((release.namespace, permission))
                if answer is not None and not answer[0]:
                    result.append((kind.value, answer[1]))
                    break
        return tuple(result)

    def forget(self) -> None:
        """After a 403 on a write: ask again next time."""
        self._answers.clear()
        self.version += 1

    async def check(self, api: ApiClient, namespace: str, permissions: Iterable[Permission], timeout: tuple[float, float]) -> None:
        authz = AuthorizationV1Api(api)
        todo = [p for p in permissions if (namespace, p) not in self._pending]
        self._pending |= {(namespace, p) for p in todo}
        try:
            await asyncio.gather(*(self._check_one(authz, namespace, p, timeout) for p in todo))
        finally:
            self._pending -= {(namespace, p) for p in todo}

    async def _check_one(self, authz: AuthorizationV1Api, namespace: str, permission: Permission, timeout: tuple[float, float]) -> None:
        # A plain dict: the client serialises it as it would a V1SelfSubjectAccessReview.
        body: Any = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {
                "resourceAttributes": {
                    "namespace": namespace,
                    "verb": permission.verb,
                    "group": permission.group,
                    "resource": permission.resource,
                    "subresource": permission.subresource,
                }
            },
        }
        self.requests += 1
        try:
            review = await read_json(
                await authz.create_self_subject_access_review(body, _preload_content=False, _request_timeout=timeout)
            )
        except Exception:  # unknown stays unknown (= allowed); the write itself will say why if not
            self._answers.pop((namespace, permission), None)
            self._failed[(namespace, permission)] = self._clock()
            return
        self._failed.pop((namespace, permission), None)
        status = review.get("status") or {}
        allowed = bool(status.get("allowed")) and not status.get("denied")
        reason = f"RBAC: you may not {permission} in {namespace}"
        if status.get("reason"):
            reason += f" ({one_line(str(status['reason']), 80)})"
        old = self._answers.get((namespace, permission))
        self._answers[(namespace, permission)] = (allowed, reason, self._clock())
        if old is None or old[0] != allowed:
            self.version += 1
