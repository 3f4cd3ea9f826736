"""Scenario files: the pydantic schema, YAML loading, and errors as ``file:line:col: message``.

A scenario describes the fleet (regions, clusters, releases with their two versions), the traffic,
each release's rollout plan, a fault timeline and the SLOs. Unknown keys are rejected everywhere so
a typo never silently turns a fault off.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from rolldeck.engine import documents
from rolldeck.engine.actions import ActionKind
from rolldeck.engine.buckets import DEFAULT_LE_BOUNDS
from rolldeck.engine.documents import DocumentError, Problem, dotted, problem_of
from rolldeck.engine.model import DEFAULT_WEIGHT_STEPS, Gate, Owner, PauseStep, Router, Step, Strategy, WeightStep
from rolldeck.simulator.durations import parse_duration

Duration = Annotated[float, BeforeValidator(parse_duration)]  # finite, at most a week
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
Weight = Annotated[int, Field(ge=0, le=100)]
Percent = Annotated[float, Field(ge=0.0, le=100.0)]
ServiceMs = Annotated[float, Field(gt=0, le=60_000)]
Cv = Annotated[float, Field(gt=0, le=10)]
# Bounds a user would expect, and that keep a drill's memory and time bounded.
MAX_RPS = 100_000.0
MAX_MS = 600_000.0  # ten minutes, for any added latency or timeout in milliseconds
MAX_SCENARIO_S = 86_400.0  # a day of simulated time
MAX_CLUSTERS = 100
MAX_RELEASES = 1000
MAX_FAULTS = 1000
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _time_of_day(value: object) -> float:
    """'14:00' → seconds after midnight."""
    if not isinstance(value, str) or not _CLOCK.match(value):
        raise ValueError(f"invalid time of day {value!r}: use HH:MM, e.g. 14:00")
    hours, minutes = value.split(":")
    return int(hours) * 3600.0 + int(minutes) * 60.0


TimeOfDay = Annotated[float, BeforeValidator(_time_of_day)]

# The strategies the simulator plays; an A/B (cohort) release is only read from real clusters.
SIM_STRATEGIES = (Strategy.CANARY, Strategy.BLUE_GREEN, Strategy.ROLLING)


def _sim_strategy(value: object) -> object:
    if value in SIM_STRATEGIES or value in {s.value for s in SIM_STRATEGIES}:
        return value
    names = [repr(s.value) for s in SIM_STRATEGIES]
    raise PydanticCustomError("literal_error", f"Input should be {', '.join(names[:-1])} or {names[-1]}")


SimStrategy = Annotated[Strategy, documents.BY_VALUE, BeforeValidator(_sim_strategy)]


def _percent_or_count(value: object) -> str:
    """Kubernetes' IntOrString: 2 or "25%"."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str) and re.fullmatch(r"\d+%?", value) and int(value.rstrip("%")) <= (100 if value.endswith("%") else 10_000):
        return value
    raise ValueError(f"invalid count {value!r}: use a number of pods (2) or a percentage (\"25%\")")


def _increasing(steps: list[int]) -> list[int]:
    if steps != sorted(set(steps)):
        raise ValueError("weight steps must be strictly increasing")
    return steps


def pods_of(value: str, replicas: int, *, round_up: bool) -> int:
    """Resolve an IntOrString against a replica count, rounding as Kubernetes does."""
    if value.endswith("%"):
        exact = replicas * int(value[:-1]) / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(value)


class Strict(BaseModel):
    model_config = documents.MODEL_CONFIG  # strict types, finite floats, no unknown keys


class ServiceComponent(Strict):
    weight: Annotated[float, Field(gt=0, le=1e6)]
    dist: Literal["exponential", "lognormal"] = "exponential"
    mean_ms: ServiceMs = 50.0
    cv: Cv = 1.0


class ServiceTime(Strict):
    dist: Literal["exponential", "lognormal", "mixture"] = "exponential"
    mean_ms: ServiceMs = 50.0
    cv: Cv = 1.0  # coefficient of variation; exponential is always 1
    components: Annotated[list[ServiceComponent], Field(max_length=16)] = []  # mixture only: e.g. a fast cache hit and a slow miss

    @model_validator(mode="after")
    def _mixture_has_components(self) -> ServiceTime:
        if (self.dist == "mixture") != bool(self.components):
            raise ValueError("a mixture needs components, and only a mixture has them")
        return self


