"""What a change does to a rollout, as typed facts the confirm modal and the audit read.

``direction``: does the change give the candidate more traffic (forward), take it back (back: the
moves toward safety), or neither? ``completion``: does it end the rollout — the candidate takes all
traffic with no step, bake or gate left in between? Both are decided here, from the change and the
release's own steps; the console words them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rolldeck.engine.changes import Abort, Change, Pause, Promote, Resume, SetWeights, SwitchSlot
from rolldeck.engine.model import Owner, ReleaseState, Role, Strategy
from rolldeck.engine.steps import AnalysisStep, PauseStep, PromotionStep, Step


class Direction(StrEnum):
    FORWARD = "forward"  # more traffic or time for the candidate: weight up, promote, resume, switch to it
    BACK = "back"  # toward safety: abort, pause, weight down, switch back to stable
    OTHER = "other"  # retry, undo, mirror, flags: neither


@dataclass(frozen=True, slots=True)
class Completion:
    """The change ends the rollout: ``version`` (the candidate, ``revision``) takes all traffic, and
    nothing — no step, bake or gate — is left to stop it."""

    version: str
    revision: str


def direction(change: Change | None, release: ReleaseState) -> Direction:
    candidate = release.candidate
    match change:
        case SetWeights(weights=weights) if candidate is not None:
            now = release.desired.weight(candidate.name)
            return Direction.FORWARD if weights.weight(candidate.name) > now else Direction.BACK
        case Promote() | Resume():
            return Direction.FORWARD
        case SwitchSlot(to=to):
            target = release.version(to)
            return Direction.FORWARD if target is not None and target.role is Role.CANDIDATE else Direction.BACK
        case Abort() | Pause():
            return Direction.BACK
    return Direction.OTHER


def completion(change: Change | None, release: ReleaseState, now: float) -> Completion | None:
    """The rollout this change completes, or None when something still stands between it and 100 %."""
    candidate = release.candidate
    if candidate is None or change is None:
        return None
    done = Completion(candidate.name, candidate.revision)
    match change:
        case Promote(full=True):
            return done
        case SwitchSlot(to=to):
            return done if to == candidate.name else None
        case SetWeights(weights=weights):
            return done if weights.weight(candidate.name) >= 100 else None
        case Promote(full=False):
            if release.strategy is Strategy.BLUE_GREEN:
                return done  # Argo's promote on a blue-green cuts traffic over
            if release.owner is Owner.FLAGGER or release.step is None:
                return None  # Flagger's next increase, then its own analysis and confirm-promotion
            return done if _nothing_holds(release.steps[release.step + 1 :]) else None
        case Resume(completes=ends_wait):
            return done if _resume_leaves_nothing(release, ends_wait, now) else None
    return None


def _resume_leaves_nothing(release: ReleaseState, ends_wait: bool, now: float) -> bool:
    """After resuming, the controller walks on from the current step; does anything still hold it?"""
    if release.strategy is not Strategy.CANARY or release.step is None or release.owner is Owner.FLAGGER:
        return False
    if release.wait is not None and not ends_wait:
        return False  # resume clears the pause flag only; the controller's wait stays
    current = release.current_step
    rest = release.steps[release.step + 1 :]
    if isinstance(current, PauseStep):
        over = ends_wait or (
            current.duration_s is not None and release.step_started is not None and now - release.step_started >= current.duration_s
        )
        return over and _nothing_holds(rest)
    return _nothing_holds(release.steps[release.step :])


def _nothing_holds(steps: tuple[Step, ...]) -> bool:
    """No pause, analysis or promotion gate among ``steps``: past them the controller promotes fully."""
    return not any(isinstance(step, PauseStep | AnalysisStep | PromotionStep) for step in steps)
