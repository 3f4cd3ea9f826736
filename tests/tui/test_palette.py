"""The palette: rolldeck's commands first, Textual's built-ins grouped after; a remapped key shows
as remapped; Screenshot saves into the configured folder (no ~/Downloads needed) and says where."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette

from rolldeck.console.app import RolldeckApp
from rolldeck.console.config import ConsoleConfig
from rolldeck.simulator.backend import SimulatorBackend
from tests.waiting import pilot_until

from .helpers import console_app, palette_highlights, toasts

SIZE = (140, 40)
BUILTINS = {"Theme", "Quit", "Keys", "Screenshot", "Maximize", "Minimize"}


def palette_prompts(app: RolldeckApp) -> list[str]:
    hits = app.screen.query_one(CommandList)
    return [str(hits.get_option_at_index(i).prompt).splitlines()[0] for i in range(hits.option_count)]


async def palette_searched(pilot, app: RolldeckApp, query: str) -> list[str]:  # type: ignore[no-untyped-def]
    await pilot.press("ctrl+p")
    await pilot_until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
    if query:
        await pilot.press(*query)

    def settled() -> list[str] | None:
        screen = app.screen
        if not isinstance(screen, CommandPalette) or any(w.node is screen and not w.is_finished for w in app.workers):
            return None
        prompts = palette_prompts(app)
        return prompts if prompts else None

    return await pilot_until(pilot, settled, f"the palette's hits for {query!r}")


def first_builtin(prompts: list[str]) -> int:
    return next(i for i, prompt in enumerate(prompts) if prompt.strip() in BUILTINS)


class TestPaletteOrder:
    @pytest.mark.asyncio
    async def test_opened_empty_the_apps_commands_come_first_then_textuals(self, console: RolldeckApp) -> None:
        async with console.run_test(size=SIZE) as pilot:
            await pilot.pause()
            prompts = await palette_searched(pilot, console, "")
            split = first_builtin(prompts)
            assert split > 5 and prompts[0].startswith(("step", "promote", "help", "back", "open", "command"))
            assert all(prompt.strip() in BUILTINS for prompt in prompts[split:])  # grouped: nothing of ours after

    @pytest.mark.asyncio
    async def test_searched_the_apps_hits_rank_above_the_builtins(self, console: RolldeckApp) -> None:
        async with console.run_test(size=SIZE) as pilot:
            await pilot.pause()
            prompts = await palette_searched(pilot, console, "t")  # matches Theme, Quit, Screenshot and ours
            split = first_builtin(prompts)
            assert split > 0
            assert all(prompt.strip() in BUILTINS for prompt in prompts[split:]), prompts[split:]


class TestRemappedKeys:
    @pytest.mark.asyncio
    async def test_the_palette_shows_the_key_from_the_config(self, backend: SimulatorBackend) -> None:
        app = console_app(backend, config=ConsoleConfig(protected=[], keys={"abort": "x"}))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await palette_searched(pilot, app, "abort")
            await palette_highlights(pilot, "abort")
            hits = app.screen.query_one(CommandList)
            prompt = str(hits.get_option_at_index(hits.highlighted or 0).prompt)
            assert "[x]" in prompt and "[a]" not in prompt


class TestScreenshot:
    @pytest.mark.asyncio
    async def test_saved_into_the_configured_folder_and_the_path_is_shown(
        self, backend: SimulatorBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("HOME", str(tmp_path / "home-without-downloads"))
        folder = tmp_path / "shots" / "rolldeck"  # missing: created
        app = console_app(backend, config=ConsoleConfig(protected=[], screenshot_dir=str(folder)))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await palette_searched(pilot, app, "screenshot")
            await palette_highlights(pilot, "Screenshot")
            await pilot.press("enter")
            saved = await pilot_until(pilot, lambda: list(folder.glob("*.svg")), "the screenshot file")
            assert len(saved) == 1
            svg = saved[0].read_text()
            assert "rolldeck" in svg and "CommandPalette" not in svg
            # Padding as plain preserved spaces: librsvg (rsvg-convert, Linux image viewers) drops
            # no-break spaces after a styled span and ran cells together ("Progressing25%").
            assert "&#160;" not in svg and '<svg xml:space="preserve" ' in svg
            shown = [t.message for t in toasts(app) if t.title == "screenshot"]
            assert shown == [f"screenshot saved: {saved[0]}"]

    @pytest.mark.asyncio
    async def test_by_default_the_folder_rolldeck_started_in(self, backend: SimulatorBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)
        app = console_app(backend, config=ConsoleConfig(protected=[]))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await palette_searched(pilot, app, "screenshot")
            await palette_highlights(pilot, "Screenshot")
            await pilot.press("enter")
            saved = await pilot_until(pilot, lambda: list(tmp_path.glob("*.svg")), "the screenshot file")
            assert [t.message for t in toasts(app) if t.title == "screenshot"] == [f"screenshot saved: {saved[0]}"]
