"""The judge on flag cohorts: flag on against flag off with the sequential judge, one per flag bake."""

from __future__ import annotations

from dataclasses import replace

from rolldeck.engine.flag_judges import CohortJudges, cohort_observed
from rolldeck.engine.judge import Counts, JudgeConfig, Verdict
from rolldeck.engine.model import Flag, FlagState, FleetState, Signals
from tests.engine.factories import CANARY, canary_release, fleet

CFG = JudgeConfig(interval_s=60.0)


def flag(share: float = 5.0, *, state: FlagState = FlagState.ENABLED, cohorts=()) -> Flag:
    return Flag(
        key="new-checkout", state=state, variants=("on", "off"), default_variant="off",
        shares=(("on", share), ("off", 100.0 - share)), on_variant="on", cohorts=cohorts,
    )


def counted(requests_on: float, errors_on: float, requests_off: float, errors_off: float) -> tuple[tuple[str, Signals], ...]:
    return (
        ("on", Signals(requests=int(requests_on), errors=int(errors_on))),
        ("off", Signals(requests=int(requests_off), errors=int(errors_off))),
    )


def at(t: float, subject: Flag) -> FleetState:
    return replace(fleet(canary_release(25, flags=(subject,))), time=t)


def run(judges: CohortJudges, minutes: int, on_error_rate: float, *, share: float = 5.0, start: int = 0):
    """Feed cumulative cohort totals a minute at a time: 2,000 flag-on and 38,000 flag-off requests
    a minute, the off cohort at 0.1 % errors."""
    judgement = None
    for minute in range(start, start + minutes + 1):
        on, off = 2_000 * minute, 38_000 * minute
        subject = flag(share, cohorts=counted(on, on * on_error_rate, off, off * 0.001))
        judgement = judges.observe(at(60.0 * minute, subject)).get((CANARY, "new-checkout"))
    return judgement


def test_cohorts_are_the_treatment_against_every_other_variant() -> None:
    subject = replace(
        flag(), variants=("on", "off", "legacy"), shares=(("on", 5.0), ("off", 90.0), ("legacy", 5.0)), on_variant=None,
        cohorts=(("on", Signals(requests=10, errors=1)), ("off", Signals(requests=90, errors=2)), ("legacy", Signals(requests=5))),
    )
    assert cohort_observed(subject) is None  # three variants: no single treatment to step or judge
    two = flag(cohorts=(("on", Signals(requests=10, errors=1, slow=2)), ("off", Signals(requests=90, errors=2, slow=3))))
    assert cohort_observed(two) == (Counts(10, 1, 2), Counts(90, 2, 3))
    assert cohort_observed(flag()) is None  # the metrics carry no variant


def test_a_failing_flag_path_fails_its_cohort_with_flag_words_in_the_evidence() -> None:
    judges = CohortJudges(CFG)
    judgement = run(judges, 6, on_error_rate=0.05)
    assert judgement is not None and judgement.verdict is Verdict.FAIL
    assert judgement.evidence.startswith("eu-west-1: flag new-checkout on ")
    assert " vs flag off " in judgement.evidence and "× worse" in judgement.evidence


def test_a_healthy_flag_path_passes_once_the_evidence_is_in() -> None:
    judges = CohortJudges(CFG)
    early = run(judges, 1, on_error_rate=0.001)
    assert early is not None and early.verdict is Verdict.INCONCLUSIVE
    later = run(judges, 8, on_error_rate=0.001, start=2)
    assert later is not None and later.verdict is Verdict.PASS
    assert later.evidence.endswith("within SLO and no worse than flag off")


def test_a_share_step_starts_a_new_bake_and_a_killed_flag_is_not_judged() -> None:
    judges = CohortJudges(CFG)
    assert run(judges, 6, on_error_rate=0.05).verdict is Verdict.FAIL
    stepped = run(judges, 1, on_error_rate=0.05, share=25.0, start=7)  # new share: the evidence starts again
    assert stepped is not None and stepped.verdict is Verdict.INCONCLUSIVE
    killed = flag(state=FlagState.DISABLED, cohorts=counted(1, 1, 1, 1))
    assert judges.observe(at(600.0, killed)) == {}
    assert not judges.bake_started(CANARY, "new-checkout")


def test_without_cohort_signals_nothing_is_judged() -> None:
    judges = CohortJudges(CFG)
    assert judges.observe(at(60.0, flag())) == {}
