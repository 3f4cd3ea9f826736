"""Render the docs' screenshots: the console on simulated scenarios, driven by Pilot.

    .venv/bin/python docs/screenshots/render.py      # or: make screenshots

Textual exports SVG; ``rsvg-convert`` (Debian's librsvg2-bin) turns it into PNG. Install Debian's
fonts-firacode for the exact glyphs. Simulators are paused at fixed simulated times and driven
headless before the UI opens, so the pictures are reproducible.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
from pathlib import Path

from rolldeck.console.app import RolldeckApp
from rolldeck.console.compose import fast_forward, simulated_console, simulator
from rolldeck.console.config import ConsoleConfig
from rolldeck.console.screenshots import svg_keeping_spaces
from rolldeck.console.widgets.charts import VersionCharts
from rolldeck.simulator.library import load_scenario

HERE = Path(__file__).parent
SIZE = (150, 42)
TALL = (150, 60)
WALL_CLOCK = 1_790_000_000.0


def console(scenario_name: str, *, autopilot: bool = False, audit: Path | None = None, **options: object) -> RolldeckApp:
    backend = simulator(load_scenario(scenario_name), paused=True, autopilot=autopilot)
    return simulated_console(backend, briefing=False, audit_path=audit, wall_clock=lambda: WALL_CLOCK, **options)


async def settle(pilot, app: RolldeckApp) -> None:  # type: ignore[no-untyped-def]
    """Wait for charts to show the newest sample, and for toasts to go."""
    for _ in range(60):
        charts = app.screen.query(VersionCharts)
        if all(c.drawn_generation == app.history.generation for c in charts):
            break
        await pilot.pause(0.1)
    app.clear_notifications()
    await pilot.pause(0.2)


async def select(pilot, app: RolldeckApp, cluster: str, name: str) -> None:  # type: ignore[no-untyped-def]
    table = app.screen.query_one("#fleet-table")
    index = table.get_row_index(f"{cluster}/{name}")  # type: ignore[attr-defined]
    delta = index - table.cursor_row  # type: ignore[attr-defined]
    await pilot.press(*(["down"] * delta if delta > 0 else ["up"] * -delta))


async def render() -> list[Path]:
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        # The default fleet 7½ minutes in: canaries mid-step, search switched, catalog waiting.
        app = console("fleet-default", audit=Path(tmp) / "audit.jsonl")  # the default config: prod-* is protected
        await fast_forward(app, 7 * 60 + 30)
        async with app.run_test(size=TALL) as pilot:
            await settle(pilot, app)
            written.append(save(app, "fleet"))
            await select(pilot, app, "prod-eu-west-1", "payments")
            await pilot.press("right_square_bracket", *"paym")  # the name box has focus in prod
            await pilot.pause(0.3)
            written.append(save(app, "confirm"))
            await pilot.press(*"ents", "enter")  # typed in full: applied
            await app.workers.wait_for_complete()
            await fast_forward(app, 8 * 60)
            await select(pilot, app, "prod-eu-west-1", "checkout")  # its canary regressed at 6m
            await pilot.press("enter")
            await settle(pilot, app)
            written.append(save(app, "release"))
            await pilot.press("escape", "colon", *"clusters", "enter")
            await pilot.pause(0.3)
            written.append(save(app, "clusters"))

        # A bad canary with no autopilot: the console's own judge puts it in the attention queue.
        app = console("canary-5xx", config=ConsoleConfig(protected=[]))
        await fast_forward(app, 300)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            written.append(save(app, "attention"))

        # The autopilot walking a healthy canary: plan, countdown, evidence meter, its audit trail.
        app = console("canary-healthy", autopilot=True, config=ConsoleConfig(protected=[]))
        await fast_forward(app, 300)
        async with app.run_test(size=TALL) as pilot:
            await pilot.press("enter")
            await settle(pilot, app)
            written.append(save(app, "autopilot"))
    return written


def save(app: RolldeckApp, name: str) -> Path:
    svg = svg_keeping_spaces(app.export_screenshot(title="rolldeck"))  # librsvg keeps every column
    svg_path = HERE / f"{name}.svg"
    svg_path.write_text(svg)
    png_path = HERE / f"{name}.png"
    converter = shutil.which("rsvg-convert")
    if converter is None:
        raise SystemExit("rsvg-convert not found: apt-get install librsvg2-bin")
    subprocess.run([converter, "-o", str(png_path), str(svg_path)], check=True)
    svg_path.unlink()
    return png_path


if __name__ == "__main__":
    for path in asyncio.run(render()):
        print(path)