class VersionSpec(Strict):
    revision: str
    pods: Annotated[int, Field(ge=0, le=1000)]
    error_rate: Fraction = 0.001
    service_time: ServiceTime = ServiceTime()


class CanaryStep(Strict):
    """``{weight, bake}``: Argo's ``setWeight`` then ``pause`` (for ``bake``; without one, until continued)."""

    weight: Weight
    bake: Duration | None = None  # None: pause here until an operator promotes or resumes


class SLO(Strict):
    success: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.99
    latency_threshold_s: Annotated[float, Field(gt=0, le=3600)] = 0.5


class FlaggerSpec(Strict):
    """A Flagger Canary's analysis (``spec.analysis``): one check per ``interval``; ``threshold``
    failed checks roll back; weights step by ``step_weight`` up to ``max_weight`` (or through
    ``step_weights``); ``gates`` are the webhooks pointing at rolldeck's gate service."""

    interval: Annotated[Duration, Field(ge=1, le=3600)] = 60.0
    threshold: Annotated[int, Field(ge=1, le=1000)] = 5
    step_weight: Annotated[int, Field(ge=1, le=100)] = 10
    max_weight: Annotated[int, Field(ge=1, le=100)] = 50
    step_weights: Annotated[list[Annotated[int, Field(ge=1, le=100)]], AfterValidator(_increasing)] = []  # wins over step_weight / max_weight
    gates: list[Annotated[Gate, documents.BY_VALUE]] = [Gate.CONFIRM_PROMOTION, Gate.ROLLBACK]

    def weights(self) -> tuple[int, ...]:
        if self.step_weights:
            return tuple(self.step_weights)
        return tuple(sorted({min(self.max_weight, w) for w in range(self.step_weight, self.max_weight + self.step_weight, self.step_weight)}))


class SharedDependency(Strict):
    """A dependency every version calls (a database): its utilisation adds latency to all of them."""

    capacity_rps: Annotated[float, Field(gt=0, le=1e7)]
    latency_ms: Annotated[float, Field(ge=0, le=MAX_MS)] = 5.0


class FlagSpec(Strict):
    """A runtime toggle whose code path ships inside a version: ``share`` percent of that version's
    requests take the treatment path while the flag is enabled."""

    key: str
    version: Literal["stable", "candidate", "all"] = "candidate"  # whose code carries the path
    share: Percent = 0.0
    enabled: bool = True
    steps: list[Percent] = [0.0, 1.0, 5.0, 25.0, 50.0, 100.0]  # what a flag step up/down moves through


