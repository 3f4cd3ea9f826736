"""Composition: scenario → simulator backend → console, wired in one place.

``rolldeck sim``, the screenshots (docs/screenshots/render.py), the console benchmark
(bench/ui_update.py) and the tests all build a simulated console here: the backend (speed, paused,
the releases the autopilot drives), the autopilot on the console's own operator, the scenario's
judge and briefing. Like ``cli`` this module is a composition root — the only other console module
the import-linter contract lets import the simulator.
"""

from __future__ import annotations

from typing import Any

from rolldeck.console.app import AutopilotSetup, RolldeckApp, make_app
from rolldeck.simulator.autopilot_plans import judge_config, rollout_plans
from rolldeck.simulator.backend import SimulatorBackend
from rolldeck.simulator.scenario import Scenario


class NoAutopilotPlan(ValueError):
    """The autopilot was asked for on a scenario that declares no plan for it."""


def simulator(
    scenario: Scenario, *, speed: float = 1.0, paused: bool = False, autopilot: bool = False, read_only: bool = False, start_at: float = 0.0
) -> SimulatorBackend:
    """The scenario's simulator; with ``autopilot`` its planned releases wait for the autopilot to
    step them; ``read_only`` refuses every change in the backend too. ``start_at`` runs it headless
    to that simulated time first (pods ready, first steps)."""
    if autopilot and scenario.autopilot is None:
        raise NoAutopilotPlan(f"{scenario.scenario} declares no autopilot plan")
    backend = SimulatorBackend(scenario, speed=speed, paused=paused, autopilot=autopilot, read_only=read_only)
    if start_at:
        backend.run_until(start_at)
    return backend


def simulated_console(backend: SimulatorBackend, *, briefing: bool = True, **options: Any) -> RolldeckApp:
    """The console on ``backend``: the autopilot when the backend runs with one, the scenario's judge,
    its briefing as the first toast unless ``briefing`` is False. ``options`` go to ``make_app``
    (audit_path, actor, read_only, wall_clock, config, refresh_s, ui_clock)."""
    scenario = backend.scenario
    setup = None
    if backend.autopilot:
        assert scenario.autopilot is not None  # simulator() refused the backend otherwise
        setup = AutopilotSetup(rollout_plans(scenario), judge_config(scenario), scenario.autopilot.interval)
    return make_app(
        backend,
        briefing=scenario.briefing if briefing else "",
        autopilot=setup,
        judge=judge_config(scenario),
        **options,
    )


async def fast_forward(app: RolldeckApp, until: float, sample_every: float = 5.0) -> None:
    """Run the app's simulator (and autopilot, if any) flat out to ``until``, recording the signal
    history and feeding the console's judge every ``sample_every`` simulated seconds: a console that
    has been open all along, for screenshots and tests, without waiting for it in wall time."""
    backend, pilot = app.backend, app.autopilot
    assert isinstance(backend, SimulatorBackend)
    now = backend.clock.now()
    while now < until:
        now = min(until, now + sample_every)
        while pilot is not None and pilot.next_look <= now:
            backend.run_until(pilot.next_look)
            await pilot.look()
        backend.run_until(now)
        state = backend.snapshot()
        app.history.record(state)
        app.frames.verdict_source.verdicts(state)  # the judge gathers evidence per interval, as it would live
        app.frames.verdict_source.cohort_verdicts(state)  # and the judges on flag cohorts
