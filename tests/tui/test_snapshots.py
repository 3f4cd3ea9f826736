"""SVG snapshots of the fleet and release screens, on a paused simulator at a fixed instant.

Regenerate after an intended visual change with
``.venv/bin/python -m pytest tests/tui/test_snapshots.py --snapshot-update`` and review the SVGs.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import Label

from console.app import RolldeckApp, make_app

from .helpers import WALL_CLOCK, first_release, is_canary_at, paused_backend, select_release

SNAPSHOT_SIZE = (120, 36)
SnapCompare = Callable[..., bool]


def console_at_two_minutes() -> RolldeckApp:
    return make_app(paused_backend(), audit_path=None, actor="alice", wall_clock=lambda: WALL_CLOCK)


async def wait_for_clock(pilot: Pilot[None], shown: str) -> None:
    """Wait until the sampler has drawn backend time ``shown``: snapshots must not race the 2 Hz tick."""
    for _ in range(50):
        if str(pilot.app.screen.query_one("#sim-clock", Label).render()) == shown:
            return
        await pilot.pause(0.1)
    raise AssertionError(f"the console never showed {shown}")


class TestSnapshots:
    def test_fleet_screen(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(console_at_two_minutes(), terminal_size=SNAPSHOT_SIZE)

    def test_release_screen_after_a_step_up(self, snap_compare: SnapCompare) -> None:
        app = console_at_two_minutes()

        async def step_payments_up(pilot: Pilot[None]) -> None:
            backend = app.backend
            manual = first_release(backend.snapshot(), is_canary_at(0))
            await pilot.pause()
            await select_release(pilot, app, manual.ref)
            await pilot.press("enter", "right_square_bracket", "tab", "enter")
            await app.workers.wait_for_complete()
            backend.run_until(122.0)  # type: ignore[attr-defined]  # applied, observed still lagging
            await wait_for_clock(pilot, "t 00:02:02")

        assert snap_compare(app, terminal_size=SNAPSHOT_SIZE, run_before=step_payments_up)
