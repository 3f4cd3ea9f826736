"""From an engine plan to the exact requests for a release's owner: pure, given the live objects.

``needed(plan, sources)`` names the objects to read (from the watch cache first, fresh after a
conflict); ``build(plan, release, sources, live, kinds)`` returns an ``Intent``: writes for the API
server or a Flagger gate decision. Any mismatch between the live objects and what the plan saw
raises ``StateChanged``: the caller re-reads and re-plans, never writes blind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from rolldeck.engine.actions import ActionKind
from rolldeck.engine.kube.mapping.objects import Obj
from rolldeck.engine.kube.mapping.sources import Sources
from rolldeck.engine.kube.resources import Kind
from rolldeck.engine.kube.verbs import argo, deployment, flagger, routes, service
from rolldeck.engine.kube.verbs.write import GateDecision, Intent, StateChanged, Write, send
from rolldeck.engine.changes import Abort, Change, Pause, Promote, Resume, Retry, SetMirror, SetWeights, SwitchSlot, Undo
from rolldeck.engine.model import Gate, Owner, ReleaseState, Split, Strategy
from rolldeck.engine.plans import Plan

__all__ = ["GateDecision", "Intent", "Live", "StateChanged", "Write", "build", "needed", "send"]


@dataclass
class Live:
    """Live objects of one release's namespace, by (kind key, name)."""

    objects: dict[tuple[str, str], Obj] = field(default_factory=dict)
    replicasets: list[Obj] = field(default_factory=list)  # read fresh for undo, as kubectl does

    def need(self, key: str, name: str) -> Obj:
        obj = self.objects.get((key, name))
        if obj is None:
            raise StateChanged(f"{key.rstrip('s')} {name} not found")
        return obj


def needed(plan: Plan, release: ReleaseState, sources: Sources) -> tuple[list[tuple[str, str]], bool]:
    """(objects to read, whether ReplicaSets must be listed) for this plan."""
    kind = plan.action.kind
    if sources.owner is Owner.ARGO_ROLLOUTS:
        wanted = [("rollouts", sources.rollout)]  # first: its selector lists the ReplicaSets
        if kind is ActionKind.UNDO and sources.workload is not None:
            wanted.append(sources.workload)  # undo patches the template's source, as the CLI does
        return wanted, kind is ActionKind.UNDO
    if sources.owner is Owner.FLAGGER:
        wanted = [("canaries", sources.canary)]
        if kind is ActionKind.RETRY:
            wanted.append(("deployments", sources.target))
        return wanted, False
    rolling_abort = release.strategy is Strategy.ROLLING and kind is ActionKind.ABORT
    if kind in (ActionKind.PAUSE, ActionKind.RESUME, ActionKind.UNDO) or rolling_abort:
        return [("deployments", sources.candidate_deployment(release))], kind is ActionKind.UNDO or rolling_abort
    if sources.service:
        return [("services", sources.service)], False
    return [(sources.route_kind, sources.route)], False


def build(plan: Plan, release: ReleaseState, sources: Sources, live: Live, kinds: Mapping[str, Kind], *, stamp: str = "") -> Intent:
    change = plan.change
    if change is None:
        raise StateChanged("the plan has nothing to apply")
    owner = sources.owner
    if owner is Owner.ARGO_ROLLOUTS:
        return _argo(change, kinds["rollouts"], live.need("rollouts", sources.rollout), live, sources)
    if owner is Owner.FLAGGER:
        return _flagger(change, kinds["canaries"], live.need("canaries", sources.canary), live, sources, release, stamp)
    if owner is Owner.UNMANAGED:
        return _unmanaged(change, release, sources, live, kinds)
    raise StateChanged(f"{owner.value} releases are not on a cluster")


