"""Flagger's canary analysis, simulated (kubernetes-mechanics.md §8).

Every ``interval`` Flagger checks the canary: the request success rate over the last interval must
meet the SLO and no more than 1 % of requests may be slower than the SLO latency (p99 within it).
A failed check counts toward ``threshold`` (then it rolls back: weight 0, phase Failed); a passed one
moves the weight to the next step — unless a ``confirm-traffic-increase`` gate asks first — and at
the last step asks ``confirm-promotion`` (phase WaitingPromotion) before promoting. rolldeck answers
gates the way its gate service does: an operator's decision opens the gate once, and Flagger passes
it at its next check. ``confirm-rollout`` holds the start (phase Waiting); the ``rollback`` gate
rolls back at the next check. Suspend freezes the analysis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from rolldeck.engine.changes import Abort, Change, Pause, Promote, Resume, Retry, SetMirror, SetWeights, SwitchSlot, Undo
from rolldeck.engine.model import Gate, Phase, Role, Wait
from rolldeck.simulator.scenario import FlaggerSpec
from rolldeck.simulator.state import ERRORS, REQUESTS, SLOW, ReleaseSim

if TYPE_CHECKING:
    from rolldeck.simulator.controlplane import ControlPlane

SLOW_BUDGET = 0.01  # Flagger's request-duration check: p99 within the threshold


class FlaggerPhase(StrEnum):
    WAITING = "Waiting"
    PROGRESSING = "Progressing"
    WAITING_PROMOTION = "WaitingPromotion"
    PROMOTING = "Promoting"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"

    @property
    def phase(self) -> Phase:
        """The common row model (kubernetes-mechanics.md §10)."""
        return {
            FlaggerPhase.WAITING: Phase.PAUSED,
            FlaggerPhase.WAITING_PROMOTION: Phase.PAUSED,
            FlaggerPhase.SUCCEEDED: Phase.HEALTHY,
            FlaggerPhase.FAILED: Phase.DEGRADED,
        }.get(self, Phase.PROGRESSING)


@dataclass
class FlaggerState:
    spec: FlaggerSpec
    phase: FlaggerPhase = FlaggerPhase.PROGRESSING
    failed_checks: int = 0
    next_check: float = 0.0
    opened: set[Gate] = field(default_factory=set)  # gates an operator opened, passed once at the next check
    last: tuple[float, float, float] | None = None  # canary (requests, errors, slow) at the last check

    def passes(self, gate: Gate) -> bool:
        """Flagger calls the gate: 2xx when it is not configured, or when an operator opened it (once)."""
        if gate not in self.spec.gates:
            return True
        if gate in self.opened:
            self.opened.discard(gate)
            return True
        return False


class FlaggerController:
    """Runs each Flagger-owned release's analysis at tick boundaries and takes the operator's verbs
    as Flagger would; routes and pods go through the control plane it belongs to."""

    def __init__(self, plane: ControlPlane) -> None:
        self._plane = plane

    def verb(self, release: ReleaseSim, state: FlaggerState, change: Change, now: float) -> None:
        """rolldeck's Flagger verbs: gate answers (passed at the next check), suspend, retry."""
        match change:
            case Promote(full=True):
                self._open(release, state, Gate.CONFIRM_PROMOTION)
            case Promote(full=False):
                self._open(release, state, Gate.CONFIRM_TRAFFIC_INCREASE)
            case Abort():
                self._open(release, state, Gate.ROLLBACK)
            case Pause():
                release.paused = True  # spec.suspend: the analysis freezes where it is
                release.message = f"{state.phase.value}; suspended"
            case Resume():
                if release.paused:
                    release.paused = False
                    release.message = f"{state.phase.value}; resumed"
                elif state.phase is FlaggerPhase.WAITING:
                    self._open(release, state, Gate.CONFIRM_ROLLOUT)
            case Retry():
                if state.phase is FlaggerPhase.FAILED:  # a new pod-template annotation: a new revision to analyse
                    self.start(release, state, now)
            case SetWeights() | SwitchSlot() | Undo() | SetMirror():
                release.message = f"{type(change).__name__} is not a Flagger verb: ignored"  # the planner refuses it first

    def _open(self, release: ReleaseSim, state: FlaggerState, gate: Gate) -> None:
        state.opened.add(gate)
        release.message = f"gate {gate.value} open: Flagger passes it at its next check"

    def start(self, release: ReleaseSim, state: FlaggerState, now: float) -> None:
        """A new revision to analyse: Waiting behind confirm-rollout, else Progressing at the first weight."""
        state.failed_checks, state.opened, state.last = 0, set(), None
        state.next_check = now + state.spec.interval
        release.aborted = False
        if Gate.CONFIRM_ROLLOUT in state.spec.gates:
            self._wait(release, state, FlaggerPhase.WAITING, Gate.CONFIRM_ROLLOUT, "waiting for confirm-rollout before the canary starts")
            return
        self._begin(release, state, now)

    def _begin(self, release: ReleaseSim, state: FlaggerState, now: float) -> None:
        state.phase = FlaggerPhase.PROGRESSING
        release.phase, release.wait, release.step = Phase.PROGRESSING, None, 0
        release.step_started = now
        state.last = _canary_counts(release)

    def tick(self, release: ReleaseSim, state: FlaggerState, now: float) -> None:
        if release.paused or state.phase in (FlaggerPhase.SUCCEEDED, FlaggerPhase.FAILED, FlaggerPhase.PROMOTING):
            return  # suspended, or nothing left to analyse
        if release.step == 0 and state.phase is FlaggerPhase.PROGRESSING:
            self._advance(release, state, now)  # the first weight goes out at once
            return
        if now < state.next_check:
            return
        state.next_check = now + state.spec.interval
        if state.phase is FlaggerPhase.WAITING:
            if state.passes(Gate.CONFIRM_ROLLOUT):
                self._begin(release, state, now)
            return
        if Gate.ROLLBACK in state.opened:  # the inverse gate: 2xx means roll back
            state.opened.discard(Gate.ROLLBACK)
            self._roll_back(release, state, "rolled back: an operator opened the rollback gate")
            return
        problem = self._check(release, state)
        if problem:
            state.failed_checks += 1
            release.message = f"{state.phase.value}; failed checks {state.failed_checks}/{state.spec.threshold}: {problem}"
            if state.failed_checks >= state.spec.threshold:
                self._roll_back(release, state, f"Canary failed! {state.failed_checks} failed checks ({problem}): rolled back")
            return
        weights = state.spec.weights()
        if (release.step or 0) < len(weights):
            if state.passes(Gate.CONFIRM_TRAFFIC_INCREASE):
                self._advance(release, state, now)
            else:
                self._wait(release, state, FlaggerPhase.PROGRESSING, Gate.CONFIRM_TRAFFIC_INCREASE, "check passed: waiting for confirm-traffic-increase")
            return
        if state.passes(Gate.CONFIRM_PROMOTION):
            state.phase = FlaggerPhase.PROMOTING
            release.wait = None
            candidate = release.by_role(Role.CANDIDATE)
            if candidate is not None:
                self._plane.promote_canary(release, candidate.name, now)
            release.message = "Promoting: copying the canary's spec to the primary"
        else:
            self._wait(release, state, FlaggerPhase.WAITING_PROMOTION, Gate.CONFIRM_PROMOTION, "analysis done: waiting for confirm-promotion")

    def _advance(self, release: ReleaseSim, state: FlaggerState, now: float) -> None:
        weights = state.spec.weights()
        index = release.step or 0
        target = weights[index]
        if self._plane.set_step_weight(release, target, f"Progressing: weight {target}%"):
            release.step, release.step_started, release.wait = index + 1, now, None
            state.phase = FlaggerPhase.PROGRESSING
            release.phase = Phase.PROGRESSING

    def _check(self, release: ReleaseSim, state: FlaggerState) -> str:
        """The interval's metric checks; "" when they pass."""
        now = _canary_counts(release)
        before, state.last = state.last, now
        if release.metrics_down:
            return "no values found for the request-success-rate metric"
        if before is None:
            return ""  # the first look only anchors the interval
        requests, errors, slow = (a - b for a, b in zip(now, before, strict=True))
        if requests <= 0:
            return "no values found for the request-success-rate metric"
        success, target = 1.0 - errors / requests, release.spec.slo.success
        if success < target:
            return f"request-success-rate {success:.2%} < {target:.2%}"
        if slow / requests > SLOW_BUDGET:
            return f"request-duration p99 above {release.spec.slo.latency_threshold_s * 1000:.0f} ms"
        return ""

    def _roll_back(self, release: ReleaseSim, state: FlaggerState, message: str) -> None:
        state.phase = FlaggerPhase.FAILED
        state.opened.clear()
        release.aborted, release.wait = True, None
        release.phase = Phase.DEGRADED
        release.message = message
        self._plane.route(release, {v.name: (0 if v.role is Role.CANDIDATE else 100) for v in release.versions})
        candidate = release.by_role(Role.CANDIDATE)
        if candidate is not None:
            self._plane.scale(release, candidate, 0)  # Flagger scales the canary to zero

    def _wait(self, release: ReleaseSim, state: FlaggerState, phase: FlaggerPhase, gate: Gate, message: str) -> None:
        state.phase = phase
        release.phase = phase.phase
        release.wait = Wait.at_gate(gate)
        release.message = message


def _canary_counts(release: ReleaseSim) -> tuple[float, float, float]:
    """The canary's totals, as the mesh's metrics count them (mirrored copies included)."""
    canary = release.by_role(Role.CANDIDATE)
    if canary is None:
        return (0.0, 0.0, 0.0)
    totals = canary.totals
    return (float(totals[REQUESTS]), float(totals[ERRORS]), float(totals[SLOW]))
