"""The Backend port: what the engine needs from a world it observes and changes.

Two adapters implement it: ``simulator.backend.SimulatorBackend`` (a SimPy world) and
``engine.kube.KubeBackend`` (real clusters). The console and the operator talk only to this
interface, and to the small optional extras below, which they check with ``isinstance``.

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

Optional extras
---------------
* ``PacedBackend``: the operator controls the backend's time (the simulator).
* ``DryRunner``: the backend can preview a plan without storing anything (the API server's
  ``dryRun=All``); the confirm modal shows its lines.
* ``GateAnswers``: the backend answers a controller's gate webhooks (Flagger) and reports each
  answer the controller acted on; the operator built on it records them in its audit log, so gate
  answers take the same audit path as every other mutation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from rolldeck.engine.audit import GateAnswer
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
    pending: bool = False  # accepted, but it takes effect only when the backend's clock runs again


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
    stopped: str  # "" while time moves; why it stopped if the pacing loop died (the console shows it)

    def set_speed(self, speed: float) -> float: ...

    def set_paused(self, paused: bool) -> None: ...


class DryRunKind(StrEnum):
    CHANGE = "change"  # a request the server previewed: what it would change
    NO_REQUEST = "no request"  # the verb sends nothing to the API (it opens a Flagger gate)
    UNAVAILABLE = "unavailable"  # no preview: the server refused it, or the plan no longer holds


@dataclass(frozen=True, slots=True)
class DryRunLine:
    kind: DryRunKind
    text: str  # one line for the operator, e.g. "PATCH /apis/…/rollouts/checkout: spec.paused: true → false"


@dataclass(frozen=True, slots=True)
class DryRun:
    """The answer to a dry run: one line per request the plan would send."""

    lines: tuple[DryRunLine, ...]

    @property
    def complete(self) -> bool:
        """Every request was previewed (a partial preview informs the decision, it never blocks it)."""
        return bool(self.lines) and all(line.kind is not DryRunKind.UNAVAILABLE for line in self.lines)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @classmethod
    def unavailable(cls, reason: str) -> DryRun:
        return cls((DryRunLine(DryRunKind.UNAVAILABLE, reason),))


@runtime_checkable
class DryRunner(Protocol):
    """Optional extra: preview a plan without storing anything."""

    async def dry_run(self, plan: Plan) -> DryRun: ...


@runtime_checkable
class GateAnswers(Protocol):
    """Optional extra for backends that answer a controller's gate webhooks (Flagger's)."""

    def report_gate_answers(self, listener: Callable[[GateAnswer], object]) -> None:
        """Call ``listener`` for every gate a controller passed; a later call replaces the listener."""
        ...
