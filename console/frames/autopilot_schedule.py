"""When the console lets the autopilot look: due, enabled, and never two looks at once.

The app's sampler timer asks ``start()`` every tick and runs the look in a worker when it says yes;
the worker calls ``finish()``. Kept apart from the app so the rule is tested without Textual.
"""

from __future__ import annotations

from typing import Protocol


class Looker(Protocol):
    """What the schedule needs of ``engine.autopilot.Autopilot``."""

    @property
    def enabled(self) -> bool: ...

    def due(self) -> bool: ...


class AutopilotSchedule:
    def __init__(self, autopilot: Looker | None) -> None:
        self._autopilot = autopilot
        self._looking = False

    @property
    def looking(self) -> bool:
        return self._looking

    def start(self) -> bool:
        """True when a look should begin now; it is then counted as running until ``finish()``."""
        pilot = self._autopilot
        if pilot is None or not pilot.enabled or self._looking or not pilot.due():
            return False
        self._looking = True  # before the worker starts: the next tick must not start another
        return True

    def finish(self) -> None:
        self._looking = False
