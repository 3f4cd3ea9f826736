"""What a release waits for before it moves on: a value, so decisions ask its kind, never its text.

Argo Rollouts reports pause conditions (``CanaryPauseStep``, ``BlueGreenPause``,
``InconclusiveAnalysisRun``…), Flagger waits at webhook gates, the simulator at its own pause steps;
each backend maps its words onto one ``Wait`` and keeps the original word in ``reason`` for display.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Gate(StrEnum):
    """Flagger's webhook gates that rolldeck answers (kubernetes-mechanics.md §8)."""

    CONFIRM_ROLLOUT = "confirm-rollout"
    CONFIRM_TRAFFIC_INCREASE = "confirm-traffic-increase"
    CONFIRM_PROMOTION = "confirm-promotion"
    ROLLBACK = "rollback"


class WaitKind(StrEnum):
    PAUSE_STEP = "pause step"  # a step that pauses until a human continues it (or its duration ends)
    PROMOTION = "promotion"  # blue-green: the preview is ready and waits to be promoted
    INCONCLUSIVE = "inconclusive analysis"  # the analysis could not decide: a human does
    GATE = "gate"  # a Flagger gate: confirm-rollout, confirm-traffic-increase, confirm-promotion
    OTHER = "other"  # a pause reason rolldeck has no meaning for; shown as the controller says it


@dataclass(frozen=True, slots=True)
class Wait:
    kind: WaitKind
    gate: Gate | None = None  # GATE only
    reason: str = ""  # the controller's own word, e.g. "CanaryPauseStep"

    @classmethod
    def at_gate(cls, gate: Gate) -> Wait:
        return cls(WaitKind.GATE, gate, gate.value)

    @property
    def label(self) -> str:
        """What the console shows: the controller's word when there is one."""
        return self.reason or (self.gate.value if self.gate else self.kind.value)

    def __str__(self) -> str:
        return self.label
