"""The Prometheus source against a stub of the HTTP API over real HTTP: parsing, unit conversion,
slow counts from the threshold bucket, and every failure turned into a MetricsError."""

from __future__ import annotations

import asyncio
import logging

import pytest

from rolldeck.engine.buckets import DEFAULT_LE_BOUNDS, histogram_quantile
from rolldeck.engine.metrics import (
    BasicAuth,
    BearerToken,
    ErrorKind,
    MetricsError,
    MetricsTarget,
    PrometheusSource,
    SignalsSource,
)
from rolldeck.engine.model import Signals
from tests.metrics.stub_prometheus import TS, Reply, api_error, buckets, scalar, vector
from tests.waiting import HANG_GUARD_S

APP_TARGET = MetricsTarget(
    {"stable": {"app": "shop", "version": "stable"}, "canary": {"app": "shop", "version": "canary"}},
    templates="app",
    window_s=60,
    slo_latency_s=0.5,
)
CANARY = 'version="canary"'
STABLE = 'version="stable"'

# Cumulative counts per le (seconds), as `sum by (le) (increase(..._bucket[60s]))` returns them.
CANARY_LE = dict(zip([f"{b:g}" for b in DEFAULT_LE_BOUNDS] + ["+Inf"],
                     [0, 10, 100, 300, 600, 900, 980, 995, 1000, 1000, 1000, 1000]))
STABLE_LE = dict(zip([f"{b:g}" for b in DEFAULT_LE_BOUNDS] + ["+Inf"],
                     [5, 50, 400, 2000, 6000, 9000, 9950, 9990, 10000, 10000, 10000, 10000]))

ISTIO_MS = ["0.5", "1", "5", "10", "25", "50", "100", "250", "500", "1000", "2500", "5000", "10000",
            "30000", "60000", "300000", "600000", "1800000", "3600000"]


def healthy(stub) -> None:
    stub.version(CANARY, requests=1000.4, errors=12, le_counts=CANARY_LE)
    stub.version(STABLE, requests=9999.6, errors=None, le_counts=STABLE_LE)


def expect_error(result, kind: ErrorKind, *words: str) -> MetricsError:
    assert isinstance(result, MetricsError), result
    assert result.kind is kind, result
    assert "\n" not in result.reason and len(result.reason) <= 300
    for word in words:
        assert word in result.reason, result.reason
    return result


@pytest.mark.asyncio
async def test_app_templates_yield_signals_per_version(stub, source):
    healthy(stub)
    result = await source.fetch(APP_TARGET)
    assert isinstance(result, dict) and list(result) == ["stable", "canary"]
    canary, stable = result["canary"], result["stable"]
    assert (canary.requests, canary.errors, canary.slow) == (1000, 12, 20)  # slow = +Inf − le="0.5"
    assert (stable.requests, stable.errors, stable.slow) == (10000, 0, 50)  # no 5xx series: 0 errors
    assert canary.window_s == 60 and canary.bounds == DEFAULT_LE_BOUNDS
    assert canary.cumulative == tuple(float(v) for v in CANARY_LE.values())
    assert canary.p99 == histogram_quantile(0.99, DEFAULT_LE_BOUNDS, canary.cumulative)
    assert canary.p99 == pytest.approx(0.5 + 0.5 * (990 - 980) / (995 - 980))

    queries = [seen.params["query"] for seen in stub.seen]
    assert 'sum(increase(http_requests_total{app="shop",version="canary"}[60s]))' in queries
    assert 'sum(increase(http_requests_total{status=~"5..",app="shop",version="canary"}[60s]))' in queries
    assert 'sum by (le) (increase(http_request_duration_seconds_bucket{app="shop",version="canary"}[60s]))' in queries
    assert len(queries) == 6
    # The first answer's evaluation time pins every other query to the same instant.
    assert "time" not in stub.seen[0].params
    assert {seen.params["time"] for seen in stub.seen[1:]} == {f"{TS:.3f}"}
    assert all(seen.params["timeout"] == "10s" for seen in stub.seen)


