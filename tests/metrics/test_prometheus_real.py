"""The Prometheus source against a real Prometheus (Debian's package) scraping an exporter we run.

Prometheus scrapes every second; every series starts at 0 and then steps once by a known batch. For
a counter whose first sample in the window is 0, ``increase()`` does not extrapolate towards the
window's start, and it extrapolates towards the end by the same factor for every series of one
scrape target (they share sample timestamps). So every count must equal the emitted count times one
common factor f ≥ 1 (≤ 1 + 1.1 scrape interval / sampled span), and the quantiles, which are
scale-free, must match exactly. Docs: https://prometheus.io/docs/prometheus/latest/querying/functions/#increase
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from rolldeck.engine.buckets import DEFAULT_LE_BOUNDS, histogram_quantile
from rolldeck.engine.metrics import ErrorKind, MetricsError, MetricsTarget, PrometheusSource, TemplateSet
from tests.metrics.exporter import ISTIO_MS, Batch, Exporter
from tests.waiting import poll_until
from tests.child_processes import die_with_parent, free_port

PROMETHEUS = Path("/usr/bin/prometheus")

DURATIONS = (0.003, 0.007, 0.02, 0.04, 0.07, 0.15, 0.3, 0.45, 0.7, 1.2)


def _batch(n: int, errors: int, slow_every: int) -> Batch:
    requests = []
    for i in range(n):
        status = 503 if i < errors else 200
        duration = DURATIONS[8 + i % 2] if i % slow_every == 0 else DURATIONS[i % 8]
        requests.append((status, duration))
    return Batch(tuple(requests))


BATCHES = {"stable": _batch(2000, 4, 100), "canary": _batch(400, 8, 10)}




def _wait_for(what: str, check, process: subprocess.Popen, log: Path) -> None:
    """Poll Prometheus (a separate process that scrapes on its own clock) until ``check`` holds."""
    try:
        poll_until(check, f"Prometheus: {what}", alive=lambda: process.poll() is None, ignore=(httpx.HTTPError,))
    except AssertionError as error:
        pytest.fail(f"{error}; log tail:\n{log.read_text()[-2000:]}")


def _value(client: httpx.Client, query: str) -> float | None:
    result = client.get("/api/v1/query", params={"query": query}).json()["data"]["result"]
    return float(result[0]["value"][1]) if result else None


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    """A real Prometheus on 127.0.0.1 that has scraped the exporter before and after one step."""
    if not PROMETHEUS.exists():
        pytest.skip("prometheus binary not installed: .ci/run installs Debian's prometheus")
    tmp = tmp_path_factory.mktemp("prometheus")
    exporter = Exporter(["stable", "canary"])
    exporter.start()
    port = free_port()
    config = tmp / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        "scrape_configs:\n  - job_name: exporter\n    static_configs:\n"
        f"      - targets: ['127.0.0.1:{exporter.port}']\n"
    )
    log = tmp / "prometheus.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [str(PROMETHEUS), f"--config.file={config}", f"--storage.tsdb.path={tmp / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            preexec_fn=die_with_parent if sys.platform == "linux" else None,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=2.0) as client:
            _wait_for("ready", lambda: client.get("/-/ready").status_code == 200, process, log)
            # At least three scrapes of the all-zero series, so the window starts from 0.
            zeros = 'count_over_time(http_requests_total{version="canary",status="200"}[1m])'
            _wait_for("three scrapes", lambda: (_value(client, zeros) or 0) >= 3, process, log)
            exporter.emit(BATCHES)
            total = sum(b.n for b in BATCHES.values())
            _wait_for("the step", lambda: _value(client, "sum(http_requests_total)") == total, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        exporter.stop()


def _check_counts(result, bounds: tuple[float, ...], le_bounds_s: tuple[float, ...]) -> float:
    assert isinstance(result, dict), result
    # The common extrapolation factor, from an unrounded count.
    factor = result["stable"].cumulative[-1] / BATCHES["stable"].n
    assert 1.0 <= factor <= 1.5, factor
    for version, batch in BATCHES.items():
        signals = result[version]
        assert signals.bounds == pytest.approx(bounds, rel=1e-12)
        assert signals.window_s == 60
        assert abs(signals.requests - batch.n * factor) <= 1, (version, signals.requests, batch.n, factor)
        assert abs(signals.errors - batch.errors * factor) <= 1, (version, signals.errors, batch.errors)
        assert abs(signals.slow - batch.slower_than(0.5) * factor) <= 1, (version, signals.slow)
        expected = tuple(c * factor for c in batch.cumulative(le_bounds_s))
        assert signals.cumulative == pytest.approx(expected, rel=1e-9, abs=1e-9)
        # Quantiles don't depend on the common factor: identical to the emitted histogram's.
        true_p99 = histogram_quantile(0.99, bounds, batch.cumulative(le_bounds_s))
        assert signals.p99 == pytest.approx(true_p99, rel=1e-9)
    return factor


@pytest.mark.asyncio
async def test_app_metrics_match_the_exporter(prometheus):
    target = MetricsTarget(
        {v: {"app": "shop", "version": v} for v in BATCHES}, templates="app", window_s=60, slo_latency_s=0.5
    )
    async with PrometheusSource(prometheus, timeout_s=30) as source:
        result = await source.fetch(target)
    _check_counts(result, DEFAULT_LE_BOUNDS, DEFAULT_LE_BOUNDS)
    assert result["canary"].errors >= 8 and result["canary"].slow >= 40  # the emitted shape, roughly


@pytest.mark.asyncio
async def test_istio_metrics_match_the_exporter_in_seconds(prometheus):
    target = MetricsTarget(
        {v: {"destination_workload": f"shop-{v}", "destination_workload_namespace": "shop"} for v in BATCHES},
        templates="istio",
        window_s=60,
    )
    async with PrometheusSource(prometheus, timeout_s=30) as source:
        result = await source.fetch(target)
    seconds = tuple(ms / 1000 for ms in ISTIO_MS)
    # The source proxy reports every request too; reporter="destination" must keep them single.
    _check_counts(result, seconds, seconds)
    assert 0.5 in result["canary"].bounds


@pytest.mark.asyncio
async def test_unknown_workload_is_no_data(prometheus):
    target = MetricsTarget({"stable": {"destination_workload": "shop-stable"}, "canary": {"destination_workload": "nope"}})
    async with PrometheusSource(prometheus, timeout_s=30) as source:
        result = await source.fetch(target)
    assert isinstance(result, MetricsError) and result.kind is ErrorKind.NO_DATA
    assert "canary requests" in result.reason


@pytest.mark.asyncio
async def test_threshold_off_the_bounds_and_bad_promql_are_errors(prometheus):
    async with PrometheusSource(prometheus, timeout_s=30) as source:
        off = await source.fetch(MetricsTarget({"canary": {"version": "canary"}}, templates="app", slo_latency_s=0.3))
        broken = TemplateSet("broken", requests="sum(increase(http_requests_total{$selector}[$window])",
                             errors="e", buckets="b")
        bad = await source.fetch(MetricsTarget({"canary": {"version": "canary"}}, templates=broken))
    assert isinstance(off, MetricsError) and off.kind is ErrorKind.CONFIG, off
    assert isinstance(bad, MetricsError) and bad.kind is ErrorKind.QUERY, bad
    assert "bad_data" in bad.reason and "parse error" in bad.reason and "\n" not in bad.reason
