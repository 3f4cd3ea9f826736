"""Hostile scenario values (issue 11, items 4, 7 and 10): strict types, finite bounded numbers and
capped lists, each refusal one located line; and what ``check`` accepts at its bounds, a drill runs."""

from __future__ import annotations

import math
import re
import textwrap

import pytest

from rolldeck.engine.documents import DocumentError
from rolldeck.simulator.drill import run_drill
from rolldeck.simulator.durations import MAX_DURATION_S, parse_duration
from rolldeck.simulator.scenario import MAX_FAULTS, MAX_RELEASES, MAX_RPS, ScenarioError, load_scenario_text

BASE = textwrap.dedent(
    """\
    scenario: hostile
    title: Hostile
    briefing: One canary.
    seed: 7
    tick: 1s
    duration: 30m
    regions:
      eu: {}
    clusters:
      - {name: c1, region: eu}
    releases:
      - name: app
        cluster: c1
        strategy: canary
        rps: 100
        stable: {revision: v1, pods: 4, service_time: {mean_ms: 50, cv: 1}}
        candidate: {revision: v2, pods: 1}
        steps: [{weight: 10, bake: 1m}, {weight: 100}]
    faults:
      - {at: 2m, type: cold_start, target: {release: app}, params: {factor: 3, decay: 2m}}
    """
)


def with_(old: str, new: str) -> str:
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


def the_problem(text: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(text, "s.yaml")
    (problem,) = caught.value.problems
    assert re.match(r"^s\.yaml:\d+:\d+: \S", problem), problem
    return problem


# Each is a value ``check`` used to accept and the simulator then crashed or hung on (or, for the
# strict types, silently coerced); each is now one line on the value.
REFUSED = [
    ("rps: 100", "rps: 1.0e+300", "s.yaml:15:10: releases.0.rps: Input should be less than or equal to 100000"),
    ("rps: 100", "rps: .inf", "s.yaml:15:10: releases.0.rps: Input should be a finite number"),
    ("rps: 100", "rps: '100'", "s.yaml:15:10: releases.0.rps: Input should be a valid number"),
    ("pods: 4", "pods: true", "s.yaml:16:34: releases.0.stable.pods: Input should be a valid integer"),
    ("tick: 1s", "tick: 0", "s.yaml:5:7: tick: Input should be greater than or equal to 0.1"),
    ("tick: 1s", "tick: .nan", "s.yaml:5:7: tick: Value error, duration must be a finite number of seconds, got nan"),
    ("tick: 1s", "tick: 1ms", "s.yaml:5:7: tick: Input should be greater than or equal to 0.1"),
    ("seed: 7", "seed: -1", "s.yaml:4:7: seed: Input should be greater than or equal to 0"),
    ("mean_ms: 50", "mean_ms: .inf", "s.yaml:16:61: releases.0.stable.service_time.mean_ms: Input should be a finite number"),
    ("cv: 1}", "cv: 1.0e+200}", "s.yaml:16:69: releases.0.stable.service_time.cv: Input should be less than or equal to 10"),
    ("decay: 2m", "decay: 0", "s.yaml:20:83: faults.0.params.decay: Input should be greater than 0"),
    ("duration: 30m", "duration: .inf", "s.yaml:6:11: duration: Value error, duration must be a finite number of seconds, got inf"),
    ("duration: 30m", "duration: 99999999999d", "s.yaml:6:11: duration: Value error, duration '99999999999d' is longer than the limit of 7 days"),
    ("duration: 30m", "duration: 2d", "s.yaml:6:11: duration: Input should be less than or equal to 86400"),
    ("at: 2m", "at: .nan", "s.yaml:20:10: faults.0.at: Value error, duration must be a finite number of seconds, got nan"),
    ("steps: [{weight: 10, bake: 1m}, {weight: 100}]", "steps: [{weight: 10, bake: 1m}, {weight: 100}]\n    weight_steps: [50, 10, 100]",
     "s.yaml:19:19: releases.0.weight_steps: Value error, weight steps must be strictly increasing"),
]


@pytest.mark.parametrize(("old", "new", "expected"), REFUSED, ids=[new for _, new, _ in REFUSED])
def test_a_hostile_value_is_one_located_line(old: str, new: str, expected: str) -> None:
    assert load_scenario_text(BASE, "s.yaml").releases  # the base is valid
    assert the_problem(with_(old, new)).replace("Value error, ", "") == expected.replace("Value error, ", "")


def test_an_autopilot_that_looks_every_instant_is_refused() -> None:
    text = BASE + "autopilot:\n  interval: 0\n  plans: [{release: app, steps: [{weight: 10}, {weight: 100}]}]\n"
    assert the_problem(text) == "s.yaml:22:13: autopilot.interval: Input should be greater than or equal to 1"


def test_durations_are_finite_and_bounded() -> None:
    for bad in (math.nan, math.inf, -1, MAX_DURATION_S + 1, "99999999999d", True):
        with pytest.raises(ValueError):
            parse_duration(bad)
    assert parse_duration("7d") == MAX_DURATION_S


def test_too_many_faults_is_one_line_not_a_long_check() -> None:
    fault = "  - {at: 2m, type: pod_kill, target: {release: app}}\n"
    text = BASE.split("faults:\n")[0] + "faults:\n" + fault * (MAX_FAULTS + 1)
    assert the_problem(text) == f"s.yaml:20:3: faults: List should have at most {MAX_FAULTS} items after validation, not {MAX_FAULTS + 1}"


def test_too_many_releases_is_one_line() -> None:
    release = "  - {{name: r{0}, cluster: c1, strategy: rolling, rps: 1, stable: {{revision: a, pods: 1}}, candidate: {{revision: b, pods: 1}}}}\n"
    text = BASE.split("releases:\n")[0] + "releases:\n" + "".join(release.format(i) for i in range(MAX_RELEASES + 1))
    assert the_problem(text).startswith(f"s.yaml:12:3: releases: List should have at most {MAX_RELEASES} items")


def test_what_check_accepts_at_its_bounds_a_drill_runs() -> None:
    """The largest rate, slowest and most variable service, shortest tick and most looks that
    validate: the simulator runs them (a minute of simulated time) to finite signals."""
    text = (
        with_("rps: 100", f"rps: {MAX_RPS:.0f}")
        .replace("tick: 1s", "tick: 0.1")
        .replace("mean_ms: 50, cv: 1", "mean_ms: 60000, cv: 10, dist: lognormal")
        .replace("factor: 3, decay: 2m", "factor: 100, decay: 1ms")
        .replace("at: 2m", "at: 10s")
        + "autopilot:\n  interval: 1s\n  plans: [{release: app, steps: [{weight: 10}, {weight: 100}]}]\n"
    )
    scenario = load_scenario_text(text, "s.yaml")
    result = run_drill(scenario, until=60.0, actions=[], wall_clock=lambda: 0.0, autopilot=True)
    (release,) = result.report["releases"]
    assert result.report["sim_time_s"] == 60
    assert all(math.isfinite(v) for v in release["observed"].values())


def test_drill_actions_are_strict_and_finite(tmp_path) -> None:
    from rolldeck.simulator.drill import load_actions

    path = tmp_path / "a.yaml"
    path.write_text("- {at: .nan, release: app, action: abort}\n- {at: 1m, release: app, action: set-weight, weight: '50'}\n")
    with pytest.raises(DocumentError) as caught:
        load_actions(path)
    assert [p.replace("Value error, ", "") for p in caught.value.problems] == [
        f"{path}:1:8: 0.at: duration must be a finite number of seconds, got nan",
        f"{path}:2:54: 1.weight: Input should be a valid integer",
    ]
