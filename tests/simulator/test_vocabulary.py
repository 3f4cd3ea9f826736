"""Typed vocabulary in the simulator: a scenario names the router a release plays (checked against
what the release asks of it), the simulated controller reports what it waits for as a ``Wait``, and
scenario fields are the engine's enums."""

from __future__ import annotations

import re
import textwrap

import pytest

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.changes import Resume
from rolldeck.engine.model import PauseStep, ReleaseRef, Router, Strategy, Wait, WaitKind, WeightStep
from rolldeck.engine.operator import Operator
from rolldeck.simulator.backend import SimulatorBackend
from rolldeck.simulator.drill import load_actions
from rolldeck.simulator.scenario import ScenarioError, load_scenario_text

BASE = textwrap.dedent(
    """\
    scenario: vocab
    title: Vocabulary
    briefing: Routers and waits.
    regions:
      eu: {}
    clusters:
      - {name: c1, region: eu}
    releases:
      - name: app
        cluster: c1
        strategy: canary
        rps: 100
        stable: {revision: v1, pods: 4}
        candidate: {revision: v2, pods: 1}
    """
)
APP = ReleaseRef("c1", "app")


STEPS = "[{weight: 10}, {weight: 100}]"


def scenario(**release: str):
    """BASE with the release's keys set: a key BASE has is replaced where it is (a key written twice
    is an error), a new one appended."""
    text = BASE
    for key, value in release.items():
        text, found = re.subn(rf"^    {key}: .*$", f"    {key}: {value}", text, flags=re.M)
        if not found:
            text += f"    {key}: {value}\n"
    return load_scenario_text(text, "s.yaml")


def problems(**release: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        scenario(**release)
    return caught.value.problems


def test_the_router_defaults_by_strategy_and_is_the_engines_enum():
    spec = scenario().releases[0]
    assert spec.strategy is Strategy.CANARY and spec.router is Router.VIRTUAL_SERVICE
    state = SimulatorBackend(scenario(router="HTTPRoute"), paused=True).snapshot()
    assert state.release(APP).router is Router.HTTP_ROUTE  # not always a pretend VirtualService


def test_a_router_that_cannot_do_what_the_release_asks_is_one_located_line():
    assert problems(router="Service") == ["s.yaml:15:13: releases.0.router: a canary release cannot be routed by Service (Service selector)"]
    assert problems(router="HTTPRoute", mirror="0.5", owner="unmanaged") == ["s.yaml:16:13: releases.0.mirror: mirroring needs router VirtualService (this is Gateway API HTTPRoute)"]
    (unknown,) = problems(router="Ingress")
    assert unknown.startswith("s.yaml:15:13: releases.0.router: Input should be 'VirtualService', 'HTTPRoute', 'Service'")
    (strategy,) = problems(strategy="linear")
    assert "releases.0.strategy: Input should be 'canary', 'blue-green' or 'rolling'" in strategy
    (cohort,) = problems(strategy="a/b")  # an engine strategy read from clusters, not one the simulator plays
    assert "releases.0.strategy: Input should be 'canary', 'blue-green' or 'rolling'" in cohort


@pytest.mark.asyncio
async def test_mirroring_is_decided_by_the_routers_capability(tmp_path):
    backend = SimulatorBackend(scenario(router="HTTPRoute", owner="unmanaged"), paused=True)
    operator = Operator(backend, AuditLog(None, lambda: 0.0))
    refusal = operator.plan(Action(ActionKind.SET_MIRROR, APP, percent=5)).refusal
    assert refusal is not None and "routed by Gateway API HTTPRoute, which cannot mirror" in refusal
    assert operator.plan(Action(ActionKind.SET_WEIGHT, APP, weight=20)).ok  # weights it does take


@pytest.mark.asyncio
async def test_a_pause_step_is_a_wait_that_resume_does_not_end_on_argo(tmp_path):
    """Argo's resume is spec.paused only: the CanaryPauseStep wait stays until promote (step up)."""
    backend = SimulatorBackend(scenario(steps=STEPS), paused=True)
    backend.run_until(5)
    release = backend.snapshot().release(APP)
    assert release.steps == (WeightStep(10), PauseStep(None), WeightStep(100))  # Argo-shaped: setWeight, pause
    assert release.paused and release.wait == Wait(WaitKind.PAUSE_STEP, reason="CanaryPauseStep")
    operator = Operator(backend, AuditLog(None, lambda: 0.0))
    resume = operator.plan(Action(ActionKind.RESUME, APP))
    assert resume.change == Resume(at_step=1, completes=False)
    assert "CanaryPauseStep still waits — step up continues it" in resume.diff
    assert (await operator.execute(resume, actor="t")).ok
    backend.run_until(10)
    assert backend.snapshot().release(APP).wait is not None  # still at the pause step
    step_up = operator.plan(Action(ActionKind.STEP_UP, APP))
    assert step_up.diff.startswith("promote: continue past CanaryPauseStep at step 1/3")
    assert (await operator.execute(step_up, actor="t")).ok
    backend.run_until(11)
    moved = backend.snapshot().release(APP)
    assert moved.wait is None and not moved.paused and moved.step == 2  # setWeight 100: scaling the canary up
    backend.run_until(60)
    assert backend.snapshot().release(APP).phase.value == "Healthy"


def test_drill_actions_are_action_kinds(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("- {at: 1m, release: c1/app, action: abort}\n- {at: 2m, release: c1/app, action: rollback}\n")
    with pytest.raises(ScenarioError) as caught:
        load_actions(path)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{path}:2:37: 1.action: Input should be 'set-weight', 'step-up'")
    path.write_text("- {at: 1m, release: c1/app, action: set-mirror, percent: 0.5}\n")
    (item,) = load_actions(path)
    assert item.action is ActionKind.SET_MIRROR and item.percent == 0.5
