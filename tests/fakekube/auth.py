"""Bearer tokens, a tiny RBAC allow table, and the self-subject review endpoints.

A token maps to a user and a list of `Allow` rules. Subresources are distinct resources, as in RBAC:
`Allow("patch", "rollouts")` does not grant `rollouts/status`.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError


def _split(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return tuple(value)


@dataclass(frozen=True)
class Allow:
    """`Allow("get,list,watch", "deployments,replicasets", namespace="prod", group="apps")`.

    `verbs` / `resources` are comma-separated strings or tuples; `*` matches anything; a resource
    `x/*` matches every subresource of x and `*/scale` the scale subresource of anything.
    `namespace=None` means every namespace (and cluster-scoped resources).
    """

    verbs: str | tuple[str, ...] = "*"
    resources: str | tuple[str, ...] = "*"
    namespace: str | None = None
    group: str | tuple[str, ...] = "*"

    def permits(self, verb: str, group: str, resource: str, subresource: str, namespace: str | None) -> bool:
        if self.namespace is not None and namespace != self.namespace:
            return False
        groups = _split(self.group)
        if "*" not in groups and group not in groups:
            return False
        verbs = _split(self.verbs)
        if "*" not in verbs and verb not in verbs:
            return False
        full = f"{resource}/{subresource}" if subresource else resource
        for rule in _split(self.resources):
            if rule in ("*", full):
                return True
            base, _, sub = rule.partition("/")
            if subresource and sub == "*" and base == resource:
                return True
            if subresource and base == "*" and sub == subresource:
                return True
        return False

    def as_rule(self) -> dict[str, Any]:
        return {"verbs": list(_split(self.verbs)), "apiGroups": list(_split(self.group)),
                "resources": list(_split(self.resources))}


FULL_ACCESS: tuple[Allow, ...] = (Allow(),)
READ_ONLY: tuple[Allow, ...] = (Allow("get,list,watch"),)


@dataclass
class Identity:
    user: str
    allow: tuple[Allow, ...] = FULL_ACCESS
    groups: tuple[str, ...] = ("system:authenticated",)

    def can(self, verb: str, group: str, resource: str, subresource: str = "", namespace: str | None = None) -> bool:
        return any(a.permits(verb, group, resource, subresource, namespace) for a in self.allow)


@dataclass
class TokenTable:
    """token → Identity; revoked tokens are kept aside so `restore()` can bring them back."""

    _active: dict[str, Identity] = field(default_factory=dict)
    _revoked: dict[str, Identity] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, token: str, user: str, allow: tuple[Allow, ...] | list[Allow] = FULL_ACCESS) -> Identity:
        identity = Identity(user, tuple(allow))
        with self._lock:
            self._active[token] = identity
            self._revoked.pop(token, None)
        return identity

    def revoke(self, token: str) -> None:
        with self._lock:
            if token in self._active:
                self._revoked[token] = self._active.pop(token)

    def restore(self, token: str) -> None:
        with self._lock:
            if token in self._revoked:
                self._active[token] = self._revoked.pop(token)

    def authenticate(self, token: str | None) -> Identity | None:
        with self._lock:
            return self._active.get(token) if token else None

    def __contains__(self, token: str) -> bool:
        return token in self._active


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", details={})


def forbidden(user: str, verb: str, group: str, resource: str, subresource: str,
              namespace: str | None, name: str | None) -> ApiError:
    """The apiserver's RBAC message, e.g.
    `rollouts.argoproj.io "web" is forbidden: User "bob" cannot patch resource "rollouts/status" in API group "argoproj.io" in the namespace "prod"`.
    """
    qualified = f"{resource}.{group}" if group else resource
    subject = f'{qualified} "{name}"' if name else qualified
    full = f"{resource}/{subresource}" if subresource else resource
    where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
    message = (f'{subject} is forbidden: User "{user}" cannot {verb} resource "{full}" '
               f'in API group "{group}"{where}')
    return ApiError(403, message, details={"name": name or "", "group": group, "kind": resource})


# Non-resource URLs every authenticated user may GET (system:discovery, system:public-info-viewer).
DISCOVERY_PATHS = ("/api", "/api/*", "/apis", "/apis/*", "/version", "/version/", "/healthz", "/livez", "/readyz")


def self_subject_access_review(identity: Identity, body: dict) -> dict:
    review = copy.deepcopy(body)
    review.setdefault("apiVersion", "authorization.k8s.io/v1")
    review.setdefault("kind", "SelfSubjectAccessReview")
    review.setdefault("metadata", {}).setdefault("creationTimestamp", None)
    spec = review.get("spec") or {}
    attrs = spec.get("resourceAttributes")
    if attrs:
        allowed = identity.can(attrs.get("verb", ""), attrs.get("group", ""), attrs.get("resource", ""),
                               attrs.get("subresource", ""), attrs.get("namespace") or None)
    else:
        non = spec.get("nonResourceAttributes") or {}
        path = non.get("path", "")
        allowed = non.get("verb") == "get" and any(
            path == p or (p.endswith("*") and path.startswith(p[:-1])) for p in DISCOVERY_PATHS)
    review["status"] = {"allowed": allowed}
    if allowed:
        review["status"]["reason"] = f'allowed by the fake token table for user "{identity.user}"'
    return review


def self_subject_rules_review(identity: Identity, body: dict) -> dict:
    review = copy.deepcopy(body)
    review.setdefault("apiVersion", "authorization.k8s.io/v1")
    review.setdefault("kind", "SelfSubjectRulesReview")
    review.setdefault("metadata", {}).setdefault("creationTimestamp", None)
    namespace = (review.get("spec") or {}).get("namespace")
    rules = [a.as_rule() for a in identity.allow if a.namespace is None or a.namespace == namespace]
    rules.append({"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
                  "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]})
    review["status"] = {
        "resourceRules": rules,
        "nonResourceRules": [{"verbs": ["get"], "nonResourceURLs": list(DISCOVERY_PATHS)}],
        "incomplete": False,
    }
    return review
