"""Verdicts the console shows per release: the autopilot's when it manages the release, else its own.

Without an autopilot the console still judges every canary, on the counts accumulated since the
release's desired candidate weight last changed (a step's beginning, as the judge expects). A weight
that was already set when the console started counts from when the backend started watching.
"""

from __future__ import annotations

from dataclasses import dataclass

from rolldeck.engine.autopilot import Autopilot, TrackView
from rolldeck.engine.judge import Counts, JudgeConfig, Judgement, Verdict, judge_since, release_totals
from rolldeck.engine.model import FleetState, ReleaseRef, ReleaseState, Strategy


@dataclass(frozen=True, slots=True)
class ReleaseVerdict:
    verdict: Verdict | None  # None: nothing judged yet (not baking, not a canary)
    evidence: str
    n: int  # canary requests judged so far
    n_min: int  # requests the evidence gate needs before a Pass
    by_autopilot: bool
    environment: bool = False  # the judge blames the environment (both versions breach): a human decides

    @property
    def failing(self) -> bool:
        return self.verdict is Verdict.FAIL


def _environment(judgement: Judgement) -> bool:
    return any(m.reason == "environment" for region in judgement.regions for m in region.metrics)


@dataclass
class _Start:
    weight: int
    totals: tuple[Counts, Counts] | None


class LiveJudge:
    """Per-canary judgement since the last desired-weight change, recomputed once per backend instant."""

    def __init__(self, config: JudgeConfig) -> None:
        self.config = config
        self._starts: dict[ReleaseRef, _Start] = {}
        self._time: float | None = None
        self._judgements: dict[ReleaseRef, Judgement] = {}

    def update(self, state: FleetState) -> dict[ReleaseRef, Judgement]:
        if state.time == self._time:
            return self._judgements
        self._time = state.time
        judgements: dict[ReleaseRef, Judgement] = {}
        for release in state.releases():
            if release.strategy is not Strategy.CANARY or release.candidate is None:
                continue
            start = self._start_for(release)
            judgements[release.ref] = judge_since(release, start.totals, self.config)
        self._judgements = judgements
        return judgements

    def _start_for(self, release: ReleaseState) -> _Start:
        weight = release.candidate_weight[0]
        start = self._starts.get(release.ref)
        if start is None:
            start = self._starts[release.ref] = _Start(weight, None)  # since the backend began watching
        elif start.weight != weight:
            start.weight, start.totals = weight, release_totals(release)
        return start


def release_verdicts(
    state: FleetState, live: dict[ReleaseRef, Judgement], autopilot: Autopilot | None
) -> tuple[dict[ReleaseRef, ReleaseVerdict], dict[ReleaseRef, TrackView]]:
    """The verdict to show per release, and the autopilot's track per release it manages."""
    tracks = {view.ref: view for view in autopilot.views()} if autopilot is not None else {}
    verdicts: dict[ReleaseRef, ReleaseVerdict] = {}
    for ref, judgement in live.items():
        verdicts[ref] = ReleaseVerdict(
            judgement.verdict,
            judgement.evidence,
            judgement.canary_requests,
            judgement.n_min,
            by_autopilot=False,
            environment=_environment(judgement),
        )
    if autopilot is not None and autopilot.enabled:
        for ref, track in tracks.items():
            if track.verdict is not None:  # the autopilot judges only while a step bakes
                verdicts[ref] = ReleaseVerdict(
                    track.verdict, track.evidence, track.evidence_n, track.evidence_needed, by_autopilot=True
                )
    return verdicts, tracks
