"""pytest fixtures: `fake_cluster`, `fake_clusters`, `start_fake_clusters` (registered from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from .cluster import ClusterSpec, FakeCluster, FakeFleet
from .resources import ALL_CRDS


def default_specs() -> list[ClusterSpec]:
    """kind-eu: plain http, every CRD set. kind-us: https (trustme CA), Istio v1beta1 + Argo Rollouts only."""
    return [
        ClusterSpec("eu", crds=ALL_CRDS),
        ClusterSpec("us", crds={"istio-v1beta1", "argo-rollouts"}, tls=True),
    ]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fakekube(*specs): ClusterSpec objects (or names) for the fake_clusters fixture")


@pytest_asyncio.fixture
async def fake_clusters(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[FakeFleet]:
    marker = request.node.get_closest_marker("fakekube")
    specs = list(marker.args) if marker and marker.args else default_specs()
    fleet = await FakeFleet.start(specs, tmp_path / "fakekube")
    try:
        yield fleet
    finally:
        await fleet.stop()


@pytest_asyncio.fixture
async def fake_cluster(tmp_path: Path) -> AsyncIterator[FakeCluster]:
    cluster = FakeCluster(ClusterSpec("test"), workdir=tmp_path / "fakekube")
    await cluster.start()
    try:
        yield cluster
    finally:
        await cluster.stop()


@pytest_asyncio.fixture
async def start_fake_clusters(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[FakeFleet]]]:
    fleets: list[FakeFleet] = []

    async def start(*specs: ClusterSpec | str) -> FakeFleet:
        fleet = await FakeFleet.start(specs, tmp_path / f"fakekube-{len(fleets)}")
        fleets.append(fleet)
        return fleet

    try:
        yield start
    finally:
        for fleet in fleets:
            await fleet.stop()
