"""The supervised autopilot: runs rollout plans step by step, under the operator's hand.

Each look (every ``interval_s`` of backend time) it reads the newest snapshot, feeds every baking
canary's sequential judge (one per release and bake, kept in the shared ``BakeTracker``), and acts — only through the operator, so every
decision is planned, applied once and audited with its evidence. Policies:

* Fail → abort (a failing region aborts the application everywhere it is in progress); on a flag
  rollout (``FlagPlan``) the judge is on the flag's cohort and Fail → the kill switch: the version
  stays, its flag's path goes off;
* Inconclusive at the end of a bake → hold: the autopilot pauses the release and waits for a human
  (a bake ends no earlier than the judge's minimum number of intervals, up to ``max_bake_s``);
* Error (no data) beyond the consecutive-error limit → freeze: pause and wait, never promote blind;
* an operator who pauses a release takes it over; resuming hands it back. ``enabled = False`` stops
  every decision at once (its judges keep counting, so it acts on evidence gathered interval by
  interval when switched back on); an operator turns it on or off with ``switch``, which the
  operator's audit log records (refused, and recorded, on a read-only console).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from enum import StrEnum

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.audit import AuditError, AuditRecord
from rolldeck.engine.bakes import BakeTracker
from rolldeck.engine.flag_judges import CohortJudges
from rolldeck.engine.judge import Counts, JudgeConfig, Judgement, Missing, Observed, ReleaseEvidence, Verdict
from rolldeck.engine.model import FleetState, ReleaseRef, ReleaseState
from rolldeck.engine.operator import Operator
from rolldeck.engine.rollout_plans import BlueGreenPlan, CanaryPlan, FlagPlan, RolloutPlan

ACTOR = "autopilot"


class TrackState(StrEnum):
    WAITING = "waiting"  # an earlier phase has not finished (or soaked) yet
    APPROVAL = "approval"  # paused for a human before the next step
    SETTING = "setting"  # the step's weight or switch is on its way to the data plane
    BAKING = "baking"
    HOLD = "hold"  # inconclusive: paused, a human decides
    FROZEN = "frozen"  # no data: paused, a human decides
    OPERATOR = "operator"  # a human paused the release and has control
    HALTED = "halted"  # an earlier phase or another region failed
    ABORTED = "aborted"
    KILLED = "killed"  # a flag rollout's path is off (the kill switch): the version keeps running
    DONE = "done"


_SETTLED = {TrackState.ABORTED, TrackState.KILLED, TrackState.DONE, TrackState.HALTED}
_FAILED = (TrackState.ABORTED, TrackState.KILLED, TrackState.HALTED)


@dataclass(frozen=True, slots=True)
class AutopilotEvent:
    time: float
    release: str
    kind: str  # step, promote, abort, hold, freeze, approval, done, halt, error
    message: str
    severity: str = "information"  # information | warning | error


@dataclass(frozen=True, slots=True)
class TrackView:
    """What the console shows for one release under the autopilot."""

    ref: ReleaseRef
    state: TrackState
    step: int  # 1-based step number (or 0 before the first)
    steps: int
    target_weight: int | None
    countdown_s: float | None  # time left in the bake, when it has a fixed length
    verdict: Verdict | None
    evidence: str
    evidence_n: int
    evidence_needed: int
    message: str
    flag: str | None = None  # a flag rollout's flag: its steps are shares, its fix the kill switch


@dataclass
class _Track:
    ref: ReleaseRef
    rollout: RolloutPlan
    phase: int
    state: TrackState = TrackState.WAITING
    step: int = 0
    # Blue-green only: when the watch after the switch began, and its judge. A canary step's bake
    # and judge live in the shared BakeTracker.
    watch_started_at: float | None = None
    watch_judge: ReleaseEvidence | None = None
    flag_bake_started_at: float | None = None  # a flag rollout's step: its judge is in CohortJudges
    consecutive_errors: int = 0
    judgement: Judgement | None = None
    paused_by_autopilot: bool = False
    approved_step: int | None = None  # the step a human approved after an approval pause
    resume_state: TrackState | None = None
    done_at: float | None = None
    message: str = ""


@dataclass
class Autopilot:
    operator: Operator
    plans: list[RolloutPlan]
    judge: JudgeConfig = field(default_factory=JudgeConfig)
    interval_s: float = 10.0
    enabled: bool = True
    events: list[AutopilotEvent] = field(default_factory=list)
    bakes: BakeTracker = field(default_factory=BakeTracker)  # shared with the console's verdicts
    cohorts: CohortJudges | None = None  # the judges on flag cohorts, shared with the console (default: its own)
    _tracks: list[_Track] = field(default_factory=list)
    _next_look: float = 0.0

    def __post_init__(self) -> None:
        if self.cohorts is None:
            self.cohorts = CohortJudges(self.judge)
        state = self.operator.backend.snapshot()
        for rollout in self.plans:
            for release in state.releases():
                if release.name == rollout.release:
                    self._tracks.append(_Track(release.ref, rollout, rollout.phase_of(release.cluster)))
        self._tracks.sort(key=lambda t: (t.phase, str(t.ref)))

    # --- what the console reads -------------------------------------------------------------------
    @property
    def next_look(self) -> float:
        return self._next_look

    def due(self) -> bool:
        return self.operator.backend.clock.now() >= self._next_look

    def views(self) -> list[TrackView]:
        now = self.operator.backend.clock.now()
        return [self._view(t, now) for t in self._tracks]

    def view(self, ref: ReleaseRef) -> TrackView | None:
        return next((v for v in self.views() if v.ref == ref), None)

    # --- the switch ------------------------------------------------------------------------------------
    def switch_diff(self, enabled: bool) -> str:
        """What turning the autopilot on or off does, in one line (the confirm modal's and the audit's)."""
        tracks = self.views()
        names = ", ".join(str(t.ref) for t in tracks[:3]) + (" …" if len(tracks) > 3 else "")
        active = sum(1 for t in tracks if t.state not in _SETTLED)
        if enabled:
            return f"autopilot on: it resumes {active} release(s) from their current step ({names})"
        return f"autopilot off: {active} release(s) return to manual control ({names})"

    def switch(self, enabled: bool, *, actor: str) -> AuditRecord:
        """Turn the autopilot on or off; the operator's audit log records it, refusals included.
        The record goes on disk before the switch: one the file refuses leaves the autopilot as it was."""
        was = self.enabled
        if self.operator.read_only:
            refusal = "the console is read-only"
        elif enabled == was:
            refusal = f"the autopilot is already {'on' if was else 'off'}"
        else:
            refusal = ""
        audit = self.operator.audit
        now = self.operator.backend.clock.now()
        record = audit.autopilot_record(actor=actor, enabled=enabled, was=was, diff=self.switch_diff(enabled), backend_time=now, refusal=refusal)
        try:
            audit.append(record)
        except AuditError as error:
            record = audit.autopilot_record(
                actor=actor, enabled=enabled, was=was, diff=record.diff, backend_time=now, refusal=refusal or f"{error}; the autopilot was not switched"
            )
            audit.remember(record)
            return record
        if not refusal:
            self.enabled = enabled
        return record

    # --- one look ------------------------------------------------------------------------------------
    async def look(self) -> list[AutopilotEvent]:
        """Judge and act once; returns the events this look produced."""
        clock = self.operator.backend.clock
        now = clock.now()
        self._next_look = now + self.interval_s
        if not self.enabled:
            self._keep_counting()
            return []
        before = len(self.events)
        state = self.operator.backend.snapshot()
        self.bakes.observe(state)
        for track in self._tracks:
            if track.state in _SETTLED:
                continue
            release = state.release(track.ref)
            if release is None:
                continue
            if not self._phase_open(track, now):
                track.state = TrackState.WAITING
                continue
            if self._human_has_control(track, release, now):
                continue
            if isinstance(track.rollout.plan, CanaryPlan):
                await self._canary(track, track.rollout.plan, release, state, now)
            elif isinstance(track.rollout.plan, FlagPlan):
                await self._flag(track, track.rollout.plan, release, state, now)
            else:
                await self._blue_green(track, track.rollout.plan, release, now)
        return self.events[before:]

    # --- supervision -----------------------------------------------------------------------------------
    def _phase_open(self, track: _Track, now: float) -> bool:
        earlier = [t for t in self._tracks if t.rollout is track.rollout and t.phase < track.phase]
        if any(t.state in _FAILED for t in earlier):
            if track.state is not TrackState.HALTED:
                track.state = TrackState.HALTED
                self._event(now, track, "halt", "halted: an earlier phase failed", "warning")
            return False
        if any(t.state is not TrackState.DONE for t in earlier):
            track.message = "waiting for the earlier phase"
            return False
        soak = track.rollout.phases[track.phase - 1].soak_s if 0 < track.phase <= len(track.rollout.phases) else 0.0
        finished = max((t.done_at or 0.0 for t in earlier), default=0.0)
        if earlier and now < finished + soak:
            track.message = f"soaking the earlier phase: {finished + soak - now:.0f}s left"
            return False
        if track.state is TrackState.WAITING:
            track.state = TrackState.SETTING
        return True

    def _human_has_control(self, track: _Track, release: ReleaseState, now: float) -> bool:
        if release.aborted:
            track.state = TrackState.ABORTED
            self._event(now, track, "abort", "aborted by an operator: the autopilot stops here", "warning")
            self._halt_others(track, now)
            return True
        if release.paused:
            if not track.paused_by_autopilot and track.state is not TrackState.OPERATOR:
                track.resume_state = track.state
                track.state = TrackState.OPERATOR
                track.message = "an operator paused this release and has control"
            return True
        if track.state is TrackState.OPERATOR:
            track.state = track.resume_state or TrackState.SETTING
            track.message = "operator resumed: autopilot continues"
        elif track.paused_by_autopilot:
            # A human resumed what the autopilot paused: approval given, hold or freeze released.
            track.paused_by_autopilot = False
            if track.state is TrackState.APPROVAL:
                track.state = TrackState.SETTING
                track.approved_step = track.step
                track.message = "approved by an operator"
            elif track.state in (TrackState.HOLD, TrackState.FROZEN):
                track.step += 1
                track.state = TrackState.SETTING
                track.consecutive_errors = 0
                track.message = "resumed by an operator: next step"
        return False

    # --- canary plans ------------------------------------------------------------------------------------
    async def _canary(self, track: _Track, plan: CanaryPlan, release: ReleaseState, state: FleetState, now: float) -> None:
        if track.step >= len(plan.steps):
            track.state, track.done_at = TrackState.DONE, now
            return
        step = plan.steps[track.step]
        if track.state is TrackState.SETTING:
            if step.approval and track.approved_step != track.step:
                if await self._act(track, ActionKind.PAUSE, now, f"step {track.step + 1}: approval required before {step.weight}%"):
                    track.paused_by_autopilot = True
                    track.state = TrackState.APPROVAL
                    self._event(now, track, "approval", f"waiting for approval before {step.weight}%", "warning")
                return
            desired, observed = release.candidate_weight
            if step.weight >= 100:
                if await self._act(track, ActionKind.PROMOTE, now, track.judgement.evidence if track.judgement else "final step"):
                    track.state, track.done_at = TrackState.DONE, now
                    self._event(now, track, "promote", "promoted to 100%")
                return
            if desired != step.weight:
                await self._act(track, ActionKind.SET_WEIGHT, now, f"step {track.step + 1}/{len(plan.steps)}", weight=step.weight)
                return
            if observed != step.weight:
                track.message = f"waiting for the data plane: {observed}% of {step.weight}%"
                return
            track.state = TrackState.BAKING
            self.bakes.restart(release, now)  # each plan step bakes anew, even at the same weight
            if step.analysis:  # the step's judge begins with the bake, with the rollout's share of α
                self.bakes.judge(release, partial(self._new_judge, track, plan, state))
            track.consecutive_errors = 0
            track.judgement = None
            track.message = f"baking at {step.weight}%"
            self._event(now, track, "step", f"step {track.step + 1}/{len(plan.steps)}: {step.weight}% reached the data plane")
            return
        if track.state is not TrackState.BAKING:
            return
        started = self.bakes.started_at(track.ref)
        elapsed = now - (started if started is not None else now)
        if step.analysis:
            judgement = self.bakes.judge(release, partial(self._new_judge, track, plan, state))
            track.judgement = judgement
            if judgement.verdict is Verdict.FAIL:
                await self._abort_app(track, now, judgement.evidence)
                return
            if judgement.verdict is Verdict.ERROR:
                track.consecutive_errors += 1
                if track.consecutive_errors > self.judge.consecutive_error_limit:
                    await self._pause(track, TrackState.FROZEN, now, f"freeze: {judgement.evidence}")
                return
            track.consecutive_errors = 0
        bake_done = elapsed >= step.bake_s if step.bake_s is not None else (
            (track.judgement is not None and track.judgement.verdict is Verdict.PASS) or elapsed >= plan.max_bake_s
        )
        if bake_done and step.analysis and elapsed < plan.max_bake_s and self._judge_needs_time(track):
            return  # a bake ends no earlier than the judge can speak: it needs a few closed intervals
        if not bake_done:
            return
        if not step.analysis or (track.judgement and track.judgement.verdict is Verdict.PASS):
            track.step += 1
            track.state = TrackState.SETTING
            track.message = "step passed"
            return
        evidence = track.judgement.evidence if track.judgement else "no verdict"
        await self._pause(track, TrackState.HOLD, now, f"hold: {evidence}")

    # --- flag rollouts ------------------------------------------------------------------------------------------
    @property
    def flag_judges(self) -> CohortJudges:
        assert self.cohorts is not None  # set in __post_init__
        return self.cohorts

    async def _flag(self, track: _Track, plan: FlagPlan, release: ReleaseState, state: FleetState, now: float) -> None:
        """Step a flag's share, bake each step judged on its cohort; Fail → the kill switch, no rollback."""
        flag = release.flag(plan.flag)
        if flag is None:
            track.message = f"flag {plan.flag} is not on {release.name}"
            return
        if not flag.enabled:  # killed by a human (the autopilot's own kill settles the track)
            track.state = TrackState.KILLED
            self._event(now, track, "kill", f"flag {plan.flag} was killed by an operator: the autopilot stops here", "warning")
            self._halt_others(track, now)
            return
        if track.step >= len(plan.steps):
            track.state, track.done_at = TrackState.DONE, now
            self._event(now, track, "done", f"flag {plan.flag} rollout done at {flag.exposure:g}%")
            return
        step = plan.steps[track.step]
        label = f"flag {plan.flag} step {track.step + 1}/{len(plan.steps)}"
        if track.state is TrackState.SETTING:
            if abs(flag.exposure - step.share) > 0.01:
                await self._act(track, ActionKind.SET_FLAG_ROLLOUT, now, label, flag=plan.flag, percent=step.share)
                return
            track.state, track.flag_bake_started_at = TrackState.BAKING, now
            self.flag_judges.restart(track.ref, plan.flag)  # each step bakes anew, even at the same share
            track.consecutive_errors = 0
            track.judgement = None
            track.message = f"baking flag {plan.flag} at {step.share:g}%"
            self._event(now, track, "step", f"{label}: {step.share:g}% of the evaluations on its path")
            return
        if track.state is not TrackState.BAKING:
            return
        elapsed = now - (track.flag_bake_started_at if track.flag_bake_started_at is not None else now)
        if step.analysis:
            judgement = self.flag_judges.observe(state).get((track.ref, plan.flag))
            track.judgement = judgement
            if judgement is None:
                track.message = f"flag {plan.flag}: no cohort signals (the metrics carry no flag variant)"
            elif judgement.verdict is Verdict.FAIL:
                if await self._act(track, ActionKind.KILL_FLAG, now, judgement.evidence, flag=plan.flag):
                    track.state = TrackState.KILLED
                    track.message = f"killed flag {plan.flag}: {judgement.evidence}"
                    self._event(now, track, "kill", f"killed flag {plan.flag}, no rollback: {judgement.evidence}", "error")
                    self._halt_others(track, now)
                return
            elif judgement.verdict is Verdict.ERROR:
                track.consecutive_errors += 1
                if track.consecutive_errors > self.judge.consecutive_error_limit:
                    self._flag_hold(track, TrackState.FROZEN, now, f"freeze: {judgement.evidence}")
                return
            else:
                track.consecutive_errors = 0
        passed = track.judgement is not None and track.judgement.verdict is Verdict.PASS
        bake_done = elapsed >= step.bake_s if step.bake_s is not None else (passed or elapsed >= plan.max_bake_s)
        if bake_done and step.analysis and elapsed < plan.max_bake_s and self._judge_needs_time(track):
            return
        if not bake_done:
            return
        if not step.analysis or passed:
            track.step += 1
            track.state = TrackState.SETTING
            track.message = "flag step passed"
            return
        evidence = track.judgement.evidence if track.judgement else "no verdict on the flag's cohort"
        self._flag_hold(track, TrackState.HOLD, now, f"hold: {evidence}")

    def _flag_hold(self, track: _Track, state: TrackState, now: float, message: str) -> None:
        """A flag rollout holds at its share: nothing to pause on the release, a human decides."""
        track.state = state
        track.message = message
        kind = "freeze" if state is TrackState.FROZEN else "hold"
        self._event(now, track, kind, f"{message} — the flag stays at its share: step it (] [) or kill it (k)", "warning")

    def _new_judge(self, track: _Track, plan: CanaryPlan, state: FleetState) -> ReleaseEvidence:
        """A step's judge: the rollout's α is shared over its regions (a failing region fails them
        all) and its analysed steps, so the whole rollout keeps its false-rollback budget."""
        regions = {release.region for t in self._tracks if t.rollout is track.rollout and (release := state.release(t.ref))}
        return ReleaseEvidence(self.judge, regions=max(1, len(regions)), steps=plan.analysed_steps)

    def _judge_needs_time(self, track: _Track) -> bool:
        judgement = track.judgement
        return (
            judgement is not None
            and judgement.verdict is Verdict.INCONCLUSIVE
            and not judgement.environment
            and judgement.intervals < self.judge.min_intervals
        )

    def _keep_counting(self) -> None:
        """Switched off, the autopilot decides nothing, but its judges keep counting: switched back
        on, it acts on evidence gathered interval by interval, not on one interval as long as the gap."""
        now = self.operator.backend.clock.now()
        state = self.operator.backend.snapshot()
        self.bakes.observe(state)
        for track in self._tracks:
            release = state.release(track.ref)
            if release is None or track.state is not TrackState.BAKING:
                continue
            plan = track.rollout.plan
            if isinstance(plan, CanaryPlan) and track.step < len(plan.steps) and plan.steps[track.step].analysis:
                track.judgement = self.bakes.judge(release, partial(self._new_judge, track, plan, state))
            elif isinstance(plan, FlagPlan):
                track.judgement = self.flag_judges.observe(state).get((track.ref, plan.flag))
            elif isinstance(plan, BlueGreenPlan) and track.watch_judge is not None:
                track.judgement = track.watch_judge.observe(now, {release.region: (_active_slot(release), None)})

    # --- blue-green plans -----------------------------------------------------------------------------------
    async def _blue_green(self, track: _Track, plan: BlueGreenPlan, release: ReleaseState, now: float) -> None:
        candidate = release.candidate
        if track.state is TrackState.SETTING:
            if candidate is None:
                track.state, track.done_at = TrackState.DONE, now
                return
            if not candidate.replicas.all_ready:
                track.message = f"preview {candidate.name}: {candidate.replicas.ready}/{candidate.replicas.desired} ready"
                return
            if await self._act(track, ActionKind.PROMOTE, now, "preview ready: switching"):
                track.state, track.watch_started_at = TrackState.BAKING, now
                track.watch_judge = ReleaseEvidence(self.judge, steps=1)
                track.message = f"switched to {candidate.name}: watching"
                self._event(now, track, "step", f"switched to {candidate.name} ({candidate.revision}); watching {plan.watch_s:.0f}s")
            return
        if track.state is not TrackState.BAKING:
            return
        if plan.analysis:
            if track.watch_judge is None:
                track.watch_judge = ReleaseEvidence(self.judge, steps=1)
            # The old slot serves no traffic after the switch, so there is no concurrent baseline: the
            # new slot is judged on the absolute test alone, like a canary-only region.
            judgement = track.watch_judge.observe(now, {release.region: (_active_slot(release), None)})
            track.judgement = judgement
            if judgement.verdict is Verdict.FAIL:
                previous = release.preview_slot
                if await self._act(track, ActionKind.SWITCH_SLOT, now, judgement.evidence, slot=previous):
                    track.state = TrackState.ABORTED
                    self._event(now, track, "abort", f"switched back to {previous}: {judgement.evidence}", "error")
                return
            if judgement.verdict is Verdict.ERROR:
                track.consecutive_errors += 1
                return  # no data: the watch does not pass blind
        if now - (track.watch_started_at or now) >= plan.watch_s:
            track.state, track.done_at = TrackState.DONE, now
            self._event(now, track, "done", "watch passed: the old slot is released after its scale-down delay")

    # --- acting through the operator --------------------------------------------------------------------------
    async def _act(
        self, track: _Track, kind: ActionKind, now: float, evidence: str, *,
        weight: int | None = None, slot: str | None = None, flag: str | None = None, percent: float | None = None,
    ) -> bool:
        plan = self.operator.plan(Action(kind, track.ref, weight=weight, slot=slot, flag=flag, percent=percent))
        if not plan.ok:
            track.message = plan.refusal or "refused"
            return False
        outcome = await self.operator.execute(plan, actor=ACTOR, evidence=evidence)
        if not outcome.ok:
            self._event(now, track, "error", outcome.message, "error")
        return outcome.ok

    async def _pause(self, track: _Track, state: TrackState, now: float, message: str) -> None:
        if await self._act(track, ActionKind.PAUSE, now, message):
            track.paused_by_autopilot = True
            track.state = state
            track.message = message
            kind = "freeze" if state is TrackState.FROZEN else "hold"
            self._event(now, track, kind, f"{message} — resume to continue, abort to roll back", "warning")

    async def _abort_app(self, track: _Track, now: float, evidence: str) -> None:
        """A failing region fails the release: abort it wherever it is in progress."""
        for other in self._tracks:
            if other.rollout is not track.rollout or other.state in _SETTLED:
                continue
            if other.state is TrackState.WAITING:
                other.state = TrackState.HALTED
                continue
            if await self._act(other, ActionKind.ABORT, now, evidence):
                other.state = TrackState.ABORTED
                self._event(now, other, "abort", f"aborted: {evidence}", "error")

    def _halt_others(self, track: _Track, now: float) -> None:
        for other in self._tracks:
            if other.rollout is track.rollout and other.state is TrackState.WAITING:
                other.state = TrackState.HALTED

    def _event(self, now: float, track: _Track, kind: str, message: str, severity: str = "information") -> None:
        self.events.append(AutopilotEvent(now, str(track.ref), kind, message, severity))

    def _view(self, track: _Track, now: float) -> TrackView:
        plan = track.rollout.plan
        steps = len(plan.steps) if isinstance(plan, CanaryPlan | FlagPlan) else 1
        step_plan = plan.steps[track.step] if isinstance(plan, CanaryPlan) and track.step < steps else None
        flag_step = plan.steps[track.step] if isinstance(plan, FlagPlan) and track.step < steps else None
        countdown = None
        if isinstance(plan, BlueGreenPlan):
            started = track.watch_started_at
        elif isinstance(plan, FlagPlan):
            started = track.flag_bake_started_at
        else:
            started = self.bakes.started_at(track.ref)
        if track.state is TrackState.BAKING and started is not None:
            if flag_step is not None:
                length = flag_step.bake_s
            else:
                length = step_plan.bake_s if step_plan else (plan.watch_s if isinstance(plan, BlueGreenPlan) else None)
            if length is not None:
                countdown = max(0.0, started + length - now)
        judgement = track.judgement
        return TrackView(
            ref=track.ref,
            state=track.state,
            step=min(track.step + 1, steps),
            steps=steps,
            target_weight=step_plan.weight if step_plan else None,
            countdown_s=countdown,
            verdict=judgement.verdict if judgement else None,
            evidence=judgement.evidence if judgement else track.message,
            evidence_n=judgement.canary_requests if judgement else 0,
            evidence_needed=judgement.n_min if judgement else self.judge.evidence_needed,
            message=track.message,
            flag=plan.flag if isinstance(plan, FlagPlan) else None,
        )


def _active_slot(release: ReleaseState) -> Observed:
    """The blue-green slot that serves traffic, as the judge takes it."""
    active = release.version(release.active_slot) if release.active_slot else None
    if active is None or active.totals is None:
        return Missing(f"no data for the active slot ({release.metrics_error or 'metrics unavailable'})")
    return Counts.of(active.totals)

