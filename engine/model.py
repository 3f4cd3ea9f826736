"""The immutable fleet model: FleetState → regions → clusters → releases → versions.

Backends build a fresh ``FleetState`` snapshot from their caches; the console samples it at a fixed
rate and the operator plans against it. Nothing here mutates: every class is a frozen dataclass and
collections are tuples, so a snapshot can be shared freely between the UI and the engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from rolldeck.engine.buckets import DEFAULT_LE_BOUNDS, count_above, histogram_quantile
from rolldeck.engine.controller_analysis import AnalysisSummary, ExperimentSummary
from rolldeck.engine.routers import Router
from rolldeck.engine.steps import AnalysisStep, OtherStep, PauseStep, PromotionStep, Step, WeightStep
from rolldeck.engine.traffic import Cohort, Mirror, TrafficRules
from rolldeck.engine.waits import Gate, Wait, WaitKind

__all__ = [
    "AnalysisStep",
    "ClusterHealth",
    "ClusterState",
    "Cohort",
    "DEFAULT_FLAG_STEPS",
    "DEFAULT_WEIGHT_STEPS",
    "Flag",
    "FlagSource",
    "FlagState",
    "FleetState",
    "Gate",
    "GitOpsState",
    "Mirror",
    "OtherStep",
    "Owner",
    "PauseStep",
    "Phase",
    "PromotionStep",
    "RegionState",
    "ReleaseRef",
    "ReleaseState",
    "Replicas",
    "Role",
    "Router",
    "Signals",
    "Split",
    "Step",
    "Strategy",
    "TrafficRules",
    "Unmapped",
    "VersionState",
    "Wait",
    "WaitKind",
    "WeightStep",
]


class Strategy(StrEnum):
    CANARY = "canary"
    BLUE_GREEN = "blue-green"
    ROLLING = "rolling"  # a plain Deployment rolling update: the split follows Ready pods
    AB = "a/b"  # a match cohort (header, cookie…) goes to the candidate; everyone else stays on stable


class Owner(StrEnum):
    """Who owns the release's routes and steps (see the owner rule in DESIGN.md)."""

    ARGO_ROLLOUTS = "argo-rollouts"
    FLAGGER = "flagger"
    UNMANAGED = "unmanaged"  # plain Deployments behind a route or a Service selector

    @property
    def allows_manual_weights(self) -> bool:
        return self is Owner.UNMANAGED


class Phase(StrEnum):
    """Argo Rollouts' phase vocabulary, which Flagger's and plain Deployments' states map onto."""

    PROGRESSING = "Progressing"
    PAUSED = "Paused"
    HEALTHY = "Healthy"
    DEGRADED = "Degraded"
    UNKNOWN = "Unknown"


class Role(StrEnum):
    STABLE = "stable"
    CANDIDATE = "candidate"
    PREVIOUS = "previous"  # the old blue-green slot, kept alive for a while after a switch


@dataclass(frozen=True, slots=True)
class ReleaseRef:
    """A release's identity: one application in one cluster."""

    cluster: str
    name: str

    def __str__(self) -> str:
        return f"{self.cluster}/{self.name}"


@dataclass(frozen=True, slots=True)
class Replicas:
    desired: int = 0
    ready: int = 0
    updated: int = 0

    @property
    def all_ready(self) -> bool:
        return self.desired > 0 and self.ready >= self.desired


