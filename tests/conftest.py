"""Shared fixtures: scenarios from the library and a paused simulator backend."""

from __future__ import annotations

import pytest

from rolldeck.simulator.backend import SimulatorBackend
from rolldeck.simulator.library import load_scenario

# The fake Kubernetes API server's fixtures (fake_cluster, fake_clusters, start_fake_clusters).
pytest_plugins = ["tests.fakekube.plugin"]


@pytest.fixture
def fleet_backend() -> SimulatorBackend:
    return SimulatorBackend(load_scenario("fleet-default"), paused=True)


@pytest.fixture
def canary_5xx_backend() -> SimulatorBackend:
    return SimulatorBackend(load_scenario("canary-5xx"), paused=True)