class ReleaseSpec(Strict):
    name: str
    cluster: str
    namespace: str = "default"
    strategy: SimStrategy
    # Who owns the rollout; default by strategy: Argo Rollouts for canaries and blue-green, a plain
    # Deployment (unmanaged) for rolling updates. The simulated controller plays that owner's verbs.
    owner: Annotated[Owner, documents.BY_VALUE]
    # What splits its traffic; default by strategy: a VirtualService for canaries, a Service selector
    # for blue-green, none for rolling updates (the split follows Ready pods).
    router: Annotated[Router, documents.BY_VALUE]
    rps: Annotated[float, Field(gt=0, le=MAX_RPS)]
    concurrency: Annotated[int, Field(ge=1, le=256)] = 4
    stable: VersionSpec
    candidate: VersionSpec
    steps: Annotated[list[CanaryStep], Field(max_length=100)] = []  # Argo canary plan (unmanaged releases have none: manual weights)
    flagger: FlaggerSpec | None = None  # owner flagger: its analysis (default FlaggerSpec())
    weight: Weight = 0  # owner unmanaged canary: the candidate's weight on the route at the start
    history: list[str] = []  # older revisions (oldest first) behind stable's: undo targets, behaving like stable
    weight_steps: Annotated[list[Weight], AfterValidator(_increasing)] = list(DEFAULT_WEIGHT_STEPS)  # what step up/down moves through
    auto_promote_after: Duration | None = None  # blue-green: switch this long after preview is ready
    scale_down_delay: Duration = 30.0  # blue-green: old slot kept this long after a switch
    propagation_delay: Duration = 3.0  # control plane → data plane for weights and selectors
    scheduling_delay: Duration = 1.0  # pod created → scheduled
    image_pull_delay: Duration = 0.0  # scheduled → container started (0: image cached)
    readiness_delay: Duration = 15.0  # container started → Ready
    lb: Literal["random", "round_robin", "least_request"] = "random"  # least_request pools the queues
    timeout: Annotated[Duration, Field(gt=0)] = 30.0  # the client gives up (504) after this long
    queue_limit: Annotated[int, Field(ge=1, le=100_000)] = 500  # queued requests per pod before 503s are shed
    memory_mb: Annotated[float, Field(gt=0, le=1e6)] = 200.0  # working set of a fresh pod
    memory_limit_mb: Annotated[float, Field(gt=0, le=1e6)] = 512.0
    max_surge: Annotated[str, BeforeValidator(_percent_or_count)] = "25%"  # rolling: extra pods allowed
    max_unavailable: Annotated[str, BeforeValidator(_percent_or_count)] = "25%"  # rolling: pods that may be missing
    progress_deadline: Duration = 600.0  # rolling: no progress this long → ProgressDeadlineExceeded
    abort_scale_down_delay: Duration | None = None  # canary: scale an aborted candidate down (None: keep it)
    mirror: Percent = 0.0  # canary: percent (a float, 0.5 is fine) of stable's requests copied to the candidate from the start
    shared_dependency: SharedDependency | None = None
    flags: list[FlagSpec] = []
    flag_refresh: Duration = 15.0  # flag provider → SDKs: a kill takes this long to reach every pod
    slo: SLO = SLO()

    def controller_steps(self) -> tuple[Step, ...]:
        """The steps as the simulated controller walks them, Argo-shaped: each ``{weight, bake}`` is a
        ``setWeight`` and a ``pause``; a final 100 % needs no pause (past the last step it promotes)."""
        steps: list[Step] = []
        for index, step in enumerate(self.steps):
            steps.append(WeightStep(step.weight))
            last = index == len(self.steps) - 1
            if step.bake is not None or not (last and step.weight >= 100):
                steps.append(PauseStep(step.bake))
        return tuple(steps)

    @model_validator(mode="before")
    @classmethod
    def _defaults_by_strategy(cls, data: object) -> object:
        if isinstance(data, dict):
            strategy = str(data.get("strategy"))
            defaults = {"router": DEFAULT_ROUTERS.get(strategy, Router.NONE), "owner": DEFAULT_OWNERS.get(strategy, Owner.UNMANAGED)}
            return {**{k: v for k, v in defaults.items() if k not in data}, **data}
        return data

    def analysis(self) -> FlaggerSpec:
        return self.flagger or FlaggerSpec()


DEFAULT_OWNERS = {Strategy.CANARY.value: Owner.ARGO_ROLLOUTS, Strategy.BLUE_GREEN.value: Owner.ARGO_ROLLOUTS, Strategy.ROLLING.value: Owner.UNMANAGED}
DEFAULT_ROUTERS = {Strategy.CANARY.value: Router.VIRTUAL_SERVICE, Strategy.BLUE_GREEN.value: Router.SERVICE, Strategy.ROLLING.value: Router.NONE}


class RegionSpec(Strict):
    diurnal_amplitude: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    diurnal_peak: TimeOfDay = 14 * 3600.0


class ClusterSpec(Strict):
    name: str
    region: str
    nodes: Annotated[int, Field(ge=1, le=1000)] = 6


class FaultTarget(Strict):
    release: str | None = None  # None: every release (in the cluster or region)
    cluster: str | None = None  # None: that release in every cluster
    region: str | None = None  # region-wide faults (region outage)
    version: Literal["stable", "candidate", "all"] = "candidate"
    node: Annotated[int, Field(ge=0, le=1000)] | None = None  # noisy neighbour, node drain


