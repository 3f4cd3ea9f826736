"""The attention queue: what needs a human now, worst first, each item naming its cluster and region.

Pure: a snapshot, the verdicts and the autopilot's tracks go in, items come out. The only memory is
how long each release's split has lagged, which turns a slow data plane into a *stuck* rollout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

from rolldeck.engine.autopilot import TrackState, TrackView
from rolldeck.engine.judge import Verdict
from rolldeck.engine.model import FleetState, Phase, ReleaseRef, ReleaseState, WaitKind

from rolldeck.console.verdicts import ReleaseVerdict


class Severity(IntEnum):
    ERROR = 0  # sorts first
    WARNING = 1


@dataclass(frozen=True, slots=True)
class AttentionItem:
    severity: Severity
    kind: str  # short label: FAILING, DEGRADED, STUCK, WAITING, HELD, UNREACHABLE, STALE, NO DATA
    cluster: str
    region: str
    release: ReleaseRef | None  # None for a cluster-wide item
    detail: str
    flag: str | None = None  # a flag's path, beside its release's own item

    @property
    def key(self) -> str:
        if self.release is None:
            return f"cluster:{self.cluster}"
        return f"{self.release} flag:{self.flag}" if self.flag is not None else str(self.release)


HUMAN_TRACK_STATES = {
    TrackState.APPROVAL: ("WAITING", "autopilot waits for approval: resume (space) to approve"),
    TrackState.HOLD: ("HELD", "autopilot holds (inconclusive): resume to continue, abort to roll back"),
    TrackState.FROZEN: ("HELD", "autopilot froze (no data): resume to continue, abort to roll back"),
}


class AttentionTracker:
    def __init__(self, stale_after_s: float = 90.0, stuck_after_s: float = 120.0) -> None:
        self.stale_after_s = stale_after_s
        self.stuck_after_s = stuck_after_s
        self._lag_since: dict[ReleaseRef, float] = {}

    def items(
        self,
        state: FleetState,
        verdicts: dict[ReleaseRef, ReleaseVerdict],
        tracks: dict[ReleaseRef, TrackView],
        region_of: dict[str, str] | None = None,
        cohorts: Mapping[tuple[ReleaseRef, str], ReleaseVerdict] | None = None,
    ) -> list[AttentionItem]:
        regions = region_of or {}
        items: list[AttentionItem] = []
        lagging: set[ReleaseRef] = set()
        for cluster in state.clusters():
            region = regions.get(cluster.name, cluster.region)
            health = cluster.health
            if not health.reachable:
                reason = health.error or "unreachable"
                items.append(AttentionItem(Severity.ERROR, "UNREACHABLE", cluster.name, region, None, f"{reason}; last heard {health.last_update_age_s:.0f}s ago"))
            elif health.last_update_age_s > self.stale_after_s:
                items.append(AttentionItem(Severity.WARNING, "STALE", cluster.name, region, None, f"no update for {health.last_update_age_s:.0f}s"))
            for release in cluster.releases:
                if release.split_lagging and release.phase is not Phase.HEALTHY:
                    lagging.add(release.ref)
                    self._lag_since.setdefault(release.ref, state.time)
                else:
                    self._lag_since.pop(release.ref, None)
                found = self._release_item(release, region, verdicts.get(release.ref), tracks.get(release.ref), state.time)
                if found is not None:
                    items.append(found)
                items.extend(self._flag_items(release, region, cohorts or {}))
        for ref in list(self._lag_since):
            if ref not in lagging:
                del self._lag_since[ref]  # releases that left the fleet
        return sorted(items, key=lambda item: (item.severity, item.kind, item.cluster, str(item.release or "")))

    def _flag_items(
        self, release: ReleaseState, region: str, cohorts: Mapping[tuple[ReleaseRef, str], ReleaseVerdict]
    ) -> list[AttentionItem]:
        """A flag whose cohort fails, on its own row: the kill switch, not a rollback, is the move."""
        found = []
        for flag in release.flags:
            verdict = cohorts.get((release.ref, flag.key))
            if verdict is not None and verdict.failing and flag.enabled:
                detail = f"flag {flag.key} path fails: {verdict.evidence} — k kills the flag, no rollback"
                found.append(AttentionItem(Severity.ERROR, "FLAG PATH", release.cluster, region, release.ref, detail, flag.key))
        return found

    def _release_item(
        self, release: ReleaseState, region: str, verdict: ReleaseVerdict | None, track: TrackView | None, now: float
    ) -> AttentionItem | None:
        """The single most urgent reason a release needs a human, if any."""

        def item(severity: Severity, kind: str, detail: str) -> AttentionItem:
            return AttentionItem(severity, kind, release.cluster, region, release.ref, detail)

        if verdict is not None and verdict.failing and not release.aborted:
            return item(Severity.ERROR, "FAILING", verdict.evidence)
        if release.phase is Phase.DEGRADED:
            return item(Severity.ERROR, "DEGRADED", release.message or ("aborted" if release.aborted else "degraded"))
        lag_since = self._lag_since.get(release.ref)
        if lag_since is not None and now - lag_since >= self.stuck_after_s:
            return item(Severity.ERROR, "STUCK", f"data plane behind the route for {now - lag_since:.0f}s ({release.desired} → {release.observed})")
        if track is not None and track.state in HUMAN_TRACK_STATES:
            kind, detail = HUMAN_TRACK_STATES[track.state]
            if track.flag is not None:  # nothing to resume or abort: the version is not moving
                detail = f"autopilot holds flag {track.flag} at its share: step it (] [ on its row) or kill it (k)"
            return item(Severity.WARNING, kind, f"{detail} — {track.message}" if track.message else detail)
        no_verdict = verdict is not None and verdict.verdict is Verdict.ERROR
        if release.metrics_error or no_verdict:
            return item(Severity.WARNING, "NO DATA", release.metrics_error or (verdict.evidence if verdict else ""))
        if verdict is not None and verdict.environment:
            return item(Severity.WARNING, "HELD", verdict.evidence)
        wait = release.wait
        if wait is not None:
            # a gate is named (it is the decision asked for); a pause says best in the controller's message
            named = wait.kind is WaitKind.GATE or not release.message
            return item(Severity.WARNING, "WAITING", f"waiting on {wait.label}" if named else release.message)
        if release.paused or release.phase is Phase.PAUSED:
            return item(Severity.WARNING, "WAITING", release.message or "paused: resume or promote")
        if release.stale_spec:
            return item(Severity.WARNING, "STALE SPEC", "the controller has not observed the latest spec yet")
        return None
