"""The kinds rolldeck watches and writes, which API group versions a cluster serves, and the
kubernetes-asyncio calls that list, read and patch each of them.

Built-ins go through the typed APIs (``AppsV1Api``, ``CoreV1Api``); custom resources through
``CustomObjectsApi``. Every call here is made with ``_preload_content=False`` and its status checked
by the caller (pitfall 3), so built-ins and CRs come back as the same plain dicts.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from kubernetes_asyncio.client import ApiClient, ApisApi, AppsV1Api, CoreV1Api, CustomObjectsApi

from rolldeck.engine.bodies import MiB, BodyTooLarge, read_capped
from rolldeck.engine.kube.errors import AnswerTooLarge, http_error
from rolldeck.engine.kube.redaction import scrub_object

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"


@dataclass(frozen=True, slots=True)
class Kind:
    key: str  # cache key and plural, e.g. "virtualservices"
    group: str  # "" for the core group
    version: str
    kind: str
    feature: str  # what its presence means for the console: "core", "istio", "argo-rollouts", …

    @property
    def plural(self) -> str:
        return self.key

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def builtin(self) -> bool:
        return self.group in ("", "apps")

    def path(self, namespace: str, name: str = "", subresource: str = "") -> str:
        """The REST path, for messages and dry-run text (requests go through the library)."""
        root = f"/api/{self.version}" if not self.group else f"/apis/{self.group}/{self.version}"
        path = f"{root}/namespaces/{namespace}/{self.plural}"
        if name:
            path += f"/{name}"
        if subresource:
            path += f"/{subresource}"
        return path


DEPLOYMENTS = Kind("deployments", "apps", "v1", "Deployment", "core")
REPLICASETS = Kind("replicasets", "apps", "v1", "ReplicaSet", "core")
SERVICES = Kind("services", "", "v1", "Service", "core")
BUILTIN_KINDS = (DEPLOYMENTS, REPLICASETS, SERVICES)


@dataclass(frozen=True, slots=True)
class CustomKind:
    key: str
    group: str
    versions: tuple[str, ...]  # in order of preference
    kind: str
    feature: str


CUSTOM_KINDS = (
    CustomKind("virtualservices", "networking.istio.io", ("v1", "v1beta1", "v1alpha3"), "VirtualService", "istio"),
    CustomKind("destinationrules", "networking.istio.io", ("v1", "v1beta1", "v1alpha3"), "DestinationRule", "istio"),
    CustomKind("httproutes", "gateway.networking.k8s.io", ("v1", "v1beta1"), "HTTPRoute", "gateway-api"),
    CustomKind("rollouts", "argoproj.io", ("v1alpha1",), "Rollout", "argo-rollouts"),
    CustomKind("analysisruns", "argoproj.io", ("v1alpha1",), "AnalysisRun", "argo-rollouts"),
    CustomKind("experiments", "argoproj.io", ("v1alpha1",), "Experiment", "argo-rollouts"),
    CustomKind("canaries", "flagger.app", ("v1beta1",), "Canary", "flagger"),
    CustomKind("applications", "argoproj.io", ("v1alpha1",), "Application", "argo-cd"),
)
# Argo CD Applications live in their own namespace (usually argocd): watched cluster-wide even when
# the console is limited to one namespace.
CLUSTER_WIDE = frozenset({"applications"})

Call = Callable[..., Awaitable[Any]]


# One list page (500 objects; etcd keeps each under 1.5 MiB, ours are a few KB) or one object. A body
# past this is refused while it streams, before json.loads; aiohttp inflates gzip in bounded steps
# under flow control, so the cap on the inflated bytes bounds both. Watch lines are bounded by the
# library's read buffer (read_bufsize 2 MiB: a longer line raises, and the watch starts over).
MAX_BODY_BYTES = 64 * MiB


async def read_json(response: Any, cap: int = MAX_BODY_BYTES) -> Any:
    """Body of a raw (``_preload_content=False``) response; non-2xx raises ``HttpError``; a body
    past ``cap`` raises ``AnswerTooLarge`` having read at most one chunk more."""
    try:
        try:
            body = await read_capped(response.content.iter_any(), cap)
        except BodyTooLarge as error:
            response.close()  # half-read: never hand the connection back to the pool
            url = response.url.with_query(None).with_user(None)  # where, without a query or userinfo
            raise AnswerTooLarge(f"Kubernetes answer from {url} {error}") from None
        if not 200 <= response.status <= 299:
            raise http_error(response.status, response.reason or "", body, response.headers)
    finally:
        response.release()
    # strings repeating a credential (an annotation, a condition's message) never reach a model field
    return scrub_object(json.loads(body)) if body else {}


async def discover(api: ApiClient, timeout: tuple[float, float]) -> tuple[list[Kind], list[str]]:
    """Which custom kinds this cluster serves, at the preferred version we understand.

    Returns (kinds, missing features) — the console hides what a cluster lacks instead of erroring.
    """
    groups = await read_json(await ApisApi(api).get_api_versions(_preload_content=False, _request_timeout=timeout))
    served: dict[str, list[str]] = {}
    for group in groups.get("groups") or []:
        served[group.get("name", "")] = [v.get("version", "") for v in group.get("versions") or []]
    found: list[Kind] = list(BUILTIN_KINDS)
    resources_cache: dict[tuple[str, str], set[str]] = {}
    custom = CustomObjectsApi(api)
    for spec in CUSTOM_KINDS:
        version = next((v for v in spec.versions if v in served.get(spec.group, [])), None)
        if version is None:
            continue
        key = (spec.group, version)
        if key not in resources_cache:
            listing = await read_json(
                await custom.get_api_resources(spec.group, version, _preload_content=False, _request_timeout=timeout)
            )
            resources_cache[key] = {r.get("name", "") for r in listing.get("resources") or []}
        if spec.key in resources_cache[key]:
            found.append(Kind(spec.key, spec.group, version, spec.kind, spec.feature))
    features = {k.feature for k in found}
    missing = sorted({s.feature for s in CUSTOM_KINDS} - features)
    return found, missing


def list_call(api: ApiClient, kind: Kind, namespace: str | None) -> Call:
    """The list (and, with ``watch=True``, watch) call for a kind, namespaced or cluster-wide."""
    if kind is DEPLOYMENTS or kind.key == "deployments":
        apps = AppsV1Api(api)
        return partial(apps.list_namespaced_deployment, namespace) if namespace else apps.list_deployment_for_all_namespaces
    if kind.key == "replicasets":
        apps = AppsV1Api(api)
        return partial(apps.list_namespaced_replica_set, namespace) if namespace else apps.list_replica_set_for_all_namespaces
    if kind.key == "services":
        core = CoreV1Api(api)
        return partial(core.list_namespaced_service, namespace) if namespace else core.list_service_for_all_namespaces
    custom = CustomObjectsApi(api)
    if namespace:
        return partial(custom.list_namespaced_custom_object, kind.group, kind.version, namespace, kind.plural)
    return partial(custom.list_cluster_custom_object, kind.group, kind.version, kind.plural)


def get_call(api: ApiClient, kind: Kind, namespace: str, name: str) -> Call:
    if kind.key == "deployments":
        return partial(AppsV1Api(api).read_namespaced_deployment, name, namespace)
    if kind.key == "services":
        return partial(CoreV1Api(api).read_namespaced_service, name, namespace)
    if kind.key == "replicasets":
        return partial(AppsV1Api(api).read_namespaced_replica_set, name, namespace)
    return partial(CustomObjectsApi(api).get_namespaced_custom_object, kind.group, kind.version, namespace, kind.plural, name)


def patch_call(api: ApiClient, kind: Kind, namespace: str, name: str, subresource: str = "") -> Call:
    """``call(body, **options)`` for PATCH on the object or its ``status`` subresource."""
    if subresource not in ("", "status"):
        raise ValueError(f"unsupported subresource {subresource}")
    if kind.key == "deployments":
        apps = AppsV1Api(api)
        method: Callable[..., Awaitable[Any]] = apps.patch_namespaced_deployment_status if subresource else apps.patch_namespaced_deployment
        return partial(method, name, namespace)
    if kind.key == "services":
        core = CoreV1Api(api)
        method_s: Callable[..., Awaitable[Any]] = core.patch_namespaced_service_status if subresource else core.patch_namespaced_service
        return partial(method_s, name, namespace)
    custom = CustomObjectsApi(api)
    method_c: Callable[..., Awaitable[Any]] = custom.patch_namespaced_custom_object_status if subresource else custom.patch_namespaced_custom_object
    return partial(method_c, kind.group, kind.version, namespace, kind.plural, name)