@pytest.mark.asyncio
async def test_istio_buckets_in_milliseconds_become_seconds(stub, source):
    counts = [0, 0, 2, 10, 50, 200, 500, 800, 970, 990, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000]
    le_counts = dict(zip(ISTIO_MS + ["+Inf"], counts))
    stub.on("requests", 'destination_workload="shop-v2"', scalar(1000))
    stub.on("errors", 'destination_workload="shop-v2"', scalar(3))
    stub.on("buckets", 'destination_workload="shop-v2"', buckets(le_counts))
    target = MetricsTarget({"canary": {"destination_workload": "shop-v2", "destination_workload_namespace": "shop"}})
    result = await source.fetch(target)
    assert isinstance(result, dict), result
    canary = result["canary"]
    assert canary.bounds == tuple(float(ms) / 1000 for ms in ISTIO_MS)
    assert canary.bounds[8] == 0.5 and canary.bounds[0] == 0.0005
    assert canary.slow == 1000 - 970 and canary.errors == 3 and canary.requests == 1000
    assert canary.p99 == pytest.approx(histogram_quantile(0.99, canary.bounds, canary.cumulative))
    assert 0.5 < canary.p99 <= 1.0
    queries = {seen.kind: seen.params["query"] for seen in stub.seen}
    assert queries["buckets"] == (
        'sum by (le) (increase(istio_request_duration_milliseconds_bucket{reporter="destination",'
        'destination_workload="shop-v2",destination_workload_namespace="shop"}[60s]))'
    )
    assert 'response_code=~"5.."' in queries["errors"]


@pytest.mark.asyncio
async def test_slow_count_follows_the_threshold_bucket(stub, source):
    healthy(stub)
    result = await source.fetch(MetricsTarget(APP_TARGET.selectors, templates="app", slo_latency_s=0.25))
    assert isinstance(result, dict)
    assert result["canary"].slow == 1000 - 900 and result["stable"].slow == 10000 - 9000


@pytest.mark.asyncio
async def test_threshold_that_is_not_a_bound_is_a_config_error(stub, source):
    healthy(stub)
    result = await source.fetch(MetricsTarget(APP_TARGET.selectors, templates="app", slo_latency_s=0.3))
    expect_error(result, ErrorKind.CONFIG, "0.3s is not an le bound", "stable buckets")


@pytest.mark.asyncio
async def test_empty_requests_result_is_no_data_not_zero(stub, source):
    stub.version(STABLE, requests=500, errors=0, le_counts=STABLE_LE)  # the canary matches nothing
    result = await source.fetch(APP_TARGET)
    expect_error(result, ErrorKind.NO_DATA, "canary requests", "no data")


@pytest.mark.asyncio
async def test_first_query_empty_is_no_data(stub, source):
    result = await source.fetch(APP_TARGET)
    expect_error(result, ErrorKind.NO_DATA, "stable requests")
    assert len(stub.seen) == 1  # nothing else is asked once the first version has no series


@pytest.mark.asyncio
async def test_empty_histogram_is_no_data(stub, source):
    stub.on("requests", CANARY, scalar(10))
    stub.on("requests", STABLE, scalar(10))
    result = await source.fetch(APP_TARGET)
    expect_error(result, ErrorKind.NO_DATA, "stable buckets")


@pytest.mark.asyncio
async def test_real_zero_traffic_is_data(stub, source):
    # Series exist but nothing moved in the window (a 0 % canary): that is a true zero, not "no data".
    zero = dict.fromkeys(CANARY_LE, 0)
    stub.version(CANARY, requests=0, errors=None, le_counts=zero)
    stub.version(STABLE, requests=0, errors=None, le_counts=zero)
    result = await source.fetch(APP_TARGET)
    assert isinstance(result, dict)
    assert result["canary"] == Signals(window_s=60, requests=0, errors=0, slow=0, cumulative=(0.0,) * 12)
    assert not result["canary"].has_data


@pytest.mark.asyncio
async def test_503_with_html_body_is_an_http_error(stub, source):
    stub.on("requests", STABLE, Reply(status=503, body=b"<html>upstream\nconnect error</html>", content_type="text/html"))
    result = await source.fetch(APP_TARGET)
    error = expect_error(result, ErrorKind.HTTP, "HTTP 503 Service Unavailable", stub.url)
    assert "html" not in error.reason


