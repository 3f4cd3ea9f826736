"""One refresh as plain values: what every screen draws from, built without Textual."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from rolldeck.console.attention import AttentionItem, Severity
from rolldeck.console.step_plans import StepPlanView
from rolldeck.console.verdicts import ReleaseVerdict
from rolldeck.console.widgets.signal_history import SignalHistory
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.autopilot import AutopilotEvent, TrackView
from rolldeck.engine.model import ClusterState, FleetState, ReleaseRef, ReleaseState


@dataclass(frozen=True, slots=True)
class ViewScope:
    """The ``:ctx`` / ``:ns`` scope every view applies; None means all."""

    context: str | None = None
    namespace: str | None = None

    def admits(self, release: ReleaseState) -> bool:
        return (self.context is None or release.cluster == self.context) and (
            self.namespace is None or release.namespace == self.namespace
        )

    def admits_cluster(self, cluster: str) -> bool:
        return self.context is None or cluster == self.context

    def __str__(self) -> str:
        return f"ctx {self.context or 'all'} · ns {self.namespace or 'all'}"


class Where(StrEnum):
    """Which kind of screen is in view: decides which verbs mean anything there."""

    FLEET = "fleet"
    RELEASE = "release"
    FLAGS = "flags"  # every flag of every release: its rows name a release and one of its flags
    CLUSTERS = "clusters"
    AUDIT = "audit"

    @property
    def lists_releases(self) -> bool:
        return self in (Where.FLEET, Where.RELEASE, Where.FLAGS)


@dataclass(frozen=True, slots=True)
class Viewpoint:
    """What the operator is looking at: the one input of a frame that is not in the snapshot."""

    where: Where = Where.FLEET
    context: str | None = None  # the context verbs act on: the screen's (its release's, a cluster row), else the :ctx scope's
    selected: ReleaseRef | None = None  # the release verbs act on
    filter: str = ""  # the ``/`` filter's text, "" when none


@dataclass(frozen=True, slots=True)
class StatusView:
    """Everything the header bar shows; comparing two views tells whether to repaint."""

    source: str
    simulated: bool
    time: float
    speed: float | None  # None: the backend's pace is not ours to set (live clusters)
    paused: bool
    read_only: bool  # the whole console, or the context in view
    stopped: str = ""  # the simulator's time stopped: why (its pacing loop died)
    protected: bool = False  # the context in view matches a protected pattern
    context: str = ""  # the context the screen acts on ("" when several)
    scope: str = ""  # ":ctx / :ns" scope, e.g. "ctx prod-eu-west-1 · ns all"
    autopilot: bool | None = None  # None: no autopilot in this console
    filter: str = ""


class Availability(StrEnum):
    """What a verb's key does right now (Textual's check_action: True / None / False)."""

    AVAILABLE = "available"
    LOCKED = "locked"  # shown dimmed: it exists, but this console, context or the cluster's RBAC refuses it
    NOT_HERE = "not here"  # hidden: the view has no target for it


@dataclass(frozen=True, slots=True)
class VerbView:
    """One catalogue command against the viewpoint: available, or why not."""

    command: str  # the catalogue id (``step-up``)
    availability: Availability
    reason: str = ""  # why it is locked or meaningless here; "" when available

    @property
    def available(self) -> bool:
        return self.availability is Availability.AVAILABLE

    @property
    def textual_state(self) -> bool | None:
        """Textual's check_action answer: True shows it, None dims it, False hides it."""
        return {Availability.AVAILABLE: True, Availability.LOCKED: None, Availability.NOT_HERE: False}[self.availability]


@dataclass(frozen=True, slots=True)
class ReleaseRow:
    """One release as every screen shows it."""

    release: ReleaseState
    region: str  # display region (the config may rename the cluster's own)
    verdict: ReleaseVerdict | None
    track: TrackView | None  # the autopilot's, when it manages the release
    step_plan: StepPlanView | None


@dataclass(frozen=True, slots=True)
class ClusterRow:
    cluster: ClusterState
    region: str
    protected: bool  # the config protects it: PROD badge, typed confirmation
    read_only: bool  # the console, the config or the cluster itself says read-only


@dataclass(frozen=True, slots=True)
class AttentionView:
    """The attention queue as one view sees it."""

    shown: tuple[AttentionItem, ...] = ()  # in the view's scope and filter
    outside: tuple[AttentionItem, ...] = ()  # needs a human, hidden by the scope or the filter
    widen_key: str = "w"

    @property
    def outside_urgent(self) -> bool:
        return any(item.severity is Severity.ERROR for item in self.outside)

    @property
    def outside_line(self) -> str:
        """"+1 degraded, +2 waiting outside this view — press w to widen"; "" when nothing is outside."""
        if not self.outside:
            return ""
        counts = Counter((item.severity, item.kind) for item in self.outside)
        parts = ", ".join(f"+{n} {kind.lower()}" for (_, kind), n in sorted(counts.items()))
        return f"{parts} outside this view — press {self.widen_key} to widen"


@dataclass(frozen=True, slots=True)
class Frame:
    """One refresh: the sampled snapshot and everything judged, queued and decided from it."""

    state: FleetState
    status: StatusView
    history: SignalHistory  # the charts' bounded samples (the builder records each new instant)
    audit: AuditLog  # read-only here: the audit view and the release screen list its records
    scope: ViewScope = ViewScope()
    viewpoint: Viewpoint = Viewpoint()
    releases: Mapping[ReleaseRef, ReleaseRow] = field(default_factory=dict)
    clusters: Mapping[str, ClusterRow] = field(default_factory=dict)
    attention: Sequence[AttentionItem] = ()  # the whole fleet's, worst first
    attention_view: AttentionView = AttentionView()  # split for the viewpoint: shown, and outside the scope or filter
    events: Sequence[AutopilotEvent] = ()
    verbs: Mapping[str, VerbView] = field(default_factory=dict)  # by catalogue id, for the viewpoint
    # the judge on each flag's cohort (flag on against flag off), where the metrics carry the variant
    cohort_verdicts: Mapping[tuple[ReleaseRef, str], ReleaseVerdict] = field(default_factory=dict)
    stale_after_s: float = 90.0

    @property
    def verdicts(self) -> dict[ReleaseRef, ReleaseVerdict]:
        return {ref: row.verdict for ref, row in self.releases.items() if row.verdict is not None}

    @property
    def tracks(self) -> dict[ReleaseRef, TrackView]:
        return {ref: row.track for ref, row in self.releases.items() if row.track is not None}

    def row(self, ref: ReleaseRef) -> ReleaseRow | None:
        return self.releases.get(ref)

    def region_of(self, cluster: str, fallback: str) -> str:
        row = self.clusters.get(cluster)
        return row.region if row is not None else fallback
