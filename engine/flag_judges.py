"""The judge on flag cohorts: a flag's treatment path against the rest of its version's requests.

When the metrics carry the evaluated variant (``Flag.cohorts``), the flag-on cohort is judged against
the flag-off cohort exactly as a canary against its stable: the same sequential judge
(``engine.judge.ReleaseEvidence``), fed cumulative totals at every look. Both cohorts run the same
version at the same instant, so what differs between them is the flag's path.

A *flag bake* is one flag held at one state and treatment share: it starts at the first look with
that share (like a canary's bake at a weight) and keeps one judge, made on first use and dropped
when the share moves or the flag is killed. The console and the autopilot share one ``CohortJudges``
so they read the same evidence however often each looks.
"""

from __future__ import annotations

from dataclasses import dataclass

from rolldeck.engine.judge import Counts, JudgeConfig, Judgement, Observed, ReleaseEvidence
from rolldeck.engine.judge.text import Subjects
from rolldeck.engine.model import Flag, FleetState, ReleaseRef, ReleaseState

FlagRef = tuple[ReleaseRef, str]  # a release and one of its flags' keys


def cohort_subjects(flag: Flag) -> Subjects:
    return Subjects(treated=f"flag {flag.key} on", baseline="flag off")


def cohort_observed(flag: Flag) -> tuple[Observed, Observed] | None:
    """(treatment, every other variant) cumulative counts, as the judge takes (canary, stable); None
    when the flag has no treatment or the metrics carry no variant for it."""
    treatment = flag.treatment
    if treatment is None or not flag.cohorts:
        return None
    on = flag.cohort(treatment)
    off = [signals for name, signals in flag.cohorts if name != treatment]
    on_counts = Counts.of(on) if on is not None else Counts(0, 0, 0)
    off_counts = sum((Counts.of(s) for s in off[1:]), Counts.of(off[0])) if off else None
    return on_counts, off_counts


def judged(flag: Flag) -> bool:
    """A flag whose path is taken now and whose cohorts are counted: there is something to judge."""
    return flag.enabled and flag.exposure > 0 and cohort_observed(flag) is not None


@dataclass
class _FlagBake:
    state: str
    share: float
    judge: ReleaseEvidence


class CohortJudges:
    """One sequential judge per flag bake, over every release's judged flags."""

    def __init__(self, cfg: JudgeConfig) -> None:
        self.cfg = cfg
        self._bakes: dict[FlagRef, _FlagBake] = {}
        self._time: float | None = None
        self._judgements: dict[FlagRef, Judgement] = {}

    def observe(self, state: FleetState) -> dict[FlagRef, Judgement]:
        """Judge every judged flag at this snapshot; a second look at the same instant is free."""
        if state.time == self._time:
            return self._judgements
        self._time = state.time
        judgements: dict[FlagRef, Judgement] = {}
        for release in state.releases():
            for flag in release.flags:
                if judged(flag):
                    judgements[(release.ref, flag.key)] = self._judge(state.time, release, flag)
        for ref in set(self._bakes) - set(judgements):
            del self._bakes[ref]  # killed, at 0 %, gone, or no longer counted: that bake is over
        self._judgements = judgements
        return judgements

    def _judge(self, now: float, release: ReleaseState, flag: Flag) -> Judgement:
        ref = (release.ref, flag.key)
        share = flag.exposure
        bake = self._bakes.get(ref)
        if bake is None or (bake.state, bake.share) != (flag.state.value, share):
            # α shared over the flag's rollout steps, as a canary's over its weight steps
            steps = sum(1 for step in flag.steps if 0 < step < 100) or None
            bake = self._bakes[ref] = _FlagBake(flag.state.value, share, ReleaseEvidence(self.cfg, steps=steps, names=cohort_subjects(flag)))
        observed = cohort_observed(flag)
        assert observed is not None  # judged(flag)
        return bake.judge.observe(now, {release.region: observed})

    def judgement(self, ref: ReleaseRef, key: str) -> Judgement | None:
        """The last look's judgement of that flag, if it is judged."""
        return self._judgements.get((ref, key))

    def bake_started(self, ref: ReleaseRef, key: str) -> bool:
        return (ref, key) in self._bakes

    def restart(self, ref: ReleaseRef, key: str) -> None:
        """Forget that flag's bake: the next look starts a new one (a step at the same share)."""
        self._bakes.pop((ref, key), None)


__all__ = ["CohortJudges", "FlagRef", "cohort_observed", "cohort_subjects", "judged"]
