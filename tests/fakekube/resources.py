"""The resource types a fake cluster serves: built-ins plus optional CRD sets.

One `ResourceType` per (group, version, plural). Several versions of a group share storage: the
store keys objects by (group, plural), and responses carry the apiVersion the client asked for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

READ_VERBS = ("get", "list", "watch")
ALL_VERBS = ("create", "delete", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceType:
    group: str  # "" for the core group
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    subresources: frozenset[str] = frozenset()  # "status", "scale"
    builtin: bool = True  # built-ins accept strategic merge patch; CRs answer 415
    verbs: tuple[str, ...] = ALL_VERBS
    categories: tuple[str, ...] = ()
    # Where /scale reads and writes (CRDs declare these paths; built-ins use spec/status.replicas).
    scale_status_path: str = "status.replicas"
    scale_selector_path: str | None = None

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def api_version(self) -> str:
        return self.group_version

    @property
    def storage_key(self) -> tuple[str, str]:
        return (self.group, self.plural)

    @property
    def qualified(self) -> str:
        """`deployments.apps` / `pods`: how error messages name a resource."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources


def _versions(rt: ResourceType, versions: Iterable[str]) -> list[ResourceType]:
    return [replace(rt, version=v) for v in versions]


_SS = frozenset({"status", "scale"})
_S = frozenset({"status"})

BUILTINS: list[ResourceType] = [
    ResourceType("", "v1", "namespaces", "Namespace", namespaced=False, short_names=("ns",), subresources=_S),
    ResourceType("", "v1", "pods", "Pod", short_names=("po",), subresources=_S, categories=("all",)),
    ResourceType("", "v1", "services", "Service", short_names=("svc",), subresources=_S, categories=("all",)),
    ResourceType("", "v1", "configmaps", "ConfigMap", short_names=("cm",)),
    ResourceType("", "v1", "events", "Event", short_names=("ev",)),  # kubectl describe lists them
    ResourceType("apps", "v1", "deployments", "Deployment", short_names=("deploy",), subresources=_SS,
                 categories=("all",), scale_selector_path="spec.selector"),
    ResourceType("apps", "v1", "replicasets", "ReplicaSet", short_names=("rs",), subresources=_SS,
                 categories=("all",), scale_selector_path="spec.selector"),
    ResourceType("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview",
                 namespaced=False, verbs=("create",)),
    ResourceType("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview",
                 namespaced=False, verbs=("create",)),
]


def _crd(group: str, version: str, plural: str, kind: str, **kw: Any) -> ResourceType:
    return ResourceType(group, version, plural, kind, builtin=False, **kw)


def _istio(versions: Iterable[str]) -> list[ResourceType]:
    vs = _crd("networking.istio.io", "v1", "virtualservices", "VirtualService", short_names=("vs",),
              subresources=_S, categories=("istio-io", "networking-istio-io"))
    dr = _crd("networking.istio.io", "v1", "destinationrules", "DestinationRule", short_names=("dr",),
              subresources=_S, categories=("istio-io", "networking-istio-io"))
    versions = list(versions)
    return _versions(vs, versions) + _versions(dr, versions)


def _argo_rollouts(rollout_status: bool) -> list[ResourceType]:
    g, v = "argoproj.io", "v1alpha1"
    return [
        _crd(g, v, "rollouts", "Rollout", short_names=("ro",),
             subresources=_SS if rollout_status else frozenset({"scale"}),
             scale_status_path="status.HPAReplicas", scale_selector_path="status.selector"),
        _crd(g, v, "analysisruns", "AnalysisRun", short_names=("ar",)),
        _crd(g, v, "analysistemplates", "AnalysisTemplate", short_names=("at",)),
        _crd(g, v, "clusteranalysistemplates", "ClusterAnalysisTemplate", short_names=("cat",), namespaced=False),
        _crd(g, v, "experiments", "Experiment", short_names=("exp",)),
    ]


