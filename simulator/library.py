"""The scenario library: YAML files shipped in the ``scenarios`` package, loadable by name."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from rolldeck.simulator.scenario import Scenario, ScenarioError, load_scenario_file, load_scenario_text

DEFAULT_SCENARIO = "fleet-default"


@dataclass(frozen=True)
class LibraryEntry:
    name: str
    title: str


def _library_files() -> dict[str, resources.abc.Traversable]:
    root = resources.files("rolldeck.scenarios")
    return {
        entry.name.removesuffix(".yaml"): entry
        for entry in root.iterdir()
        if entry.name.endswith(".yaml")
    }


def list_scenarios() -> list[LibraryEntry]:
    entries = []
    for name, entry in sorted(_library_files().items()):
        scenario = load_scenario_text(entry.read_text(), f"scenarios/{entry.name}")
        entries.append(LibraryEntry(name, scenario.title))
    return entries


def load_scenario(name_or_path: str) -> Scenario:
    """A library name (``canary-5xx``) or a path to a YAML file."""
    files = _library_files()
    if name_or_path in files:
        entry = files[name_or_path]
        return load_scenario_text(entry.read_text(), f"scenarios/{entry.name}")
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return load_scenario_file(path)
    known = ", ".join(sorted(files))
    raise ScenarioError([f"{name_or_path}: no such scenario file or library name (library: {known})"])
