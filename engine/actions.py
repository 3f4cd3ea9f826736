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
    # Flag verbs (engine.flag_plans): ``flag`` names the flag; they move no route traffic.
    KILL_FLAG = "kill-flag"  # the kill switch: the flag's code path off, no rollback
    RESTORE_FLAG = "restore-flag"  # enable a killed flag again with the shares it keeps
    SET_FLAG_ROLLOUT = "set-flag-rollout"  # ``shares`` per variant, or ``percent`` for the treatment
    FLAG_STEP_UP = "flag-step-up"  # the treatment's share to the flag's next rollout step
    FLAG_STEP_DOWN = "flag-step-down"

    @property
    def targets_flag(self) -> bool:
        return self in (
            ActionKind.KILL_FLAG,
            ActionKind.RESTORE_FLAG,
            ActionKind.SET_FLAG_ROLLOUT,
            ActionKind.FLAG_STEP_UP,
            ActionKind.FLAG_STEP_DOWN,
        )

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
    percent: float | None = None  # SET_MIRROR: a float, as Istio's mirrorPercentage; SET_FLAG_ROLLOUT: the treatment's share
    flag: str | None = None  # only for the flag verbs: the flag's key
    shares: tuple[tuple[str, float], ...] | None = None  # only for SET_FLAG_ROLLOUT: every variant's share

    def describe(self) -> str:
        extra = f" {self.weight}%" if self.weight is not None else ""
        if self.percent is not None:
            extra += f" {self.percent:g}%" if self.kind.targets_flag else f" mirror {self.percent:g}%"
        extra += f" → {self.slot}" if self.slot else ""
        extra += f" to revision {self.revision}" if self.revision is not None else ""
        extra += f" flag {self.flag}" if self.flag is not None else ""
        extra += " " + ", ".join(f"{n} {v:g}%" for n, v in self.shares) if self.shares else ""
        return f"{self.kind.value}{extra} {self.target}"
