"""The console's pure view models: attention queue, live verdicts, step plans, chart downsampling,
per-context policy. Hand-built releases, no app."""

from __future__ import annotations

from dataclasses import replace

from rolldeck.console.attention import AttentionTracker, Severity
from rolldeck.console.config import ConsoleConfig
from rolldeck.console.contexts import with_weight_steps
from rolldeck.console.step_plans import step_plan_view
from rolldeck.console.verdicts import LiveJudge, ReleaseVerdict
from rolldeck.console.widgets.charts import downsample
from rolldeck.engine.autopilot import TrackState, TrackView
from rolldeck.engine.bakes import BakeTracker
from rolldeck.engine.judge import JudgeConfig, Verdict
from rolldeck.engine.model import (
    ClusterHealth,
    ClusterState,
    Flag,
    FlagState,
    FleetState,
    PauseStep,
    Phase,
    RegionState,
    ReleaseState,
    Signals,
    Split,
    WeightStep,
)

from .fake_backend import default_fleet


def fleet(*releases: ReleaseState, time: float = 0.0, health: ClusterHealth = ClusterHealth()) -> FleetState:
    clusters: dict[tuple[str, str], list[ReleaseState]] = {}
    for release in releases:
        clusters.setdefault((release.region, release.cluster), []).append(release)
    regions: dict[str, list[ClusterState]] = {}
    for (region, name), members in clusters.items():
        regions.setdefault(region, []).append(ClusterState(name, region, tuple(members), health))
    return FleetState(time, "test", tuple(RegionState(r, tuple(cs)) for r, cs in regions.items()))


def canary() -> ReleaseState:
    return replace(default_fleet()[0], phase=Phase.PROGRESSING)


def with_totals(release: ReleaseState, canary_counts: tuple[int, int], stable_counts: tuple[int, int]) -> ReleaseState:
    stable, candidate = release.versions
    return replace(
        release,
        versions=(
            replace(stable, totals=Signals(requests=stable_counts[0], errors=stable_counts[1])),
            replace(candidate, totals=Signals(requests=canary_counts[0], errors=canary_counts[1])),
        ),
    )


class TestAttention:
    def test_failing_verdict_comes_first_and_names_cluster_and_region(self) -> None:
        release = canary()
        paused = replace(default_fleet()[1], paused=True)
        failing = ReleaseVerdict(Verdict.FAIL, "12× worse", 5000, 700, by_autopilot=False)
        items = AttentionTracker().items(fleet(release, paused), {release.ref: failing}, {})
        assert [(i.kind, i.cluster, i.region, i.severity) for i in items] == [
            ("FAILING", "eu-prod-1", "eu-west", Severity.ERROR),
            ("WAITING", "us-prod-1", "us-east", Severity.WARNING),
        ]

    def test_a_split_that_lags_too_long_is_stuck(self) -> None:
        tracker = AttentionTracker(stuck_after_s=60)
        lagging = replace(canary(), desired=Split.of(stable=75, canary=25))
        assert tracker.items(fleet(lagging, time=100.0), {}, {}) == []
        assert tracker.items(fleet(lagging, time=150.0), {}, {}) == []
        (item,) = tracker.items(fleet(lagging, time=161.0), {}, {})
        assert item.kind == "STUCK" and "61s" in item.detail
        assert tracker.items(fleet(canary(), time=170.0), {}, {}) == []  # caught up: forgotten

    def test_cluster_items_and_region_mapping(self) -> None:
        down = ClusterHealth(reachable=False, last_update_age_s=40, error="API server unavailable")
        (item,) = AttentionTracker().items(fleet(canary(), health=down), {}, {}, {"eu-prod-1": "europe"})
        assert (item.kind, item.release, item.region) == ("UNREACHABLE", None, "europe")

    def test_metrics_outage_is_no_data(self) -> None:
        release = replace(canary(), metrics_error="metrics provider unavailable")
        (item,) = AttentionTracker().items(fleet(release), {}, {})
        assert item.kind == "NO DATA" and item.detail == "metrics provider unavailable"


    def test_a_held_flag_rollout_says_what_a_human_can_do_with_a_flag(self) -> None:
        release = canary()
        held = TrackView(
            release.ref, TrackState.HOLD, 1, 3, None, None, Verdict.INCONCLUSIVE, "not enough evidence yet", 10, 700,
            "hold: not enough evidence yet", flag="new-ranking",
        )
        (item,) = AttentionTracker().items(fleet(release), {}, {release.ref: held})
        assert item.kind == "HELD"
        assert item.detail == "autopilot holds flag new-ranking at its share: step it (] [ on its row) or kill it (k) — hold: not enough evidence yet"
        assert "abort" not in item.detail  # an abort would roll back a version that is not moving

    def test_a_failing_flag_cohort_is_its_own_item_beside_the_release(self) -> None:
        flag = Flag("new-ranking", FlagState.ENABLED, ("on", "off"), "off", (("on", 5.0), ("off", 95.0)), on_variant="on")
        release = replace(canary(), flags=(flag,))
        failing = ReleaseVerdict(Verdict.FAIL, "eu-west: flag new-ranking on 40 errors in 200 requests vs flag off …", 200, 700, by_autopilot=False)
        (item,) = AttentionTracker().items(fleet(release), {}, {}, cohorts={(release.ref, "new-ranking"): failing})
        assert (item.kind, item.flag, item.key) == ("FLAG PATH", "new-ranking", f"{release.ref} flag:new-ranking")
        killed = replace(release, flags=(replace(flag, state=FlagState.DISABLED),))
        assert AttentionTracker().items(fleet(killed), {}, {}, cohorts={(release.ref, "new-ranking"): failing}) == []


