"""Flags in the simulator: a version's traffic split into cohorts, a fault on the treatment path,
the kill switch reaching the SDKs after the provider refresh, and the bad-path scenario graded."""

from __future__ import annotations

import time

import pytest

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.model import FlagState, ReleaseRef
from rolldeck.engine.operator import Operator
from rolldeck.simulator.backend import SimulatorBackend
from rolldeck.simulator.drill import DrillAction, run_drill
from rolldeck.simulator.library import load_scenario
from rolldeck.simulator.scenario import ScenarioError, load_scenario_text

SCENARIO = "canary-flag-bad-path"
CHECKOUT = ReleaseRef("prod-eu-west-1", "checkout")


def started(until: float) -> tuple[SimulatorBackend, Operator]:
    backend = SimulatorBackend(load_scenario(SCENARIO), paused=True)
    backend.run_until(until)
    return backend, Operator(backend, AuditLog(None, wall_clock=lambda: 0.0))


def cohort(backend: SimulatorBackend):
    return backend.world.release(CHECKOUT).flag("new-checkout")


@pytest.mark.asyncio
async def test_kill_switch_cuts_the_cohort_errors_after_the_refresh_interval():
    backend, operator = started(300)  # the path fails since 4m
    flag = backend.snapshot().release(CHECKOUT).flag("new-checkout")
    assert flag.state is FlagState.ENABLED and flag.exposure == 5.0
    before = cohort(backend).on_totals.copy()
    outcome = await operator.execute(operator.plan(Action(ActionKind.KILL_FLAG, CHECKOUT, flag="new-checkout")), actor="alice")
    assert outcome.ok, outcome.message
    backend.run_until(301)
    assert backend.snapshot().release(CHECKOUT).flag("new-checkout").state is FlagState.DISABLED  # the provider at once
    backend.run_until(314)  # the SDKs still evaluate the old state: the cohort keeps failing
    sim = cohort(backend)
    assert sim.seen_enabled and sim.on_totals[1] > before[1]
    backend.run_until(317)
    assert not sim.seen_enabled
    at_refresh = sim.on_totals.copy()
    backend.run_until(420)
    assert (sim.on_totals == at_refresh).all()  # nobody on the path any more: no new cohort errors
    canary = backend.snapshot().release(CHECKOUT).version("canary").signals  # the last 30 s, all after the refresh
    assert canary.errors / canary.requests < 0.004
    assert not backend.snapshot().release(CHECKOUT).aborted  # no rollback: the version keeps its 25 %


def test_cohorts_conserve_the_versions_requests_and_only_the_path_fails():
    backend, _ = started(600)
    sim = cohort(backend)
    canary = backend.world.release(CHECKOUT).version("canary")
    assert sim.on_totals[0] + sim.off_totals[0] == canary.arrivals_total
    assert sim.on_totals[1] + sim.off_totals[1] == pytest.approx(canary.totals[1])  # every error in one cohort
    on_rate, off_rate = sim.on_totals[1] / sim.on_totals[0], sim.off_totals[1] / sim.off_totals[0]
    assert 0.18 < on_rate < 0.30  # 40 % for the 6 of 10 minutes since 4m: about 0.24
    assert off_rate < 0.003
    assert 0.04 < sim.on_totals[0] / canary.arrivals_total < 0.06  # the 5 % share
    stable = backend.snapshot().release(CHECKOUT).version("stable").signals
    assert stable.errors / stable.requests < 0.003  # the flag lives in the candidate only


def test_the_kill_is_graded_right_and_a_rollback_wrong():
    scenario = load_scenario(SCENARIO)
    kill = [DrillAction(at=300, release="checkout", action=ActionKind.KILL_FLAG, flag="new-checkout")]
    killed = run_drill(scenario, until=900, actions=kill, wall_clock=time.time).report
    assert [g["action"] for g in killed["grading"]["correct"]] == ["kill-flag"] and killed["grading"]["wrong"] == []
    (release,) = killed["releases"]
    assert not release["aborted"] and release["flags"][0]["evaluated_enabled"] is False

    abort = [DrillAction(at=300, release="checkout", action=ActionKind.ABORT)]
    aborted = run_drill(scenario, until=900, actions=abort, wall_clock=time.time).report
    assert [g["action"] for g in aborted["grading"]["wrong"]] == ["abort"] and aborted["grading"]["correct"] == []


def test_the_autopilot_judges_the_version_and_rolls_back_which_grades_wrong():
    """A canary plan's autopilot compares canary with stable, not the flag's cohorts (those it judges
    on flag rollouts, tests/simulator/test_flag_rollouts.py): it sees a failing canary and aborts —
    the false rollback the scenario is written to teach."""
    scenario = load_scenario(SCENARIO)
    report = run_drill(scenario, until=900, actions=[], wall_clock=time.time, autopilot=True).report
    assert [(g["actor"], g["action"]) for g in report["grading"]["wrong"]] == [("autopilot", "abort")]


