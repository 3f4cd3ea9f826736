"""Verdicts the console shows per release: the autopilot's when it manages the release, else its own.

Without an autopilot the console still judges every canary with the sequential judge of its current
bake (``engine.bakes``: a bake begins when the data plane reaches the candidate's desired weight), the
same judge the autopilot feeds when it runs the release. The console may look at every snapshot: the
evidence moves per interval of backend time. A bake already under way when the console started is
judged from the console's first look.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from rolldeck.engine.autopilot import Autopilot, TrackView
from rolldeck.engine.bakes import BakeTracker
from rolldeck.engine.flag_judges import CohortJudges, FlagRef
from rolldeck.engine.judge import JudgeConfig, Judgement, ReleaseEvidence, Verdict
from rolldeck.engine.model import FleetState, ReleaseRef, ReleaseState, Strategy, WeightStep


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

    @classmethod
    def of(cls, judgement: Judgement, *, by_autopilot: bool = False) -> ReleaseVerdict:
        return cls(
            judgement.verdict, judgement.evidence, judgement.canary_requests, judgement.n_min,
            by_autopilot=by_autopilot, environment=judgement.environment,
        )


class LiveJudge:
    """Per-canary judgement of the current bake by its judge in the engine's ``BakeTracker`` (shared
    with the autopilot), fed once per backend instant."""

    def __init__(self, config: JudgeConfig, bakes: BakeTracker) -> None:
        self.config = config
        self.bakes = bakes
        self._time: float | None = None
        self._judgements: dict[ReleaseRef, Judgement] = {}

    def update(self, state: FleetState) -> dict[ReleaseRef, Judgement]:
        if state.time == self._time:
            return self._judgements
        self._time = state.time
        self.bakes.observe(state)
        judgements: dict[ReleaseRef, Judgement] = {}
        for release in state.releases():
            if release.strategy is not Strategy.CANARY or release.candidate is None:
                continue
            judgements[release.ref] = self.bakes.judge(release, partial(self._new_judge, release))
        self._judgements = judgements
        return judgements

    def _new_judge(self, release: ReleaseState) -> ReleaseEvidence:
        """A bake's judge when the console sees it first: α shared over the controller's weight steps
        when the release has them (the console does not know the rollout's other regions)."""
        steps = sum(1 for step in release.steps if isinstance(step, WeightStep) and step.weight < 100)
        return ReleaseEvidence(self.config, steps=steps or None)


def release_verdicts(
    state: FleetState, live: dict[ReleaseRef, Judgement], autopilot: Autopilot | None
) -> tuple[dict[ReleaseRef, ReleaseVerdict], dict[ReleaseRef, TrackView]]:
    """The verdict to show per release, and the autopilot's track per release it manages."""
    tracks = {view.ref: view for view in autopilot.views()} if autopilot is not None else {}
    verdicts: dict[ReleaseRef, ReleaseVerdict] = {}
    for ref, judgement in live.items():
        verdicts[ref] = ReleaseVerdict.of(judgement)
    if autopilot is not None and autopilot.enabled:
        for ref, track in tracks.items():
            if track.verdict is not None:  # the autopilot judges only while a step bakes
                verdicts[ref] = ReleaseVerdict(
                    track.verdict, track.evidence, track.evidence_n, track.evidence_needed, by_autopilot=True
                )
    return verdicts, tracks


def cohort_verdicts(state: FleetState, cohorts: CohortJudges) -> dict[FlagRef, ReleaseVerdict]:
    """The judge on each flag's cohort (flag on against flag off), where the metrics carry the
    variant; the autopilot's ``CohortJudges`` when it has one, so both read the same evidence."""
    return {ref: ReleaseVerdict.of(judgement) for ref, judgement in cohorts.observe(state).items()}