class ErrorRateParams(Strict):
    error_rate: Fraction


class LatencyParams(Strict):
    add_ms: Annotated[float, Field(ge=0, le=MAX_MS)] = 0.0
    factor: Annotated[float, Field(gt=0, le=100)] = 1.0


class TrafficSpikeParams(Strict):
    factor: Annotated[float, Field(gt=0, le=100)]


class NoParams(Strict):
    pass


class FaultBase(Strict):
    """What every fault has: its ``type`` tag, the timeline (``at``, ``until``) and its target."""

    type: str  # each fault narrows it to its own Literal tag: the union's discriminator
    at: Duration
    until: Duration | None = None
    target: FaultTarget


class ErrorRateFault(FaultBase):
    type: Literal["error_rate"]
    params: ErrorRateParams


class LatencyFault(FaultBase):
    type: Literal["latency"]
    params: LatencyParams


class TrafficSpikeFault(FaultBase):
    """Arrivals × factor for every version of the targeted releases (a flash crowd, a retry storm)."""

    type: Literal["traffic_spike"]
    params: TrafficSpikeParams


class MetricsOutageFault(FaultBase):
    """The metrics provider stops answering for the targeted releases: signals go missing, not zero."""

    type: Literal["metrics_outage"]
    params: NoParams = NoParams()


class MemoryLeakParams(Strict):
    mb_per_min: Annotated[float, Field(gt=0, le=1e6)]


class PodKillParams(Strict):
    count: Annotated[int, Field(ge=1, le=1000)] = 1


class NoisyNeighbourParams(Strict):
    slowdown: Annotated[float, Field(gt=0, lt=1)] = 0.4  # share of service rate lost on the node


class DependencyLossParams(Strict):
    failure_rate: Fraction = 1.0
    timeout_ms: Annotated[float, Field(gt=0, le=MAX_MS)] = 1000.0


class DependencySlowdownParams(Strict):
    add_ms: Annotated[float, Field(gt=0, le=MAX_MS)]


class FastErrorParams(Strict):
    error_rate: Fraction = 1.0


class RegionOutageParams(Strict):
    failover: bool = True  # the global load balancer moves the region's traffic to the survivors


class ColdStartParams(Strict):
    factor: Annotated[float, Field(ge=1, le=100)] = 3.0
    decay: Annotated[Duration, Field(gt=0)] = 120.0


class DelayParams(Strict):
    delay: Duration


class FlagPathParams(Strict):
    flag: str  # the key of a flag on the targeted releases
    error_rate: Fraction | None = None  # the treatment path's error probability (None: as its version)
    add_ms: Annotated[float, Field(ge=0)] = 0.0


class MemoryLeakFault(FaultBase):
    """Working set grows until the pod is OOM-killed."""

    type: Literal["memory_leak"]
    params: MemoryLeakParams

class CrashLoopFault(FaultBase):
    """Containers exit at start; kubelet backs off 10 s → 5 min."""

    type: Literal["crash_loop"]
    params: NoParams = NoParams()

class PodKillFault(FaultBase):
    """Delete pods; their replacements start from scratch."""

    type: Literal["pod_kill"]
    params: PodKillParams = PodKillParams()

class NodeDrainFault(FaultBase):
    """Evict every pod on one node (target.node)."""

    type: Literal["node_drain"]
    params: NoParams = NoParams()

class NoisyNeighbourFault(FaultBase):
    """Pods on one node serve slower."""

    type: Literal["noisy_neighbour"]
    params: NoisyNeighbourParams = NoisyNeighbourParams()

class DependencySlowdownFault(FaultBase):
    """A shared dependency adds latency to every version."""

    type: Literal["dependency_slowdown"]
    params: DependencySlowdownParams

class DependencyLossFault(FaultBase):
    """Calls to a dependency hang until a timeout."""

    type: Literal["dependency_loss"]
    params: DependencyLossParams = DependencyLossParams()

class DnsFailureFault(FaultBase):
    """Name resolution fails: fast 503s (all versions or the candidate only)."""

    type: Literal["dns_failure"]
    params: FastErrorParams = FastErrorParams()

