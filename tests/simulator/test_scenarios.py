"""Scenario files: strict validation, every problem as file:line:col: message."""

from __future__ import annotations

import textwrap

import pytest

from rolldeck.engine.model import Strategy
from rolldeck.simulator.backend import SimulatorBackend
from rolldeck.simulator.library import DEFAULT_SCENARIO, list_scenarios, load_scenario
from rolldeck.simulator.scenario import ScenarioError, load_scenario_file, load_scenario_text

VALID = textwrap.dedent(
    """\
    scenario: tiny
    title: Tiny
    briefing: One canary.
    regions:
      eu-west-1: {}
    clusters:
      - {name: c1, region: eu-west-1}
    releases:
      - name: app
        cluster: c1
        strategy: canary
        rps: 100
        stable: {revision: v1, pods: 4}
        candidate: {revision: v2, pods: 1}
        steps: [{weight: 10, bake: 1m}, {weight: 100}]
    faults:
      - at: 2m
        type: error_rate
        target: {release: app}
        params: {error_rate: 0.05}
    """
)


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(text, "s.yaml")
    return caught.value.problems


def test_the_library_holds_the_required_scenarios_and_all_validate():
    names = {entry.name for entry in list_scenarios()}
    assert {"canary-healthy", "canary-5xx", "blue-green-cutover", DEFAULT_SCENARIO} <= names
    for name in names:
        scenario = load_scenario(name)
        assert scenario.briefing.strip()


def test_default_scenario_has_two_regions_three_clusters_and_both_strategies():
    state = SimulatorBackend(load_scenario(DEFAULT_SCENARIO), paused=True).snapshot()
    assert len(state.regions) >= 2
    assert len(list(state.clusters())) >= 3
    assert {r.strategy for r in state.releases()} == {Strategy.CANARY, Strategy.BLUE_GREEN}


def test_valid_scenario_parses_durations():
    scenario = load_scenario_text(VALID, "s.yaml")
    assert scenario.releases[0].steps[0].bake == 60.0
    assert scenario.faults[0].at == 120.0


def test_unknown_key_is_rejected_at_its_position():
    text = VALID.replace("    rps: 100\n", "    rps: 100\n    rsp: 5\n")
    assert problems(text) == ["s.yaml:13:5: releases.0.rsp: unknown key"]


def test_bad_duration_unit_names_the_value_and_position():
    text = VALID.replace("at: 2m", "at: 2 minutes")
    (problem,) = problems(text)
    assert problem.startswith("s.yaml:17:9: faults.0.at: invalid duration '2 minutes'")


def test_unknown_fault_type_is_rejected():
    text = VALID.replace("type: error_rate", "type: gremlins")
    (problem,) = problems(text)
    assert problem.startswith("s.yaml:18:11: faults.0.type: unknown fault type 'gremlins' (known: api_unavailable,")
    assert "memory_leak" in problem and "\n" not in problem


def test_fault_params_are_checked_for_their_type():
    text = VALID.replace("params: {error_rate: 0.05}", "params: {error_rate: 1.5}")
    (problem,) = problems(text)
    assert problem.startswith("s.yaml:20:26: faults.0.params.error_rate:")


def test_references_must_exist():
    text = VALID.replace("cluster: c1", "cluster: c9").replace("target: {release: app}", "target: {release: nope}")
    assert problems(text) == [
        "s.yaml:10:14: releases.0.cluster: unknown cluster 'c9'",
        "s.yaml:19:23: faults.0.target.release: unknown release 'nope'",
    ]


def test_missing_key_points_at_the_mapping_that_lacks_it():
    text = VALID.replace("    rps: 100\n", "")
    assert problems(text) == ["s.yaml:9:5: releases.0.rps: required key missing"]


def test_yaml_syntax_error_has_a_position():
    (problem,) = problems(VALID.replace("clusters:\n", "clusters:\n  - {name: c1\n"))
    assert problem.startswith("s.yaml:") and "YAML syntax" in problem
    assert "Traceback" not in problem


def test_a_scenario_that_is_not_a_mapping_or_cannot_be_read(tmp_path):
    assert problems("- one\n- two\n") == ["s.yaml:1:1: a scenario must be a mapping of keys to values"]
    with pytest.raises(ScenarioError) as caught:
        load_scenario_file(tmp_path / "absent.yaml")
    assert caught.value.problems == [f"{tmp_path / 'absent.yaml'}:1:1: cannot read: No such file or directory"]


def test_problems_come_in_file_order():
    found = problems(VALID.replace("type: error_rate", "type: error_rate\n    until: 1m").replace("cluster: c1", "cluster: c9"))
    assert [p.split(": ", 1)[1] for p in found] == ["releases.0.cluster: unknown cluster 'c9'", "faults.0.until: must be after at"]


def test_every_problem_is_one_line():
    text = VALID.replace("rps: 100", "rps: -1").replace("pods: 4", "pods: many")
    found = problems(text)
    assert len(found) == 2 and all("\n" not in p for p in found)
