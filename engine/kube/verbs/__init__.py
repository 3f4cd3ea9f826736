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
from rolldeck.engine.model import Owner, ReleaseState, Strategy
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
        return [("rollouts", sources.rollout)], kind is ActionKind.UNDO
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
    kind = plan.action.kind
    owner = sources.owner
    if owner is Owner.ARGO_ROLLOUTS:
        return _argo(kind, kinds["rollouts"], live.need("rollouts", sources.rollout), live, plan)
    if owner is Owner.FLAGGER:
        return _flagger(kind, kinds["canaries"], live.need("canaries", sources.canary), live, sources, release, stamp)
    if owner is Owner.UNMANAGED:
        return _unmanaged(kind, plan, release, sources, live, kinds)
    raise StateChanged(f"{owner.value} releases are not on a cluster")


def _argo(kind: ActionKind, rollouts: Kind, rollout: Obj, live: Live, plan: Plan) -> Intent:
    change = plan.change
    assert change is not None
    if kind in (ActionKind.STEP_UP, ActionKind.SWITCH_SLOT):
        return argo.promote(rollouts, rollout, change.step)
    if kind is ActionKind.PROMOTE:
        return argo.promote_full(rollouts, rollout)
    if kind is ActionKind.ABORT:
        return argo.abort(rollouts, rollout)
    if kind is ActionKind.RETRY:
        return argo.retry(rollouts, rollout)
    if kind in (ActionKind.PAUSE, ActionKind.RESUME):
        return argo.set_paused(rollouts, rollout, kind is ActionKind.PAUSE)
    if kind is ActionKind.UNDO:
        return argo.undo(rollouts, rollout, live.replicasets, change.undo_to)
    raise StateChanged(f"{kind.value} is not an Argo Rollouts verb (the controller owns the route)")


def _flagger(kind: ActionKind, canaries: Kind, canary: Obj, live: Live, sources: Sources, release: ReleaseState, stamp: str) -> Intent:
    if kind is ActionKind.PROMOTE:
        return flagger.gate(canary, "confirm-promotion", "approve promotion")
    if kind is ActionKind.STEP_UP:
        return flagger.gate(canary, "confirm-traffic-increase", "approve the next traffic increase")
    if kind is ActionKind.ABORT:
        return flagger.gate(canary, "rollback", "roll back (Flagger's rollback gate)")
    if kind is ActionKind.PAUSE:
        return flagger.set_suspended(canaries, canary, True)
    if kind is ActionKind.RESUME:
        if (canary.get("spec") or {}).get("suspend"):
            return flagger.set_suspended(canaries, canary, False)
        if release.waiting_on == "confirm-rollout":
            return flagger.gate(canary, "confirm-rollout", "approve the start of the canary")
        raise StateChanged("canary is neither suspended nor waiting to start")
    if kind is ActionKind.RETRY:
        return flagger.retry(canary, live.need("deployments", sources.target), stamp)
    raise StateChanged(f"{kind.value} is not a Flagger verb (Flagger owns the route)")


def _unmanaged(kind: ActionKind, plan: Plan, release: ReleaseState, sources: Sources, live: Live, kinds: Mapping[str, Kind]) -> Intent:
    change = plan.change
    assert change is not None
    expected = plan.before.get("desired")
    if kind in (ActionKind.PAUSE, ActionKind.RESUME):
        target = live.need("deployments", sources.candidate_deployment(release))
        return deployment.set_paused(target, kind is ActionKind.PAUSE)
    if kind is ActionKind.UNDO or (kind is ActionKind.ABORT and release.strategy is Strategy.ROLLING):
        # aborting a rolling update is `kubectl rollout undo`: back to the previous revision
        target = live.need("deployments", sources.candidate_deployment(release))
        return deployment.undo(target, live.replicasets, change.undo_to)
    if kind is ActionKind.SET_MIRROR:
        if change.mirror is None:
            raise StateChanged("no mirror in the plan")
        route = live.need(sources.route_kind, sources.route)
        return routes.set_mirror(kinds[sources.route_kind], route, sources.backends, *change.mirror)
    if release.strategy is Strategy.BLUE_GREEN and sources.service:
        if change.active_slot is None:
            raise StateChanged(f"{kind.value} changes no slot")
        svc = live.need("services", sources.service)
        before = plan.before.get("active_slot")
        return service.switch_selector(svc, sources.selector_key, before if isinstance(before, str) else None, change.active_slot)
    if change.weights is not None and sources.route:
        route = live.need(sources.route_kind, sources.route)
        return routes.set_weights(
            kinds[sources.route_kind], route, sources.backends, expected if isinstance(expected, dict) else None, dict(change.weights)
        )
    raise StateChanged(f"{kind.value} has no request for an unmanaged {release.router or 'release'}")