class CertificateExpiryFault(FaultBase):
    """A dependency's certificate expired: TLS fails for every version."""

    type: Literal["certificate_expiry"]
    params: FastErrorParams = FastErrorParams()

class RegionOutageFault(FaultBase):
    """A region loses all capacity."""

    type: Literal["region_outage"]
    params: RegionOutageParams = RegionOutageParams()

class ColdStartFault(FaultBase):
    """Service time × factor, decaying, after the version starts taking traffic."""

    type: Literal["cold_start"]
    params: ColdStartParams = ColdStartParams()

class PropagationDelayFault(FaultBase):
    """Route and selector changes take this long to reach the data plane."""

    type: Literal["propagation_delay"]
    params: DelayParams

class ApiUnavailableFault(FaultBase):
    """The cluster's API server stops answering: its state goes stale."""

    type: Literal["api_unavailable"]
    params: NoParams = NoParams()

class FlagPathFault(FaultBase):
    """A flag's treatment path misbehaves: only the flag's cohort sees it."""

    type: Literal["flag_path"]
    params: FlagPathParams

Fault = Annotated[
    ErrorRateFault | LatencyFault | TrafficSpikeFault | MetricsOutageFault | MemoryLeakFault | CrashLoopFault
    | PodKillFault | NodeDrainFault | NoisyNeighbourFault | DependencySlowdownFault | DependencyLossFault
    | DnsFailureFault | CertificateExpiryFault | RegionOutageFault | ColdStartFault | PropagationDelayFault
    | ApiUnavailableFault | FlagPathFault,
    Field(discriminator="type"),
]
FAULT_TYPES: tuple[type[FaultBase], ...] = get_args(get_args(Fault)[0])


class AutopilotStep(Strict):
    weight: Weight
    bake: Duration | None = None  # omitted: bake until the judge has enough evidence
    analysis: bool = True
    approval: bool = False


class AutopilotFlagStep(Strict):
    share: Percent  # the flag's treatment share at this step
    bake: Duration | None = None  # omitted: bake until the cohort's judge has enough evidence
    analysis: bool = True


class AutopilotPhase(Strict):
    clusters: list[str]
    soak: Duration = 0.0


class AutopilotPlanSpec(Strict):
    release: str  # application name: one track per cluster running it
    steps: Annotated[list[AutopilotStep], Field(max_length=100)] = []  # canary releases
    # a flag rollout instead of the release's own: the flag's key and its shares, judged on its cohort
    flag: str | None = None
    flag_steps: Annotated[list[AutopilotFlagStep], Field(max_length=100)] = []
    watch: Duration = 120.0  # blue-green releases: judge the new slot this long after the switch
    max_bake: Duration = 1800.0
    phases: list[AutopilotPhase] = []


class JudgeSpec(Strict):
    n_min_errors: Annotated[int, Field(ge=1, le=10**9)] = 700
    n_min_slow: Annotated[int, Field(ge=1, le=10**9)] = 1000
    alpha: Annotated[float, Field(gt=0, lt=0.5)] = 0.01  # false-rollback budget of the whole rollout
    interval: Duration = 60.0  # evidence per interval of simulated time, however often the autopilot looks
    min_intervals: Annotated[int, Field(ge=1, le=1000)] = 3  # closed intervals before any Fail or Pass
    budget_tolerance: Annotated[float, Field(ge=0, lt=1)] = 0.25
    ratio_errors: Annotated[float, Field(ge=1, le=1000)] = 2.0
    ratio_slow: Annotated[float, Field(ge=1, le=1000)] = 1.5
    consecutive_error_limit: Annotated[int, Field(ge=0, le=1000)] = 4


Score = Literal["ttd", "ttm", "budget_ratio", "wrong_actions"]


