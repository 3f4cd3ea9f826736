"""Fast input reaches the prompt whole: keys that arrive in the same burst as the ``:`` or ``/``
that opens it (a quick typist, a terminal delivering a read of several bytes at once) and pastes.

A terminal driver hands the app every key of one read before the app handles the first; the tests
do the same (``burst``: every key event posted, then one wait), so the prompt must take focus while
``:`` is handled, not on a later turn of the loop.
"""

from __future__ import annotations

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input

from rolldeck.console.app import RolldeckApp
from rolldeck.console.screens.clusters import ClustersScreen
from rolldeck.console.screens.confirm import ConfirmModal
from rolldeck.console.screens.fleet import FleetScreen, FleetTable
from rolldeck.simulator.backend import SimulatorBackend

from .helpers import notifications

SIZE = (140, 40)


async def burst(pilot: Pilot[None], *keys: str, paste: str = "") -> None:
    """Every key event (then the paste, if any) queued before the app handles the first, as one
    terminal read delivers them."""
    driver = pilot.app._driver
    assert driver is not None
    queued: list[events.Event] = []
    for key in keys:
        character = {"colon": ":", "slash": "/", "enter": "\r", "space": " "}.get(key, key if len(key) == 1 else None)
        queued.append(events.Key(key, character))
    if paste:
        queued.append(events.Paste(paste))
    for event in queued:
        event.set_sender(pilot.app)
        driver.send_message(event)
    await pilot.pause()


def keys_of(text: str) -> list[str]:
    return [{" ": "space", "-": "minus"}.get(c, c) for c in text]


class TestBurst:
    @pytest.mark.asyncio
    async def test_a_command_typed_in_one_burst_runs(self, console: RolldeckApp) -> None:
        async with console.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await burst(pilot, "colon", *keys_of("clusters"), "enter")
            await pilot.pause()
            assert isinstance(console.screen, ClustersScreen), notifications(console)
            assert not any(isinstance(s, ConfirmModal) for s in console.screen_stack)  # no letter became a verb

    @pytest.mark.asyncio
    async def test_the_prompt_holds_every_key_of_the_burst(self, console: RolldeckApp) -> None:
        async with console.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("colon", *keys_of("ctx prod-us-east-1"))  # one press call, no pauses
            prompt = console.screen.query_one("#prompt-input", Input)
            assert prompt.value == "ctx prod-us-east-1"
            await pilot.press("escape")
            await burst(pilot, "slash", *keys_of("search"))
            assert console.screen.query_one("#prompt-input", Input).value == "search"

    @pytest.mark.asyncio
    async def test_a_paste_right_after_the_prompt_opens_lands_in_it(self, console: RolldeckApp, backend: SimulatorBackend) -> None:
        name = next(r.name for r in backend.snapshot().releases() if r.name != "checkout")
        async with console.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await burst(pilot, "slash", paste=name)  # the paste queued right behind the key
            assert console.screen.query_one("#prompt-input", Input).value == name
            await pilot.press("enter")
            await pilot.pause()
            screen = console.screen
            assert isinstance(screen, FleetScreen)
            shown = [k for k in screen.query_one(FleetTable).row_keys if not k.startswith("region:")]
            assert shown and all(k.endswith(f"/{name}") for k in shown)

    @pytest.mark.asyncio
    async def test_prompt_keys_type_themselves_inside_a_text_field(self, console: RolldeckApp) -> None:
        # ':' and '/' are priority keys (they open the prompt before later keys are routed), so
        # they must step aside where text is typed: in the open prompt, and in any Input.
        async with console.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("slash", *keys_of("a/b:c"))
            assert console.screen.query_one("#prompt-input", Input).value == "a/b:c"