@pytest.mark.asyncio
async def test_status_error_body_is_a_query_error(stub, source):
    stub.on("requests", STABLE, api_error(400, "bad_data", 'invalid parameter "query": 1:1: parse error:\nunexpected'))
    result = await source.fetch(APP_TARGET)
    expect_error(result, ErrorKind.QUERY, "Prometheus bad_data: invalid parameter", "stable requests")


@pytest.mark.asyncio
async def test_prometheus_query_timeout_is_a_timeout(stub, source):
    stub.on("requests", STABLE, api_error(503, "timeout", "query timed out in expression evaluation"))
    expect_error(await source.fetch(APP_TARGET), ErrorKind.TIMEOUT, "query timed out", "stable requests")


@pytest.mark.asyncio
async def test_status_error_on_a_later_query(stub, source):
    healthy(stub)
    stub.rules.insert(0, ("buckets", CANARY, api_error(422, "execution", "query processing would load too many samples")))
    result = await source.fetch(APP_TARGET)
    expect_error(result, ErrorKind.QUERY, "canary buckets", "too many samples")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (Reply(body=b"{not json"), ("not JSON",)),
        (Reply(document=["success"]), ("no success status",)),
        (Reply(document={"status": "success", "data": {"resultType": "matrix", "result": []}}), ("expected a vector",)),
        (Reply(document={"status": "success", "data": {"resultType": "vector", "result": [{"value": [1]}]}}), ("malformed",)),
        (vector([({}, "NaN")]), ("nan",)),
        (vector([({}, "+Inf")]), ("inf",)),
        (vector([({}, "-3")]), ("-3.0",)),
        (vector([({}, "twelve")]), ("malformed",)),
    ],
)
async def test_bad_answers_are_bad_response_errors(stub, source, reply, words):
    stub.on("requests", STABLE, reply)
    result = await source.fetch(APP_TARGET)
    expect_error(result, ErrorKind.BAD_RESPONSE, *words)


@pytest.mark.asyncio
async def test_histogram_without_inf_bucket_is_an_error(stub, source):
    healthy(stub)
    stub.rules.insert(0, ("buckets", STABLE, buckets({"0.5": 10, "1": 12})))
    expect_error(await source.fetch(APP_TARGET), ErrorKind.BAD_RESPONSE, "no +Inf bucket")


@pytest.mark.asyncio
async def test_duplicate_and_dipping_buckets_are_merged_and_made_monotonic(stub, source):
    stub.on("requests", CANARY, scalar(100))
    stub.on("buckets", CANARY, vector([
        ({"le": "0.5"}, 60), ({"le": "0.50"}, 30), ({"le": "1"}, 89.7), ({"le": "+Inf"}, 100.2), ({"le": "0.1"}, 40),
    ]))
    target = MetricsTarget({"canary": {"version": "canary"}}, templates="app")
    result = await source.fetch(target)
    assert isinstance(result, dict)
    canary = result["canary"]
    assert canary.bounds == (0.1, 0.5, 1.0)
    assert canary.cumulative == (40.0, 90.0, 90.0, 100.2)  # "0.5" + "0.50"; the 1 s dip lifted to 90
    assert canary.slow == 10 and canary.errors == 0


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", ["buckets", "requests"])
async def test_a_series_repeated_in_one_answer_is_an_error_not_double_counted(stub, source, kind):
    """Prometheus answers one sample per label set; the same le="0.5" (or counter) twice would be
    counted twice and could pass a bad canary, so the answer is refused (issue 11, item 10)."""
    healthy(stub)
    repeated = {"buckets": vector([({"le": "0.5"}, 10), ({"le": "0.5"}, 10), ({"le": "+Inf"}, 20)]),
                "requests": vector([({"pod": "a"}, 10), ({"pod": "a"}, 10)])}[kind]
    stub.rules.insert(0, (kind, CANARY, repeated))
    expect_error(await source.fetch(APP_TARGET), ErrorKind.BAD_RESPONSE, f"canary {kind}", "repeats the series")