class TestLiveJudge:
    def test_a_bake_and_its_judge_start_when_the_desired_weight_changes(self) -> None:
        judge = LiveJudge(JudgeConfig(n_min_errors=100, n_min_slow=100), BakeTracker())
        bad = canary()
        ref = bad.ref
        for minute in range(5):  # 10 % errors at the old weight
            state = fleet(with_totals(bad, (1000 * minute, 100 * minute), (10000 * minute, 10 * minute)), time=60.0 * minute)
            verdict = judge.update(state)[ref].verdict
        assert verdict is Verdict.FAIL
        stepped = replace(bad, desired=Split.of(stable=90, canary=10))
        for minute in range(5, 9):  # the new bake begins at minute 5; no errors since
            since = minute - 5
            state = fleet(with_totals(stepped, (4000 + 500 * since, 400), (40000 + 5000 * since, 40 + 5 * since)), time=60.0 * minute)
            judgement = judge.update(state)[ref]
        assert judgement.verdict is Verdict.PASS and judgement.canary_requests == 1500

    def test_one_judgement_per_backend_instant(self) -> None:
        judge = LiveJudge(JudgeConfig(), BakeTracker())
        state = fleet(with_totals(canary(), (10, 0), (100, 0)), time=5.0)
        assert judge.update(state) is judge.update(state)

    def test_no_totals_is_an_error_never_a_pass(self) -> None:
        judgement = LiveJudge(JudgeConfig(), BakeTracker()).update(fleet(canary(), time=1.0))[canary().ref]
        assert judgement.verdict is Verdict.ERROR


class TestStepPlans:
    STEPS = (WeightStep(5), PauseStep(120.0), WeightStep(25), PauseStep(300.0), WeightStep(100))

    def test_controller_steps_come_from_the_model_and_count_down_from_a_bake_the_engine_saw_begin(self) -> None:
        bakes = BakeTracker()
        release = replace(canary(), steps=self.STEPS, step=1, paused=False)  # at 5 %, baking
        bakes.observe(fleet(release, time=10.0))
        view = step_plan_view(release, 10.0, None, {}, bakes)
        assert view is not None and [s.label for s in view.steps] == ["5%", "pause", "25%", "pause", "100%"]
        assert view.steps[1].bake_s == 120.0 and view.current == 1
        assert view.countdown_s is None  # under way before we looked: its length, no countdown
        moved = replace(release, step=3, desired=Split.of(stable=75, canary=25), observed=Split.of(stable=75, canary=25))
        bakes.observe(fleet(moved, time=50.0))
        view = step_plan_view(moved, 80.0, None, {}, bakes)
        assert view is not None and view.current == 3 and view.countdown_s == 270.0

    def test_the_backends_own_step_start_wins(self) -> None:
        release = replace(canary(), steps=self.STEPS, step=1, paused=False, step_started=4.0)
        view = step_plan_view(release, 10.0, None, {}, BakeTracker())
        assert view is not None and view.countdown_s == 114.0

    def test_a_manual_release_has_no_step_plan(self) -> None:
        assert step_plan_view(canary(), 0.0, None, {}, BakeTracker()) is None


class TestChartsAndPolicy:
    def test_downsample_keeps_the_worst_of_each_bucket(self) -> None:
        points = [(float(i), 100.0) for i in range(100)]
        points[37] = (37.0, 50.0)  # one bad sample
        reduced = downsample(points, 10, min)
        assert len(reduced) == 10 and min(y for _, y in reduced) == 50.0
        assert downsample(points[:5], 10, min) == points[:5]

    def test_config_weight_steps_apply_only_to_releases_with_the_default_steps(self) -> None:
        release = canary()
        state = fleet(release)
        stepped = with_weight_steps(state, release.ref, (0, 2, 100))
        assert stepped.release(release.ref).weight_steps == (0, 2, 100)  # type: ignore[union-attr]
        own = replace(release, weight_steps=(0, 10, 100))
        assert with_weight_steps(fleet(own), own.ref, (0, 2, 100)).release(own.ref).weight_steps == (0, 10, 100)  # type: ignore[union-attr]

    def test_patterns(self) -> None:
        config = ConsoleConfig(protected=["prod-*"], read_only=["*-dr"])
        assert config.is_protected("prod-eu") and not config.is_protected("staging-prod")
        assert config.is_read_only("prod-eu-dr")
