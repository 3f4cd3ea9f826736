"""Shared fixtures for console tests: the real simulator, paused at a fixed instant, built by the factory."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.app import RolldeckApp, make_app
from simulator.backend import SimulatorBackend

from .helpers import WALL_CLOCK, paused_backend


@pytest.fixture
def backend() -> SimulatorBackend:
    return paused_backend()


@pytest.fixture
def audit_path(tmp_path: Path) -> Path:
    return tmp_path / "audit.jsonl"


@pytest.fixture
def console(backend: SimulatorBackend, audit_path: Path) -> RolldeckApp:
    return make_app(backend, audit_path=audit_path, actor="alice", wall_clock=lambda: WALL_CLOCK)
