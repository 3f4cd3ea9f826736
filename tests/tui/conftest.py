"""Shared fixtures for console tests: the real simulator, paused at a fixed instant, and a console on it
that the test samples by hand (``helpers.sample``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rolldeck.console.app import RolldeckApp
from rolldeck.simulator.backend import SimulatorBackend

from .helpers import NORMAL, console_app, paused_backend


@pytest.fixture
def backend() -> SimulatorBackend:
    return paused_backend()


@pytest.fixture
def audit_path(tmp_path: Path) -> Path:
    return tmp_path / "audit.jsonl"


@pytest.fixture
def console(backend: SimulatorBackend, audit_path: Path) -> RolldeckApp:
    """Normal confirmation: no context is protected (the default config protects prod-*)."""
    return console_app(backend, audit_path=audit_path, actor="alice", config=NORMAL)


@pytest.fixture
def protected_console(backend: SimulatorBackend, audit_path: Path) -> RolldeckApp:
    """The default config: every prod-* context is protected, so Apply waits for the typed name."""
    return console_app(backend, audit_path=audit_path, actor="alice")


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Never read the developer's own ~/.config/rolldeck/config.yaml from a test.
    monkeypatch.setenv("ROLLDECK_CONFIG", str(tmp_path / "no-such-config.yaml"))
