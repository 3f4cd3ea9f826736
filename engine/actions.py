"""Operator intents. An action says *what* someone wants; a plan (``engine.plans``) says whether and how."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rolldeck.engine.model import ReleaseRef


class ActionKind(StrEnum):
    SET_WEIGHT = "set-weight"
    STEP_UP = "step-up"
    STEP_DOWN = "step-down"
    PROMOTE = "promote"
    PAUSE = "pause"
    RESUME = "resume"
    ABORT = "abort"
    SWITCH_SLOT = "switch-slot"
    # Controller and cluster verbs (engine.kube); planners refuse them where the owner has no such verb.
    RETRY = "retry"  # restart an aborted/failed rollout from its first step
    UNDO = "undo"  # roll the candidate's template back to a revision (``revision``; None = the previous one)
    SET_MIRROR = "set-mirror"  # shadow ``percent`` of traffic to the candidate (0 stops mirroring)

    @property
    def shifts_traffic(self) -> bool:
        return self in (
            ActionKind.SET_WEIGHT,
            ActionKind.STEP_UP,
            ActionKind.STEP_DOWN,
            ActionKind.PROMOTE,
            ActionKind.ABORT,
            ActionKind.SWITCH_SLOT,
            ActionKind.RETRY,
            ActionKind.UNDO,
        )


@dataclass(frozen=True, slots=True)
class Action:
    kind: ActionKind
    target: ReleaseRef
    weight: int | None = None  # only for SET_WEIGHT
    slot: str | None = None  # only for SWITCH_SLOT; None means "the other slot"
    revision: int | None = None  # only for UNDO; None means "the previous revision"
    percent: float | None = None  # only for SET_MIRROR: a float, as Istio's mirrorPercentage

    def describe(self) -> str:
        extra = f" {self.weight}%" if self.weight is not None else ""
        extra += f" mirror {self.percent:g}%" if self.percent is not None else ""
        extra += f" → {self.slot}" if self.slot else ""
        extra += f" to revision {self.revision}" if self.revision is not None else ""
        return f"{self.kind.value}{extra} {self.target}"
