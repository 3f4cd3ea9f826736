"""Resolve an action against the current state into a plan: preconditions, the change, a diff.

Planning is pure: it reads a ``FleetState`` and returns a ``Plan``; nothing is applied here. The
operator (``engine.operator``) is the only code that hands a plan to a backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.changes import (
    Abort,
    Change,
    KillFlag,
    Pause,
    Promote,
    RestoreFlag,
    Resume,
    Retry,
    SetFlagRollout,
    SetMirror,
    SetWeights,
    SwitchSlot,
    Undo,
)
from rolldeck.engine.flag_plans import flag_effects, plan_flag, summarize_flags
from rolldeck.engine.model import FleetState, Gate, Mirror, Owner, Phase, ReleaseState, Role, Split, Strategy, WaitKind
from rolldeck.engine.plan_facts import Completion, Direction, completion, direction
from rolldeck.engine.preconditions import Precondition, Requirement, require


@dataclass(frozen=True, slots=True)
class Plan:
    action: Action
    region: str
    preconditions: tuple[Precondition, ...]
    change: Change | None
    diff: str  # one line a human reads: "canary 10% → 25% in eu-prod-1/checkout"
    before: dict[str, object] = field(default_factory=dict)
    after: dict[str, object] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()  # shown before confirming, never a refusal (e.g. Argo CD will revert it)
    direction: Direction = Direction.OTHER  # forward (more for the candidate), back (toward safety), other
    completes: Completion | None = None  # the change ends the rollout: the candidate takes all traffic

    @property
    def ok(self) -> bool:
        return self.change is not None and all(p.ok for p in self.preconditions)

    @property
    def refusal(self) -> str | None:
        """The first failed precondition's failure phrasing (what is wrong, what to do); None when the plan may run."""
        for precondition in self.preconditions:
            if not precondition.ok:
                return f"cannot {self.action.kind.value} {self.action.target}: {precondition.failure}"
        if self.change is None:
            return f"cannot {self.action.kind.value} {self.action.target}: nothing to change"
        return None


def summarize(release: ReleaseState) -> dict[str, object]:
    """The fields an audit record keeps as 'before' (and, with a change's effects, as 'after')."""
    return {
        "phase": release.phase.value,
        "desired": release.desired.as_dict(),
        "active_slot": release.active_slot,
        "paused": release.paused,
        "aborted": release.aborted,
        "step": release.step,
        "mirror": _mirror_field(release.mirror),
        # only releases with flags carry the field, so other records keep their shape
        **({"flags": summarize_flags(release)} if release.flags else {}),
    }


def _mirror_field(mirror: Mirror | None) -> list[object] | None:
    return [mirror.version, mirror.percent] if mirror is not None else None


def effects(change: Change, release: ReleaseState) -> dict[str, object]:
    """What ``change`` sets, in ``summarize``'s fields: the audit 'after' derives from the change."""
    names = [v.name for v in release.versions]
    next_step = release.step + 1 if release.step is not None else None
    match change:
        case SetWeights(weights=weights):
            return {"desired": weights.as_dict()}
        case SwitchSlot(to=to):
            return {"active_slot": to, "desired": Split.only(to, names).as_dict()}
        case Promote(full=True, to=to):
            slot = {"active_slot": to} if release.strategy is Strategy.BLUE_GREEN else {}
            return {**slot, "desired": Split.only(to, names).as_dict(), "paused": False, "phase": Phase.HEALTHY.value}
        case Promote(full=False):
            return {"paused": False, "phase": Phase.PROGRESSING.value, "step": next_step}
        case Pause():
            return {"paused": True, "phase": Phase.PAUSED.value}
        case Resume(completes=completes):
            return {"paused": False, "phase": Phase.PROGRESSING.value, **({"step": next_step} if completes else {})}
        case Abort(to=to):
            moved: dict[str, object] = {}
            if release.strategy is not Strategy.ROLLING:
                moved["desired"] = Split.only(to, names).as_dict()
            if release.strategy is Strategy.BLUE_GREEN:
                moved["active_slot"] = to
            return {**moved, "aborted": True, "paused": False, "phase": Phase.DEGRADED.value}
        case Retry():
            return {"aborted": False, "phase": Phase.PROGRESSING.value, **({"step": 0} if release.step is not None else {})}
        case Undo():
            return {"phase": Phase.PROGRESSING.value}
        case SetMirror(version=version, percent=percent):
            return {"mirror": _mirror_field(Mirror(version, percent) if percent > 0 else None)}
        case KillFlag() | RestoreFlag() | SetFlagRollout():
            return flag_effects(change, release)
    raise AssertionError(f"unhandled change {change!r}")  # the union is closed; mypy cannot see Promote's bool is


