"""Query templates and target validation: pure, no HTTP."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from pydantic import TypeAdapter

from rolldeck.engine.metrics import APP, ISTIO, TEMPLATE_SETS, Matcher, MetricsTarget, QueryKind, TemplateSet
from rolldeck.engine.metrics.templates import promql_duration


def test_template_sets_by_name():
    assert TEMPLATE_SETS == {"istio": ISTIO, "app": APP}
    assert ISTIO.le_per_second == 1000.0 and APP.le_per_second == 1.0


def test_istio_queries_count_each_request_once_and_select_5xx():
    target = MetricsTarget({"canary": {"destination_workload": "checkout-canary"}}, window_s=30)
    render = {k: ISTIO.render(k, target.matchers("canary"), 30) for k in QueryKind}
    assert render[QueryKind.REQUESTS] == (
        'sum(increase(istio_requests_total{reporter="destination",destination_workload="checkout-canary"}[30s]))'
    )
    assert 'response_code=~"5.."' in render[QueryKind.ERRORS]
    assert render[QueryKind.BUCKETS].startswith("sum by (le) (increase(istio_request_duration_milliseconds_bucket{")


def test_app_placeholders_can_be_overridden():
    target = MetricsTarget(
        {"v2": [Matcher("pod", "api-v2-.*", "=~")]},
        templates="app",
        params={"status_label": "code", "requests_metric": "api_requests_total", "duration_metric": "api_latency_seconds"},
    )
    assert APP.render(QueryKind.ERRORS, target.matchers("v2"), 60, target.params) == (
        'sum(increase(api_requests_total{code=~"5..",pod=~"api-v2-.*"}[60s]))'
    )
    assert "api_latency_seconds_bucket{" in APP.render(QueryKind.BUCKETS, target.matchers("v2"), 60, target.params)


def test_label_values_are_escaped():
    nasty = 'a"b\\c\nd} or vector(1)'
    rendered = Matcher("app", nasty).render()
    assert rendered == 'app="a\\"b\\\\c\\nd} or vector(1)"'
    assert json.loads(rendered.split("=", 1)[1]) == nasty


@pytest.mark.parametrize(("seconds", "literal"), [(60, "60s"), (60.0, "60s"), (1.5, "1500ms"), (0.0004, "1ms"), (7200, "7200s")])
def test_window_as_promql_duration(seconds, literal):
    assert promql_duration(seconds) == literal


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"selectors": {}}, "at least one version"),
        ({"selectors": {"canary": {}}}, "selector for version 'canary' is empty"),
        ({"selectors": {"canary": {"bad-label": "x"}}}, "invalid Prometheus label name"),
        ({"selectors": {"c": {"a": "b"}}, "templates": "linkerd"}, "unknown metrics template set 'linkerd'"),
        ({"selectors": {"c": {"a": "b"}}, "params": {"nope": "x"}}, "no placeholder(s) ['nope']"),
        ({"selectors": {"c": {"a": "b"}}, "params": {"reporter": 'x"} or vector(1)'}}, "not a PromQL identifier"),
        ({"selectors": {"c": {"a": "b"}}, "window_s": 0}, "window must be"),
        ({"selectors": {"c": {"a": "b"}}, "window_s": float("inf")}, "window must be"),
        ({"selectors": {"c": {"a": "b"}}, "slo_latency_s": -1}, "SLO latency"),
    ],
)
def test_invalid_targets_are_refused_with_one_line(kwargs, message):
    with pytest.raises(ValueError) as info:
        MetricsTarget(**kwargs)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_matcher_operator_is_checked():
    with pytest.raises(ValueError, match="operator"):
        Matcher("pod", "x", "==")  # type: ignore[arg-type]


def test_custom_template_set_must_declare_its_placeholders():
    with pytest.raises(ValueError, match=r"undeclared \['job'\]"):
        TemplateSet("x", requests="sum(increase(r{$selector,job=\"$job\"}[$window]))", errors="e", buckets="b")
    custom = TemplateSet(
        "grpc",
        requests="sum(increase(grpc_server_handled_total{$selector}[$window]))",
        errors='sum(increase(grpc_server_handled_total{grpc_code=~"Internal|Unavailable",$selector}[$window]))',
        buckets="sum by (le) (increase(grpc_server_handling_seconds_bucket{$selector}[$window]))",
    )
    target = MetricsTarget({"canary": {"app": "x"}}, templates=custom)
    assert target.template_set is custom


def test_target_validates_from_plain_data():
    target = TypeAdapter(MetricsTarget).validate_python(
        {"selectors": {"canary": {"app": "shop", "track": "canary"}}, "templates": "app", "window_s": 30, "slo_latency_s": 0.25}
    )
    assert target.matchers("canary") == (Matcher("app", "shop"), Matcher("track", "canary"))
    assert target.versions == ("canary",) and target.window_s == 30


def test_metrics_package_imports_no_ui_simulator_or_kubernetes_client():
    code = (
        "import json, sys, engine.metrics, engine.metrics.prometheus, engine.metrics.parse\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    loaded = set(json.loads(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout))
    assert "httpx" in loaded
    assert not loaded & {"textual", "simpy", "kubernetes_asyncio", "console", "simulator"}
