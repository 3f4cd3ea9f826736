"""Map per object: one malformed object is one "unreadable" row with its reason, and never stops the
mapping of the other objects, namespaces or clusters (issue 11, item 3).

Hand-written cases for each kind rolldeck reads, a property test that breaks any value of any
upstream object (tests/upstream) while a bystander namespace must map exactly as it does alone,
and the whole path over real HTTP: the fake API server serves the bad objects on one cluster, the
backend and the console's clusters view keep working for every cluster.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rolldeck.console.screens.clusters import CLUSTER_COLUMNS, ClustersScreen, ClustersTable
from rolldeck.engine.kube import KubeBackend
from rolldeck.engine.kube.mapping import ClusterMapping, Objects, map_objects
from rolldeck.engine.model import ReleaseRef
from tests.adapter import scenes
from tests.adapter.helpers import FAST_WITH_UI, in_sync
from tests.adapter.upstream import KIND_KEYS, ROOT, scene
from tests.fakekube import ClusterSpec
from tests.fakekube import objects as ko
from tests.tui.helpers import console_app, sample, type_line
from tests.waiting import pilot_until, wait_until


def mapped(*objs: dict[str, Any], keys: list[str] | None = None) -> ClusterMapping:
    """Map as the backend does: each object under the kind key of the watch that delivered it."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for index, obj in enumerate(objs):
        key = keys[index] if keys is not None and index < len(keys) else KIND_KEYS.get(obj["kind"], "other")
        by_kind.setdefault(key, []).append(obj)
    return map_objects(Objects.of(by_kind), cluster="c", region="r")


def broken(obj: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    *parents, last = path.split(".")
    node = out
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    return out


def rows(result: ClusterMapping) -> list[str]:
    return [str(u) for u in result.unmapped if u.unreadable]


def _cart() -> list[dict[str, Any]]:
    """A bystander: a Deployment-per-version canary behind a VirtualService, in a namespace of its own."""
    stable = ko.deployment("cart-v1", "bystander", labels={"app": "cart", "version": "v1"}, image="r/cart:1.0")
    canary = ko.deployment("cart-v2", "bystander", labels={"app": "cart", "version": "v2"}, image="r/cart:1.1")
    services = [ko.service("cart-v1", "bystander", selector={"app": "cart", "version": "v1"}),
                ko.service("cart-v2", "bystander", selector={"app": "cart", "version": "v2"})]
    route = {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "cart", "namespace": "bystander"},
             "spec": {"hosts": ["cart"], "http": [{"route": [{"destination": {"host": "cart-v1"}, "weight": 80},
                                                            {"destination": {"host": "cart-v2"}, "weight": 20}]}]}}
    return [stable, canary, *services, route]


# --- the two cases, and one per kind ---------------------------------------------------------


def test_a_deployment_whose_status_is_a_string_is_one_unreadable_row_and_the_others_map():
    bad = broken(ko.deployment("api", "shop"), "status", "ok")
    result = mapped(bad, ko.deployment("web", "shop"), *_cart())
    assert [d.release.name for d in result.releases] == ["cart", "web"]
    assert rows(result) == ["Deployment shop/api: unreadable: status is a string, not an object"]


def test_a_rollout_whose_status_is_a_list_is_one_unreadable_row_and_still_owns_its_services():
    bad = broken(ko.rollout("checkout", "shop", virtual_service_name="checkout-vs"), "status", [1, 2])
    result = mapped(bad, *_cart())
    assert [d.release.name for d in result.releases] == ["cart"]
    assert rows(result) == ["Rollout shop/checkout: unreadable: status is a list, not an object"]
    # its stable and canary Services stay the Rollout's: no invented release, no "per-version" row
    assert [str(u) for u in result.unmapped if not u.unreadable] == []


CASES = [
    # (kind, object, path, value, the row's reason)
    ("Deployment", lambda: ko.deployment("x", "shop"), "spec.template", "pods", "unexpected value ('str' object has no attribute 'get')"),
    ("Deployment", lambda: ko.deployment("x", "shop"), "metadata.labels", ["app"], "metadata.labels is a list, not an object"),
    ("Service", lambda: ko.service("x", "shop", selector={"app": "x"}), "spec.selector", ["app", "x"], None),
    ("ReplicaSet", lambda: ko.replicaset("x", "shop", template=ko.pod_template({"app": "x"}, "r/x:1"), replicas=1, revision=1), "status", 3, "status is a number, not an object"),
    ("Rollout", lambda: ko.rollout("x", "shop"), "spec.strategy", "canary", "unexpected value ('str' object has no attribute 'get')"),
    ("Rollout", lambda: ko.rollout("x", "shop"), "spec.strategy.canary.steps", [{"setWeight": {"a": 1}}, 7], None),
    ("AnalysisRun", lambda: ko.analysis_run("x", "shop"), "spec", "web", "spec is a string, not an object"),
    ("Canary", lambda: ko.canary("x", "shop"), "spec.analysis", "every minute", None),
    ("Canary", lambda: ko.canary("x", "shop"), "metadata.ownerReferences", {"kind": "Rollout"}, "metadata.ownerReferences is not a list of objects"),
]


