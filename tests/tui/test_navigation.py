"""k9s grammar: the ``:`` command line and its aliases, the ``/`` filter, escape, history, the palette."""

from __future__ import annotations

import pytest
from textual import events
from textual.widgets import Input

from rolldeck.console.app import RolldeckApp
from rolldeck.console.catalogue import COMMANDS_BY_ID, LINE_COMMANDS
from rolldeck.console.navigation import (
    CommandError,
    GoTo,
    History,
    Quit,
    RunAction,
    SetAutopilot,
    SetContext,
    SetNamespace,
    SimPause,
    SimSpeed,
    View,
    compile_filter,
    parse_command,
)
from rolldeck.console.screens.audit import AuditScreen
from rolldeck.console.screens.clusters import ClustersScreen, ClustersTable
from rolldeck.console.screens.confirm import ConfirmModal
from rolldeck.console.screens.fleet import REGION_PREFIX, FleetScreen, FleetTable
from rolldeck.console.widgets.event_log import AuditTable
from rolldeck.console.widgets.plain import PlainLabel
from rolldeck.simulator.backend import SimulatorBackend

from tests.waiting import pilot_until

from .helpers import first_release, is_canary_at, notifications, palette_highlights, select_release, type_line

SIZE = (140, 40)


def release_rows(app: RolldeckApp) -> list[str]:
    return [k for k in app.screen.query_one(FleetTable).row_keys if not k.startswith(REGION_PREFIX)]


class TestParser:
    @pytest.mark.parametrize(
        ("line", "command"),
        [
            (":releases", GoTo(View.RELEASES)),
            ("ro", GoTo(View.RELEASES)),
            ("rollouts", GoTo(View.RELEASES)),
            (":clusters", GoTo(View.CLUSTERS)),
            (":ctx", GoTo(View.CLUSTERS)),
            (":ctx prod-eu-west-1", SetContext("prod-eu-west-1")),
            (":ctx all", SetContext(None)),
            (":context ALL", SetContext(None)),
            (":ns shop", SetNamespace("shop")),
            (":ns", SetNamespace(None)),
            (":audit", GoTo(View.AUDIT)),
            (":sim speed 60", SimSpeed(60.0)),
            (":sim speed x5", SimSpeed(5.0)),
            (":sim pause", SimPause(True)),
            (":sim run", SimPause(False)),
            (":autopilot off", SetAutopilot(False)),
            (":ap", SetAutopilot(None)),
            (":abort", RunAction(COMMANDS_BY_ID["abort"])),
            (":step-up", RunAction(COMMANDS_BY_ID["step-up"])),
            (":q", Quit()),
            (":q!", Quit()),
        ],
    )
    def test_commands_and_aliases(self, line: str, command: object) -> None:
        assert parse_command(line) == command

    @pytest.mark.parametrize(
        ("line", "reason"),
        [
            (":", "empty command"),
            (":nope", "unknown command :nope"),
            (":sim speed 5000", "outside 1–1000"),
            (":sim speed fast", "must be a number"),
            (":sim", ":sim speed N"),
            (":autopilot maybe", "on or off"),
            (":clusters now", "takes no arguments"),
        ],
    )
    def test_bad_lines_say_why(self, line: str, reason: str) -> None:
        with pytest.raises(CommandError, match=reason):
            parse_command(line)

    def test_names_and_aliases_are_unique(self) -> None:
        names = [name for command in LINE_COMMANDS for name in command.names]
        assert len(names) == len(set(names))


class TestFilterAndHistory:
    def test_regex_is_case_insensitive_and_bang_inverts(self) -> None:
        plain = compile_filter("CHECK.*east")
        assert plain is not None and plain.matches("prod-us-east-1 checkout") is False
        assert plain.matches("checkout prod-us-east-1")
        inverted = compile_filter("!checkout")
        assert inverted is not None and inverted.inverted and not inverted.matches("checkout")
        assert inverted.matches("payments")
        assert compile_filter("") is None and compile_filter("!") is None

    def test_a_bad_regex_is_one_line(self) -> None:
        with pytest.raises(CommandError, match=r"bad filter /\[: "):
            compile_filter("[")

    def test_history_walks_like_a_shell(self) -> None:
        history = History()
        for line in ("clusters", "ctx all", "ctx all", "audit"):
            history.push(line)
        assert history.entries == ["clusters", "ctx all", "audit"]  # repeats collapse
        assert history.older("half") == "audit"
        assert history.older("") == "ctx all"
        assert history.older("") == "clusters"
        assert history.older("") == "clusters"  # stops at the oldest
        assert history.newer() == "ctx all"
        assert history.newer() == "audit"
        assert history.newer() == "half"  # back to what was being typed


