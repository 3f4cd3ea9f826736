"""Layers hold: the engine core imports no textual, simpy or kubernetes_asyncio; the simulator never
imports the console. Checked at run time in a fresh interpreter, deferred imports included."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import engine

FORBIDDEN_FOR_ENGINE = ("textual", "simpy", "kubernetes_asyncio", "console", "simulator")
FORBIDDEN_FOR_SIMULATOR = ("textual", "console")


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
    names = ["engine"]
    for info in pkgutil.iter_modules(engine.__path__):
        if info.name != "kube":  # the Kubernetes adapter is allowed its client library
            names.append(f"engine.{info.name}")
    return names


def _top(name: str) -> str:
    return name.split(".")[0]


def test_engine_core_imports_no_ui_simulator_or_kubernetes_client():
    modules = _engine_core_modules()
    assert "engine.operator" in modules and "engine.plans" in modules
    loaded = {_top(m) for m in _loaded_after_import(modules)}
    assert not loaded & set(FORBIDDEN_FOR_ENGINE), loaded & set(FORBIDDEN_FOR_ENGINE)


def test_simulator_never_imports_the_console():
    import simulator

    modules = ["simulator"] + [f"simulator.{i.name}" for i in pkgutil.iter_modules(simulator.__path__)]
    assert "simulator.backend" in modules and "simulator.drill" in modules
    loaded = {_top(m) for m in _loaded_after_import(modules)}
    assert "simpy" in loaded  # sanity: the probe really imported the simulator
    assert not loaded & set(FORBIDDEN_FOR_SIMULATOR), loaded & set(FORBIDDEN_FOR_SIMULATOR)


def test_headless_commands_do_not_load_textual():
    loaded = _loaded_after_import(["console.cli"])
    assert "textual" not in {_top(m) for m in loaded}