class Grading(Strict):
    """The rubric (../shared/reference/scenario-catalogue.md §2): what is scored and what is right."""

    reference_policy: Literal["auto"] = "auto"  # par comes from a headless autopilot run, same seed
    score: list[Score] = ["ttd", "ttm", "budget_ratio", "wrong_actions"]
    correct: list[Annotated[ActionKind, documents.BY_VALUE]] = []  # actions that mitigate this scenario
    wrong: list[Annotated[ActionKind, documents.BY_VALUE]] = []  # e.g. abort on a healthy release (a false rollback)
    critical: list[Annotated[ActionKind, documents.BY_VALUE]] = []  # e.g. promote a bad release: fails the drill outright


class AutopilotSpec(Strict):
    interval: Annotated[Duration, Field(ge=1, le=3600)] = 10.0  # below 1 s the looks outnumber the ticks
    judge: JudgeSpec = JudgeSpec()
    plans: list[AutopilotPlanSpec]


class Scenario(Strict):
    scenario: str
    title: str
    briefing: str
    seed: Annotated[int, Field(ge=0, lt=2**32)] = 0  # numpy's seed range
    tick: Annotated[Duration, Field(ge=0.1, le=60)] = 1.0
    duration: Annotated[Duration, Field(gt=0, le=MAX_SCENARIO_S)] = 1800.0
    start_time: TimeOfDay = 10 * 3600.0
    signal_window: Annotated[Duration, Field(gt=0, le=3600)] = 30.0
    latency_buckets_s: Annotated[list[Annotated[float, Field(gt=0, le=3600)]], Field(min_length=1, max_length=64)] = list(DEFAULT_LE_BOUNDS)
    latency_samples: Annotated[int, Field(ge=16, le=10_000)] = 256  # K draws per cell and tick
    regions: Annotated[dict[str, RegionSpec], Field(max_length=MAX_CLUSTERS)]
    clusters: Annotated[list[ClusterSpec], Field(max_length=MAX_CLUSTERS)]
    releases: Annotated[list[ReleaseSpec], Field(max_length=MAX_RELEASES)]
    faults: Annotated[list[Fault], Field(max_length=MAX_FAULTS)] = []
    autopilot: AutopilotSpec | None = None
    expected_action: str = ""  # what a good operator does, for trainers and the debrief
    grading: Grading = Grading()


class ScenarioError(DocumentError):
    """One or more problems, each already formatted as ``file:line:col: message``."""


def load_scenario_text(text: str, source: str) -> Scenario:
    """Parse and validate; raise ScenarioError with every problem located in ``source``."""
    document = documents.parse(text, source, error=ScenarioError)
    if not isinstance(document.data, dict):
        document.fail([Problem((), "a scenario must be a mapping of keys to values")])
    scenario = document.validate(Scenario, read=_problem)
    document.check(_check_references(scenario))
    return scenario


def load_scenario_file(path: Path) -> Scenario:
    return load_scenario_text(documents.read(path, error=ScenarioError), str(path))


_FAULT_TAGS: set[str] = {get_args(cls.model_fields["type"].annotation)[0] for cls in FAULT_TYPES}


def _problem(item: ErrorDetails) -> Problem:
    """Faults are a tagged union: errors name the fault's own keys, and an unknown type its ``type``."""
    path = tuple(item["loc"])
    if len(path) > 2 and path[0] == "faults" and path[2] in _FAULT_TAGS:
        path = path[:2] + path[3:]  # drop pydantic's tag: faults.0.latency.x → faults.0.x
    if item["type"] == "union_tag_invalid":
        path += ("type",)  # point at the fault's type, not the whole fault
        known = ", ".join(sorted(_FAULT_TAGS))
        return Problem(path, f"{dotted(path)}: unknown fault type {item['ctx']['tag']!r} (known: {known})")
    return problem_of({**item, "loc": path})