def plan_action(state: FleetState, action: Action, *, read_only: bool = False) -> Plan:
    release = state.release(action.target)
    if release is None:
        return Plan(
            action,
            region="?",
            preconditions=(require(Requirement.RELEASE_FOUND, False, target=action.target),),
            change=None,
            diff=f"{action.kind.value} {action.target}",
        )
    cluster = state.cluster(action.target.cluster)
    error = cluster.health.error if cluster is not None else ""
    common = [
        require(Requirement.WRITABLE, not read_only and not (cluster and cluster.read_only), cluster=release.cluster),
        require(
            Requirement.REACHABLE,
            cluster is None or cluster.health.reachable,
            cluster=release.cluster,
            detail=f" ({error})" if error else "",
        ),
    ]
    denied = dict(release.denied).get(action.kind.value)
    if denied is not None:
        common.append(require(Requirement.PERMITTED, False, verb=action.kind.value, reason=denied))
    planner = _PLANNERS[action.kind]
    specific, change, diff = planner(release, action)
    before = summarize(release)
    after = {**before, **effects(change, release)} if change is not None else dict(before)
    warnings = _gitops_warnings(release, action) + _cohort_warnings(release, action)
    # The warning rides on the diff too, so every confirm dialog and audit record carries it.
    suffix = "".join(f" ⚠ {w}" for w in warnings)
    return Plan(
        action=action,
        region=release.region,
        preconditions=tuple(common + specific),
        change=change,
        diff=f"{diff} in {release.ref}{suffix}",
        before=before,
        after=after,
        warnings=warnings,
        direction=direction(change, release),
        completes=completion(change, release, state.time),
    )


# Verbs that edit an object's spec (drift to Argo CD) per owner; status-subresource verbs and
# Flagger gate answers are not drift.
_SPEC_EDITS: dict[Owner, frozenset[ActionKind]] = {
    Owner.ARGO_ROLLOUTS: frozenset({ActionKind.PAUSE, ActionKind.RESUME, ActionKind.UNDO}),
    Owner.FLAGGER: frozenset({ActionKind.PAUSE, ActionKind.RESUME, ActionKind.RETRY}),
    Owner.UNMANAGED: frozenset(ActionKind) - {ActionKind.RETRY},
}


def _gitops_warnings(release: ReleaseState, action: Action) -> tuple[str, ...]:
    gitops = release.gitops
    if gitops is None or action.kind not in _SPEC_EDITS.get(release.owner, frozenset()):
        return ()
    if gitops.self_heal:
        return (f"Argo CD app {gitops.app} self-heals: it will revert this edit",)
    if gitops.auto_sync:
        return (f"Argo CD app {gitops.app} auto-syncs: this edit is drift until Git matches",)
    return (f"Argo CD app {gitops.app} will show OutOfSync",)


# Verbs whose effect is the weighted split: a match cohort evaluated first never sees it.
_WEIGHT_ACTIONS = frozenset({ActionKind.SET_WEIGHT, ActionKind.STEP_UP, ActionKind.STEP_DOWN, ActionKind.PROMOTE})


def _cohort_warnings(release: ReleaseState, action: Action) -> tuple[str, ...]:
    if action.kind not in _WEIGHT_ACTIONS or not release.rules.cohorts:
        return ()
    first = release.rules.cohorts[0].describe()
    more = f" (+{len(release.rules.cohorts) - 1} more rules)" if len(release.rules.cohorts) > 1 else ""
    return (f"the route's first rule sends a cohort elsewhere, ahead of the weights: {first}{more}",)


def _cohorts_are_hand_written(release: ReleaseState) -> Precondition:
    """An unmanaged A/B route: its cohorts are match rules rolldeck does not rewrite."""
    return require(Requirement.COHORTS_OURS, not (release.strategy is Strategy.AB and release.owner.allows_manual_weights))