@dataclass(frozen=True, slots=True)
class Signals:
    """Counts for one version over a recent window, with a Prometheus ``le`` histogram.

    ``cumulative`` holds one cumulative count per bound plus ``+Inf`` (so its last entry equals the
    number of latency observations). ``slow`` counts requests above the SLO latency threshold.
    """

    window_s: float = 0.0
    requests: int = 0
    errors: int = 0
    slow: int = 0
    bounds: tuple[float, ...] = DEFAULT_LE_BOUNDS
    cumulative: tuple[float, ...] = (0.0,) * (len(DEFAULT_LE_BOUNDS) + 1)

    @property
    def has_data(self) -> bool:
        return self.requests > 0

    @property
    def rps(self) -> float:
        return self.requests / self.window_s if self.window_s > 0 else 0.0

    @property
    def success_ratio(self) -> float | None:
        """Share of non-5xx requests; ``None`` when there were no requests (no data is not success)."""
        if self.requests <= 0:
            return None
        return 1.0 - self.errors / self.requests

    def quantile(self, q: float) -> float | None:
        return histogram_quantile(q, self.bounds, self.cumulative)

    @property
    def p99(self) -> float | None:
        return self.quantile(0.99)

    def slower_than(self, threshold_s: float) -> float:
        return count_above(threshold_s, self.bounds, self.cumulative)


@dataclass(frozen=True, slots=True)
class VersionState:
    """One running revision of the app: the stable/canary pair, or a blue/green slot."""

    name: str  # "stable"/"canary" for canaries, "blue"/"green" for blue-green slots
    revision: str  # image tag or revision label, e.g. "v1.4.2"
    role: Role
    replicas: Replicas = Replicas()
    restarts: int = 0
    signals: Signals = Signals()  # the recent window (rates, success %, p99 for display)
    # Cumulative counts since the backend started watching; None when the metrics source is down.
    # The judge subtracts the totals at a step's start to get "accumulated since the step began".
    totals: Signals | None = None


@dataclass(frozen=True, slots=True)
class Split:
    """Traffic weights per version name, in percent; they always sum to 100 (or the split is empty)."""

    weights: tuple[tuple[str, int], ...] = ()

    @classmethod
    def of(cls, **weights: int) -> Split:
        return cls(tuple(weights.items()))

    def weight(self, version: str) -> int:
        for name, value in self.weights:
            if name == version:
                return value
        return 0

    @classmethod
    def only(cls, name: str, names: tuple[str, ...] | list[str]) -> Split:
        """All traffic to ``name``, none to the other ``names`` (a promotion, an abort, a slot)."""
        return cls(tuple((n, 100 if n == name else 0) for n in names))

    def as_dict(self) -> dict[str, int]:
        return dict(self.weights)

    def __str__(self) -> str:
        return " / ".join(f"{name} {value}%" for name, value in self.weights)


DEFAULT_WEIGHT_STEPS: tuple[int, ...] = (0, 1, 5, 10, 25, 50, 100)


@dataclass(frozen=True, slots=True)
class GitOpsState:
    """An Argo CD Application that manages a release's objects: spec edits are drift to it."""

    app: str
    sync: str = "Unknown"  # Synced, OutOfSync, Unknown
    health: str = "Unknown"  # Healthy, Progressing, Degraded, Suspended, Missing, Unknown
    auto_sync: bool = False  # spec.syncPolicy.automated present
    self_heal: bool = False  # automated.selfHeal: Argo CD reverts spec edits


class FlagState(StrEnum):
    """flagd's own words: a DISABLED flag is not evaluated, so every caller gets its code default
    (the dark path stays off) — that is the kill switch."""

    ENABLED = "ENABLED"
    DISABLED = "DISABLED"


class FlagSource(StrEnum):
    """Where a flag lives: who is written to when it changes."""

    OPENFEATURE = "openfeature"  # the OpenFeature Operator's FeatureFlag resource (flagd definitions)
    UNLEASH = "unleash"  # the Unleash admin API
    SIMULATOR = "simulator"


DEFAULT_FLAG_STEPS: tuple[float, ...] = (0.0, 1.0, 5.0, 25.0, 50.0, 100.0)