@pytest.mark.asyncio
async def test_slow_server_times_out_within_the_bound(stub):
    # The stub holds the answer until it stops: only the source's own 0.3 s timeout can end the fetch.
    # The outer guard turns a timeout that does not work into a failure instead of a hung suite.
    stub.on("requests", STABLE, Reply(document={}, delay_s=3600))
    async with PrometheusSource(stub.url, timeout_s=0.3) as source:
        result = await asyncio.wait_for(source.fetch(APP_TARGET), HANG_GUARD_S)
    expect_error(result, ErrorKind.TIMEOUT, "timed out after 0.3s")


@pytest.mark.asyncio
async def test_connection_refused_is_unreachable(unused_tcp_port):
    async with PrometheusSource(f"http://127.0.0.1:{unused_tcp_port}", timeout_s=1) as source:
        result = await source.fetch(APP_TARGET)
    expect_error(result, ErrorKind.UNREACHABLE, "cannot connect", f"127.0.0.1:{unused_tcp_port}")


@pytest.mark.asyncio
async def test_bearer_token_is_sent_but_never_shown_or_logged(stub, caplog):
    token = "s3cr3t-token-value"
    stub.on("requests", STABLE, api_error(401, "unauthorized", f"bad token Bearer {token}"))
    caplog.set_level(logging.DEBUG)
    async with PrometheusSource(stub.url, auth=BearerToken(token), headers={"X-Scope-OrgID": "tenant-7"}) as source:
        result = await source.fetch(APP_TARGET)
        assert token not in repr(source)
    assert stub.seen[0].headers["Authorization"] == f"Bearer {token}"
    assert stub.seen[0].headers["X-Scope-OrgID"] == "tenant-7"
    error = expect_error(result, ErrorKind.QUERY)
    assert token not in error.reason and "***" in error.reason
    assert token not in caplog.text and "tenant-7" not in caplog.text
    assert token not in repr(BearerToken(token))


@pytest.mark.asyncio
async def test_basic_auth_and_401_without_body(stub, caplog):
    stub.on("requests", STABLE, Reply(status=401, body=b"Unauthorized", content_type="text/plain"))
    caplog.set_level(logging.DEBUG)
    async with PrometheusSource(stub.url + "/prom/", auth=BasicAuth("ops", "hunter2")) as source:
        result = await source.fetch(APP_TARGET)
    assert stub.seen == []  # the API root's path is kept: /prom/api/v1/query is not the stub's route
    expect_error(result, ErrorKind.HTTP, "HTTP 404")
    async with PrometheusSource(stub.url, auth=BasicAuth("ops", "hunter2")) as source:
        result = await source.fetch(APP_TARGET)
    assert stub.seen[0].headers["Authorization"] == "Basic b3BzOmh1bnRlcjI="
    error = expect_error(result, ErrorKind.HTTP, "HTTP 401", "credentials")
    assert "hunter2" not in error.reason and "hunter2" not in caplog.text
    assert "hunter2" not in repr(BasicAuth("ops", "hunter2"))


def test_credentials_in_the_url_are_refused():
    with pytest.raises(ValueError) as info:
        PrometheusSource("http://ops:hunter2@prom.example:9090")
    assert "hunter2" not in str(info.value)
    with pytest.raises(ValueError):
        PrometheusSource("ftp://prom.example")


@pytest.mark.asyncio
async def test_unexpected_bug_becomes_an_internal_error(stub, source, monkeypatch):
    healthy(stub)
    monkeypatch.setattr("rolldeck.engine.metrics.prometheus.build_signals", lambda **_: 1 / 0)
    expect_error(await source.fetch(APP_TARGET), ErrorKind.INTERNAL, "ZeroDivisionError")


@pytest.mark.asyncio
async def test_prometheus_source_implements_the_port_and_closes_twice():
    source = PrometheusSource("http://127.0.0.1:9")
    assert isinstance(source, SignalsSource)
    await source.aclose()
    await source.aclose()
    closed = await source.fetch(APP_TARGET)  # a closed source still answers, with an error
    assert isinstance(closed, MetricsError)