def _argo(change: Change, rollouts: Kind, rollout: Obj, live: Live, sources: Sources) -> Intent:
    match change:
        case Promote(full=True):
            return argo.promote_full(rollouts, rollout)
        case Promote(full=False, at_step=step):
            return argo.promote(rollouts, rollout, step)
        case SwitchSlot():
            return argo.promote(rollouts, rollout, None)  # Argo flips the active Service itself on promote
        case Abort():
            return argo.abort(rollouts, rollout)
        case Retry():
            return argo.retry(rollouts, rollout)
        case Pause():
            return argo.set_paused(rollouts, rollout, True)
        case Resume():
            return argo.set_paused(rollouts, rollout, False)
        case Undo(revision=revision):
            workload = live.need(*sources.workload) if sources.workload is not None else None  # workloadRef: its template
            return argo.undo(rollouts, rollout, live.replicasets, revision, workload=workload)
        case SetWeights() | SetMirror():
            raise StateChanged(f"{_verb(change)} is not an Argo Rollouts verb (the controller owns the route)")
    raise AssertionError(f"unhandled change {change!r}")  # the union is closed; mypy cannot see Promote's bool is


def _flagger(change: Change, canaries: Kind, canary: Obj, live: Live, sources: Sources, release: ReleaseState, stamp: str) -> Intent:
    match change:
        case Promote(full=True):
            return flagger.gate(canary, "confirm-promotion", "approve promotion")
        case Promote(full=False):
            return flagger.gate(canary, "confirm-traffic-increase", "approve the next traffic increase")
        case Abort():
            return flagger.gate(canary, "rollback", "roll back (Flagger's rollback gate)")
        case Pause():
            return flagger.set_suspended(canaries, canary, True)
        case Resume():
            if (canary.get("spec") or {}).get("suspend"):
                return flagger.set_suspended(canaries, canary, False)
            if release.wait is not None and release.wait.gate is Gate.CONFIRM_ROLLOUT:
                return flagger.gate(canary, "confirm-rollout", "approve the start of the canary")
            raise StateChanged("canary is neither suspended nor waiting to start")
        case Retry():
            return flagger.retry(canary, live.need("deployments", sources.target), stamp)
        case SetWeights() | SwitchSlot() | Undo() | SetMirror():
            raise StateChanged(f"{_verb(change)} is not a Flagger verb (Flagger owns the route)")
    raise AssertionError(f"unhandled change {change!r}")  # the union is closed; mypy cannot see Promote's bool is


def _unmanaged(change: Change, release: ReleaseState, sources: Sources, live: Live, kinds: Mapping[str, Kind]) -> Intent:
    names = [v.name for v in release.versions]
    match change:
        case Pause() | Resume():
            target = live.need("deployments", sources.candidate_deployment(release))
            return deployment.set_paused(target, isinstance(change, Pause))
        case Undo(revision=revision):
            target = live.need("deployments", sources.candidate_deployment(release))
            return deployment.undo(target, live.replicasets, revision)
        case Abort() if release.strategy is Strategy.ROLLING:
            # aborting a rolling update is `kubectl rollout undo`: back to the previous revision
            target = live.need("deployments", sources.candidate_deployment(release))
            return deployment.undo(target, live.replicasets, None)
        case SetMirror(version=version, percent=percent, expect=expect):
            route = live.need(sources.route_kind, sources.route)
            return routes.set_mirror(kinds[sources.route_kind], route, sources.backends, version, percent, expect)
        case SwitchSlot(to=slot, expect_active=seen) if sources.service:
            return service.switch_selector(live.need("services", sources.service), sources.selector_key, seen, slot)
        case Promote(full=True, to=slot) | Abort(to=slot) if sources.service:
            return service.switch_selector(live.need("services", sources.service), sources.selector_key, None, slot)
        case SetWeights(weights=weights, expect=expect) if sources.route:
            route = live.need(sources.route_kind, sources.route)
            return routes.set_weights(kinds[sources.route_kind], route, sources.backends, expect.as_dict(), weights.as_dict())
        case Promote(full=True, to=version) | Abort(to=version) if sources.route:
            # absolute: all traffic to one version whatever the split is now (host and RV guards still apply)
            route = live.need(sources.route_kind, sources.route)
            return routes.set_weights(kinds[sources.route_kind], route, sources.backends, None, Split.only(version, names).as_dict())
        case _:
            raise StateChanged(f"{_verb(change)} has no request for an unmanaged release behind {release.router.label}")


def _verb(change: Change) -> str:
    return type(change).__name__