@dataclass(frozen=True, slots=True)
class Flag:
    """A runtime toggle inside a release, in one environment.

    ``shares`` is the effective percentage of evaluations per variant while the flag is enabled (it
    sums to 100); a flag without fractional targeting gives its default variant 100 %. ``treatment``
    is the variant a rollout steps up, on a two-variant flag: ``on_variant`` when the source knows it,
    else the one that is not the default.
    """

    key: str
    state: FlagState
    variants: tuple[str, ...]
    default_variant: str
    shares: tuple[tuple[str, float], ...]
    environment: str = ""
    targeting: str = ""  # one line, e.g. "fractional on targetingKey: on 5%, off 95%"
    last_changed_by: str = ""
    source: FlagSource = FlagSource.SIMULATOR
    steps: tuple[float, ...] = DEFAULT_FLAG_STEPS
    on_variant: str | None = None  # the treatment when the source knows it (a boolean flag's true variant)
    # Cumulative counts per evaluated variant since the backend began counting, where the metrics
    # carry the flag (OpenFeature telemetry: feature_flag.key / feature_flag.variant labels); () when
    # they do not. Observations, not the flag's definition: a plan's ``expect`` ignores them.
    cohorts: tuple[tuple[str, Signals], ...] = field(default=(), compare=False)

    @property
    def enabled(self) -> bool:
        return self.state is FlagState.ENABLED

    def share(self, variant: str) -> float:
        return next((value for name, value in self.shares if name == variant), 0.0)

    @property
    def treatment(self) -> str | None:
        if self.on_variant is not None:
            return self.on_variant if len(self.variants) == 2 else None
        others = [v for v in self.variants if v != self.default_variant]
        return others[0] if len(self.variants) == 2 and len(others) == 1 else None

    @property
    def exposure(self) -> float:
        """Percent of evaluations that reach the treatment path now (0 when killed)."""
        treatment = self.treatment
        if not self.enabled or treatment is None:
            return 0.0
        return self.share(treatment)

    def same_shares(self, other: Flag) -> bool:
        """Equal shares whatever their order (an API server may return the variants sorted)."""
        return dict(self.shares) == dict(other.shares)

    def describe_shares(self) -> str:
        return ", ".join(f"{name} {value:g}%" for name, value in self.shares)

    def cohort(self, variant: str) -> Signals | None:
        return next((signals for name, signals in self.cohorts if name == variant), None)


@dataclass(frozen=True, slots=True)
class ReleaseState:
    """One application's delivery in one cluster."""

    ref: ReleaseRef
    region: str
    namespace: str
    strategy: Strategy
    owner: Owner
    phase: Phase
    versions: tuple[VersionState, ...]
    desired: Split  # control plane: what the route or selector says
    observed: Split  # data plane: what traffic actually did in the last window
    paused: bool = False  # not moving until a human acts: a pause flag, or a controller ``wait``
    aborted: bool = False
    step: int | None = None  # index into ``steps`` (Argo's currentStepIndex): the steps before it are done
    steps: tuple[Step, ...] = ()  # the controller's (or scenario's) plan, typed; () for a manual release
    weight_steps: tuple[int, ...] = DEFAULT_WEIGHT_STEPS
    active_slot: str | None = None  # blue-green only
    preview_slot: str | None = None  # blue-green only
    message: str = ""
    metrics_error: str = ""  # non-empty when the metrics source failed: signals are missing, not zero
    step_started: float | None = None  # backend time the current step began, when the backend knows it
    # Detail real clusters provide (engine.kube); the defaults fit the simulator.
    wait: Wait | None = None  # the human decision a controller waits for (a pause step, a gate, …)
    stale_spec: bool = False  # metadata.generation not yet observed by the controller
    router: Router = Router.NONE  # what splits traffic; its capabilities decide mirroring and weights
    revisions: tuple[int, ...] = ()  # rollback targets the cluster still holds, oldest first; the last is current
    mirror: Mirror | None = None  # the version receiving shadow traffic, and how much
    gitops: GitOpsState | None = None  # the Argo CD Application managing this release's objects
    denied: tuple[tuple[str, str], ...] = ()  # (action kind, reason) the cluster's RBAC refuses this user
    rules: TrafficRules = TrafficRules()  # match cohorts and mirrors beside the weighted split
    analyses: tuple[AnalysisSummary, ...] = ()  # the controller's own analysis runs for the current revision
    experiments: tuple[ExperimentSummary, ...] = ()
    unread: tuple[str, ...] = ()  # what rolldeck could not read for this release, instead of a guess
    flags: tuple[Flag, ...] = ()  # runtime toggles inside this release's versions (engine.flags sources)

    @property
    def name(self) -> str:
        return self.ref.name

    @property
    def cluster(self) -> str:
        return self.ref.cluster

    def version(self, name: str) -> VersionState | None:
        for version in self.versions:
            if version.name == name:
                return version
        return None

    def by_role(self, role: Role) -> VersionState | None:
        for version in self.versions:
            if version.role is role:
                return version
        return None

    @property
    def stable(self) -> VersionState | None:
        return self.by_role(Role.STABLE)

    @property
    def candidate(self) -> VersionState | None:
        return self.by_role(Role.CANDIDATE)

    def flag(self, key: str) -> Flag | None:
        return next((f for f in self.flags if f.key == key), None)

    @property
    def step_count(self) -> int | None:
        """How many steps the plan has (step == step_count: all done); None without steps."""
        return len(self.steps) or None

    @property
    def current_step(self) -> Step | None:
        if self.step is None or not 0 <= self.step < len(self.steps):
            return None
        return self.steps[self.step]

    @property
    def candidate_weight(self) -> tuple[int, int]:
        """(desired, observed) weight of the candidate version, in percent."""
        candidate = self.candidate
        if candidate is None:
            return (0, 0)
        return (self.desired.weight(candidate.name), self.observed.weight(candidate.name))

    @property
    def split_lagging(self) -> bool:
        """True while the data plane has not caught up with the control plane."""
        return self.desired.as_dict() != self.observed.as_dict()


