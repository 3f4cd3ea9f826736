"""Layers hold: the engine core imports no textual, simpy or kubernetes_asyncio; the simulator never
imports the console. Checked at run time in a fresh interpreter, deferred imports included."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

from rolldeck import engine

FORBIDDEN_FOR_ENGINE = ("textual", "simpy", "kubernetes_asyncio", "rolldeck.console", "rolldeck.simulator")
FORBIDDEN_FOR_SIMULATOR = ("textual", "rolldeck.console")


def _loaded_after_import(modules: list[str]) -> set[str]:
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return set(json.loads(out))


def _engine_core_modules() -> list[str]:
    names = ["rolldeck.engine"]
    for info in pkgutil.iter_modules(engine.__path__):
        if info.name != "kube":  # the Kubernetes adapter is allowed its client library
            names.append(f"rolldeck.engine.{info.name}")
    return names


def _top(name: str) -> str:
    """The top-level package, or the layer for rolldeck's own modules (``rolldeck.console``)."""
    parts = name.split(".")
    return ".".join(parts[:2]) if parts[0] == "rolldeck" and len(parts) > 1 else parts[0]


def test_engine_core_imports_no_ui_simulator_or_kubernetes_client():
    modules = _engine_core_modules()
    assert "rolldeck.engine.operator" in modules and "rolldeck.engine.plans" in modules
    loaded = {_top(m) for m in _loaded_after_import(modules)}
    assert not loaded & set(FORBIDDEN_FOR_ENGINE), loaded & set(FORBIDDEN_FOR_ENGINE)


def test_simulator_never_imports_the_console():
    from rolldeck import simulator

    modules = ["rolldeck.simulator"] + [f"rolldeck.simulator.{i.name}" for i in pkgutil.iter_modules(simulator.__path__)]
    assert "rolldeck.simulator.backend" in modules and "rolldeck.simulator.drill" in modules
    loaded = {_top(m) for m in _loaded_after_import(modules)}
    assert "simpy" in loaded  # sanity: the probe really imported the simulator
    assert not loaded & set(FORBIDDEN_FOR_SIMULATOR), loaded & set(FORBIDDEN_FOR_SIMULATOR)


def test_headless_commands_do_not_load_textual():
    loaded = _loaded_after_import(["rolldeck.console.cli"])
    assert "textual" not in {_top(m) for m in loaded}


def test_code_imports_rolldeck_names_only():
    """``from engine…`` would work in the tree (the checkout is on sys.path) and break in a wheel."""
    import re
    from pathlib import Path

    root = Path(__file__).parents[1]
    bare = re.compile(r"^\s*(from|import) (engine|console|simulator|scenarios)\b", re.MULTILINE)
    offenders = [
        str(path.relative_to(root))
        for folder in ("console", "engine", "simulator", "tests", "bench", "docs")
        for path in (root / folder).rglob("*.py")
        if bare.search(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"import through the rolldeck namespace: {offenders}"