_Result = tuple[list[Precondition], Change | None, str]


# Who plays each owner, in a refusal ("owned by Argo Rollouts: …").
OWNER_NAMES: dict[Owner, str] = {Owner.ARGO_ROLLOUTS: "Argo Rollouts", Owner.FLAGGER: "Flagger", Owner.UNMANAGED: "plain Deployments"}

# What to do instead of a verb the strategy does not have.
_INSTEAD_OF_WEIGHTS: dict[Strategy, str] = {
    Strategy.BLUE_GREEN: "switch the slot, or promote",
    Strategy.ROLLING: "a rolling update follows its pods: pause, resume or abort it",
    Strategy.AB: "its cohort is a match rule: promote or abort",
    Strategy.CANARY: "",
}
_INSTEAD_OF_SLOTS: dict[Strategy, str] = {
    Strategy.CANARY: "step the weight, or promote",
    Strategy.ROLLING: "pause, resume or abort the rolling update",
    Strategy.AB: "promote or abort",
    Strategy.BLUE_GREEN: "",
}


def _recovery(release: ReleaseState) -> str:
    """The next step for an aborted release, by owner: each has its own way back."""
    match release.owner:
        case Owner.ARGO_ROLLOUTS:
            return "retry first, or undo"
        case Owner.FLAGGER:
            return "retry first, or roll out a fixed revision"
        case Owner.UNMANAGED:
            return "set the weights again, or undo"
    raise AssertionError(release.owner)


def _canary_only(release: ReleaseState) -> Precondition:
    return require(
        Requirement.CANARY_STRATEGY,
        release.strategy is Strategy.CANARY,
        strategy=release.strategy.value,
        instead=_INSTEAD_OF_WEIGHTS[release.strategy],
    )


def _owner_facts(release: ReleaseState) -> dict[str, object]:
    return {"owner": release.owner.value, "owner_name": OWNER_NAMES[release.owner]}


def _owner_allows_weights(release: ReleaseState) -> Precondition:
    instead = "approve the next step (]), promote or abort instead" if release.owner is Owner.FLAGGER else "promote or abort instead"
    return require(Requirement.MANUAL_WEIGHTS, release.owner.allows_manual_weights, instead=instead, **_owner_facts(release))


def _weight_change(release: ReleaseState, target: int) -> tuple[Change, str]:
    stable, candidate = release.stable, release.candidate
    assert stable is not None and candidate is not None
    weights = Split(((stable.name, 100 - target), (candidate.name, target)))
    current = release.desired.weight(candidate.name)
    diff = f"{candidate.name} {current}% → {target}%"
    return SetWeights(weights, expect=release.desired), diff


def _plan_set_weight(release: ReleaseState, action: Action, target: int | None = None) -> _Result:
    target = action.weight if target is None else target
    checks = [_canary_only(release), _owner_allows_weights(release)]
    if release.strategy is Strategy.CANARY:
        checks.append(require(Requirement.ROUTE_TAKES_WEIGHTS, release.router.supports_weights, router=release.router.label))
    candidate = release.candidate
    if target is None or not 0 <= target <= 100:
        checks.append(require(Requirement.WEIGHT_IN_RANGE, False, weight=target))
        return checks, None, f"set weight {target}%"
    if candidate is None or release.stable is None or release.strategy is not Strategy.CANARY:
        return checks, None, f"set weight {target}%"
    current = release.desired.weight(candidate.name)
    checks.append(require(Requirement.WEIGHT_DIFFERS, target != current, current=current))
    if target > current:
        ready = candidate.replicas.ready
        checks.append(
            require(Requirement.CANDIDATE_HAS_READY_PODS, ready > 0, candidate=candidate.name, ready=ready, desired=candidate.replicas.desired)
        )
    change, diff = _weight_change(release, target)
    return checks, change, diff


