"""A flag's cohorts queried through the Prometheus source: the version's selector plus the
OpenFeature labels (feature_flag_key, feature_flag_variant), over real HTTP to the stub API."""

from __future__ import annotations

import pytest

from rolldeck.engine.metrics import QueryKind, cohort_target
from rolldeck.engine.model import Signals
from tests.metrics.stub_prometheus import buckets, scalar
from tests.metrics.test_prometheus_stub import APP_TARGET, CANARY_LE, STABLE_LE

ON = 'feature_flag_variant="on"'
OFF = 'feature_flag_variant!="on"'


def test_the_cohort_target_narrows_the_versions_selector_by_flag_and_variant() -> None:
    target = cohort_target(APP_TARGET, "canary", "new-checkout", "on", "off")
    assert target.versions == ("on", "off")
    on = target.template_set.render(QueryKind.REQUESTS, target.matchers("on"), 60)
    assert on == 'sum(increase(http_requests_total{app="shop",version="canary",feature_flag_key="new-checkout",feature_flag_variant="on"}[60s]))'
    with pytest.raises(ValueError, match="no selector for version 'preview'"):
        cohort_target(APP_TARGET, "preview", "new-checkout", "on", "off")


@pytest.mark.asyncio
async def test_each_cohort_comes_back_as_signals_like_a_version(stub, source) -> None:
    stub.on("requests", ON, scalar(400))
    stub.on("errors", ON, scalar(40))
    stub.on("buckets", ON, buckets(CANARY_LE))
    stub.on("requests", OFF, scalar(7600))
    stub.on("errors", OFF, scalar(8))
    stub.on("buckets", OFF, buckets(STABLE_LE))
    result = await source.fetch(cohort_target(APP_TARGET, "canary", "new-checkout", "on", "off"))
    assert isinstance(result, dict) and set(result) == {"on", "off"}
    on, off = result["on"], result["off"]
    assert isinstance(on, Signals) and (on.requests, on.errors) == (400, 40)
    assert (off.requests, off.errors) == (7600, 8)
    queries = [seen.params["query"] for seen in stub.seen]
    assert all('feature_flag_key="new-checkout"' in q and 'version="canary"' in q for q in queries)
    assert sum(ON in q for q in queries) == 3 and sum(OFF in q for q in queries) == 3
