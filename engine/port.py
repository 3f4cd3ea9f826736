"""The Backend port: what the engine needs from a world it observes and changes.

Two adapters implement it: ``simulator.backend.SimulatorBackend`` (a SimPy world) and, later,
``engine.kube`` (real clusters). The console and the operator talk only to this interface.

Contract
--------
* ``clock.now()`` is the backend's time in seconds. The engine reads time from nowhere else: in a
  simulation it is simulated time, so a two-hour plan runs in seconds headless.
* ``snapshot()`` returns the latest immutable ``FleetState``. It is cheap (built once per backend
  update, not per call) and never blocks; the console samples it at a fixed rate.
* ``apply(plan)`` performs ``plan.change`` on the target release, or raises ``ApplyError`` with a
  one-line reason and changes nothing. It does not re-check the plan's preconditions' wording; it
  must refuse a change the world no longer allows (the release vanished, the cluster is down).
  Backends may apply at their next tick boundary (the simulator does, so drills replay exactly).
* ``start()``/``stop()`` begin and end watching (or pacing, for the simulator). Both are idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from rolldeck.engine.model import FleetState
from rolldeck.engine.plans import Plan


class ApplyError(Exception):
    """A backend refused or failed to apply a plan; ``str(error)`` is one line for the operator."""


@runtime_checkable
class Clock(Protocol):
    def now(self) -> float:
        """Backend time in seconds."""
        ...


@dataclass(frozen=True, slots=True)
class ApplyResult:
    backend_time: float  # when the change was accepted, in backend time
    detail: str = ""  # e.g. "queued for tick 49"


@runtime_checkable
class Backend(Protocol):
    name: str  # shown in the header, e.g. "simulation: canary-5xx" or "live: 3 contexts"

    @property
    def clock(self) -> Clock: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def snapshot(self) -> FleetState: ...

    async def apply(self, plan: Plan) -> ApplyResult: ...


@runtime_checkable
class PacedBackend(Protocol):
    """Optional extra for backends whose time the operator controls (the simulator)."""

    speed: float
    paused: bool

    def set_speed(self, speed: float) -> float: ...

    def set_paused(self, paused: bool) -> None: ...
