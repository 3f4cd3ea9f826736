"""Mutable per-release and per-version state inside the simulated world.

Only the world tick and the control-plane processes touch these objects; the outside sees immutable
``FleetState`` snapshots built from them (``simulator.snapshot``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.model import Phase, ReleaseRef, Role, Strategy
from simulator.latency import LOG_BUCKETS
from simulator.scenario import ReleaseSpec, VersionSpec

# Columns of a per-tick signal row: requests, errors, slow, then one per le bucket incl. +Inf.
REQUESTS, ERRORS, SLOW, FIRST_LE = 0, 1, 2, 3


@dataclass
class Profile:
    """How a revision behaves: its error probability and service-time law."""

    revision: str
    error_rate: float
    dist: str
    mean_s: float
    cv: float

    @classmethod
    def of(cls, spec: VersionSpec) -> Profile:
        cv = 1.0 if spec.service_time.dist == "exponential" else spec.service_time.cv
        return cls(spec.revision, spec.error_rate, spec.service_time.dist, spec.service_time.mean_ms / 1000.0, cv)


@dataclass
class VersionSim:
    name: str
    role: Role
    profile: Profile
    desired_pods: int
    ready_pods: int
    window_ticks: int
    le_count: int
    updated_pods: int = 0
    starting_pods: int = 0
    restarts: int = 0
    backlog: float = 0.0  # requests carried over while arrivals exceed capacity
    # Fault modifiers, set and cleared by the fault timeline.
    error_rate_override: float | None = None
    latency_add_s: float = 0.0
    latency_factor: float = 1.0
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
    phase: Phase = Phase.PROGRESSING
    paused: bool = False
    aborted: bool = False
    step: int | None = None
    step_started: float = 0.0
    active_slot: str | None = None
    preview_slot: str | None = None
    preview_ready_at: float | None = None
    rate_factor: float = 1.0  # traffic spike multiplier, set by the fault timeline
    metrics_down: bool = False  # metrics outage: the console and judge get no signals
    waiting_route: tuple[dict[str, int], object] | None = None  # a weight raise waiting for canary pods
    route_generation: int = 0  # newest control-plane change; older propagations are dropped
    applied_generation: int = 0
    message: str = ""

    def version(self, name: str) -> VersionSim:
        return next(v for v in self.versions if v.name == name)

    def by_role(self, role: Role) -> VersionSim | None:
        return next((v for v in self.versions if v.role is role), None)