def _check_references(scenario: Scenario) -> list[Problem]:
    """Cross-field rules pydantic cannot see on one field: names that must exist, unique keys."""
    problems: list[Problem] = []
    clusters = {c.name for c in scenario.clusters}
    seen_clusters: set[str] = set()
    for index, cluster in enumerate(scenario.clusters):
        if cluster.region not in scenario.regions:
            problems.append(Problem(("clusters", index, "region"), f"clusters.{index}.region: unknown region {cluster.region!r} (known: {', '.join(sorted(scenario.regions))})"))
        if cluster.name in seen_clusters:
            problems.append(Problem(("clusters", index, "name"), f"clusters.{index}.name: duplicate cluster {cluster.name!r}"))
        seen_clusters.add(cluster.name)
    seen_releases: set[tuple[str, str]] = set()
    release_names = {r.name for r in scenario.releases}
    for index, release in enumerate(scenario.releases):
        where = f"releases.{index}"
        if release.cluster not in clusters:
            problems.append(Problem(("releases", index, "cluster"), f"{where}.cluster: unknown cluster {release.cluster!r}"))
        key = (release.cluster, release.name)
        if key in seen_releases:
            problems.append(Problem(("releases", index, "name"), f"{where}.name: duplicate release {release.name!r} in {release.cluster}"))
        seen_releases.add(key)
        if release.strategy is not Strategy.CANARY and release.steps:
            problems.append(Problem(("releases", index, "steps"), f"{where}.steps: only canary releases have weight steps"))
        problems.extend(_router_problems(release, index))
        problems.extend(_owner_problems(release, index))
        flag_keys = [f.key for f in release.flags]
        for f_index, flag_key in enumerate(flag_keys):
            if flag_key in flag_keys[:f_index]:
                problems.append(Problem(("releases", index, "flags", f_index, "key"), f"{where}.flags.{f_index}.key: duplicate flag {flag_key!r}"))
        if not any(math.isclose(b, release.slo.latency_threshold_s) for b in scenario.latency_buckets_s):
            problems.append(Problem(("releases", index, "slo", "latency_threshold_s"), f"{where}.slo.latency_threshold_s: {release.slo.latency_threshold_s}s is not one of latency_buckets_s"))
    if scenario.latency_buckets_s != sorted(set(scenario.latency_buckets_s)):
        problems.append(Problem(("latency_buckets_s",), "latency_buckets_s: bounds must be strictly increasing"))
    for index, fault in enumerate(scenario.faults):
        where = f"faults.{index}"
        if fault.target.region is not None and fault.target.region not in scenario.regions:
            problems.append(Problem(("faults", index, "target", "region"), f"{where}.target.region: unknown region {fault.target.region!r}"))
        if fault.target.release is not None and fault.target.release not in release_names:
            problems.append(Problem(("faults", index, "target", "release"), f"{where}.target.release: unknown release {fault.target.release!r}"))
        if fault.target.cluster is not None and fault.target.cluster not in clusters:
            problems.append(Problem(("faults", index, "target", "cluster"), f"{where}.target.cluster: unknown cluster {fault.target.cluster!r}"))
        if isinstance(fault, FlagPathFault):
            targeted = [r for r in scenario.releases if fault.target.release in (None, r.name) and fault.target.cluster in (None, r.cluster)]
            if not any(f.key == fault.params.flag for r in targeted for f in r.flags):
                problems.append(Problem(("faults", index, "params", "flag"), f"{where}.params.flag: no flag {fault.params.flag!r} on the targeted releases"))
        if fault.until is not None and fault.until <= fault.at:
            problems.append(Problem(("faults", index, "until"), f"{where}.until: must be after at"))
    if scenario.autopilot is not None:
        by_name: dict[str, list[ReleaseSpec]] = {}
        for release in scenario.releases:
            by_name.setdefault(release.name, []).append(release)
        for index, plan in enumerate(scenario.autopilot.plans):
            where = f"autopilot.plans.{index}"
            releases = by_name.get(plan.release)
            if not releases:
                problems.append(Problem(("autopilot", "plans", index, "release"), f"{where}.release: unknown release {plan.release!r}"))
                continue
            strategies = {r.strategy for r in releases}
            if plan.flag is not None:
                problems.extend(_flag_plan_problems(plan, releases, index))
            elif plan.flag_steps:
                problems.append(Problem(("autopilot", "plans", index, "flag_steps"), f"{where}.flag_steps: name the flag they step (flag: KEY)"))
            elif Strategy.CANARY in strategies and not plan.steps:
                problems.append(Problem(("autopilot", "plans", index), f"{where}.steps: a canary plan needs steps"))
            if Strategy.BLUE_GREEN in strategies and plan.steps:
                problems.append(Problem(("autopilot", "plans", index, "steps"), f"{where}.steps: blue-green plans have no weight steps (use watch)"))
            for p_index, phase in enumerate(plan.phases):
                for c_index, phase_cluster in enumerate(phase.clusters):
                    if phase_cluster not in {r.cluster for r in releases}:
                        problems.append(Problem(("autopilot", "plans", index, "phases", p_index, "clusters", c_index), f"{where}.phases.{p_index}.clusters.{c_index}: {plan.release!r} does not run in {phase_cluster!r}"))
    return problems


