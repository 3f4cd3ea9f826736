"""The engine's one bake tracker: when the current step's bake began (backend time), the totals then
and the bake's judge, shared by the autopilot and the console. Hand-built snapshots, no backend."""

from __future__ import annotations

from dataclasses import replace

from rolldeck.engine.bakes import Bake, BakeTracker
from rolldeck.engine.judge import Counts, JudgeConfig, ReleaseEvidence, Verdict
from rolldeck.engine.model import Signals, Split
from tests.engine.factories import CANARY, canary_release, fleet


def at(time: float, *, desired: int = 10, observed: int | None = None, canary=(1000, 10), stable=(9000, 9), metrics: bool = True):
    release = canary_release(desired)
    release = replace(release, observed=Split.of(stable=100 - (desired if observed is None else observed), canary=desired if observed is None else observed))
    if metrics:
        stable_v, canary_v = release.versions
        release = replace(
            release,
            versions=(
                replace(stable_v, totals=Signals(requests=stable[0], errors=stable[1])),
                replace(canary_v, totals=Signals(requests=canary[0], errors=canary[1])),
            ),
        )
    state = fleet(release)
    return replace(state, time=time), release


def test_a_bake_under_way_at_first_sight_counts_from_the_backends_zero():
    bakes = BakeTracker()
    state, release = at(10.0)
    bakes.observe(state)
    assert bakes.bake(CANARY) == Bake("v2", 10, reached=True, started_at=None)
    assert bakes.since_start(release) == (Counts(1000, 10, 0), Counts(9000, 9, 0))


def test_a_new_weight_bakes_from_when_the_data_plane_reached_it():
    bakes = BakeTracker()
    bakes.observe(at(10.0)[0])
    state, release = at(20.0, desired=25, observed=10, canary=(1100, 11), stable=(9900, 10))
    bakes.observe(state)  # desired moved, the data plane has not: provisional, from now
    assert bakes.bake(CANARY) == Bake("v2", 25, reached=False, started_at=None)
    later, release = at(22.0, desired=25, observed=10, canary=(1150, 11), stable=(10400, 10))
    bakes.observe(later)
    assert bakes.since_start(release) == (Counts(50, 0, 0), Counts(500, 0, 0))
    reached, release = at(24.0, desired=25, canary=(1200, 12), stable=(10900, 10))
    bakes.observe(reached)
    assert bakes.bake(CANARY) == Bake("v2", 25, reached=True, started_at=24.0)
    after, release = at(30.0, desired=25, canary=(1500, 13), stable=(11900, 11))
    bakes.observe(after)
    assert bakes.since_start(release) == (Counts(300, 1, 0), Counts(1000, 1, 0))
    assert bakes.interval(CANARY) == (Counts(300, 1, 0), Counts(1000, 1, 0))  # the last look's counts


def test_metrics_down_when_the_bake_began_counts_from_the_first_totals_seen():
    bakes = BakeTracker()
    bakes.observe(at(10.0)[0])
    down, release = at(20.0, desired=25, metrics=False)
    bakes.observe(down)
    assert bakes.since_start(release) == (None, None)  # no data is not zero
    back, release = at(30.0, desired=25, canary=(2000, 20), stable=(20000, 20))
    bakes.observe(back)
    assert bakes.since_start(release) == (Counts(0, 0, 0), Counts(0, 0, 0))


def test_one_state_per_bake_and_a_second_look_at_the_same_instant_is_free():
    bakes = BakeTracker()
    state, release = at(10.0)
    bakes.observe(state)
    first = bakes.state(CANARY, list)
    assert bakes.state(CANARY, list) is first
    bakes.observe(replace(state, regions=()))  # same instant: ignored, even with another snapshot
    assert bakes.bake(CANARY) is not None
    bakes.restart(release, 12.0)  # the autopilot begins a plan step's bake itself
    assert bakes.state(CANARY, list) is not first and bakes.started_at(CANARY) == 12.0
    assert bakes.since_start(release) == (Counts(0, 0, 0), Counts(0, 0, 0))


def test_one_judge_per_bake_fed_by_every_caller_whoever_makes_it():
    """The autopilot and the console share a bake's sequential judge: the first caller makes it (and
    says how α is shared), later callers feed and read that one, a new bake starts a new one."""
    bakes = BakeTracker()
    made: list[ReleaseEvidence] = []

    def make(steps: int) -> ReleaseEvidence:
        made.append(ReleaseEvidence(JudgeConfig(), steps=steps))
        return made[-1]

    for minute in range(5):  # 10 % canary errors vs 0.1 % stable
        state, release = at(60.0 * minute, canary=(1000 * (minute + 1), 100 * (minute + 1)), stable=(9000 * (minute + 1), 9 * (minute + 1)))
        bakes.observe(state)
        judgement = bakes.judge(release, lambda: make(1))  # the autopilot's look
        assert bakes.judge(release, lambda: make(5)) is judgement  # the console's, at the same instant
    assert len(made) == 1 and made[0].steps == 1
    assert judgement.verdict is Verdict.FAIL and judgement.intervals == 4
    stepped, release = at(300.0, desired=25, canary=(5000, 500), stable=(45000, 45))
    bakes.observe(stepped)  # a new weight: a new bake, a new judge with nothing seen yet
    assert bakes.judge(release, lambda: make(5)).verdict is Verdict.INCONCLUSIVE and made[-1] is not made[0]


def test_a_shared_judge_ignores_an_older_snapshot():
    judge = ReleaseEvidence(JudgeConfig())
    first = judge.observe(60.0, {"r": (Counts(1000, 1, 0), Counts(9000, 9, 0))})
    # Somebody's snapshot from before: lower totals are not a counter reset, just late.
    assert judge.observe(30.0, {"r": (Counts(500, 0, 0), Counts(4500, 4, 0))}) is first
    assert judge.observe(120.0, {"r": (Counts(2000, 2, 0), Counts(18000, 18, 0))}).verdict is not Verdict.ERROR
