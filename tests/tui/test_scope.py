"""Scope never hides an emergency: with :ctx, :ns or a / filter, what needs a human outside the view is
counted on the fleet and the clusters view, and one key (w) widens back to everything."""

from __future__ import annotations

import pytest

from rolldeck.console.app import RolldeckApp
from rolldeck.console.frames.frame import ViewScope
from rolldeck.console.screens.clusters import ClustersScreen, ClustersTable
from rolldeck.console.screens.fleet import FleetScreen
from rolldeck.console.widgets.attention_table import AttentionTable
from rolldeck.console.widgets.plain import PlainLabel
from rolldeck.simulator.backend import SimulatorBackend

from .helpers import notifications, sample, type_line

SIZE = (140, 40)


def outside(app: RolldeckApp) -> str:
    label = app.screen.query_one("#outside-scope", PlainLabel)
    return str(label.render()) if label.display else ""


def waiting_elsewhere(backend: SimulatorBackend, app: RolldeckApp) -> tuple[str, str]:
    """fleet-default at 2m: one release waits on a human; a context it is not in."""
    assert app.frame is not None
    item = app.frame.attention[0]
    other = next(c.name for c in backend.snapshot().clusters() if c.name != item.cluster)
    return item.cluster, other


class TestOutsideTheView:
    @pytest.mark.asyncio
    async def test_ctx_counts_what_waits_elsewhere_and_w_widens(self, console: RolldeckApp, backend: SimulatorBackend) -> None:
        async with console.run_test(size=SIZE, notifications=True) as pilot:
            await sample(pilot)
            busy, quiet = waiting_elsewhere(backend, console)
            assert outside(console) == ""  # nothing is scoped away yet

            await type_line(pilot, ":", f"ctx {quiet}")
            await sample(pilot)
            assert not console.screen.query_one(AttentionTable).display
            assert str(console.screen.query_one("#attention-empty", PlainLabel).render()) == "nothing needs a human in this view"
            assert outside(console) == "+1 waiting outside this view — press w to widen"

            await type_line(pilot, ":", "clusters")  # the clusters view scopes too, and says so
            assert isinstance(console.screen, ClustersScreen)
            assert console.screen.query_one(ClustersTable).row_keys == [quiet]
            assert outside(console) == "+1 waiting outside this view — press w to widen"

            await pilot.press("w")
            await sample(pilot)
            assert console.scope == ViewScope()
            assert busy in console.screen.query_one(ClustersTable).row_keys
            assert outside(console) == ""
            assert notifications(console)[-1] == ("information", "showing everything: ctx all · ns all, no filter")

    @pytest.mark.asyncio
    async def test_a_filter_counts_what_it_hides_and_w_clears_it(self, console: RolldeckApp, backend: SimulatorBackend) -> None:
        async with console.run_test(size=SIZE, notifications=True) as pilot:
            await sample(pilot)
            await type_line(pilot, "/", "no-such-release")
            await sample(pilot)
            assert isinstance(console.screen, FleetScreen)
            assert outside(console) == "+1 waiting outside this view — press w to widen"
            assert "-urgent" not in console.screen.query_one("#outside-scope", PlainLabel).classes  # a wait, not an error

            await pilot.press("w")
            await sample(pilot)
            assert console.screen.row_filter is None
            assert console.screen.query_one(AttentionTable).row_count == 1
            assert outside(console) == ""
