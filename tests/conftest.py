"""Shared fixtures: scenarios from the library and a paused simulator backend."""

from __future__ import annotations

import pytest

from rolldeck.engine.model import Owner
from rolldeck.simulator.backend import SimulatorBackend
from rolldeck.simulator.library import load_scenario
from rolldeck.simulator.scenario import Scenario

# The fake Kubernetes API server's fixtures (fake_cluster, fake_clusters, start_fake_clusters).
pytest_plugins = ["tests.fakekube.plugin"]


@pytest.fixture
def fleet_backend() -> SimulatorBackend:
    return SimulatorBackend(load_scenario("fleet-default"), paused=True)


@pytest.fixture
def canary_5xx_backend() -> SimulatorBackend:
    return SimulatorBackend(load_scenario("canary-5xx"), paused=True)


def manual_canary(scenario: Scenario, name: str, weight: int) -> Scenario:
    """The scenario with release ``name`` as a plain Deployment pair behind a route (owner
    unmanaged) at ``weight`` percent: the owner rule then allows manual weights on it."""
    releases = [
        r.model_copy(update={"owner": Owner.UNMANAGED, "steps": [], "weight": weight}) if r.name == name else r
        for r in scenario.releases
    ]
    return scenario.model_copy(update={"releases": releases})


@pytest.fixture
def manual_5xx_backend() -> SimulatorBackend:
    """canary-5xx with checkout on a hand-made route at 10 % (weights by hand)."""
    return SimulatorBackend(manual_canary(load_scenario("canary-5xx"), "checkout", 10), paused=True)