class TestCommandLine:
    @pytest.mark.asyncio
    async def test_views_switch_and_escape_goes_back(self, console: RolldeckApp) -> None:
        async with console.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await type_line(pilot, ":", "clusters")
            assert isinstance(console.screen, ClustersScreen)
            assert console.screen.query_one(ClustersTable).row_keys == [
                c.name for c in console.backend.snapshot().clusters()
            ]
            await type_line(pilot, ":", "audit")  # views replace each other on top of the fleet
            assert isinstance(console.screen, AuditScreen) and len(console.screen_stack) == 2
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(console.screen, FleetScreen)
            await type_line(pilot, ":", "ctx")  # bare :ctx lists the contexts, as in k9s
            assert isinstance(console.screen, ClustersScreen)
            await type_line(pilot, ":", "releases")
            assert isinstance(console.screen, FleetScreen)

    @pytest.mark.asyncio
    async def test_ctx_and_ns_scope_every_view(self, console: RolldeckApp, backend: SimulatorBackend) -> None:
        state = backend.snapshot()
        async with console.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            await type_line(pilot, ":", "ctx prod-us-east-1")
            await pilot.pause()
            assert release_rows(console) == [str(r.ref) for r in state.releases() if r.cluster == "prod-us-east-1"]
            assert "ctx prod-us-east-1" in str(console.screen.query_one("#scope").render())
            await type_line(pilot, ":", "clusters")
            assert console.screen.query_one(ClustersTable).row_keys == ["prod-us-east-1"]
            await type_line(pilot, ":", "releases")
            await type_line(pilot, ":", "ctx all")
            assert len(release_rows(console)) == len(list(state.releases()))
            await type_line(pilot, ":", "ctx nowhere")
            assert notifications(console)[-1][0] == "error" and "no context 'nowhere'" in notifications(console)[-1][1]
            namespace = next(state.releases()).namespace
            await type_line(pilot, ":", f"ns {namespace}")
            assert len(release_rows(console)) == len(list(state.releases()))  # every release is in it
            await type_line(pilot, ":", "ns elsewhere")
            assert release_rows(console) == []

    @pytest.mark.asyncio
    async def test_sim_speed_pause_and_errors(self, console: RolldeckApp, backend: SimulatorBackend) -> None:
        async with console.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            await type_line(pilot, ":", "sim speed 60")
            assert backend.speed == 60
            await type_line(pilot, ":", "sim run")
            assert not backend.paused
            await type_line(pilot, ":", "sim pause")
            assert backend.paused
            await type_line(pilot, ":", "warp 9")
            assert notifications(console)[-1] == ("error", "unknown command :warp (? lists every command)")

    @pytest.mark.asyncio
    async def test_a_verb_by_name_opens_the_same_modal(self, console: RolldeckApp, backend: SimulatorBackend) -> None:
        canary = first_release(backend.snapshot(), is_canary_at(5))
        async with console.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await select_release(pilot, console, canary.ref)
            await type_line(pilot, ":", "abort")
            await pilot.pause()
            modal = console.screen
            assert isinstance(modal, ConfirmModal) and modal.plan is not None
            assert modal.plan.action.kind.value == "abort" and modal.plan.action.target == canary.ref

    @pytest.mark.asyncio
    async def test_history_up_and_down_in_the_prompt(self, console: RolldeckApp) -> None:
        async with console.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await type_line(pilot, ":", "clusters")
            await type_line(pilot, ":", "releases")
            await pilot.press("colon", "up")
            prompt = console.screen.query_one("#prompt-input", Input)
            assert prompt.value == "releases"
            await pilot.press("up")
            assert prompt.value == "clusters"
            await pilot.press("down", "down")
            assert prompt.value == ""
            await pilot.press("up", "up", "enter")
            await pilot.pause()
            assert isinstance(console.screen, ClustersScreen)

    @pytest.mark.asyncio
    async def test_q_quits(self, console: RolldeckApp) -> None:
        async with console.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await type_line(pilot, ":", "q")
            await pilot.pause()
            assert not console.is_running