def _flag_plan_problems(plan: AutopilotPlanSpec, releases: list[ReleaseSpec], index: int) -> list[Problem]:
    where = f"autopilot.plans.{index}"
    found: list[Problem] = []
    if plan.steps:
        found.append(Problem(("autopilot", "plans", index, "steps"), f"{where}.steps: a flag rollout steps shares (flag_steps), not weights"))
    if not plan.flag_steps:
        found.append(Problem(("autopilot", "plans", index, "flag_steps"), f"{where}.flag_steps: a flag rollout needs its shares"))
    missing = [r.cluster for r in releases if plan.flag not in {f.key for f in r.flags}]
    if missing:
        found.append(Problem(("autopilot", "plans", index, "flag"), f"{where}.flag: {plan.release!r} has no flag {plan.flag!r} in {', '.join(missing)}"))
    return found


def _owner_problems(release: ReleaseSpec, index: int) -> list[Problem]:
    """What the declared owner cannot play: steps without a controller, a Deployment under Argo…"""
    where, owner, strategy = f"releases.{index}", release.owner, release.strategy
    found: list[tuple[str, str]] = []
    if owner is Owner.UNMANAGED:
        if release.steps:
            found.append(("steps", "an unmanaged release has no controller steps: weights are set by hand (or use owner argo-rollouts)"))
        if release.weight and release.strategy is not Strategy.CANARY:
            found.append(("weight", "only a canary's route has a weight"))
        if release.auto_promote_after is not None:
            found.append(("auto_promote_after", "an unmanaged blue-green release has no controller to promote it: switch by hand (or use owner argo-rollouts)"))
    else:
        if strategy is Strategy.ROLLING:
            found.append(("owner", f"a rolling update is a plain Deployment: owner unmanaged, not {owner.value}"))
        if release.weight:
            found.append(("weight", f"{owner.value} sets the weight from its own steps: use steps (or owner unmanaged)"))
    if owner is Owner.FLAGGER:
        if strategy is not Strategy.CANARY:
            found.append(("owner", "the simulator plays Flagger canaries only"))
        if release.steps:
            found.append(("steps", "Flagger steps by its own analysis: use flagger.step_weight / max_weight or flagger.step_weights"))
    elif release.flagger is not None:
        found.append(("flagger", f"only owner flagger has a Flagger analysis (owner is {owner.value})"))
    if owner is Owner.ARGO_ROLLOUTS and strategy is Strategy.BLUE_GREEN and release.router is not Router.SERVICE:
        found.append(("router", "an Argo Rollouts blue-green release switches Services: router Service"))
    return [Problem(("releases", index, key), f"{where}.{key}: {text}") for key, text in found]


def _router_problems(release: ReleaseSpec, index: int) -> list[Problem]:
    """A router that cannot do what the release asks of it (weights, one slot, a mirror)."""
    where, router = f"releases.{index}", release.router
    fits = {
        Strategy.CANARY: router.supports_weights,
        Strategy.BLUE_GREEN: router.selects_slot or router.supports_weights,
        Strategy.ROLLING: router is Router.NONE,
    }[release.strategy]
    problems = []
    if not fits:
        problems.append(Problem(("releases", index, "router"), f"{where}.router: a {release.strategy.value} release cannot be routed by {router.value} ({router.label})"))
    if release.mirror > 0 and not router.supports_mirror:
        problems.append(Problem(("releases", index, "mirror"), f"{where}.mirror: mirroring needs router VirtualService (this is {router.label})"))
    return problems