def _plan_step(release: ReleaseState, action: Action, direction: int) -> _Result:
    if direction > 0 and release.owner in (Owner.ARGO_ROLLOUTS, Owner.FLAGGER):
        return _plan_controller_step(release, action)
    candidate = release.candidate
    current = release.desired.weight(candidate.name) if candidate else 0
    steps = sorted(set(release.weight_steps))
    if direction > 0:
        nxt = next((s for s in steps if s > current), None)
        if nxt is None:
            checks = [_canary_only(release), require(Requirement.STEP_ABOVE, False, current=current)]
            return checks, None, f"step up from {current}%"
    else:
        nxt = next((s for s in reversed(steps) if s < current), None)
        if nxt is None:
            checks = [_canary_only(release), require(Requirement.STEP_BELOW, False, current=current)]
            return checks, None, f"step down from {current}%"
    return _plan_set_weight(release, action, target=nxt)


def _plan_controller_step(release: ReleaseState, action: Action) -> _Result:
    """Step up where a controller owns the steps: its own verb, never a route edit.

    Argo Rollouts: ``promote`` (continue past the current pause, inconclusive analysis or step);
    Flagger: approve its next ``confirm-traffic-increase``. Neither has a set-weight API.
    """
    checks = [require(Requirement.NOT_ABORTED, not release.aborted, recover=_recovery(release))]
    step, count = release.step, release.step_count
    position = f"step {step}/{count}" if step is not None and count is not None else "the current step"
    candidate = release.candidate
    if candidate is None:
        checks.append(require(Requirement.CANDIDATE_EXISTS, False))
        return checks, None, "step up"
    change = Promote(full=False, to=candidate.name, at_step=step)
    if release.owner is Owner.FLAGGER:
        checks.append(_canary_only(release))
        checks.append(require(Requirement.ANALYSIS_RUNNING, release.phase is not Phase.HEALTHY))
        current = release.candidate_weight[0]
        diff = f"approve the next traffic increase (canary {current}%, {position})"
        return checks, change, diff
    if release.strategy is Strategy.BLUE_GREEN:
        checks.append(require(Requirement.WAITS_FOR_PROMOTION, release.paused, phase=release.phase.value))
        return checks, change, f"promote: cut traffic over to {release.preview_slot or 'the preview'}"
    if count is not None and step is not None:
        checks.append(require(Requirement.STEPS_REMAIN, step < count, position=position))
    nxt = f"{step + 1}/{count}" if step is not None and count is not None else "the next step"
    wait = release.wait
    if wait is not None and wait.kind is WaitKind.INCONCLUSIVE:
        diff = f"promote past the inconclusive analysis: {position} → {nxt}"
    elif release.paused and wait is not None:
        diff = f"promote: continue past {wait.label} at {position}"
    elif release.paused:
        diff = f"promote: end the manual pause and skip {position} → {nxt}"
    else:
        diff = f"promote: skip {position} → {nxt}"
    return checks, change, diff


def _plan_retry(release: ReleaseState, action: Action) -> _Result:
    checks = [
        require(
            Requirement.OWNER_RETRIES,
            release.owner in (Owner.ARGO_ROLLOUTS, Owner.FLAGGER),
            instead="set the weights again, or undo to a kept revision",
            **_owner_facts(release),
        ),
        require(Requirement.WAS_ABORTED, release.aborted, phase=release.phase.value),
    ]
    candidate = release.candidate
    label = candidate.revision if candidate else "the candidate"
    return checks, Retry(), f"retry {label} from the first step"


def _plan_undo(release: ReleaseState, action: Action) -> _Result:
    checks = [
        require(
            Requirement.OWNER_UNDOES,
            release.owner in (Owner.ARGO_ROLLOUTS, Owner.UNMANAGED),
            instead="abort sends traffic back to the primary; a fixed revision starts a new analysis",
            **_owner_facts(release),
        )
    ]
    revisions = sorted(release.revisions)
    have = ", ".join(map(str, revisions)) or "none"
    if len(revisions) < 2:
        checks.append(require(Requirement.EARLIER_REVISION, False, have=have))
        return checks, None, "undo"
    current = revisions[-1]
    target = action.revision if action.revision is not None else revisions[-2]
    checks.append(require(Requirement.REVISION_KEPT, target in revisions, revision=target, have=have))
    checks.append(require(Requirement.REVISION_NOT_CURRENT, target != current, revision=target))
    if release.owner is Owner.UNMANAGED:
        # kubectl refuses too: "you cannot rollback a paused deployment; resume it first"
        checks.append(require(Requirement.DEPLOYMENT_RUNNING, not release.paused))
    diff = f"undo: roll the template back to revision {target} (now {current})"
    return checks, Undo(target, expect_current=current), diff


