"""Resolve an action against the current state into a plan: preconditions, the change, a diff.

Planning is pure: it reads a ``FleetState`` and returns a ``Plan``; nothing is applied here. The
operator (``engine.operator``) is the only code that hands a plan to a backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.model import FleetState, Owner, Phase, ReleaseState, Role, Strategy


@dataclass(frozen=True, slots=True)
class Precondition:
    ok: bool
    text: str  # phrased as the condition, e.g. "canary pods ready (3/3)"


@dataclass(frozen=True, slots=True)
class Change:
    """The exact change a backend must make, in model terms.

    ``weights`` is the new desired split (version name → percent); ``active_slot`` the blue-green
    slot that should receive traffic; ``paused``/``aborted``/``promoted`` the release flags.
    ``None`` means "leave as is".
    """

    weights: tuple[tuple[str, int], ...] | None = None
    active_slot: str | None = None
    paused: bool | None = None
    aborted: bool | None = None
    promoted: bool = False
    # Controller verbs (engine.kube). ``step`` is the step the plan was made at: a backend refuses if
    # the controller moved on meanwhile, so a stale screen never promotes twice.
    step: int | None = None
    retry: bool = False
    undo_to: int | None = None  # revision to roll the candidate back to
    mirror: tuple[str, int] | None = None  # (version, percent); percent 0 stops mirroring


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

    @property
    def ok(self) -> bool:
        return self.change is not None and all(p.ok for p in self.preconditions)

    @property
    def refusal(self) -> str | None:
        """The first failed precondition, phrased for a notification; None when the plan may run."""
        for precondition in self.preconditions:
            if not precondition.ok:
                return f"cannot {self.action.kind.value} {self.action.target}: {precondition.text}"
        if self.change is None:
            return f"cannot {self.action.kind.value} {self.action.target}: nothing to change"
        return None


def summarize(release: ReleaseState) -> dict[str, object]:
    """The fields an audit record keeps as 'before' and 'after'."""
    return {
        "phase": release.phase.value,
        "desired": release.desired.as_dict(),
        "active_slot": release.active_slot,
        "paused": release.paused,
        "aborted": release.aborted,
    }


def plan_action(state: FleetState, action: Action, *, read_only: bool = False) -> Plan:
    release = state.release(action.target)
    if release is None:
        return Plan(
            action,
            region="?",
            preconditions=(Precondition(False, f"release {action.target} not found"),),
            change=None,
            diff=f"{action.kind.value} {action.target}",
        )
    cluster = state.cluster(action.target.cluster)
    common = [
        Precondition(not read_only and not (cluster and cluster.read_only), "console is not read-only"),
        Precondition(cluster is None or cluster.health.reachable, f"cluster {release.cluster} is reachable"),
    ]
    denied = dict(release.denied).get(action.kind.value)
    if denied is not None:
        common.append(Precondition(False, denied))
    planner = _PLANNERS[action.kind]
    specific, change, diff, after = planner(release, action)
    before = summarize(release)
    merged_after = {**before, **after}
    warnings = _gitops_warnings(release, action)
    # The warning rides on the diff too, so every confirm dialog and audit record carries it.
    suffix = "".join(f" ⚠ {w}" for w in warnings)
    return Plan(
        action=action,
        region=release.region,
        preconditions=tuple(common + specific),
        change=change,
        diff=f"{diff} in {release.ref}{suffix}",
        before=before,
        after=merged_after,
        warnings=warnings,
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


_Result = tuple[list[Precondition], Change | None, str, dict[str, object]]


def _canary_only(release: ReleaseState) -> Precondition:
    return Precondition(release.strategy is Strategy.CANARY, "release uses the canary strategy")


def _owner_allows_weights(release: ReleaseState) -> Precondition:
    return Precondition(
        release.owner.allows_manual_weights,
        f"route is not owned by a controller (owner: {release.owner.value})",
    )


def _weight_change(release: ReleaseState, target: int) -> tuple[Change, str, dict[str, object]]:
    stable, candidate = release.stable, release.candidate
    assert stable is not None and candidate is not None
    weights = ((stable.name, 100 - target), (candidate.name, target))
    current = release.desired.weight(candidate.name)
    diff = f"{candidate.name} {current}% → {target}%"
    return Change(weights=weights), diff, {"desired": dict(weights)}


def _plan_set_weight(release: ReleaseState, action: Action, target: int | None = None) -> _Result:
    target = action.weight if target is None else target
    checks = [_canary_only(release), _owner_allows_weights(release)]
    candidate = release.candidate
    if target is None or not 0 <= target <= 100:
        checks.append(Precondition(False, f"weight {target} is within 0–100%"))
        return checks, None, f"set weight {target}%", {}
    if candidate is None or release.stable is None or release.strategy is not Strategy.CANARY:
        return checks, None, f"set weight {target}%", {}
    current = release.desired.weight(candidate.name)
    checks.append(Precondition(target != current, f"weight differs from the current {current}%"))
    if target > current:
        ready = candidate.replicas.ready
        checks.append(Precondition(ready > 0, f"{candidate.name} has ready pods ({ready}/{candidate.replicas.desired})"))
    change, diff, after = _weight_change(release, target)
    return checks, change, diff, after


def _plan_step(release: ReleaseState, action: Action, direction: int) -> _Result:
    if direction > 0 and release.owner in (Owner.ARGO_ROLLOUTS, Owner.FLAGGER):
        return _plan_controller_step(release, action)
    candidate = release.candidate
    current = release.desired.weight(candidate.name) if candidate else 0
    steps = sorted(set(release.weight_steps))
    if direction > 0:
        nxt = next((s for s in steps if s > current), None)
        if nxt is None:
            checks = [_canary_only(release), Precondition(False, f"cannot step past {current}% (last step)")]
            return checks, None, f"step up from {current}%", {}
    else:
        nxt = next((s for s in reversed(steps) if s < current), None)
        if nxt is None:
            checks = [_canary_only(release), Precondition(False, f"cannot step below {current}% (first step)")]
            return checks, None, f"step down from {current}%", {}
    return _plan_set_weight(release, action, target=nxt)


def _plan_controller_step(release: ReleaseState, action: Action) -> _Result:
    """Step up where a controller owns the steps: its own verb, never a route edit.

    Argo Rollouts: ``promote`` (continue past the current pause, inconclusive analysis or step);
    Flagger: approve its next ``confirm-traffic-increase``. Neither has a set-weight API.
    """
    checks = [Precondition(not release.aborted, "release is not aborted")]
    step, count = release.step, release.step_count
    position = f"step {step}/{count}" if step is not None and count is not None else "the current step"
    if release.owner is Owner.FLAGGER:
        checks.append(_canary_only(release))
        checks.append(Precondition(release.phase is not Phase.HEALTHY, "a canary analysis is running"))
        current = release.candidate_weight[0]
        diff = f"approve the next traffic increase (canary {current}%, {position})"
        return checks, Change(step=step), diff, {}
    if release.strategy is Strategy.BLUE_GREEN:
        checks.append(Precondition(release.paused, "rollout waits for promotion"))
        return checks, Change(paused=False, step=step), f"promote: cut traffic over to {release.preview_slot or 'the preview'}", {
            "paused": False,
            "phase": Phase.PROGRESSING.value,
        }
    if count is not None and step is not None:
        checks.append(Precondition(step < count, f"steps remain ({position})"))
    nxt = f"{step + 1}/{count}" if step is not None and count is not None else "the next step"
    if release.waiting_on.startswith("Inconclusive"):
        diff = f"promote past the inconclusive analysis: {position} → {nxt}"
    elif release.paused and release.waiting_on:
        diff = f"promote: continue past {release.waiting_on} at {position}"
    elif release.paused:
        diff = f"promote: end the manual pause and skip {position} → {nxt}"
    else:
        diff = f"promote: skip {position} → {nxt}"
    return checks, Change(paused=False, step=step), diff, {"paused": False, "phase": Phase.PROGRESSING.value}


def _owner_has(release: ReleaseState, verb: str, *owners: Owner) -> Precondition:
    return Precondition(release.owner in owners, f"{release.owner.value} releases support {verb}")


def _plan_retry(release: ReleaseState, action: Action) -> _Result:
    checks = [
        _owner_has(release, "retry", Owner.ARGO_ROLLOUTS, Owner.FLAGGER),
        Precondition(release.aborted, "release was aborted or failed"),
    ]
    candidate = release.candidate
    label = candidate.revision if candidate else "the candidate"
    diff = f"retry {label} from the first step"
    return checks, Change(retry=True, aborted=False), diff, {"aborted": False, "phase": Phase.PROGRESSING.value}


def _plan_undo(release: ReleaseState, action: Action) -> _Result:
    checks = [_owner_has(release, "undo", Owner.ARGO_ROLLOUTS, Owner.UNMANAGED)]
    revisions = sorted(release.revisions)
    if len(revisions) < 2:
        checks.append(Precondition(False, "an earlier revision is still kept"))
        return checks, None, "undo", {}
    current = revisions[-1]
    target = action.revision if action.revision is not None else revisions[-2]
    checks.append(Precondition(target in revisions, f"revision {target} is kept (have {', '.join(map(str, revisions))})"))
    checks.append(Precondition(target != current, f"revision {target} is not the current one"))
    if release.owner is Owner.UNMANAGED:
        # kubectl refuses too: "you cannot rollback a paused deployment; resume it first"
        checks.append(Precondition(not release.paused, "deployment is not paused"))
    diff = f"undo: roll the template back to revision {target} (now {current})"
    return checks, Change(undo_to=target), diff, {"phase": Phase.PROGRESSING.value}


def _plan_set_mirror(release: ReleaseState, action: Action) -> _Result:
    percent = action.weight if action.weight is not None else 0
    checks = [
        _owner_allows_weights(release),
        Precondition(release.router == "VirtualService", "route supports mirroring (Istio VirtualService)"),
    ]
    candidate = release.candidate
    if candidate is None or not 0 <= percent <= 100:
        checks.append(Precondition(False, f"mirror {percent}% of traffic to a candidate (0–100%)"))
        return checks, None, "set mirror", {}
    now = release.mirror[1] if release.mirror else 0
    checks.append(Precondition(percent != now, f"mirror differs from the current {now}%"))
    diff = f"stop mirroring to {candidate.name}" if percent == 0 else f"mirror {percent}% of traffic to {candidate.name} (was {now}%)"
    return checks, Change(mirror=(candidate.name, percent)), diff, {"mirror": percent}


def _plan_promote(release: ReleaseState, action: Action) -> _Result:
    candidate = release.candidate
    checks = [
        Precondition(candidate is not None, "a candidate version exists"),
        Precondition(not release.aborted, "release is not aborted"),
    ]
    if candidate is None or release.stable is None:
        return checks, None, "promote", {}
    if release.strategy is Strategy.ROLLING:
        checks.append(Precondition(False, "a rolling update has no promote: resume it, or abort to roll back"))
        return checks, None, "promote", {}
    checks.append(
        Precondition(
            candidate.replicas.all_ready,
            f"{candidate.name} pods ready ({candidate.replicas.ready}/{candidate.replicas.desired})",
        )
    )
    if release.strategy is Strategy.CANARY:
        # Promote is a controller verb too (Argo's promote --full, Flagger's gate): no owner check.
        weights = ((release.stable.name, 0), (candidate.name, 100))
        current = release.desired.weight(candidate.name)
        diff = f"promote {candidate.revision}: {candidate.name} {current}% → 100%, then it becomes stable"
        after = {"desired": dict(weights), "phase": Phase.HEALTHY.value}
        return checks, Change(weights=weights, paused=False, promoted=True), diff, after
    diff = f"promote {candidate.revision}: active slot {release.active_slot} → {candidate.name}"
    after = {"active_slot": candidate.name, "phase": Phase.HEALTHY.value}
    return checks, Change(active_slot=candidate.name, paused=False, promoted=True), diff, after


def _plan_pause(release: ReleaseState, action: Action) -> _Result:
    checks = [
        Precondition(not release.paused, "release is not already paused"),
        Precondition(release.phase is not Phase.HEALTHY, "a rollout is in progress"),
    ]
    return checks, Change(paused=True), "pause rollout", {"paused": True, "phase": Phase.PAUSED.value}


def _plan_resume(release: ReleaseState, action: Action) -> _Result:
    checks = [Precondition(release.paused or release.phase is Phase.PAUSED, "release is paused")]
    return checks, Change(paused=False), "resume rollout", {"paused": False, "phase": Phase.PROGRESSING.value}


def _plan_abort(release: ReleaseState, action: Action) -> _Result:
    checks = [
        Precondition(not release.aborted, "release is not already aborted"),
        Precondition(release.phase is not Phase.HEALTHY, "a rollout is in progress"),
    ]
    stable, candidate = release.stable, release.candidate
    if stable is None or candidate is None:
        checks.append(Precondition(False, "release has a stable and a candidate version"))
        return checks, None, "abort", {}
    after: dict[str, object] = {"aborted": True, "phase": Phase.DEGRADED.value}
    if release.strategy is Strategy.ROLLING:
        diff = f"abort: roll {candidate.revision} back to {stable.revision} (scale the old ReplicaSet up again)"
        return checks, Change(aborted=True), diff, after
    if release.strategy is Strategy.CANARY:
        # Abort is every controller's own verb (Argo status.abort, Flagger's rollback gate).
        weights = ((stable.name, 100), (candidate.name, 0))
        current = release.desired.weight(candidate.name)
        diff = f"abort: {candidate.name} {current}% → 0%, all traffic to {stable.name} ({candidate.revision} kept for diagnosis)"
        return checks, Change(weights=weights, aborted=True), diff, {**after, "desired": dict(weights)}
    diff = f"abort: active slot {release.active_slot} → {stable.name} ({stable.revision}), preview {candidate.name} kept"
    after["active_slot"] = stable.name
    return checks, Change(active_slot=stable.name, aborted=True), diff, after


def _plan_switch(release: ReleaseState, action: Action) -> _Result:
    checks = [Precondition(release.strategy is Strategy.BLUE_GREEN, "release uses the blue-green strategy")]
    if release.strategy is not Strategy.BLUE_GREEN:
        return checks, None, "switch slot", {}
    if release.owner is Owner.FLAGGER:
        checks.append(Precondition(False, "slots are Flagger's: promote or abort instead"))
    if release.owner is Owner.ARGO_ROLLOUTS:
        # Argo flips the active Service itself on promote; going back is abort or undo.
        checks.append(Precondition(action.slot in (None, release.preview_slot), "switch goes to the preview slot (back: abort or undo)"))
    others = [v.name for v in release.versions if v.name != release.active_slot]
    target_name = action.slot or (others[0] if others else None)
    target = release.version(target_name) if target_name else None
    checks.append(Precondition(target is not None, f"slot {target_name} exists"))
    if target is None:
        return checks, None, "switch slot", {}
    checks.append(Precondition(target.name != release.active_slot, f"{target.name} is not already active"))
    checks.append(
        Precondition(
            target.replicas.all_ready,
            f"{target.name} pods ready ({target.replicas.ready}/{target.replicas.desired})",
        )
    )
    role = "stable" if target.role is Role.STABLE else "candidate"
    diff = f"switch active slot {release.active_slot} → {target.name} ({target.revision}, {role})"
    return checks, Change(active_slot=target.name), diff, {"active_slot": target.name}


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
}
