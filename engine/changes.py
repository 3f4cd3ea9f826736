"""The change a plan hands to a backend: a closed union of typed intents.

Each change carries what the operator confirmed against — the split, the active slot, the step, the
current revision, the mirror they saw — so the world moving between the confirm modal and the write
is noticed, not overwritten: ``stale(change, release)`` names the difference in one phrase, the
operator refuses with it, and the Kubernetes adapter turns the same expectations into JSON-patch
``test`` guards. Backends ``match`` on the union; anything else is a bug, not a silent no-op.

Abort and pause carry no expectations on purpose: they move toward safety, and an incident's abort
must not be refused because a controller stepped the weight meanwhile. Their preconditions (not
already aborted / paused) are checked again when the operator re-plans.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rolldeck.engine.model import Flag, FlagState, Mirror, ReleaseState, Split


@dataclass(frozen=True, slots=True)
class SetWeights:
    """Manual weights on a route nobody else owns."""

    weights: Split  # the new desired split
    expect: Split  # the desired split the operator saw


@dataclass(frozen=True, slots=True)
class SwitchSlot:
    """Blue-green: send all traffic to the slot ``to``."""

    to: str
    expect_active: str | None  # the active slot the operator saw


@dataclass(frozen=True, slots=True)
class Promote:
    """Move the candidate on: all the way (``full``: canary → 100 %, blue-green → cut over), or the
    controller's own next step (Argo Rollouts ``promote``, Flagger's confirm-traffic-increase)."""

    full: bool
    to: str  # the candidate version being promoted
    at_step: int | None  # the step the operator saw; None when the release runs no steps


@dataclass(frozen=True, slots=True)
class Pause:
    """Stop where it is (Argo ``spec.paused``, Flagger ``suspend``, a Deployment's ``spec.paused``)."""


@dataclass(frozen=True, slots=True)
class Resume:
    """Clear the pause flag. ``completes``: the release waits at a pause step that resuming ends (the
    controller then moves to the next step) — shown in the diff so nobody resumes past a gate unaware."""

    at_step: int | None  # the step the operator saw
    completes: bool


@dataclass(frozen=True, slots=True)
class Abort:
    """All traffic back to ``to`` (the stable version); the candidate is kept for diagnosis."""

    to: str


@dataclass(frozen=True, slots=True)
class Retry:
    """Restart an aborted or failed rollout from its first step."""


@dataclass(frozen=True, slots=True)
class Undo:
    """Roll the workload's template back to ``revision`` (a new revision with the old template)."""

    revision: int
    expect_current: int  # the revision the operator saw as current


@dataclass(frozen=True, slots=True)
class SetMirror:
    """Shadow ``percent`` (a float: Istio's ``mirrorPercentage`` is a double) of traffic to ``version``;
    0 stops mirroring."""

    version: str
    percent: float
    expect: Mirror | None  # the mirror the operator saw (None: none)


@dataclass(frozen=True, slots=True)
class KillFlag:
    """The kill switch: disable flag ``key`` so every caller gets its code default (the dark path off),
    without a rollback. Toward safety like ``Abort``: only the flag being gone or already killed makes
    it stale — a colleague's share step meanwhile must not block an incident's kill."""

    key: str
    # the flag the operator saw; not part of equality, so the operator's re-plan after a share step
    # is still "the same kill" (``stale`` checks what matters: the flag exists and is still on)
    expect: Flag = field(compare=False)


@dataclass(frozen=True, slots=True)
class RestoreFlag:
    """Enable a killed flag again, with the shares it keeps (shown in the diff)."""

    key: str
    expect: Flag


@dataclass(frozen=True, slots=True)
class SetFlagRollout:
    """New per-variant shares (percent, summing to 100) for flag ``key``'s rollout."""

    key: str
    shares: tuple[tuple[str, float], ...]
    expect: Flag


FlagChange = KillFlag | RestoreFlag | SetFlagRollout

Change = SetWeights | SwitchSlot | Promote | Pause | Resume | Abort | Retry | Undo | SetMirror | KillFlag | RestoreFlag | SetFlagRollout


def stale(change: Change, release: ReleaseState) -> str | None:
    """How ``release`` no longer matches what the operator saw for ``change``, or None if it still does.

    One phrase, e.g. ``canary now 40% (you saw 25%)``; the caller adds the release and the advice.
    """
    match change:
        case SetWeights(expect=expect):
            return _split_moved(release, expect)
        case SwitchSlot(expect_active=seen):
            if release.active_slot != seen:
                return f"active slot now {release.active_slot or 'none'} (you saw {seen or 'none'})"
            return None
        case Promote(at_step=seen) | Resume(at_step=seen):
            return _step_moved(release, seen)
        case Undo(expect_current=seen):
            current = release.revisions[-1] if release.revisions else None
            if current != seen:
                return f"current revision now {current if current is not None else 'unknown'} (you saw {seen})"
            return None
        case SetMirror(expect=seen):
            if release.mirror != seen:
                return f"mirror now {describe_mirror(release.mirror)} (you saw {describe_mirror(seen)})"
            return None
        case Pause() | Abort() | Retry():
            return None
        case KillFlag(key=key, expect=seen):
            return _flag_moved(release, key, seen, shares_matter=False)
        case RestoreFlag(key=key, expect=seen) | SetFlagRollout(key=key, expect=seen):
            return _flag_moved(release, key, seen, shares_matter=True)


def _flag_moved(release: ReleaseState, key: str, seen: Flag, *, shares_matter: bool) -> str | None:
    now = release.flag(key)
    if now is None:
        return f"flag {key} is gone"
    if now.state is not seen.state:
        return f"flag {key} now {describe_flag_state(now.state)} (you saw {describe_flag_state(seen.state)})"
    if shares_matter and (not now.same_shares(seen) or now.default_variant != seen.default_variant):
        return f"flag {key} now {now.describe_shares()} (you saw {seen.describe_shares()})"
    return None


def describe_flag_state(state: FlagState) -> str:
    return "on" if state is FlagState.ENABLED else "killed"


def _split_moved(release: ReleaseState, expect: Split) -> str | None:
    now = release.desired
    moved = [name for name, seen in expect.weights if now.weight(name) != seen]
    if not moved:
        return None
    # Name the candidate first: that is the number the operator was looking at.
    candidate = release.candidate.name if release.candidate else None
    name = candidate if candidate in moved else moved[0]
    return f"{name} now {now.weight(name)}% (you saw {expect.weight(name)}%)"


def _step_moved(release: ReleaseState, seen: int | None) -> str | None:
    if release.step == seen:
        return None
    count = f"/{release.step_count}" if release.step_count else ""

    def shown(step: int | None) -> str:  # the planner's "step i/n" (i steps done), as the diff said
        return "no step" if step is None else f"step {step}{count}"

    return f"{shown(release.step)} (you saw {shown(seen)})"


def describe_mirror(mirror: Mirror | None) -> str:
    return "off" if mirror is None else f"{mirror.percent:g}% to {mirror.version}"


__all__ = [
    "Abort",
    "Change",
    "FlagChange",
    "KillFlag",
    "Pause",
    "Promote",
    "RestoreFlag",
    "Resume",
    "Retry",
    "SetFlagRollout",
    "SetMirror",
    "SetWeights",
    "SwitchSlot",
    "Undo",
    "describe_flag_state",
    "describe_mirror",
    "stale",
]
