"""Resolve an action against the current state into a plan: preconditions, the change, a diff.

Planning is pure: it reads a ``FleetState`` and returns a ``Plan``; nothing is applied here. The
operator (``engine.operator``) is the only code that hands a plan to a backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.actions import Action, ActionKind
from engine.model import FleetState, Phase, ReleaseState, Role, Strategy


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


@dataclass(frozen=True, slots=True)
class Plan:
    action: Action
    region: str
    preconditions: tuple[Precondition, ...]
    change: Change | None
    diff: str  # one line a human reads: "canary 10% → 25% in eu-prod-1/checkout"
    before: dict[str, object] = field(default_factory=dict)
    after: dict[str, object] = field(default_factory=dict)

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
    planner = _PLANNERS[action.kind]
    specific, change, diff, after = planner(release, action)
    before = summarize(release)
    merged_after = {**before, **after}
    return Plan(
        action=action,
        region=release.region,
        preconditions=tuple(common + specific),
        change=change,
        diff=f"{diff} in {release.ref}",
        before=before,
        after=merged_after,
    )


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


def _plan_promote(release: ReleaseState, action: Action) -> _Result:
    candidate = release.candidate
    checks = [
        Precondition(candidate is not None, "a candidate version exists"),
        Precondition(not release.aborted, "release is not aborted"),
    ]
    if candidate is None or release.stable is None:
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
}
