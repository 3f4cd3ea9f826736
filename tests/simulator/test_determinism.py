"""Same seed and same commands → identical drill, however the run is chunked."""

from __future__ import annotations

import time

import pytest

from rolldeck.simulator.drill import DrillAction, run_drill
from rolldeck.simulator.library import load_scenario
from tests.waiting import ManualClock, wait_until

ACTIONS = [
    DrillAction(at=95.0, release="prod-eu-west-1/payments", action="step-up"),
    DrillAction(at=130.5, release="prod-us-east-2/catalog", action="promote"),
    DrillAction(at=200.0, release="prod-eu-west-1/checkout", action="abort"),
]


def drill(chunk=None, seed=None, actions=ACTIONS):
    scenario = load_scenario("fleet-default")
    if seed is not None:
        scenario = scenario.model_copy(update={"seed": seed})
    return run_drill(scenario, until=420, actions=actions, wall_clock=time.time, chunk=chunk).report


def test_same_seed_and_commands_give_an_identical_report():
    assert drill() == drill()


@pytest.mark.parametrize("chunk", [7.0, 0.37, 59.9])
def test_chunking_does_not_change_the_result(chunk):
    whole = drill()
    assert drill(chunk=chunk) == whole
    assert whole["commands"] == [
        {"tick": 95, "release": "prod-eu-west-1/payments", "label": "step-up"},
        {"tick": 131, "release": "prod-us-east-2/catalog", "label": "promote"},
        {"tick": 200, "release": "prod-eu-west-1/checkout", "label": "abort"},
    ]


def test_a_different_seed_gives_different_traffic():
    assert drill(seed=1)["digest"] != drill(seed=2)["digest"]


def test_commands_change_the_outcome():
    assert drill(actions=[])["digest"] != drill()["digest"]


def test_budgeted_advance_matches_a_straight_run():
    """The live pacing path (many small budgeted advances) gives the headless result."""
    from rolldeck.simulator.backend import SimulatorBackend

    straight = SimulatorBackend(load_scenario("canary-healthy"), paused=True)
    straight.run_until(300)
    paced = SimulatorBackend(load_scenario("canary-healthy"), paused=True)
    target = 0.0
    while target < 300:
        target = min(300.0, target + 0.0137 * 400)
        while not paced.advance(target, budget_s=0.0005):
            pass  # behind: the next frame continues toward the same target
    assert paced.world.digest() == straight.world.digest()


@pytest.mark.asyncio
async def test_live_pacing_advances_with_speed_and_stops_when_paused():
    """The pacing task on a manual wall clock: simulated time follows wall time × speed exactly, and
    not at all while paused, however fast or slow the frames run."""
    from rolldeck.simulator.backend import SimulatorBackend

    wall = ManualClock()
    backend = SimulatorBackend(load_scenario("canary-healthy"), speed=200, wall=wall)
    await backend.start()
    try:
        wall.advance(0.4)
        await wait_until(lambda: backend.clock.now() == pytest.approx(80.0), "0.4 s at 200× = 80 simulated seconds")
        backend.set_paused(True)
        wall.advance(0.3)
        frames = backend.frames
        await wait_until(lambda: backend.frames >= frames + 3, "three pacing frames while paused")
        assert backend.clock.now() == pytest.approx(80.0)  # paused: wall time passed, simulated time did not
        backend.set_paused(False)  # resumes from here: the paused 0.3 s is not made up
        wall.advance(0.1)
        await wait_until(lambda: backend.clock.now() == pytest.approx(100.0), "0.1 s more at 200×")
        backend.set_speed(5000)
        assert backend.speed == 1000  # clamped to the supported range
    finally:
        await backend.stop()
