"""``SimulatorBackend``: the engine's Backend port over a simulated ``World``, with live pacing.

Live, a task on the asyncio loop advances simulated time every frame toward
``sim_t0 + (wall_now − wall_t0) × speed`` within a time budget, so the UI never blocks; when the
model is too slow for the speed it falls behind gracefully. Headless, ``run_until`` runs flat out.
Wall-clock reads here are pacing only: the model itself sees nothing but simulated time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from rolldeck.engine.model import FleetState
from rolldeck.engine.plans import Plan
from rolldeck.engine.port import ApplyError, ApplyResult
from rolldeck.simulator.scenario import Scenario
from rolldeck.simulator.world import Command, World

log = logging.getLogger(__name__)

FRAME_S = 0.05  # 20 frames per second
BUDGET_S = 0.015  # simulation work allowed per frame
STEPS_PER_CHECK = 128
MIN_SPEED, MAX_SPEED = 1.0, 1000.0


class SimClock:
    def __init__(self, world: World) -> None:
        self._world = world

    def now(self) -> float:
        return self._world.now


class SimulatorBackend:
    def __init__(
        self,
        scenario: Scenario,
        *,
        speed: float = 1.0,
        paused: bool = False,
        autopilot: bool = False,
        read_only: bool = False,
        wall: Callable[[], float] = time.perf_counter,
    ) -> None:
        """``wall`` is the pacing clock (seconds); tests drive live pacing with a manual one.
        ``read_only`` refuses every change here too, whatever plan reaches ``apply`` (as ``KubeBackend``)."""
        self.scenario = scenario
        self.read_only = read_only
        self.world = World(scenario, autopilot=autopilot)
        self.autopilot = autopilot  # the scenario's autopilot steps its planned releases, not their controllers
        self.name = f"simulation: {scenario.scenario}"
        self.speed = min(MAX_SPEED, max(MIN_SPEED, speed))
        self.paused = paused
        self.frames = 0  # pacing frames run so far: tests count frames instead of sleeping
        self.stopped = ""  # why the pacing loop died: the console says so instead of a frozen clock
        self._wall = wall
        self._clock = SimClock(self.world)
        self._task: asyncio.Task[None] | None = None
        self._rebase()

    # --- Backend port -----------------------------------------------------------------------------
    @property
    def clock(self) -> SimClock:
        return self._clock

    async def start(self) -> None:
        if self._task is None:
            self._rebase()
            self._task = asyncio.get_running_loop().create_task(self._pace(), name="rolldeck-sim-pacing")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def snapshot(self) -> FleetState:
        return self.world.snapshot()

    async def apply(self, plan: Plan) -> ApplyResult:
        if self.read_only:
            raise ApplyError("the console is read-only")
        if plan.change is None:
            raise ApplyError(f"nothing to apply for {plan.action.target}")
        target = plan.action.target
        if self.world.release(target) is None:
            raise ApplyError(f"release {target} no longer exists in the simulation")
        if target.cluster in self.world.unreachable:
            raise ApplyError(f"cluster {target.cluster}: API server unavailable")
        tick = self.world.enqueue(Command(target, plan.change, plan.action.kind.value))
        # Commands apply at tick boundaries: on a paced clock that is paused (P), the next tick waits
        # for the operator. A headless drill is never paced: its caller runs the clock itself.
        return ApplyResult(self.world.now, f"queued for tick {tick}", pending=self.paused and self._task is not None)

    # --- pacing (PacedBackend) ----------------------------------------------------------------------
    def set_speed(self, speed: float) -> float:
        self.speed = min(MAX_SPEED, max(MIN_SPEED, float(speed)))
        self._rebase()
        return self.speed

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        self._rebase()

    def run_until(self, sim_time: float) -> None:
        """Advance flat out (headless drills and tests); pacing rebases afterwards."""
        self.world.run_until(sim_time)
        self._rebase()

    def _rebase(self) -> None:
        self._sim_t0 = self.world.now
        self._wall_t0 = self._wall()

    def advance(self, target: float, budget_s: float) -> bool:
        """Run events up to ``target`` sim time within ``budget_s`` wall seconds; False if behind."""
        env = self.world.env
        deadline = time.perf_counter() + budget_s
        steps = 0
        while env.peek() < target:
            env.step()
            steps += 1
            if steps % STEPS_PER_CHECK == 0 and time.perf_counter() > deadline:
                return False
        if target > env.now:
            env.run(until=target)
        return True

    async def _pace(self) -> None:
        try:
            while True:
                if not self.paused:
                    target = self._sim_t0 + (self._wall() - self._wall_t0) * self.speed
                    on_time = self.advance(target, BUDGET_S)
                    if not on_time and target - self.world.now > self.speed * 2.0:
                        self._rebase()  # don't build an unbounded debt at speeds the model can't keep
                self.frames += 1
                await asyncio.sleep(FRAME_S)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a model bug: time stops, and the console must say so and why
            log.exception("simulator pacing stopped")
            self.stopped = " ".join(f"{type(error).__name__}: {error}".split())[:200]
