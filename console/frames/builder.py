"""``FrameBuilder.build(snapshot, viewpoint) -> Frame``: the per-snapshot work, once, with no Textual.

Per sampler tick: record the signal history, ask the verdict source for verdicts and the
autopilot's tracks, queue attention, time every release's step, place clusters in display regions,
and decide what every verb would do from the viewpoint. The builder keeps only what must outlive a
snapshot (the judge's bakes, how long a split has lagged, the charts' samples); the Frame it hands
out is frozen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from rolldeck.console.attention import AttentionTracker
from rolldeck.console.frames.frame import ClusterRow, Frame, ReleaseRow, StatusView, ViewScope, Viewpoint
from rolldeck.console.frames.scope import scoped_attention, widen_key
from rolldeck.console.frames.verbs import VerbRules
from rolldeck.console.step_plans import PlannedStep, autopilot_steps, step_plan_view
from rolldeck.console.verdicts import LiveJudge, ReleaseVerdict, cohort_verdicts, release_verdicts
from rolldeck.console.widgets.signal_history import SignalHistory
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.autopilot import Autopilot, TrackView
from rolldeck.engine.bakes import BakeTracker
from rolldeck.engine.flag_judges import CohortJudges, FlagRef
from rolldeck.engine.model import FleetState, ReleaseRef
from rolldeck.engine.port import PacedBackend

class ConsolePolicy(Protocol):
    """What the frame needs of the console config (``console.config.ConsoleConfig``), which
    validates its theme against Textual and so stays out of this headless package."""

    @property
    def regions(self) -> dict[str, str]: ...

    @property
    def stale_after_s(self) -> float: ...

    @property
    def stuck_after_s(self) -> float: ...

    @property
    def keys(self) -> dict[str, str]: ...

    def region_of(self, context: str, fallback: str) -> str: ...

    def is_protected(self, context: str) -> bool: ...


Verdicts = tuple[dict[ReleaseRef, ReleaseVerdict], dict[ReleaseRef, TrackView]]


class VerdictSource(Protocol):
    """The one seam to the judge: per release, the verdict to show and the autopilot's track."""

    def verdicts(self, state: FleetState) -> Verdicts: ...

    def cohort_verdicts(self, state: FleetState) -> dict[FlagRef, ReleaseVerdict]: ...


class ConsoleVerdicts:
    """The console's verdicts as ``console.verdicts`` computes them (the autopilot's when it judges,
    else the console's own judge on the current bake); the frame builder only calls ``verdicts``."""

    def __init__(self, judge: LiveJudge, autopilot: Autopilot | None, cohorts: CohortJudges | None = None) -> None:
        self.judge = judge
        self.autopilot = autopilot
        self.cohorts = cohorts or CohortJudges(judge.config)

    def verdicts(self, state: FleetState) -> Verdicts:
        return release_verdicts(state, self.judge.update(state), self.autopilot)

    def cohort_verdicts(self, state: FleetState) -> dict[FlagRef, ReleaseVerdict]:
        return cohort_verdicts(state, self.cohorts)


class FrameBuilder:
    def __init__(
        self,
        *,
        source: str,
        verdicts: VerdictSource,
        rules: VerbRules,
        audit: AuditLog,
        config: ConsolePolicy,
        bakes: BakeTracker,
        autopilot: Autopilot | None = None,
        paced: PacedBackend | None = None,
        history: SignalHistory | None = None,
        attention: AttentionTracker | None = None,
    ) -> None:
        self.source = source  # the backend's name, for the header
        self.verdict_source = verdicts
        self.rules = rules
        self.audit = audit
        self.config = config
        self.bakes = bakes
        self.autopilot = autopilot
        self.paced = paced
        self.history = history or SignalHistory()
        self.attention = attention or AttentionTracker(config.stale_after_s, config.stuck_after_s)
        self.planned_steps: Mapping[str, tuple[PlannedStep, ...]] = autopilot_steps(autopilot)

    def build(self, state: FleetState, viewpoint: Viewpoint = Viewpoint(), scope: ViewScope = ViewScope()) -> Frame:
        self.history.record(state)
        verdicts, tracks = self.verdict_source.verdicts(state)
        cohorts = self.verdict_source.cohort_verdicts(state)
        attention = self.attention.items(state, verdicts, tracks, self.config.regions, cohorts)
        clusters = {
            cluster.name: ClusterRow(
                cluster,
                self.config.region_of(cluster.name, cluster.region),
                protected=self.config.is_protected(cluster.name),
                read_only=self.rules.context_locked(state, cluster.name),
            )
            for cluster in state.clusters()
        }
        def region_of(cluster: str, fallback: str) -> str:
            row = clusters.get(cluster)
            return row.region if row is not None else fallback

        attention_view = scoped_attention(
            attention, state, viewpoint.where, scope, viewpoint.filter, region_of, widen_key(self.config.keys)
        )
        releases: dict[ReleaseRef, ReleaseRow] = {}
        for release in state.releases():
            track = tracks.get(release.ref)
            cluster_row = clusters.get(release.cluster)
            releases[release.ref] = ReleaseRow(
                release,
                cluster_row.region if cluster_row is not None else release.region,
                verdicts.get(release.ref),
                track,
                step_plan_view(release, state.time, track, self.planned_steps, self.bakes),
            )
        return Frame(
            state,
            self.status(state, viewpoint, scope),
            self.history,
            self.audit,
            scope=scope,
            viewpoint=viewpoint,
            releases=releases,
            clusters=clusters,
            attention=attention,
            attention_view=attention_view,
            events=tuple(self.autopilot.events) if self.autopilot is not None else (),
            verbs=self.rules.verbs(state, viewpoint),
            stale_after_s=self.config.stale_after_s,
            cohort_verdicts=cohorts,
        )

    def status(self, state: FleetState, viewpoint: Viewpoint, scope: ViewScope) -> StatusView:
        paced = self.paced
        context = viewpoint.context
        return StatusView(
            source=self.source,
            simulated=state.simulated,
            time=state.time,
            speed=paced.speed if paced else None,
            paused=paced.paused if paced else False,
            stopped=paced.stopped if paced else "",
            read_only=self.rules.context_locked(state, context),
            protected=context is not None and self.config.is_protected(context),
            context=context or "",
            scope=str(scope) if scope != ViewScope() else "",
            autopilot=self.autopilot.enabled if self.autopilot is not None else None,
            filter=viewpoint.filter,
        )