def crd_set(name: str, *, rollout_status_subresource: bool = True) -> list[ResourceType]:
    """Resource types of one named CRD set (see README for the names)."""
    sets = {
        "istio": lambda: _istio(["v1", "v1beta1", "v1alpha3"]),
        "istio-v1beta1": lambda: _istio(["v1beta1"]),
        "gateway-api": lambda: _versions(
            _crd("gateway.networking.k8s.io", "v1", "httproutes", "HTTPRoute", subresources=_S,
                 categories=("gateway-api",)), ["v1", "v1beta1"]),
        "argo-rollouts": lambda: _argo_rollouts(rollout_status_subresource),
        "argo-cd": lambda: [_crd("argoproj.io", "v1alpha1", "applications", "Application",
                                 short_names=("app", "apps"))],
        # OpenFeature Operator (https://github.com/open-feature/open-feature-operator, config/crd/bases)
        "openfeature": lambda: [
            _crd("core.openfeature.dev", "v1beta1", "featureflags", "FeatureFlag", short_names=("ff",), subresources=_S),
        ],
        "flagger": lambda: [
            _crd("flagger.app", "v1beta1", "canaries", "Canary", short_names=("canary",), subresources=_S),
            _crd("flagger.app", "v1beta1", "metrictemplates", "MetricTemplate", subresources=_S),
            _crd("flagger.app", "v1beta1", "alertproviders", "AlertProvider", subresources=_S),
        ],
    }
    if name not in sets:
        raise ValueError(f"unknown CRD set {name!r}; known: {sorted(sets)}")
    return sets[name]()


# Opt-in (ClusterSpec.extra_resources): Argo Rollouts' job metric provider runs AnalysisRun
# measurements as Jobs, and the plugin's test scenes carry them.
JOBS = ResourceType("batch", "v1", "jobs", "Job", subresources=_S, categories=("all",))

# Workload kinds of the groups removed in Kubernetes 1.16 (objects from older clusters, e.g. the Argo
# Rollouts plugin's test data): stored and served as apps/v1.
LEGACY_WORKLOAD_GROUPS = frozenset(
    (group, kind) for group in ("extensions", "apps") for kind in ("Deployment", "ReplicaSet", "DaemonSet")
)

ALL_CRDS: frozenset[str] = frozenset({"istio", "gateway-api", "argo-rollouts", "argo-cd", "flagger"})


@dataclass
class Registry:
    """All resource types one cluster serves, with lookups by URL parts and by object."""

    types: list[ResourceType] = field(default_factory=list)

    @classmethod
    def build(cls, crds: Iterable[str], *, rollout_status_subresource: bool = True,
              extra: Iterable[ResourceType] = ()) -> "Registry":
        types = list(BUILTINS)
        for name in sorted(set(crds)):
            types += crd_set(name, rollout_status_subresource=rollout_status_subresource)
        types += list(extra)
        return cls(types)

    def group_versions(self) -> dict[str, list[str]]:
        """group → served versions, preferred (first registered) first."""
        out: dict[str, list[str]] = {}
        for rt in self.types:
            versions = out.setdefault(rt.group, [])
            if rt.version not in versions:
                versions.append(rt.version)
        return out

    def in_group_version(self, group: str, version: str) -> list[ResourceType]:
        return [rt for rt in self.types if rt.group == group and rt.version == version]

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        for rt in self.types:
            if (rt.group, rt.version, rt.plural) == (group, version, plural):
                return rt
        return None

    def for_object(self, obj: dict) -> ResourceType:
        """The type of `obj` by apiVersion+kind; another served version of the group will do
        (storage is shared), so a v1 builder can seed a cluster that serves only v1beta1."""
        api_version = obj.get("apiVersion", "")
        group, _, version = api_version.rpartition("/")
        if (group, obj.get("kind")) in LEGACY_WORKLOAD_GROUPS:
            group, version = "apps", "v1"  # as a 1.16+ server stores what older clusters wrote
        same_kind = [rt for rt in self.types if rt.group == group and rt.kind == obj.get("kind")]
        for rt in same_kind:
            if rt.version == version:
                return rt
        if same_kind:
            return same_kind[0]
        raise KeyError(f"this cluster serves no {obj.get('kind')} in {group or 'the core group'} "
                       f"(apiVersion {api_version!r}); check ClusterSpec.crds")

    def find(self, name: str) -> ResourceType:
        """By kind, plural, short name or `plural.group` (first served version)."""
        for rt in self.types:
            names = {rt.kind, rt.kind.lower(), rt.plural, rt.qualified, *rt.short_names}
            if name in names:
                return rt
        raise KeyError(f"no resource type named {name!r}")
