"""Waiting in tests: on the condition a test means, never on the clock.

- ``wait_until(predicate, what)``: plain asyncio (the fake API server, a started backend).
- ``pilot_until(pilot, predicate, what)``: a running Textual app; every poll is ``pilot.pause()``,
  which lets the app handle what is pending before the predicate is asked again.
- ``poll_until(check, what)``: synchronous, for a separate process (the real Prometheus).
- ``ManualClock``: a time source that moves only when the test says so, for code that takes one.
- ``HANG_GUARD_S``: the outer bound on calls that end by themselves, so a hang fails instead of hangs.

The bound of every wait is a number of polls, never a deadline. A poll yields to the loop (or
sleeps a moment, where another process or a socket timer must move); on a loaded machine each poll
takes longer and the wait stretches with it, so a wait fails only when its condition never comes,
and then it says what it was waiting for. Pick the count for the slowest honest case and leave a
wide margin: a generous bound costs nothing when the condition arrives early.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from textual.pilot import Pilot

T = TypeVar("T")

POLLS = 3_000  # × ≥ 10 ms: half a minute or more before giving up
# For a call that should end by itself (a request, a subprocess, a stream the server closes): a broken
# one fails its test instead of hanging the suite. Never a wait: nothing waits for it to pass.
HANG_GUARD_S = 60.0
PILOT_POLLS = 1_000  # × ≥ 20 ms (one pilot.pause)


async def wait_until(
    predicate: Callable[[], T | None], what: str, *, polls: int = POLLS, interval: float = 0.01
) -> T:
    """The predicate's first truthy value, asked after each yield to the loop.

    ``interval`` is how long each poll sleeps: 0 where only this loop's own work must happen, a few
    milliseconds (the default) where a socket, a subprocess or a backend's back-off timer must move.
    """
    for _ in range(polls):
        value = predicate()
        if value:
            return value
        await asyncio.sleep(interval)
    value = predicate()
    if value:
        return value
    raise AssertionError(f"still waiting for {what} after {polls} polls")


async def pilot_until(pilot: Pilot[object], predicate: Callable[[], T | None], what: str, *, polls: int = PILOT_POLLS) -> T:
    """The predicate's first truthy value, asked after each ``pilot.pause()`` (the app idle again)."""
    for _ in range(polls):
        value = predicate()
        if value:
            return value
        await pilot.pause()
    value = predicate()
    if value:
        return value
    raise AssertionError(f"still waiting for {what} after {polls} pilot pauses")


async def each_until(step: Callable[[], Awaitable[object]], predicate: Callable[[], T | None], what: str, *, polls: int = 100) -> T:
    """Run ``step`` (e.g. one sampler tick) until the predicate holds: for conditions that need the
    test itself to move something between looks."""
    for _ in range(polls):
        value = predicate()
        if value:
            return value
        await step()
    value = predicate()
    if value:
        return value
    raise AssertionError(f"still waiting for {what} after {polls} steps")


def poll_until(
    check: Callable[[], T | None],
    what: str,
    *,
    polls: int = 600,
    interval: float = 0.2,
    alive: Callable[[], bool] = lambda: True,
    ignore: tuple[type[BaseException], ...] = (OSError,),
) -> T:
    """Synchronous ``wait_until`` for a separate process; stops early when ``alive()`` turns False.

    ``check`` may raise one of ``ignore`` while the process starts up: that counts as not yet.
    """
    for _ in range(polls):
        if not alive():
            break
        try:
            value = check()
        except ignore:
            value = None
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"still waiting for {what} after {polls} polls" + ("" if alive() else " (the process exited)"))


class ManualClock:
    """``now()`` (or the clock called as a function) returns what the test set; ``advance`` moves it."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    __call__ = now

    def advance(self, seconds: float) -> float:
        assert seconds >= 0, "time does not run backwards"
        self._now += seconds
        return self._now
