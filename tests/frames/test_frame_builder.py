"""The frame builder without Textual: verdicts per release, attention order, step countdowns, verbs
locked with their reasons, the autopilot's schedule. Plain pytest on snapshots from the simulator and
hand-built releases; no app is started."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from rolldeck.console.attention import Severity
from rolldeck.console.catalogue import COMMANDS_BY_ID
from rolldeck.console.config import ConsoleConfig
from rolldeck.console.frames.autopilot_schedule import AutopilotSchedule
from rolldeck.console.frames.builder import ConsoleVerdicts, FrameBuilder
from rolldeck.console.frames.frame import Availability, Frame, Viewpoint, ViewScope, Where
from rolldeck.console.frames.verbs import NOT_A_SIMULATION, READ_ONLY_CONSOLE, VerbRules
from rolldeck.console.verdicts import LiveJudge
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.bakes import BakeTracker
from rolldeck.engine.judge import Verdict
from rolldeck.engine.model import (
    ClusterHealth,
    ClusterState,
    FleetState,
    PauseStep,
    Phase,
    RegionState,
    ReleaseRef,
    ReleaseState,
    WeightStep,
)
from rolldeck.engine.port import PacedBackend
from rolldeck.simulator.backend import SimulatorBackend
from rolldeck.simulator.library import load_scenario
from tests.engine.factories import CANARY, blue_green_release, canary_release

NORMAL = ConsoleConfig(protected=[])


def builder(
    *,
    config: ConsoleConfig = NORMAL,
    read_only: bool = False,
    paced: PacedBackend | None = None,
    source: str = "test",
) -> FrameBuilder:
    """The builder as ``RolldeckApp`` wires it, minus the app."""
    bakes = BakeTracker()
    rules = VerbRules(
        read_only=read_only,
        context_read_only=lambda context: read_only or config.is_read_only(context),
        has_autopilot=False,
        paced=paced is not None,
    )
    return FrameBuilder(
        source=source,
        verdicts=ConsoleVerdicts(LiveJudge(config.judge_config(), bakes), None),
        rules=rules,
        audit=AuditLog(None, lambda: 0.0),
        config=config,
        bakes=bakes,
        paced=paced,
    )


def fleet(*releases: ReleaseState, time: float = 0.0) -> FleetState:
    clusters: dict[tuple[str, str], list[ReleaseState]] = {}
    for release in releases:
        clusters.setdefault((release.region, release.cluster), []).append(release)
    regions: dict[str, list[ClusterState]] = {}
    for (region, name), members in clusters.items():
        regions.setdefault(region, []).append(ClusterState(name, region, tuple(members), ClusterHealth()))
    return FleetState(time, "test", tuple(RegionState(r, tuple(cs)) for r, cs in regions.items()))


def simulated_frame(scenario: str, at: float, viewpoint: Viewpoint = Viewpoint()) -> tuple[Frame, SimulatorBackend]:
    backend = SimulatorBackend(load_scenario(scenario), speed=1.0, paused=True)
    frames = builder(paced=backend, source=backend.name)
    backend.run_until(0.0)
    frames.build(backend.snapshot())  # watching from the start, as the console does
    for now in range(10, int(at) + 1, 10):
        backend.run_until(float(now))
        frame = frames.build(backend.snapshot(), viewpoint)
    return frame, backend


class TestVerdictsAndAttention:
    def test_a_failing_canary_gets_a_fail_verdict_and_heads_the_attention_queue(self) -> None:
        # The 3 % errors begin at 4m; the sequential judge needs several one-minute intervals (docs/judge.md).
        frame, _ = simulated_frame("canary-5xx", 480.0)
        failing = [ref for ref, row in frame.releases.items() if row.verdict is not None and row.verdict.verdict is Verdict.FAIL]
        assert failing, "the 5xx canary is judged Fail by 8 minutes"
        first = frame.attention[0]
        assert (first.severity, first.kind) == (Severity.ERROR, "FAILING")
        assert first.release in failing
        assert frame.verdicts[first.release].verdict is Verdict.FAIL  # the same verdict the fleet table shows

    def test_attention_is_ordered_worst_first(self) -> None:
        paused = blue_green_release(paused=True)  # a warning: waiting on a human (no canary to judge)
        degraded = canary_release(10, ref=ReleaseRef("prod-us-east-1", "cart"), region="us-east-1", phase=Phase.DEGRADED, message="pods crash")
        frame = builder().build(fleet(paused, degraded))
        assert [(item.severity, item.kind, item.release) for item in frame.attention] == [
            (Severity.ERROR, "DEGRADED", degraded.ref),
            (Severity.WARNING, "WAITING", paused.ref),
        ]
        assert frame.attention[0].region == "us-east-1"

    def test_display_regions_come_from_the_config(self) -> None:
        config = ConsoleConfig(protected=["prod-*"], regions={"prod-eu-west-1": "europe"})
        frame = builder(config=config).build(fleet(canary_release()))
        assert frame.releases[CANARY].region == "europe"
        cluster = frame.clusters["prod-eu-west-1"]
        assert (cluster.region, cluster.protected, cluster.read_only) == ("europe", True, False)


class TestOutsideTheScope:
    """A :ctx / :ns scope or a / filter never hides what needs a human: it is counted outside the view."""

    DEGRADED = canary_release(10, ref=ReleaseRef("prod-us-east-1", "cart"), region="us-east-1", phase=Phase.DEGRADED, message="pods crash")
    WAITING = blue_green_release(paused=True)  # prod-eu-west-1/search

    def test_a_context_scope_counts_the_emergency_in_another_context(self) -> None:
        frame = builder().build(fleet(self.WAITING, self.DEGRADED), Viewpoint(), ViewScope(context="prod-eu-west-1"))
        view = frame.attention_view
        assert [item.release for item in view.shown] == [self.WAITING.ref]
        assert [(item.kind, item.release) for item in view.outside] == [("DEGRADED", self.DEGRADED.ref)]
        assert view.outside_urgent
        assert view.outside_line == "+1 degraded outside this view — press w to widen"

    def test_a_filter_counts_what_it_hides_worst_first(self) -> None:
        frame = builder().build(fleet(self.WAITING, self.DEGRADED), Viewpoint(filter="nothing-matches-this"))
        assert frame.attention_view.shown == ()
        assert frame.attention_view.outside_line == "+1 degraded, +1 waiting outside this view — press w to widen"
        inverted = builder().build(fleet(self.WAITING, self.DEGRADED), Viewpoint(filter="!cart")).attention_view
        assert [i.kind for i in inverted.shown] == ["WAITING"] and inverted.outside_urgent  # the hidden one is degraded

    def test_a_namespace_scope_hides_releases_but_not_a_cluster_that_is_down(self) -> None:
        other_ns = replace(self.DEGRADED, namespace="billing")
        state = fleet(self.WAITING, other_ns)
        frame = builder().build(state, Viewpoint(), ViewScope(namespace="shop"))
        assert [item.release for item in frame.attention_view.outside] == [other_ns.ref]
        down = replace(state, regions=tuple(
            replace(region, clusters=tuple(replace(c, health=ClusterHealth(reachable=False, error="connection refused")) for c in region.clusters))
            for region in state.regions
        ))
        scoped = builder().build(down, Viewpoint(), ViewScope(namespace="shop")).attention_view
        assert {item.kind for item in scoped.shown} >= {"UNREACHABLE"}  # a cluster outage concerns every namespace

    def test_the_clusters_view_filters_by_its_own_rows(self) -> None:
        frame = builder().build(fleet(self.WAITING, self.DEGRADED), Viewpoint(Where.CLUSTERS, filter="us-east"))
        assert [item.cluster for item in frame.attention_view.shown] == ["prod-us-east-1"]
        assert [item.cluster for item in frame.attention_view.outside] == ["prod-eu-west-1"]

    def test_nothing_outside_says_nothing(self) -> None:
        frame = builder().build(fleet(self.WAITING, self.DEGRADED))
        assert len(frame.attention_view.shown) == 2 and frame.attention_view.outside_line == ""

    def test_the_widen_key_follows_the_keymap(self) -> None:
        config = ConsoleConfig(protected=[], keys={"widen": "W"})
        frame = builder(config=config).build(fleet(self.DEGRADED), Viewpoint(), ViewScope(context="prod-eu-west-1"))
        assert frame.attention_view.outside_line.endswith("press W to widen")


class TestStepCountdowns:
    def test_a_timed_step_counts_down_from_when_the_backend_says_it_began(self) -> None:
        release = canary_release(10, steps=(WeightStep(10), PauseStep(60.0), WeightStep(50)), step=1, step_started=40.0)
        frame = builder().build(fleet(release, time=70.0))
        plan = frame.releases[CANARY].step_plan
        assert plan is not None
        assert (plan.current, plan.source, plan.countdown_s) == (1, "controller", 30.0)

    def test_a_paused_release_shows_no_countdown(self) -> None:
        release = canary_release(10, steps=(WeightStep(10), PauseStep(60.0)), step=1, step_started=40.0, paused=True)
        plan = builder().build(fleet(release, time=70.0)).releases[CANARY].step_plan
        assert plan is not None and plan.countdown_s is None

    def test_the_simulator_s_steps_count_down_as_its_clock_moves(self) -> None:
        frame, backend = simulated_frame("canary-healthy", 60.0)
        timed = [row for row in frame.releases.values() if row.step_plan is not None and row.step_plan.countdown_s is not None]
        assert timed, "a canary bakes a timed step one minute in"
        row = timed[0]
        later, _ = simulated_frame("canary-healthy", 70.0)
        plan, moved = row.step_plan, later.releases[row.release.ref].step_plan
        assert plan is not None and moved is not None and plan.countdown_s is not None
        if moved.current == plan.current:
            assert moved.countdown_s == pytest.approx(max(0.0, plan.countdown_s - 10.0))


class TestVerbs:
    def test_everything_is_available_on_a_normal_console(self) -> None:
        frame = builder().build(fleet(canary_release()), Viewpoint(Where.FLEET, "prod-eu-west-1", CANARY))
        assert frame.verbs["abort"].available
        assert frame.verbs["open-release"].available
        assert frame.verbs["back"].availability is Availability.NOT_HERE  # nothing to clear on the fleet
        assert frame.verbs["sim-faster"].reason == NOT_A_SIMULATION
        assert frame.verbs["autopilot"].availability is Availability.LOCKED

    def test_a_read_only_console_locks_every_mutation_with_the_reason(self) -> None:
        frame = builder(read_only=True).build(fleet(canary_release()), Viewpoint(Where.FLEET, "prod-eu-west-1", CANARY))
        for command in ("step-up", "abort", "pause-resume", "mirror"):
            assert (frame.verbs[command].availability, frame.verbs[command].reason) == (Availability.LOCKED, READ_ONLY_CONSOLE)
        assert frame.status.read_only

    def test_a_read_only_context_names_itself(self) -> None:
        config = ConsoleConfig(protected=[], read_only=["prod-eu-*"])
        frame = builder(config=config).build(fleet(canary_release()), Viewpoint(Where.RELEASE, "prod-eu-west-1", CANARY))
        assert frame.verbs["promote"].availability is Availability.LOCKED
        assert frame.verbs["promote"].reason == "context prod-eu-west-1 is read-only"

    def test_rbac_locks_a_verb_only_when_every_action_it_may_plan_is_denied(self) -> None:
        pause_only = canary_release(denied=(("pause", "bob may not patch rollouts"),))
        both = canary_release(denied=(("pause", "bob may not patch rollouts"), ("resume", "bob may not patch rollouts")))
        viewpoint = Viewpoint(Where.FLEET, "prod-eu-west-1", CANARY)
        assert builder().build(fleet(pause_only), viewpoint).verbs["pause-resume"].available  # resume is still allowed
        locked = builder().build(fleet(both), viewpoint).verbs["pause-resume"]
        assert (locked.availability, locked.reason) == (Availability.LOCKED, "bob may not patch rollouts")
        assert builder().build(fleet(both), viewpoint).verbs["abort"].available

    def test_views_without_releases_have_no_target_for_verbs(self) -> None:
        frame = builder().build(fleet(canary_release()), Viewpoint(Where.CLUSTERS, "prod-eu-west-1"))
        assert frame.verbs["abort"].availability is Availability.NOT_HERE
        assert frame.verbs["back"].available

    def test_the_textual_answers(self) -> None:
        rules = builder(read_only=True).rules
        state = fleet(canary_release())
        states = {
            where: rules.verb(COMMANDS_BY_ID["abort"], state, Viewpoint(where, None, CANARY), None).textual_state
            for where in (Where.FLEET, Where.AUDIT)
        }
        assert states == {Where.FLEET: None, Where.AUDIT: False}  # dimmed; hidden


class TestStatus:
    def test_the_header_follows_the_viewpoint_scope_and_pace(self) -> None:
        frame, backend = simulated_frame("fleet-default", 10.0, Viewpoint(Where.FLEET, "prod-eu-west-1", None, "pay"))
        scoped = builder(paced=backend).build(backend.snapshot(), Viewpoint(filter="pay"), ViewScope(namespace="shop"))
        assert (frame.status.context, frame.status.filter, frame.status.speed, frame.status.simulated) == ("prod-eu-west-1", "pay", 1.0, True)
        assert scoped.status.scope == "ctx all · ns shop"


class FakePilot:
    def __init__(self) -> None:
        self.enabled = True
        self.is_due = True

    def due(self) -> bool:
        return self.is_due


class TestAutopilotSchedule:
    def test_one_look_at_a_time_and_only_when_due_and_enabled(self) -> None:
        pilot = FakePilot()
        schedule = AutopilotSchedule(pilot)
        assert schedule.start()
        assert not schedule.start()  # the first look is still running
        schedule.finish()
        pilot.is_due = False
        assert not schedule.start()
        pilot.is_due, pilot.enabled = True, False
        assert not schedule.start()
        pilot.enabled = True
        assert schedule.start()

    def test_no_autopilot_never_looks(self) -> None:
        assert not AutopilotSchedule(None).start()


def test_the_frame_builder_imports_no_textual() -> None:
    code = (
        "import sys, rolldeck.console.frames.builder, rolldeck.console.frames.verbs, rolldeck.console.catalogue;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
