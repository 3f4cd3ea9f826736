"""Live releases get per-version Prometheus selectors from one fleet-wide rule."""

from __future__ import annotations

from rolldeck.engine.kube.metrics_targets import APP_SELECTOR, MetricsRule, MetricsTargets
from tests.engine.factories import canary_release


def labels(matchers) -> dict[str, str]:
    assert all(m.op == "=" for m in matchers)
    return {m.label: m.value for m in matchers}


def test_the_default_rule_selects_each_version_by_istio_canonical_labels():
    target = MetricsTargets().target_for(canary_release(10))
    assert target is not None and target.templates == "istio"
    assert labels(target.selectors["stable"]) == {
        "destination_workload_namespace": "shop",
        "destination_canonical_service": "checkout",
        "destination_canonical_revision": "v1",
    }
    assert labels(target.selectors["canary"])["destination_canonical_revision"] == "v2"


def test_a_release_can_override_the_rule():
    rule = MetricsRule(templates="app", selector=dict(APP_SELECTOR), window_s=120)
    targets = MetricsTargets(releases={"prod-eu-west-1/checkout": rule})
    target = targets.target_for(canary_release(10))
    assert target.templates == "app" and target.window_s == 120
    assert labels(target.selectors["canary"]) == {"namespace": "shop", "app": "checkout", "version": "v2"}