def _plan_set_mirror(release: ReleaseState, action: Action) -> _Result:
    percent = action.percent if action.percent is not None else 0.0
    checks = [
        require(Requirement.MANUAL_MIRROR, release.owner.allows_manual_weights, **_owner_facts(release)),
        require(Requirement.ROUTE_MIRRORS, release.router.supports_mirror, router=release.router.label),
    ]
    candidate = release.candidate
    if candidate is None or not 0 <= percent <= 100:
        why = "no candidate version to mirror to" if candidate is None else "give a percent from 0 to 100"
        checks.append(require(Requirement.MIRROR_IN_RANGE, False, percent=f"{percent:g}", why=why))
        return checks, None, "set mirror"
    now = release.mirror.percent if release.mirror else 0.0
    state = f"already mirroring {now:g}%" if now else "not mirroring"
    checks.append(require(Requirement.MIRROR_DIFFERS, percent != now, current=f"{now:g}", now=state))
    diff = f"stop mirroring to {candidate.name}" if percent == 0 else f"mirror {percent:g}% of traffic to {candidate.name} (was {now:g}%)"
    return checks, SetMirror(candidate.name, float(percent), expect=release.mirror), diff


def _plan_promote(release: ReleaseState, action: Action) -> _Result:
    candidate = release.candidate
    checks = [
        require(Requirement.CANDIDATE_EXISTS, candidate is not None),
        require(Requirement.NOT_ABORTED, not release.aborted, recover=_recovery(release)),
    ]
    if candidate is None or release.stable is None:
        return checks, None, "promote"
    if release.strategy is Strategy.ROLLING:
        checks.append(require(Requirement.STRATEGY_PROMOTES, False))
        return checks, None, "promote"
    checks.append(_cohorts_are_hand_written(release))
    checks.append(
        require(
            Requirement.CANDIDATE_ALL_READY,
            candidate.replicas.all_ready,
            candidate=candidate.name,
            ready=candidate.replicas.ready,
            desired=candidate.replicas.desired,
        )
    )
    # Promote is a controller verb too (Argo's promote --full, Flagger's gate): no owner check.
    change = Promote(full=True, to=candidate.name, at_step=release.step)
    if release.strategy in (Strategy.CANARY, Strategy.AB):
        current = release.desired.weight(candidate.name)
        return checks, change, f"promote {candidate.revision}: {candidate.name} {current}% → 100%, then it becomes stable"
    return checks, change, f"promote {candidate.revision}: active slot {release.active_slot} → {candidate.name}"


def _plan_pause(release: ReleaseState, action: Action) -> _Result:
    checks = [require(Requirement.NOT_PAUSED, not release.paused), _in_progress(release, "pause")]
    return checks, Pause(), "pause rollout"


def _in_progress(release: ReleaseState, verb: str) -> Precondition:
    stable = release.stable
    return require(Requirement.IN_PROGRESS, release.phase is not Phase.HEALTHY, verb=verb, stable=stable.revision if stable else "stable")


def _plan_resume(release: ReleaseState, action: Action) -> _Result:
    checks = [require(Requirement.PAUSED, release.paused or release.phase is Phase.PAUSED, phase=release.phase.value)]
    completes = _resume_ends_wait(release)
    diff = "resume rollout"
    wait = release.wait
    if wait is not None and completes:
        diff += f": continues past the {wait.label}" + (f" at step {release.step}/{release.step_count}" if release.step is not None and release.step_count else "")
    elif wait is not None:
        diff += f" (clears the pause flag only: {wait.label} still waits — step up continues it)"
    return checks, Resume(at_step=release.step, completes=completes), diff


def _resume_ends_wait(release: ReleaseState) -> bool:
    """Does this owner's resume move the release past what it waits for?

    Argo Rollouts: no — resume is ``spec.paused: false``; pause conditions are promote's (kubernetes-
    mechanics.md §7.1). Flagger: resume answers the confirm-rollout gate. Simulated releases play
    one of these owners, so the same rule holds there.
    """
    wait = release.wait
    if wait is None:
        return False
    if release.owner is Owner.FLAGGER:
        return wait.gate is Gate.CONFIRM_ROLLOUT
    return False