@pytest.mark.parametrize(("kind", "make", "path", "value", "reason"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_each_kind_with_a_bad_value_is_unreadable_alone(kind, make, path, value, reason):
    result = mapped(broken(make(), path, value), *_cart())
    assert [d.release.name for d in result.releases] == ["cart"]  # the bystander, as if the bad object were absent
    [row] = [u for u in result.unmapped if u.unreadable]
    assert (row.kind, row.namespace, row.name) == (kind, "shop", "x")
    if reason is not None:
        assert row.reason == reason
    assert "\n" not in row.reason and len(row.reason) <= 160  # one line


def test_a_huge_or_deep_value_gives_a_short_reason():
    deep: Any = "x"
    for _ in range(50):
        deep = {"a": deep}
    bad = broken(ko.deployment("api", "shop"), "spec.template", {"spec": {"containers": "a" * 10_000}, "metadata": deep})
    [row] = [u for u in mapped(bad).unmapped if u.unreadable]
    assert row.kind == "Deployment" and len(row.reason) <= 160


# --- any value of any upstream object ---------------------------------------------------------------

UNITS = [f"argo-rollouts/{p.name}" for p in sorted((ROOT / "argo-rollouts").iterdir()) if p.is_dir()] + [
    str(p.relative_to(ROOT)) for folder in ("flagger", "istio", "gateway-api") for p in sorted((ROOT / folder).glob("*.yaml"))
]
READ = {"Deployment", "ReplicaSet", "Service", "VirtualService", "DestinationRule", "HTTPRoute", "Rollout", "AnalysisRun",
        "Experiment", "Canary"}  # the kinds rolldeck watches (Pods and Jobs in the plugin's scenes it does not)
HOSTILE = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just([[{}]]), st.just({"": None}),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


def _set(obj: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


def _unqualified(result: ClusterMapping, namespace: str) -> tuple[list[Any], list[Any]]:
    """A namespace's releases and rows, names unqualified (a same-named release elsewhere qualifies them)."""
    releases = [replace(d.release, ref=ReleaseRef(d.release.cluster, d.release.name.rpartition("/")[2]))
                for d in result.releases if d.release.namespace == namespace]
    return sorted(releases, key=lambda r: r.name), [u for u in result.unmapped if u.namespace == namespace]


@st.composite
def one_broken_value(draw: st.DrawFn) -> tuple[list[dict[str, Any]], int, tuple[Any, ...], Any]:
    docs = scene(draw(st.sampled_from(UNITS)))
    index = draw(st.sampled_from([i for i, d in enumerate(docs) if d["kind"] in READ]))
    path = draw(st.sampled_from(_paths(docs[index])))
    return docs, index, path, draw(HOSTILE)


ALONE = _unqualified(mapped(*_cart()), "bystander")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(one_broken_value())
def test_any_bad_value_in_any_upstream_object_leaves_the_rest_mapped(case):
    docs, index, path, value = case
    keys = [KIND_KEYS.get(d["kind"], "other") for d in docs]  # the watch's kind, whatever the object now says
    docs = [*docs[:index], _set(docs[index], path, value), *docs[index + 1:]]
    result = mapped(*docs, *_cart(), keys=keys)  # never raises
    assert _unqualified(result, "bystander") == ALONE  # the other namespace maps exactly as it does alone
    for row in result.unmapped:
        assert "\n" not in row.reason and len(row.reason) <= 160


# --- over real HTTP: the fake API server serves the bad objects on one cluster ----------------------


@pytest.mark.asyncio
@pytest.mark.fakekube(ClusterSpec("eu"), ClusterSpec("us", tls=True, crds={"istio-v1beta1", "argo-rollouts"}))
async def test_bad_objects_on_one_cluster_are_rows_and_every_cluster_keeps_mapping(fake_clusters, tmp_path):
    eu, us = fake_clusters["kind-eu"], fake_clusters["kind-us"]
    scenes.vs_canary(eu.store)
    scenes.vs_canary(us.store, "cart", weight=25)
    eu.store.seed(broken(ko.deployment("api", "shop"), "status", "ok"),
                  broken(ko.rollout("checkout", "shop", virtual_service_name="checkout-vs"), "status", [1, 2]))
    backend = KubeBackend.from_kubeconfig("all", kubeconfig=fake_clusters.kubeconfig_path, tuning=FAST_WITH_UI, key_dir=tmp_path / "keys", actor="alice")
    app = console_app(backend, audit_path=tmp_path / "audit.jsonl", actor="alice")
    async with app.run_test(size=(200, 50)) as pilot:
        for cluster in (eu, us):
            await in_sync(backend, cluster)
        await wait_until(lambda: backend.snapshot().release(ReleaseRef("kind-us", "cart")), "the us release")
        state = backend.snapshot()
        assert [r.name for r in state.releases() if r.cluster == "kind-eu"] == ["cart"]
        [eu_state] = [c for c in state.clusters() if c.name == "kind-eu"]
        assert [str(u) for u in eu_state.unmapped if u.unreadable] == [
            "Deployment shop/api: unreadable: status is a string, not an object",
            "Rollout shop/checkout: unreadable: status is a list, not an object",
        ]
        # the same in the console: the clusters view lists them, read-only, beside both clusters' rows
        await sample(pilot)
        await type_line(pilot, ":", "clusters")
        await pilot_until(pilot, lambda: isinstance(app.screen, ClustersScreen), "the clusters view")
        await sample(pilot)
        listing = app.screen.query_one("#unmapped-list")
        await pilot_until(pilot, lambda: listing.display, "the unmapped list")
        shown = str(listing.content)
        assert "kind-eu: Deployment shop/api: unreadable: status is a string, not an object" in shown
        assert "kind-eu: Rollout shop/checkout: unreadable: status is a list, not an object" in shown
        table = app.screen.query_one("#clusters-table", ClustersTable)
        column = [c.key for c in CLUSTER_COLUMNS].index("releases")
        assert (table.rendered("kind-eu")[column], table.rendered("kind-us")[column]) == ("1 +2 unmapped (2 unreadable)", "1")
