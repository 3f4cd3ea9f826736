"""The autopilot rolls a flag out 1 → 5 → 25 %, judged on the flag's cohort; on a bad path it kills
the flag instead of rolling the version back. Drilled headless with the autopilot and scripted."""

from __future__ import annotations

import time

import pytest

from rolldeck.engine.actions import ActionKind
from rolldeck.simulator.drill import DrillAction, run_drill
from rolldeck.simulator.library import load_scenario
from rolldeck.simulator.scenario import ScenarioError, load_scenario_text

HEALTHY, BAD = "flag-rollout-autopilot", "flag-rollout-bad-path"


def drill(name: str, *, autopilot: bool, actions: list[DrillAction] | None = None, until: float = 1200) -> dict:
    return run_drill(load_scenario(name), until=until, actions=actions or [], wall_clock=time.time, autopilot=autopilot).report


def flag_changes(report: dict) -> list[tuple[str, str, str]]:
    return [(r["actor"], r["action"], r["diff"].split(" in ")[0]) for r in report["audit"] if r["result"] == "applied"]


def test_the_autopilot_walks_a_healthy_flag_through_its_shares_and_leaves_the_version_alone() -> None:
    report = drill(HEALTHY, autopilot=True)
    assert flag_changes(report) == [
        ("autopilot", "set-flag-rollout", "flag new-ranking (prod-eu-west-1): on 0% → 1%"),
        ("autopilot", "set-flag-rollout", "flag new-ranking (prod-eu-west-1): on 1% → 5%"),
        ("autopilot", "set-flag-rollout", "flag new-ranking (prod-eu-west-1): on 5% → 25%"),
    ]
    kinds = [event["kind"] for event in report["autopilot"]]
    assert kinds == ["step", "step", "step", "done"]
    (release,) = report["releases"]
    assert release["flags"][0]["share"] == 25.0 and release["flags"][0]["enabled"] is True
    assert release["desired"] == {"stable": 100, "canary": 0} and not release["aborted"]
    assert report["grading"]["wrong"] == []


def test_on_a_bad_path_the_autopilot_kills_the_flag_on_its_cohorts_evidence_not_the_version() -> None:
    report = drill(BAD, autopilot=True)
    assert flag_changes(report) == [
        ("autopilot", "set-flag-rollout", "flag new-ranking (prod-eu-west-1): on 0% → 1%"),
        ("autopilot", "kill-flag", "kill flag new-ranking (prod-eu-west-1): off for 1% of evaluations, callers get their code default"),
    ]
    kill = next(event for event in report["autopilot"] if event["kind"] == "kill")
    assert kill["message"].startswith("killed flag new-ranking, no rollback: eu-west-1: flag new-ranking on ")
    assert " vs flag off " in kill["message"] and "× worse" in kill["message"]
    kill_record = next(r for r in report["audit"] if r["action"] == "kill-flag")
    assert kill_record["evidence"] == kill["message"].removeprefix("killed flag new-ranking, no rollback: ")  # on record
    assert [(g["actor"], g["action"]) for g in report["grading"]["correct"]] == [("autopilot", "kill-flag")]
    assert report["grading"]["wrong"] == []
    (release,) = report["releases"]
    flag = release["flags"][0]
    assert flag["evaluated_enabled"] is False and not release["aborted"]  # the path is off, the version stays


def test_scripted_the_kill_grades_right_and_an_abort_wrong() -> None:
    kill = [DrillAction(at=180, release="search", action=ActionKind.KILL_FLAG, flag="new-ranking")]
    steps = [DrillAction(at=10, release="search", action=ActionKind.FLAG_STEP_UP, flag="new-ranking")]  # 0 → 1 %
    killed = drill(BAD, autopilot=False, actions=steps + kill, until=600)
    assert [g["action"] for g in killed["grading"]["correct"]] == ["kill-flag"] and killed["grading"]["wrong"] == []
    aborted = drill(BAD, autopilot=False, actions=[*steps, DrillAction(at=180, release="search", action=ActionKind.ABORT)], until=600)
    assert [g["action"] for g in aborted["grading"]["wrong"]] == ["abort"]


def test_a_flag_plan_is_checked_against_the_release_flags() -> None:
    text = (
        "scenario: s\ntitle: t\nbriefing: b\nregions: {r: {}}\nclusters: [{name: c, region: r}]\n"
        "releases:\n  - {name: a, cluster: c, strategy: canary, owner: unmanaged, rps: 10, stable: {revision: v1, pods: 1},\n"
        "     candidate: {revision: v2, pods: 1}, flags: [{key: x, version: all}]}\n"
        "autopilot:\n  plans:\n"
        "    - {release: a, flag: y, flag_steps: [{share: 1}]}\n"
        "    - {release: a, flag: x, steps: [{weight: 5}]}\n"
        "    - {release: a, flag_steps: [{share: 1}]}\n"
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(text, "s.yaml")
    problems = caught.value.problems
    assert any("autopilot.plans.0.flag: 'a' has no flag 'y' in c" in p for p in problems)
    assert any("autopilot.plans.1.steps: a flag rollout steps shares (flag_steps), not weights" in p for p in problems)
    assert any("autopilot.plans.1.flag_steps: a flag rollout needs its shares" in p for p in problems)
    assert any("autopilot.plans.2.flag_steps: name the flag they step (flag: KEY)" in p for p in problems)