class TestFilter:
    @pytest.mark.asyncio
    async def test_filter_as_you_type_invert_and_escape_clears(self, console: RolldeckApp, backend: SimulatorBackend) -> None:
        state = backend.snapshot()
        everything = len(list(state.releases()))
        async with console.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            await pilot.press("slash", *"search")
            await pilot.pause()
            assert release_rows(console) == [str(r.ref) for r in state.releases() if r.name == "search"]  # while typing
            await pilot.press("enter")
            await pilot.pause()
            assert "/search" in str(console.screen.query_one("#filter-marker").render())

            await pilot.press("slash", *"zzz")  # typing a new one filters as it goes...
            await pilot.pause()
            assert release_rows(console) == []
            await pilot.press("escape")  # ...and escape in the prompt puts the previous filter back
            await pilot.pause()
            assert release_rows(console) == [str(r.ref) for r in state.releases() if r.name == "search"]
            await pilot.press("slash", "up")
            assert console.screen.query_one("#prompt-input", Input).value == "search"  # filters have history
            await pilot.press("escape")

            await type_line(pilot, "/", "!checkout")
            assert sorted(release_rows(console)) == sorted(str(r.ref) for r in state.releases() if r.name != "checkout")
            await type_line(pilot, "/", "eu-west")  # cluster and region are part of the row's text
            assert release_rows(console) == [str(r.ref) for r in state.releases() if r.region == "eu-west-1"]
            await pilot.press("escape")  # escape on the fleet clears the filter
            await pilot.pause()
            assert len(release_rows(console)) == everything

    @pytest.mark.asyncio
    async def test_a_bad_regex_keeps_the_last_filter(self, console: RolldeckApp, backend: SimulatorBackend) -> None:
        async with console.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            await type_line(pilot, "/", "payments")
            await type_line(pilot, "/", "pay[")
            severity, message = notifications(console)[-1]
            assert severity == "error" and message.startswith("bad filter /pay[")
            assert release_rows(console) == [str(r.ref) for r in backend.snapshot().releases() if r.name == "payments"]

    @pytest.mark.asyncio
    async def test_filter_applies_to_the_audit_view(self, console: RolldeckApp, backend: SimulatorBackend) -> None:
        manual = first_release(backend.snapshot(), is_canary_at(0))
        canary = first_release(backend.snapshot(), is_canary_at(5))
        async with console.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            await type_line(pilot, ":", "audit")
            empty = console.screen.query_one("#audit-empty", PlainLabel)
            assert empty.display and str(empty.render()).startswith("nothing on record yet")
            await pilot.press("escape")
            await pilot.pause()
            # step up: Cancel has focus, Tab to Apply; abort (toward safety): Apply has focus
            for release, keys in ((manual, ("right_square_bracket", "tab", "enter")), (canary, ("a", "enter"))):
                await select_release(pilot, console, release.ref)
                await pilot.press(*keys)
                await console.workers.wait_for_complete()
                await pilot.pause()
            await type_line(pilot, ":", "audit")
            table = console.screen.query_one(AuditTable)
            assert table.row_count == 2
            assert not console.screen.query_one("#audit-empty", PlainLabel).display
            await type_line(pilot, "/", "abort")
            assert table.row_count == 1
            await type_line(pilot, "/", "nothing-like-this")
            assert table.row_count == 0
            empty = console.screen.query_one("#audit-empty", PlainLabel)
            assert empty.display and "matches /nothing-like-this" in str(empty.render())


class TestPalette:
    @pytest.mark.asyncio
    async def test_palette_offers_line_commands_with_current_arguments(self, console: RolldeckApp) -> None:
        async with console.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+p")
            await pilot.pause()
            focused = console.focused
            assert focused is not None
            focused.post_message(events.Paste(":ctx prod-us-east-2"))  # a terminal paste into the search box
            await palette_highlights(pilot, ":ctx prod-us-east-2")
            await pilot.press("enter")
            await pilot_until(pilot, lambda: console.scope.context == "prod-us-east-2", "the palette's :ctx to run")
