"""Hostile input, markup (issue 11 item 2): no text from data, config or a server is read as markup.

Textual reads a ``str`` given to a label, a table cell, a palette prompt or a toast as content markup;
``[/x]`` is then a closing tag with nothing open and the console ends with a MarkupError. Each case
drives the real console with Pilot and checks it is still running and shows the text as typed.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from textual.widgets import Label
from textual.widgets._toast import Toast

from rolldeck.console.app import RolldeckApp
from rolldeck.console.config import ConsoleConfig
from rolldeck.console.screens.clusters import ClustersTable
from rolldeck.console.widgets.attention_table import AttentionTable
from rolldeck.engine.model import ClusterHealth, Phase
from rolldeck.simulator.backend import SimulatorBackend

from .fake_backend import FakeBackend, default_fleet
from .helpers import NORMAL, console_app, sample, toasts, type_line

SIZE = (140, 40)
HOSTILE = "[/x]"


def shown(app: RolldeckApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Label).render())


def toasts_shown(app: RolldeckApp) -> list[str]:
    return [str(toast.render()) for toast in app.screen.query(Toast)]


def table_text(table: object) -> str:
    from textual.widgets import DataTable

    assert isinstance(table, DataTable)
    return " ".join(str(cell) for row in range(table.row_count) for cell in table.get_row_at(row))


class TestCommandLine:
    @pytest.mark.asyncio
    async def test_an_unknown_context_in_brackets_is_refused_as_typed(self, console: RolldeckApp) -> None:
        async with console.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            await type_line(pilot, ":", f"ctx {HOSTILE}")
            await sample(pilot)
            assert console.is_running
            assert toasts(console)[-1].message.startswith(f"no context '{HOSTILE}'")
            assert any(f"no context '{HOSTILE}'" in text for text in toasts_shown(console))

    @pytest.mark.asyncio
    async def test_a_namespace_in_brackets_shows_in_the_header_as_typed(self, console: RolldeckApp) -> None:
        async with console.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            await type_line(pilot, ":", f"ns {HOSTILE}")
            await sample(pilot)
            assert console.is_running
            assert shown(console, "#scope") == f"ctx all · ns {HOSTILE}"

    @pytest.mark.asyncio
    async def test_a_filter_with_brackets_shows_as_typed(self, console: RolldeckApp) -> None:
        async with console.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            await type_line(pilot, "/", "[/x]y")  # a valid regex: a character class, then y
            await sample(pilot)
            assert console.is_running
            assert shown(console, "#filter-marker") == "/[/x]y"


class TestDataAndConfig:
    @pytest.mark.asyncio
    async def test_a_briefing_that_mentions_a_path_in_brackets(self, backend: SimulatorBackend) -> None:
        briefing = "Check [/spec/x] and [bold]this[/bold] before you start."
        app = console_app(backend, config=NORMAL, briefing=briefing)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            await sample(pilot)
            assert app.is_running
            # The briefing panel (screens/briefing.py) shows it as typed.
            assert "[/spec/x] and [bold]this[/bold]" in app.export_screenshot().replace("&#160;", " ")

    @pytest.mark.asyncio
    async def test_remapped_keys_from_the_config_show_in_help_as_written(self, backend: SimulatorBackend) -> None:
        app = console_app(backend, config=ConsoleConfig(protected=[], keys={"abort": "a,[/x]"}))
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            await pilot.press("question_mark")
            await pilot.pause()
            assert app.is_running
            assert "a [/x]" in app.export_screenshot().replace("&#160;", " ")


class TestServerText:
    @pytest.mark.asyncio
    async def test_server_messages_with_brackets_in_the_queue_the_clusters_view_and_toasts(self, tmp_path: Path) -> None:
        canary, blue_green = default_fleet()
        degraded = replace(canary, phase=Phase.DEGRADED, message=f"admission webhook said {HOSTILE}[red]no[/red]")
        health = {blue_green.cluster: ClusterHealth(reachable=False, error=f"500: {HOSTILE} refused")}
        backend = FakeBackend([degraded, blue_green], health=health)
        app = console_app(backend, audit_path=tmp_path / "audit.jsonl", config=NORMAL)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            await sample(pilot)
            queue = table_text(app.screen.query_one(AttentionTable))
            assert f"admission webhook said {HOSTILE}[red]no[/red]" in queue
            assert f"500: {HOSTILE} refused" in queue
            await type_line(pilot, ":", "clusters")
            await sample(pilot)
            assert f"500: {HOSTILE} refused" in table_text(app.screen.query_one(ClustersTable))
            app.notify(f"failed: {HOSTILE}", severity="error")  # what execute_plan does with a backend's error
            await pilot.pause()
            assert app.is_running
            assert any(f"failed: {HOSTILE}" in text for text in toasts_shown(app))


def test_every_text_widget_in_the_console_is_a_plain_one() -> None:
    """The mechanism: Label and Static (which read a str as markup) are built only as PlainLabel and
    PlainStatic (``console/widgets/plain.py``); a new screen cannot forget."""
    import re

    import rolldeck.console

    root = Path(rolldeck.console.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "plain.py":
            continue
        source = path.read_text()
        imported = re.findall(r"^from textual\.widgets import (.+)$", source, re.M)
        names = {name.strip() for line in imported for name in line.split(",")}
        if names & {"Label", "Static"}:
            offenders.append(path.relative_to(root).as_posix())
    assert offenders == []