def _plan_abort(release: ReleaseState, action: Action) -> _Result:
    stable, candidate = release.stable, release.candidate
    checks = [
        require(
            Requirement.NOT_ALREADY_ABORTED, not release.aborted, stable=stable.name if stable else "stable", recover=_recovery(release)
        ),
        _in_progress(release, "abort"),
    ]
    if stable is None or candidate is None:
        missing, consequence = ("stable", "nothing to abort back to") if stable is None else ("candidate", "nothing is rolling out")
        checks.append(require(Requirement.STABLE_AND_CANDIDATE, False, missing=missing, consequence=consequence))
        return checks, None, "abort"
    change = Abort(to=stable.name)
    if release.strategy is Strategy.ROLLING:
        return checks, change, f"abort: roll {candidate.revision} back to {stable.revision} (scale the old ReplicaSet up again)"
    if release.strategy in (Strategy.CANARY, Strategy.AB):
        checks.append(_cohorts_are_hand_written(release))
        # Abort is every controller's own verb (Argo status.abort, Flagger's rollback gate).
        current = release.desired.weight(candidate.name)
        return checks, change, f"abort: {candidate.name} {current}% → 0%, all traffic to {stable.name} ({candidate.revision} kept for diagnosis)"
    return checks, change, f"abort: active slot {release.active_slot} → {stable.name} ({stable.revision}), preview {candidate.name} kept"


def _plan_switch(release: ReleaseState, action: Action) -> _Result:
    checks = [
        require(
            Requirement.BLUE_GREEN_STRATEGY,
            release.strategy is Strategy.BLUE_GREEN,
            strategy=release.strategy.value,
            instead=_INSTEAD_OF_SLOTS[release.strategy],
        )
    ]
    if release.strategy is not Strategy.BLUE_GREEN:
        return checks, None, "switch slot"
    if release.owner is Owner.FLAGGER:
        checks.append(require(Requirement.SLOTS_OURS, False))
    if release.owner is Owner.ARGO_ROLLOUTS:
        # Argo flips the active Service itself on promote; going back is abort or undo.
        checks.append(require(Requirement.SWITCH_TO_PREVIEW, action.slot in (None, release.preview_slot), slot=action.slot))
    others = [v.name for v in release.versions if v.name != release.active_slot]
    target_name = action.slot or (others[0] if others else None)
    target = release.version(target_name) if target_name else None
    slots = ", ".join(v.name for v in release.versions) or "none"
    checks.append(require(Requirement.SLOT_EXISTS, target is not None, slot=target_name, slots=slots))
    if target is None:
        return checks, None, "switch slot"
    checks.append(require(Requirement.SLOT_NOT_ACTIVE, target.name != release.active_slot, slot=target.name))
    checks.append(
        require(Requirement.SLOT_READY, target.replicas.all_ready, slot=target.name, ready=target.replicas.ready, desired=target.replicas.desired)
    )
    role = "stable" if target.role is Role.STABLE else "candidate"
    diff = f"switch active slot {release.active_slot} → {target.name} ({target.revision}, {role})"
    return checks, SwitchSlot(target.name, expect_active=release.active_slot), diff


_PLANNERS = {
    ActionKind.SET_WEIGHT: _plan_set_weight,
    ActionKind.STEP_UP: lambda r, a: _plan_step(r, a, +1),
    ActionKind.STEP_DOWN: lambda r, a: _plan_step(r, a, -1),
    ActionKind.PROMOTE: _plan_promote,
    ActionKind.PAUSE: _plan_pause,
    ActionKind.RESUME: _plan_resume,
    ActionKind.ABORT: _plan_abort,
    ActionKind.SWITCH_SLOT: _plan_switch,
    ActionKind.RETRY: _plan_retry,
    ActionKind.UNDO: _plan_undo,
    ActionKind.SET_MIRROR: _plan_set_mirror,
    ActionKind.KILL_FLAG: plan_flag,
    ActionKind.RESTORE_FLAG: plan_flag,
    ActionKind.SET_FLAG_ROLLOUT: plan_flag,
    ActionKind.FLAG_STEP_UP: plan_flag,
    ActionKind.FLAG_STEP_DOWN: plan_flag,
}
