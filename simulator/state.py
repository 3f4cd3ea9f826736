"""Mutable per-release and per-version state inside the simulated world.

Only the world tick and the control-plane processes touch these objects; the outside sees immutable
``FleetState`` snapshots built from them (``simulator.snapshot``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from rolldeck.engine.model import Mirror, Owner, Phase, ReleaseRef, Role, Step, Strategy, Wait
from rolldeck.simulator.flags import FlagSim
from rolldeck.simulator.latency import LOG_BUCKETS
from rolldeck.simulator.pods import Pod, PodState
from rolldeck.simulator.scenario import ReleaseSpec, VersionSpec

if TYPE_CHECKING:
    from rolldeck.simulator.flagger import FlaggerState
    from rolldeck.simulator.revisions import Revision

# Columns of a per-tick signal row: requests, errors, slow, shed (503 at the queue limit), timeouts,
# shadow (mirrored copies, part of requests), user-facing bad (errors or slow, shadow excluded), then
# one column per le bucket incl. +Inf.
REQUESTS, ERRORS, SLOW, SHED, TIMEOUTS, SHADOW, USER_BAD, FIRST_LE = range(8)


@dataclass(frozen=True)
class Component:
    weight: float
    dist: str
    mean_s: float
    cv: float


@dataclass
class Profile:
    """How a revision behaves: its error probability and service-time law (a mixture of components)."""

    revision: str
    error_rate: float
    components: tuple[Component, ...]

    @classmethod
    def of(cls, spec: VersionSpec) -> Profile:
        st = spec.service_time
        if st.dist == "mixture":
            total = sum(c.weight for c in st.components)
            parts = tuple(
                Component(c.weight / total, c.dist, c.mean_ms / 1000.0, 1.0 if c.dist == "exponential" else c.cv)
                for c in st.components
            )
        else:
            parts = (Component(1.0, st.dist, st.mean_ms / 1000.0, 1.0 if st.dist == "exponential" else st.cv),)
        return cls(spec.revision, spec.error_rate, parts)

    @property
    def mean_s(self) -> float:
        return sum(c.weight * c.mean_s for c in self.components)

    @property
    def cv(self) -> float:
        """Coefficient of variation of the whole mixture: sqrt(E[S²]/E[S]² − 1)."""
        second = sum(c.weight * c.mean_s**2 * (1.0 + c.cv**2) for c in self.components)
        return math.sqrt(max(0.0, second / self.mean_s**2 - 1.0))


@dataclass
class VersionSim:
    name: str
    role: Role
    profile: Profile
    desired_pods: int
    window_ticks: int
    le_count: int
    pods: list[Pod] = field(default_factory=list)
    updated_pods: int = 0
    restarts: int = 0
    backlog: float = 0.0  # requests carried over while arrivals exceed capacity
    backlog_spread: float = 0.0  # variance of the per-pod backlogs while a backlog lasts
    # Fault modifiers, set and cleared by the fault timeline.
    error_rate_override: float | None = None
    latency_add_s: float = 0.0
    latency_factor: float = 1.0
    fast_error_rate: float = 0.0  # DNS failures, expired certificates: 503s in a few ms
    timeout_rate: float = 0.0  # calls to a lost dependency that hang, then fail
    dependency_timeout_s: float = 0.0  # how long those calls hang
    crash_looping: bool = False
    leak_mb_per_s: float = 0.0
    leak_since: float = 0.0
    base_memory_mb: float = 200.0
    memory_limit_mb: float = 512.0
    cold_factor: float = 1.0  # service time × this right after the version starts taking traffic
    cold_decay_s: float = 120.0
    serving_since: float | None = None  # when the data plane started sending it traffic
    # Conservation counters over the run (floats: the backlog is fluid).
    arrivals_total: float = 0.0
    served_total: float = 0.0
    shed_total: float = 0.0
    ring: np.ndarray = field(init=False)
    window: np.ndarray = field(init=False)
    totals: np.ndarray = field(init=False)
    fine: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        width = FIRST_LE + self.le_count + 1
        self.ring = np.zeros((self.window_ticks, width))
        self.window = np.zeros(width)
        self.totals = np.zeros(width)
        self.fine = np.zeros(LOG_BUCKETS)

    @property
    def ready(self) -> list[Pod]:
        return [p for p in self.pods if p.state is PodState.READY]

    @property
    def ready_pods(self) -> int:
        return sum(1 for p in self.pods if p.state is PodState.READY)

    @property
    def error_rate(self) -> float:
        return self.profile.error_rate if self.error_rate_override is None else self.error_rate_override

    def record(self, tick: int, row: np.ndarray) -> None:
        """Add one tick's counts to the rolling window and the run totals."""
        slot = tick % self.window_ticks
        self.window += row - self.ring[slot]
        self.ring[slot] = row
        self.totals += row


@dataclass
class ReleaseSim:
    ref: ReleaseRef
    region: str
    spec: ReleaseSpec
    strategy: Strategy
    versions: list[VersionSim]
    desired: dict[str, int]  # control plane
    effective: dict[str, int]  # data plane, after propagation
    owner: Owner = Owner.UNMANAGED  # whose verbs the simulated controller plays
    phase: Phase = Phase.PROGRESSING
    paused: bool = False  # the pause flag: Argo spec.paused, Flagger suspend, a Deployment's spec.paused
    aborted: bool = False
    wait: Wait | None = None  # what the simulated controller waits for a human to decide (apart from ``paused``)
    flagger: FlaggerState | None = None  # owner flagger: its analysis
    revisions: list[Revision] = field(default_factory=list)  # oldest first; the last is current
    steps: tuple[Step, ...] = ()  # the controller's steps (canary); step indexes them as Argo's currentStepIndex
    step: int | None = None
    step_started: float = 0.0
    active_slot: str | None = None
    preview_slot: str | None = None
    preview_ready_at: float | None = None
    mirror: Mirror | None = None  # the version stable's requests are copied to, and what percent
    autopilot_driven: bool = False  # the engine's autopilot plays this release's rollout controller
    region_down: bool = False  # a region outage: no capacity in this cluster
    rate_factor: float = 1.0  # traffic spike multiplier, set by the fault timeline
    failover_factor: float = 1.0  # extra traffic from a failed region, shared by the survivors
    propagation_override: float | None = None  # a propagation-delay spike
    metrics_down: bool = False  # metrics outage: the console and judge get no signals
    waiting_route: tuple[dict[str, int], Callable[[], None] | None] | None = None  # a weight raise waiting for canary pods
    rolling_ready: int = 0  # rolling updates: new pods Ready at the last progress
    rolling_progress_at: float = 0.0
    route_generation: int = 0  # newest control-plane change; older propagations are dropped
    applied_generation: int = 0
    message: str = ""
    flags: list[FlagSim] = field(default_factory=list)  # toggles inside its versions (simulator.flags)

    def flag(self, key: str) -> FlagSim | None:
        return next((f for f in self.flags if f.key == key), None)

    def version(self, name: str) -> VersionSim:
        return next(v for v in self.versions if v.name == name)

    def by_role(self, role: Role) -> VersionSim | None:
        return next((v for v in self.versions if v.role is role), None)

    @property
    def current_step(self) -> Step | None:
        if self.step is None or not 0 <= self.step < len(self.steps):
            return None
        return self.steps[self.step]
