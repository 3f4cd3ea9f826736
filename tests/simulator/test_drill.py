"""Headless drills on canary-5xx: a scripted abort takes the canary out after the propagation delay."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.model import ReleaseRef
from rolldeck.engine.operator import Operator
from rolldeck.simulator.drill import DrillAction, load_actions, run_drill
from rolldeck.simulator.library import load_scenario
from rolldeck.simulator.scenario import ScenarioError
from rolldeck.simulator.state import ERRORS, REQUESTS

CHECKOUT = ReleaseRef("prod-eu-west-1", "checkout")


def tick_row(backend, version, tick):
    sim = backend.world.release(CHECKOUT).version(version)
    assert backend.world.tick_count - tick <= sim.window_ticks
    return sim.ring[tick % sim.window_ticks]


@pytest.mark.asyncio
async def test_abort_drops_canary_traffic_to_zero_after_the_propagation_delay(canary_5xx_backend):
    backend = canary_5xx_backend
    operator = Operator(backend, AuditLog(None, wall_clock=lambda: 0.0))
    backend.run_until(300)  # the canary's error rate jumped at 4m
    canary = backend.snapshot().release(CHECKOUT).version("canary").signals
    assert canary.success_ratio < 0.985  # 3 % errors are visible in the canary only
    assert backend.snapshot().release(CHECKOUT).version("stable").signals.success_ratio > 0.997

    outcome = await operator.execute(operator.plan(Action(ActionKind.ABORT, CHECKOUT)), actor="drill")
    assert outcome.ok
    backend.run_until(320)
    # the abort applied at tick 300; the route reached the data plane 5 s later (tick 305)
    for tick in range(300, 305):
        assert tick_row(backend, "canary", tick)[REQUESTS] > 30
    for tick in range(305, 320):
        assert tick_row(backend, "canary", tick)[REQUESTS] == 0
    release = backend.snapshot().release(CHECKOUT)
    assert release.aborted and release.phase.value == "Degraded"
    assert release.version("canary").replicas.ready > 0  # kept for diagnosis


def test_drill_report_holds_final_state_signal_totals_and_audit(tmp_path):
    actions_file = tmp_path / "actions.yaml"
    actions_file.write_text("- {at: 5m, release: checkout, action: abort}\n")
    actions = load_actions(actions_file)
    report = run_drill(load_scenario("canary-5xx"), until=900, actions=actions, wall_clock=time.time).report
    (release,) = report["releases"]
    assert release["release"] == "prod-eu-west-1/checkout"
    assert release["aborted"] and release["observed"] == {"stable": 100, "canary": 0}
    canary = next(v for v in release["versions"] if v["name"] == "canary")
    stable = next(v for v in release["versions"] if v["name"] == "stable")
    assert canary["errors"] / canary["requests"] > stable["errors"] / stable["requests"] * 5
    assert [r["result"] for r in report["audit"]] == ["applied"]
    assert report["audit"][0]["backend_time"] == 300.0 and "wall_time" not in report["audit"][0]
    assert report["commands"] == [{"tick": 300, "release": "prod-eu-west-1/checkout", "label": "abort"}]


def test_bad_actions_file_is_reported_with_a_position(tmp_path):
    path = tmp_path / "actions.yaml"
    path.write_text("- {at: 5m, release: checkout, action: explode}\n")
    with pytest.raises(ScenarioError) as caught:
        load_actions(path)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{path}:1:39: 0.action:")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("- {at: 5m, release: checkout, action: abort, wieght: 5}\n", ":1:46: 0.wieght: unknown key"),
        ("- {at: 5m, action: abort}\n", ":1:3: 0.release: required key missing"),
        ("- {at: 5m, release: checkout, action: abort\n", ":2:1: YAML syntax: "),
        ("at: 5m\n", ":1:1: Input should be a valid list"),
    ],
)
def test_every_actions_file_problem_is_one_located_line(tmp_path, text, line):
    path = tmp_path / "actions.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_actions(path)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{path}{line}") and "\n" not in problem


def test_an_empty_or_unreadable_actions_file(tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing yet\n")
    assert load_actions(empty) == []
    with pytest.raises(ScenarioError) as caught:
        load_actions(tmp_path / "absent.yaml")
    assert caught.value.problems == [f"{tmp_path / 'absent.yaml'}:1:1: cannot read: No such file or directory"]


def test_actions_file_examples_in_docs_parse():
    examples = Path(__file__).parents[2] / "docs" / "examples"
    for path in sorted(examples.glob("*.actions.yaml")):
        assert load_actions(path), path


def test_drill_actions_map_to_engine_actions():
    action = DrillAction(at=60, release="c/app", action="set-weight", weight=25)
    assert ActionKind(action.action) is ActionKind.SET_WEIGHT and action.at == 60.0
