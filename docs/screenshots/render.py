"""Render the README's screenshots: the console on the default scenario, driven by Pilot.

    .venv/bin/python docs/screenshots/render.py      # or: make screenshots

Textual exports SVG; ``rsvg-convert`` (Debian's librsvg2-bin) turns it into PNG. Install Debian's
fonts-firacode for the exact glyphs. The simulator is paused at a fixed simulated time, so the
pictures are reproducible.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
from pathlib import Path

from console.app import make_app
from simulator.backend import SimulatorBackend
from simulator.library import load_scenario

HERE = Path(__file__).parent
SIZE = (150, 42)


async def render() -> list[Path]:
    backend = SimulatorBackend(load_scenario("fleet-default"), paused=True)
    backend.run_until(7 * 60 + 30)  # canaries mid-step, search switched, catalog waiting
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(backend, audit_path=Path(tmp) / "audit.jsonl", actor="alice", wall_clock=lambda: 0.0)
        written = []
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause(0.6)
            written.append(_save(app.export_screenshot(title="rolldeck"), "fleet"))
            await pilot.press("down")  # payments
            await pilot.press("right_square_bracket")
            await pilot.pause(0.3)
            written.append(_save(app.export_screenshot(title="rolldeck"), "confirm"))
            await pilot.press("escape")
            await pilot.press("enter")
            await pilot.pause(0.6)
            written.append(_save(app.export_screenshot(title="rolldeck"), "release"))
    return written


def _save(svg: str, name: str) -> Path:
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
