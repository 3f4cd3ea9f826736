"""Start-up cost: `rolldeck --help` and the default scenario's first frame, against a bare interpreter.

Each measurement is a fresh process, as a user starts one; runs of the three kinds are interleaved so
that they share whatever load the machine has, and the report gives medians and the excess over
`python -c pass` (what rolldeck itself costs). The first frame is the console headless at 160×50 on
the default scenario, timed from spawn until the app has mounted, built its first frame and gone
idle. The heaviest imports of that path come from `-X importtime`.

    .venv/bin/python bench/startup.py [--runs 10] [--before DIR]

``--before DIR`` also measures another checkout of the project (e.g. `git archive OLD | tar -x -C DIR`),
interleaved with this one, through a link tree on PYTHONPATH (consulted before the editable
install's finder), so that a change is compared under the same load.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FOLDERS = ("console", "engine", "simulator", "scenarios")
FIRST_FRAME = """
import asyncio
from rolldeck.console.compose import simulated_console, simulator
from rolldeck.simulator.library import DEFAULT_SCENARIO, load_scenario

async def main() -> None:
    app = simulated_console(simulator(load_scenario(DEFAULT_SCENARIO)), briefing=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        print("first-frame", flush=True)

asyncio.run(main())
"""
HEAVY = ("textual", "numpy", "scipy.special", "pydantic", "simpy", "yaml", "plotext", "httpx", "kubernetes_asyncio")


def link_tree(checkout: Path) -> Path:
    root = Path(tempfile.mkdtemp(prefix="rolldeck-startup-"))
    (root / "rolldeck").mkdir()
    for folder in FOLDERS:
        (root / "rolldeck" / folder).symlink_to(checkout.resolve() / folder)
    return root


def timed(args: list[str], env: dict[str, str], marker: str | None = None) -> float:
    start = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
    elapsed = time.perf_counter() - start
    if result.returncode != 0 or (marker is not None and marker not in result.stdout):
        raise SystemExit(f"startup bench: {' '.join(args[:3])} failed: {result.stderr.strip()[-400:]}")
    return elapsed


def heaviest_imports(env: dict[str, str]) -> list[tuple[str, float]]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", FIRST_FRAME], capture_output=True, text=True, env=env, timeout=300
    )
    cumulative: dict[str, float] = {}
    for line in result.stderr.splitlines():
        found = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if found and found[3] in HEAVY + ("rolldeck.console.app", "rolldeck.simulator.backend", "rolldeck.engine.judge"):
            cumulative[found[3]] = int(found[1]) / 1000.0
    return sorted(cumulative.items(), key=lambda item: -item[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--before", type=Path, help="another checkout to measure, interleaved with this one")
    args = parser.parse_args()
    trees = {"this checkout": dict(os.environ)}
    if args.before is not None:
        trees[f"before ({args.before})"] = dict(os.environ, PYTHONPATH=str(link_tree(args.before)))
    kinds = {
        "python -c pass": ([sys.executable, "-c", "pass"], None),
        "rolldeck --help": ([sys.executable, "-m", "rolldeck.console", "--help"], None),
        "first frame (default scenario)": ([sys.executable, "-c", FIRST_FRAME], "first-frame"),
    }
    samples: dict[tuple[str, str], list[float]] = {(tree, kind): [] for tree in trees for kind in kinds}
    load_before = os.getloadavg()[0]
    for _ in range(args.runs):
        for tree, env in trees.items():
            for kind, (command, marker) in kinds.items():
                samples[tree, kind].append(timed(command, env, marker))
    load_after = os.getloadavg()[0]
    print(f"# start-up, {args.runs} interleaved runs each; {platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, load {load_before:.1f} → {load_after:.1f}")
    print("| tree | process | median | min | over `python -c pass` (median) |")
    print("|---|---|---:|---:|---:|")
    for (tree, kind), values in samples.items():
        median, base = statistics.median(values), statistics.median(samples[tree, "python -c pass"])
        print(f"| {tree} | {kind} | {median * 1000:.0f} ms | {min(values) * 1000:.0f} ms | {(median - base) * 1000:+.0f} ms |")
    for tree, env in trees.items():
        imports = heaviest_imports(env)
        print(f"\n{tree}: heaviest imports on the first-frame path (cumulative, one run):",
              ", ".join(f"{name} {ms:.0f} ms" for name, ms in imports))
        print("  not imported before the first frame:", ", ".join(m for m in HEAVY if m not in dict(imports)) or "none")


if __name__ == "__main__":
    main()
