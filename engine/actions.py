"""Operator intents. An action says *what* someone wants; a plan (``engine.plans``) says whether and how."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from engine.model import ReleaseRef


class ActionKind(StrEnum):
    SET_WEIGHT = "set-weight"
    STEP_UP = "step-up"
    STEP_DOWN = "step-down"
    PROMOTE = "promote"
    PAUSE = "pause"
    RESUME = "resume"
    ABORT = "abort"
    SWITCH_SLOT = "switch-slot"

    @property
    def shifts_traffic(self) -> bool:
        return self in (
            ActionKind.SET_WEIGHT,
            ActionKind.STEP_UP,
            ActionKind.STEP_DOWN,
            ActionKind.PROMOTE,
            ActionKind.ABORT,
            ActionKind.SWITCH_SLOT,
        )


@dataclass(frozen=True, slots=True)
class Action:
    kind: ActionKind
    target: ReleaseRef
    weight: int | None = None  # only for SET_WEIGHT
    slot: str | None = None  # only for SWITCH_SLOT; None means "the other slot"

    def describe(self) -> str:
        extra = f" {self.weight}%" if self.weight is not None else ""
        extra += f" → {self.slot}" if self.slot else ""
        return f"{self.kind.value}{extra} {self.target}"
