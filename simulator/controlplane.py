"""The discrete control plane: pods coming up, routes propagating, the rollout controllers.

These are ordinary SimPy processes at low event rates. Operator changes arrive as commands drained
at a tick boundary (``apply_change``); the data plane only ever sees ``release.effective`` weights,
which follow ``release.desired`` after the release's propagation delay.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import simpy

from rolldeck.engine.changes import Abort, Change, FlagChange, KillFlag, Pause, Promote, RestoreFlag, Resume, Retry, SetFlagRollout, SetMirror, SetWeights, SwitchSlot, Undo
from rolldeck.engine.model import (
    AnalysisStep,
    Mirror,
    OtherStep,
    Owner,
    PauseStep,
    Phase,
    PromotionStep,
    Role,
    Strategy,
    Wait,
    WaitKind,
    WeightStep,
)
from rolldeck.simulator.flagger import FlaggerController
from rolldeck.simulator.flags import FlagSim
from rolldeck.simulator.pods import PodLifecycle
from rolldeck.simulator.revisions import Revision, roll_back_to
from rolldeck.simulator.scenario import pods_of
from rolldeck.simulator.state import ReleaseSim, VersionSim


# Conditions that belong to a revision's template, so they follow it when it is promoted.
_CARRIED_CONDITIONS = (
    "error_rate_override", "latency_add_s", "latency_factor", "fast_error_rate", "timeout_rate",
    "crash_looping", "leak_mb_per_s", "leak_since", "cold_factor", "cold_decay_s",
)


def canary_replicas(release: ReleaseSim, weight: int) -> int:
    """Pods the canary needs at ``weight``: like Argo Rollouts, ceil(stable replicas × weight)."""
    base = release.spec.stable.pods
    return max(release.spec.candidate.pods, math.ceil(base * weight / 100))


class ControlPlane:
    def __init__(self, env: simpy.Environment, pods: PodLifecycle) -> None:
        self.env = env
        self.pods = pods
        self.flagger = FlaggerController(self)

    # --- pods -------------------------------------------------------------------------------
    def scale(self, release: ReleaseSim, version: VersionSim, replicas: int) -> None:
        """Set a version's desired pods; new pods become Ready after scheduling, pull and readiness."""
        self.pods.scale(release, version, replicas)

    # --- routes -----------------------------------------------------------------------------
    def route(self, release: ReleaseSim, weights: dict[str, int], then: Callable[[], None] | None = None) -> None:
        """Write the desired split now; the data plane follows after the propagation delay."""
        release.desired = dict(weights)
        release.route_generation += 1
        self.env.process(self._propagate(release, dict(weights), release.route_generation, then))

    def route_when_ready(self, release: ReleaseSim, weights: dict[str, int], then: Callable[[], None] | None = None) -> None:
        """Like Argo Rollouts: raise a canary's weight only once the pods for it are ready.

        The desired split changes at once (the spec says so); the route is written when the canary's
        scaled-up pods are Ready, checked every tick by ``release_waiting_routes``. Lowering a
        weight never waits.
        """
        candidate = release.by_role(Role.CANDIDATE)
        if candidate is not None:
            target = weights.get(candidate.name, 0)
            current = release.desired.get(candidate.name, 0)
            needed = canary_replicas(release, target)
            if target > current and candidate.ready_pods < needed:
                release.desired = dict(weights)
                release.route_generation += 1  # an older in-flight change must not land after this
                release.waiting_route = (dict(weights), then)
                release.message = f"scaling canary to {needed} pods for {target}%: {candidate.ready_pods} ready"
                return
        release.waiting_route = None
        self.route(release, weights, then)

    def release_waiting_routes(self, release: ReleaseSim) -> None:
        if release.waiting_route is None:
            return
        weights, then = release.waiting_route
        candidate = release.by_role(Role.CANDIDATE)
        if candidate is None or candidate.ready_pods >= canary_replicas(release, weights.get(candidate.name, 0)):
            release.waiting_route = None
            self.route(release, weights, then)

    def _propagate(self, release: ReleaseSim, weights: dict[str, int], generation: int, then):
        delay = release.propagation_override if release.propagation_override is not None else release.spec.propagation_delay
        yield self.env.timeout(delay)
        if generation < release.applied_generation:
            return  # a newer change already reached the data plane
        release.effective = weights
        release.applied_generation = generation
        if then is not None and generation == release.route_generation:
            then()

    # --- operator commands (phase 0 of a tick) ------------------------------------------------
    def apply_change(self, release: ReleaseSim, change: Change, now: float) -> None:
        """An operator's verb, as the release's owner would take it (kubernetes-mechanics.md §3–8)."""
        if isinstance(change, KillFlag | RestoreFlag | SetFlagRollout):
            self._change_flag(release, change)  # the flag provider's, whoever owns the rollout
            return
        if release.flagger is not None:
            self.flagger.verb(release, release.flagger, change, now)
            return
        match change:
            case SetWeights(weights=weights):
                self._set_weights(release, weights.as_dict(), now)
            case SwitchSlot(to=slot):
                self._switch(release, slot, promoted=False, now=now)
            case Promote(full=True, to=to):
                self._unpause(release, clear_wait=True)
                if release.strategy is Strategy.BLUE_GREEN:
                    self._switch(release, to, promoted=True, now=now)
                else:
                    self.promote_canary(release, to, now)
            case Promote(full=False):
                # Argo's promote: past the pause condition or the current step; with spec.paused it
                # also unpauses (the manual-pause quirk, §7.1).
                self._unpause(release, clear_wait=True)
                if release.strategy is Strategy.BLUE_GREEN and release.preview_slot:
                    self._switch(release, release.preview_slot, promoted=True, now=now)
                elif release.strategy is Strategy.CANARY and release.step is not None:
                    self._next_step(release, now)
            case Pause():
                release.paused = True
                if not release.aborted:
                    release.phase = Phase.PAUSED
            case Resume(completes=completes):
                self._unpause(release, clear_wait=completes)  # Argo: spec.paused only, the wait stays
                if completes:
                    self._leave_indefinite_pause(release, now)
            case Abort(to=to):
                self._abort(release, to, now)
            case Retry():
                self._retry(release, now)
            case Undo(revision=revision):
                self._undo(release, revision, now)
            case SetMirror(version=version, percent=percent):
                release.mirror = Mirror(version, percent) if percent > 0 else None

    def _change_flag(self, release: ReleaseSim, change: FlagChange) -> None:
        """The provider changes at once; the SDKs evaluate the change after the refresh interval."""
        flag = release.flag(change.key)
        if flag is None:
            return  # refused before it is queued: the plan needs the flag
        match change:
            case KillFlag():
                flag.enabled = False
            case RestoreFlag():
                flag.enabled = True
            case SetFlagRollout(shares=shares):
                flag.share = dict(shares).get("on", flag.share)
        flag.last_changed_by = "operator"
        flag.generation += 1
        self.env.process(self._refresh_flag(flag, flag.generation, release.spec.flag_refresh))

    def _refresh_flag(self, flag: FlagSim, generation: int, delay: float):
        yield self.env.timeout(delay)
        if generation < flag.generation:
            return  # a newer change is on its way; it carries the provider's latest state
        flag.seen_enabled, flag.seen_share = flag.enabled, flag.share

    def _unpause(self, release: ReleaseSim, *, clear_wait: bool) -> None:
        release.paused = False
        if clear_wait:
            release.wait = None
        if release.phase is Phase.PAUSED and release.wait is None:
            release.phase = Phase.PROGRESSING

    def _set_weights(self, release: ReleaseSim, weights: dict[str, int], now: float) -> None:
        self._scale_for(release, weights)
        self.route_when_ready(release, weights)
        candidate = self._candidate_name(release)
        if release.aborted and weights.get(candidate or "", 0) > 0:
            release.aborted = False  # a manual weight on an aborted canary restarts it
            release.phase = Phase.PROGRESSING
        release.step_started = now

    def _scale_for(self, release: ReleaseSim, weights: dict[str, int]) -> None:
        candidate = release.by_role(Role.CANDIDATE)
        if candidate is not None:
            needed = canary_replicas(release, weights.get(candidate.name, 0))
            if candidate.desired_pods < needed:
                self.scale(release, candidate, needed)

    def promote_canary(self, release: ReleaseSim, to: str, now: float) -> None:
        weights = {v.name: (100 if v.name == to else 0) for v in release.versions}
        self._scale_for(release, weights)
        self.route_when_ready(release, weights, then=lambda: self._finish_canary(release, now))
        release.phase = Phase.PROGRESSING
        release.message = "promoting to 100%"

    def _abort(self, release: ReleaseSim, to: str, now: float) -> None:
        release.aborted = True
        release.paused = False
        release.wait = None
        release.phase = Phase.DEGRADED
        advice = "; retry or undo" if release.owner is Owner.ARGO_ROLLOUTS else ""
        release.message = f"aborted by operator: traffic back to stable, candidate kept for diagnosis{advice}"
        candidate = release.by_role(Role.CANDIDATE)
        if release.strategy is Strategy.CANARY:
            delay = release.spec.abort_scale_down_delay
            if delay is not None and candidate is not None:
                release.message = f"aborted by operator: traffic back to stable, candidate scales down in {delay:.0f}s{advice}"
                self.env.process(self._scale_down_aborted(release, candidate, delay))
            weights = {v.name: (100 if v.name == to else 0) for v in release.versions}
            self._scale_for(release, weights)
            self.route_when_ready(release, weights)
            release.step_started = now
        elif release.strategy is Strategy.ROLLING:
            release.message = "rolling back: scaling the old ReplicaSet up again"
        else:
            self._switch(release, to, promoted=False, now=now)

    def _retry(self, release: ReleaseSim, now: float) -> None:
        """Start the rollout again from its first step (Argo ``status.abort: false``)."""
        release.aborted = False
        release.paused = False
        release.wait = None
        release.phase = Phase.PROGRESSING
        release.message = "retrying from the first step"
        if release.strategy is Strategy.CANARY and release.steps:
            release.step, release.step_started = 0, now

    def _undo(self, release: ReleaseSim, number: int, now: float) -> None:
        """``undo --to-revision=N``: the workload's template becomes revision N's, as a new revision."""
        try:
            revision = roll_back_to(release.revisions, number)
        except KeyError:
            release.message = f"undo: revision {number} is not in the history"
            return
        stable, candidate = release.by_role(Role.STABLE), release.by_role(Role.CANDIDATE)
        if release.strategy is Strategy.BLUE_GREEN and candidate is None:
            self._undo_after_cutover(release, revision, number, now)
            return
        if stable is None or candidate is None:
            release.message = f"undo: revision {number} recorded as {revision.number}, but no workload to roll back"
            return
        back_to_stable = revision.profile.revision == stable.profile.revision
        if release.strategy is Strategy.ROLLING and back_to_stable:
            release.aborted = True  # the old ReplicaSet scales up again: the rolling controller rolls back
            release.phase = Phase.PROGRESSING
            release.message = f"rolling back to revision {number} (now revision {revision.number})"
            return
        if release.owner is Owner.ARGO_ROLLOUTS and back_to_stable:
            # Going back to the stable ReplicaSet skips the steps (Argo's rollout/canary.go).
            self._new_template(candidate, revision)
            self.scale(release, candidate, 0)
            self.route(release, {v.name: (100 if v is stable else 0) for v in release.versions})
            release.aborted, release.paused, release.wait = False, False, None
            release.phase = Phase.HEALTHY
            release.step = len(release.steps) if release.steps else None
            release.message = f"undone to revision {number} (the stable ReplicaSet) as revision {revision.number}: steps skipped"
            return
        self._new_template(candidate, revision)
        self.pods.kill(candidate, list(candidate.pods))  # a new template: new pods
        release.phase = Phase.PROGRESSING
        if release.owner is Owner.ARGO_ROLLOUTS:
            release.aborted, release.paused, release.wait = False, False, None
            if release.steps:
                release.step, release.step_started = 0, now  # a new canary of the old template, from the first step
        release.message = f"template of revision {number} rolled out as revision {revision.number}"

    def _undo_after_cutover(self, release: ReleaseSim, revision: Revision, number: int, now: float) -> None:
        """Blue-green after a switch: Argo moves straight back while the old slot is still up
        (``scaleDownDelaySeconds``, kubernetes-mechanics.md §7.3); otherwise, and for plain
        Deployments, the idle slot gets the old template as a new preview to switch to."""
        spare = next((v for v in release.versions if v.name != release.active_slot), None)
        if spare is None:
            return
        spare.role = Role.CANDIDATE  # no longer the previous slot waiting to scale down
        still_up = spare.profile.revision == revision.profile.revision and spare.desired_pods > 0
        if release.owner is Owner.ARGO_ROLLOUTS and still_up:
            self._switch(release, spare.name, promoted=True, now=now)
            release.message = f"undone to revision {number} as revision {revision.number}: {spare.name} is still up, switching straight back"
            return
        self._new_template(spare, revision)
        self.pods.kill(spare, list(spare.pods))  # a new template: new pods
        self.scale(release, spare, release.spec.candidate.pods)
        release.preview_slot, release.preview_ready_at = spare.name, None
        release.phase, release.paused, release.wait = Phase.PROGRESSING, False, None
        release.message = f"template of revision {number} rolled out to preview {spare.name} as revision {revision.number}"

    def _new_template(self, version: VersionSim, revision: Revision) -> None:
        """The version now runs ``revision``'s template: the faults of the old template go with it."""
        version.profile = revision.profile
        for attribute in _CARRIED_CONDITIONS:
            setattr(version, attribute, VersionSim.__dataclass_fields__[attribute].default)
        self.pods.wake(version)

    def _candidate_name(self, release: ReleaseSim) -> str | None:
        candidate = release.by_role(Role.CANDIDATE)
        return candidate.name if candidate else None

    def _scale_down_aborted(self, release: ReleaseSim, candidate: VersionSim, delay: float):
        yield self.env.timeout(delay)
        if release.aborted:
            self.scale(release, candidate, 0)

    # --- rolling-update controller (a Deployment's maxSurge / maxUnavailable) ---------------------------
    def rolling_step(self, release: ReleaseSim, now: float) -> None:
        old, new = release.by_role(Role.STABLE), release.by_role(Role.CANDIDATE)
        if old is None or new is None or release.phase is Phase.HEALTHY:
            return
        if release.aborted:
            self._roll_back(release, old, new)
        elif not release.paused:
            self._roll_forward(release, old, new, now)
        total_ready = old.ready_pods + new.ready_pods
        # kube-proxy spreads over every Ready endpoint: the split is the Ready-pod ratio.
        share = round(100 * new.ready_pods / total_ready) if total_ready else 0
        release.effective = {old.name: 100 - share, new.name: share}
        planned = old.desired_pods + new.desired_pods
        release.desired = {old.name: 100 - round(100 * new.desired_pods / planned), new.name: round(100 * new.desired_pods / planned)} if planned else dict(release.effective)

    def _roll_forward(self, release: ReleaseSim, old: VersionSim, new: VersionSim, now: float) -> None:
        spec = release.spec
        replicas = spec.stable.pods
        surge = pods_of(spec.max_surge, replicas, round_up=True)
        unavailable = pods_of(spec.max_unavailable, replicas, round_up=False)
        if surge == 0 and unavailable == 0:
            unavailable = 1  # Kubernetes refuses both zero; behave as its validation would allow
        if new.ready_pods != release.rolling_ready:
            release.rolling_ready, release.rolling_progress_at = new.ready_pods, now
        if new.desired_pods < replicas and old.desired_pods + new.desired_pods < replicas + surge:
            self.scale(release, new, min(replicas, replicas + surge - old.desired_pods))
        removable = old.ready_pods + new.ready_pods - (replicas - unavailable)
        if old.desired_pods > 0 and removable > 0:
            self.scale(release, old, max(0, old.desired_pods - removable))
        if new.ready_pods >= replicas and old.desired_pods == 0:
            new.role, old.role = Role.STABLE, Role.PREVIOUS
            release.phase = Phase.HEALTHY
            release.message = f"{new.profile.revision} rolled out"
        elif now - release.rolling_progress_at > spec.progress_deadline:
            release.phase = Phase.DEGRADED
            release.message = f"ProgressDeadlineExceeded: {new.ready_pods}/{replicas} new pods ready"
        else:
            release.phase = Phase.PROGRESSING
            release.message = f"rolling update: {new.ready_pods}/{replicas} new pods ready, {old.ready_pods} old"

    def _roll_back(self, release: ReleaseSim, old: VersionSim, new: VersionSim) -> None:
        replicas = release.spec.stable.pods
        if old.desired_pods < replicas:
            self.scale(release, old, replicas)
        if old.ready_pods >= replicas and new.desired_pods > 0:
            self.scale(release, new, 0)

    # --- canary controller --------------------------------------------------------------------
    def canary_step(self, release: ReleaseSim, now: float) -> None:
        """Walk the canary's steps as Argo Rollouts does: set a weight (once its pods are ready), bake
        a pause, wait at a pause without a duration; past the last step, promote fully."""
        if release.flagger is not None:
            self.flagger.tick(release, release.flagger, now)
            return
        steps = release.steps
        if release.phase is not Phase.PROGRESSING or release.paused or release.aborted or release.step is None:
            return
        if release.step >= len(steps):
            return  # every step done: the full promotion is on its way to the data plane
        position = f"step {release.step + 1}/{len(steps)}"
        match steps[release.step]:
            case WeightStep(weight=weight):
                if self.set_step_weight(release, weight, f"{position}: weight {weight}%"):
                    self._next_step(release, now)
            case PauseStep(duration_s=None):
                release.phase = Phase.PAUSED  # Argo's CanaryPauseStep: a pause condition, not spec.paused
                release.wait = Wait(WaitKind.PAUSE_STEP, reason="CanaryPauseStep")
                release.message = f"{position}: paused until promoted or resumed"
            case PauseStep(duration_s=duration) if duration is not None:
                if now - release.step_started >= duration:
                    self._next_step(release, now)
                else:
                    release.message = f"{position}: pause {duration:.0f}s"  # the weight step's line would go stale
            case AnalysisStep() | PromotionStep() | OtherStep():
                self._next_step(release, now)  # nothing the simulated controller analyses itself

    def set_step_weight(self, release: ReleaseSim, target: int, message: str) -> bool:
        """Route ``target`` % to the canary once the pods for it are ready; False while they are not."""
        candidate, stable = release.by_role(Role.CANDIDATE), release.by_role(Role.STABLE)
        if candidate is None or stable is None:
            return False
        if target > 0 and candidate.ready_pods <= 0:
            release.message = "waiting for canary pods to be ready"
            return False  # like Argo, never send traffic to a canary with no available pods
        needed = canary_replicas(release, target)
        if candidate.desired_pods < needed:
            self.scale(release, candidate, needed)
        if candidate.ready_pods < needed:
            release.message = f"scaling canary to {needed} pods for {target}%: {candidate.ready_pods} ready"
            return False
        release.message = message
        if release.desired.get(candidate.name, 0) != target:
            self.route(release, {stable.name: 100 - target, candidate.name: target})
        return True

    def _next_step(self, release: ReleaseSim, now: float) -> None:
        """The current step is done: move to the next, or promote fully after the last."""
        release.step = (release.step or 0) + 1
        release.step_started = now
        release.wait = None
        if release.step >= len(release.steps):
            candidate = release.by_role(Role.CANDIDATE)
            if candidate is not None:
                self.promote_canary(release, candidate.name, now)
                release.message = "every step done: promoting to 100%"

    def _leave_indefinite_pause(self, release: ReleaseSim, now: float) -> None:
        if isinstance(release.current_step, PauseStep) and release.current_step.duration_s is None:
            self._next_step(release, now)

    def _finish_canary(self, release: ReleaseSim, now: float) -> None:
        """Full promotion reached the data plane: the candidate's revision becomes stable."""
        stable = release.by_role(Role.STABLE)
        candidate = release.by_role(Role.CANDIDATE)
        if stable is None or candidate is None:
            return
        # The stable ReplicaSet now runs the candidate's template: behaviour and faults move over.
        stable.profile = candidate.profile
        for attribute in _CARRIED_CONDITIONS:
            setattr(stable, attribute, getattr(candidate, attribute))
        self.pods.wake(stable)
        self.scale(release, candidate, 0)
        weights = {stable.name: 100, candidate.name: 0}
        release.desired = dict(weights)
        release.effective = dict(weights)
        release.route_generation += 1
        release.applied_generation = release.route_generation
        release.phase = Phase.HEALTHY
        release.paused = False
        release.wait = None
        if release.steps:
            release.step = len(release.steps)  # every step done, as Argo after a full promotion
        release.message = f"{stable.profile.revision} fully promoted"

    # --- blue-green controller ------------------------------------------------------------------
    def blue_green_step(self, release: ReleaseSim, now: float) -> None:
        preview = release.version(release.preview_slot) if release.preview_slot else None
        if release.phase is Phase.HEALTHY or release.aborted or preview is None or preview.role is not Role.CANDIDATE:
            return
        if preview.ready_pods < preview.desired_pods:
            release.message = f"preview {preview.name} starting: {preview.ready_pods}/{preview.desired_pods} ready"
            return
        if release.preview_ready_at is None:
            release.preview_ready_at = now
        if release.paused or release.autopilot_driven:
            return  # paused, or the autopilot decides when to switch
        delay = release.spec.auto_promote_after
        if release.owner is Owner.UNMANAGED:
            release.message = f"preview {preview.name} ready: switch the Service when you are"
        elif delay is None:
            release.phase = Phase.PAUSED
            release.wait = Wait(WaitKind.PROMOTION, reason="BlueGreenPause")  # promote to switch
            release.message = f"preview {preview.name} ready: waiting for promotion"
        elif now - release.preview_ready_at >= delay:
            self._switch(release, preview.name, promoted=True, now=now)
        else:
            release.message = f"preview ready: auto-promotion in {delay - (now - release.preview_ready_at):.0f}s"

    def _switch(self, release: ReleaseSim, slot: str, *, promoted: bool, now: float) -> None:
        previous = release.active_slot
        if slot == previous:
            return
        release.active_slot = slot
        release.preview_slot = previous
        weights = {v.name: (100 if v.name == slot else 0) for v in release.versions}
        # An abort only moves traffic back; any other switch makes the new slot the stable one.
        finish = None if release.aborted else (lambda: self._finish_switch(release, slot, now))
        self.route(release, weights, then=finish)
        release.message = f"switching active slot {previous} → {slot}"

    def _finish_switch(self, release: ReleaseSim, slot: str, now: float) -> None:
        """The new slot serves all traffic: it is stable now; the old slot lingers, then scales down."""
        new = release.version(slot)
        for version in release.versions:
            if version.name == slot:
                version.role = Role.STABLE
            elif version.role is Role.STABLE:
                version.role = Role.PREVIOUS
                self.env.process(self._scale_down_later(release, version))
        release.phase = Phase.HEALTHY
        release.paused = False
        release.wait = None
        release.message = f"{new.profile.revision} active in slot {slot}"

    def _scale_down_later(self, release: ReleaseSim, version: VersionSim):
        yield self.env.timeout(release.spec.scale_down_delay)
        if release.active_slot != version.name and version.role is Role.PREVIOUS:
            self.scale(release, version, 0)
            release.message = f"old slot {version.name} scaled down"
