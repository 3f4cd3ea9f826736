"""The Flagger gate service as the backend wires it: snapshot, verbs and the operator's audit.

``FlaggerGates`` (``flagger_gates.py``) is the HTTP side Flagger calls. This is the backend's side of
it: start it (a port in use is a problem line, not a crash), tell the mapping which gate each Canary
waits at, open a gate when an operator's verb asks, refuse Flagger verbs while the service is off,
and report each gate Flagger passed — matched to its release — to the listener the operator attached
(``GateAnswers`` in the port), so the answer lands in the one audit log.
"""

from __future__ import annotations

from collections.abc import Callable

from rolldeck.engine.audit import GateAnswer
from rolldeck.engine.kube.flagger_gates import FlaggerGates, GateEvent
from rolldeck.engine.kube.mapping.sources import Discovered
from rolldeck.engine.kube.verbs import GateDecision
from rolldeck.engine.model import Gate, Owner, ReleaseState
from rolldeck.engine.port import ApplyError, Clock

NOT_RUNNING = "rolldeck's Flagger gate service is not running"
GATED_VERBS = ("promote", "step-up", "abort")  # Flagger verbs answered through a gate, not a write

# (cluster or gate key, namespace, canary) → the discovered release, if the backend knows it
FindCanary = Callable[[str, str, str], Discovered | None]


class GateService:
    def __init__(self, gates: FlaggerGates | None, *, clock: Clock, on_change: Callable[[], None], find_canary: FindCanary) -> None:
        self.gates = gates
        self._clock = clock
        self._on_change = on_change
        self._find_canary = find_canary
        self._listener: Callable[[GateAnswer], object] | None = None
        if gates is not None:
            gates.on_event = self._on_event

    @property
    def running(self) -> bool:
        return self.gates is not None

    @property
    def version(self) -> int:
        """Bumped on every gate event: the snapshot's waits and refusals follow it."""
        return self.gates.version if self.gates is not None else 0

    async def start(self) -> str:
        """Listen; "" or the one-line problem (the service is then off, every other part keeps working)."""
        if self.gates is None:
            return ""
        try:
            await self.gates.start()
        except OSError as error:
            problem = f"Flagger gate service: cannot listen on {self.gates.host}:{self.gates.port} ({error.strerror})"
            self.gates = None
            return problem
        return ""

    async def stop(self) -> None:
        if self.gates is not None:
            await self.gates.stop()

    # --- what the snapshot shows ------------------------------------------------------------------

    def waits(self, cluster: str) -> dict[str, str]:
        """``namespace/canary`` → the gate Flagger waits at, for one cluster (and gates with no key)."""
        if self.gates is None:
            return {}
        return {**self.gates.waiting(""), **self.gates.waiting(cluster)}

    def denials(self, release: ReleaseState) -> tuple[tuple[str, str], ...]:
        """Verbs a Flagger release cannot have while nobody answers its gates."""
        if release.owner is Owner.FLAGGER and self.gates is None:
            return tuple((kind, NOT_RUNNING) for kind in GATED_VERBS)
        return ()

    def url(self, cluster: str, gate: str) -> str | None:
        return self.gates.url(cluster, gate) if self.gates is not None else None

    # --- the operator's side -------------------------------------------------------------------------

    def open(self, decision: GateDecision, actor: str) -> str:
        """Open one gate once, for Flagger's next call; the detail line of the applied result."""
        if self.gates is None:
            raise ApplyError("the Flagger gate service is not running")
        self.gates.approve(decision.key, decision.namespace, decision.canary, decision.gate, actor)
        where = f"{decision.namespace}/{decision.canary}"
        return f"{decision.note}: gate {decision.gate} open once for {where} (approved by {actor}); Flagger passes it at its next check"

    def report_gate_answers(self, listener: Callable[[GateAnswer], object]) -> None:
        self._listener = listener

    def _on_event(self, event: GateEvent) -> None:
        self._on_change()
        if event.outcome != "passed" or self._listener is None:
            return
        found = self._find_canary(event.cluster, event.namespace, event.canary)
        self._listener(
            GateAnswer(
                release=str(found.release.ref) if found else f"{event.cluster}/{event.canary}",
                cluster=found.release.cluster if found else event.cluster,
                region=found.release.region if found else "",
                namespace=event.namespace,
                canary=event.canary,
                gate=Gate(event.gate),
                approver=event.actor,
                backend_time=self._clock.now(),
            )
        )