def test_a_fault_on_an_unknown_flag_is_a_located_error():
    yaml_text = (
        "scenario: s\ntitle: t\nbriefing: b\nregions: {r: {}}\nclusters: [{name: c, region: r}]\n"
        "releases:\n  - {name: a, cluster: c, strategy: canary, rps: 10, stable: {revision: v1, pods: 1}, candidate: {revision: v2, pods: 1},\n"
        "     flags: [{key: x, share: 5}, {key: x, share: 1}]}\n"
        "faults:\n  - {at: 1m, type: flag_path, target: {release: a}, params: {flag: y, error_rate: 0.5}}\n"
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(yaml_text, "s.yaml")
    problems = caught.value.problems
    assert any(p.startswith("s.yaml:") and "faults.0.params.flag: no flag 'y' on the targeted releases" in p for p in problems)
    assert any("releases.0.flags.1.key: duplicate flag 'x'" in p for p in problems)


def test_a_path_bad_in_one_region_fails_only_there_and_its_kill_is_local():
    scenario = load_scenario("canary-flag-one-region")
    kill = [DrillAction(at=420, release="prod-us-east-1/checkout", action=ActionKind.KILL_FLAG, flag="new-checkout")]
    report = run_drill(scenario, until=900, actions=kill, wall_clock=time.time).report
    flags = {r["release"]: r["flags"][0] for r in report["releases"]}
    eu, us = flags["prod-eu-west-1/checkout"], flags["prod-us-east-1/checkout"]
    assert eu["on_errors"] / eu["on_requests"] < 0.005  # the same path is fine in eu-west-1
    assert us["on_errors"] / us["on_requests"] > 0.1
    assert eu["evaluated_enabled"] is True and us["evaluated_enabled"] is False  # killed where it failed only
    assert [g["release"] for g in report["grading"]["correct"]] == ["prod-us-east-1/checkout"]


def test_the_snapshot_carries_each_cohorts_counts_and_they_add_up_to_the_version():
    backend, _ = started(600)
    flag = backend.snapshot().release(CHECKOUT).flag("new-checkout")
    canary = backend.snapshot().release(CHECKOUT).version("canary").totals
    on, off = flag.cohort("on"), flag.cohort("off")
    assert on is not None and off is not None
    assert on.requests + off.requests == canary.requests
    assert on.errors + off.errors == pytest.approx(canary.errors, abs=2)  # each rounded on its own
    assert on.slow + off.slow == pytest.approx(canary.slow, abs=2)
    # the path adds 120 ms and fails 40 % since 4m: its cohort is the slow and failing one
    assert on.errors / on.requests > 20 * off.errors / off.requests
    assert on.slow / on.requests > off.slow / off.requests


def test_cohort_slow_counts_follow_the_version_when_the_path_has_no_latency_of_its_own():
    scenario = load_scenario("canary-flag-one-region")  # its fault adds errors only
    backend = SimulatorBackend(scenario, paused=True)
    backend.run_until(600)
    release = backend.snapshot().release(ReleaseRef("prod-us-east-1", "checkout"))
    on, off = release.flag("new-checkout").cohort("on"), release.flag("new-checkout").cohort("off")
    canary = release.version("canary").totals
    assert on.slow + off.slow == pytest.approx(canary.slow, abs=2)
    assert on.slow == pytest.approx(canary.slow * on.requests / canary.requests, abs=3)


def test_a_canary_that_reads_worse_is_never_judged_a_pass_while_its_noise_hides_the_fail():
    """canary-flag-bad-path as the console judges it, looking twice a second from minute 3: the flag
    path's errors start at minute 4, and the jump reads as noise until the change-point fit has enough
    intervals. No Fail is proven for a while; in that while the judge must not say "within SLO"
    about a canary at 1.7 % errors against a stable at 0.1 %."""
    from functools import partial

    from rolldeck.engine.bakes import BakeTracker
    from rolldeck.engine.judge import JudgeConfig, ReleaseEvidence, Verdict

    b = SimulatorBackend(load_scenario("canary-flag-bad-path"), paused=True)
    bakes, ref = BakeTracker(), ReleaseRef("prod-eu-west-1", "checkout")
    seen: list[tuple[float, Verdict, str]] = []
    t = 180.0
    while t <= 600.0:
        b.run_until(t)
        state = b.snapshot()
        bakes.observe(state)
        release = state.release(ref)
        judgement = bakes.judge(release, partial(ReleaseEvidence, JudgeConfig(), steps=2))
        seen.append((t, judgement.verdict, judgement.evidence))
        t += 0.5
    assert [s for s in seen if s[1] is Verdict.PASS] == []
    assert any(v is Verdict.FAIL for _, v, _ in seen)  # the judge does get there
    assert any("not a pass" in e for _, v, e in seen if v is Verdict.INCONCLUSIVE)