@dataclass(frozen=True, slots=True)
class ClusterHealth:
    reachable: bool = True
    last_update_age_s: float = 0.0
    error: str = ""
    # Real clusters only (engine.kube):
    api_latency_ms: float | None = None  # last request round trip to the API server
    watches: int = 0  # watch streams currently open
    controllers: tuple[str, ...] = ()  # APIs found: "argo-rollouts", "flagger", "istio", "gateway-api", "argo-cd"
    warnings: tuple[str, ...] = ()  # e.g. "TLS verification is off", "rollouts: forbidden"


@dataclass(frozen=True, slots=True)
class Unmapped:
    """An object that looks like delivery but that rolldeck cannot read as a release: listed, read-only.

    ``unreadable``: the object itself is malformed (a ``status`` that is a string…); it is set aside
    so the rest of its cluster maps as if it were absent."""

    kind: str  # "HTTPRoute", "VirtualService", "Service"…
    namespace: str
    name: str
    reason: str
    unreadable: bool = False

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}: " + ("unreadable: " if self.unreadable else "") + self.reason


@dataclass(frozen=True, slots=True)
class ClusterState:
    name: str
    region: str
    releases: tuple[ReleaseState, ...] = ()
    health: ClusterHealth = ClusterHealth()
    read_only: bool = False
    unmapped: tuple[Unmapped, ...] = ()


@dataclass(frozen=True, slots=True)
class RegionState:
    name: str
    clusters: tuple[ClusterState, ...] = ()


@dataclass(frozen=True, slots=True)
class FleetState:
    """Everything the console sees at one instant of backend time (seconds)."""

    time: float
    source: str
    regions: tuple[RegionState, ...] = ()
    simulated: bool = False

    def clusters(self) -> Iterator[ClusterState]:
        for region in self.regions:
            yield from region.clusters

    def releases(self) -> Iterator[ReleaseState]:
        for cluster in self.clusters():
            yield from cluster.releases

    def cluster(self, name: str) -> ClusterState | None:
        return next((c for c in self.clusters() if c.name == name), None)

    def release(self, ref: ReleaseRef) -> ReleaseState | None:
        cluster = self.cluster(ref.cluster)
        if cluster is None:
            return None
        return next((r for r in cluster.releases if r.ref == ref), None)
