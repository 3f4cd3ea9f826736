from __future__ import annotations

import pytest_asyncio

from rolldeck.engine.metrics import PrometheusSource
from tests.metrics.stub_prometheus import StubPrometheus


@pytest_asyncio.fixture
async def stub():
    async with StubPrometheus() as server:
        yield server


@pytest_asyncio.fixture
async def source(stub):
    prometheus = PrometheusSource(stub.url, timeout_s=10.0)  # generous: only the timeout test wants a short one, and makes its own
    try:
        yield prometheus
    finally:
        await prometheus.aclose()
