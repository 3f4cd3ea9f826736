"""The console on the upstream projects' objects: the fleet row marks a release whose cohort bypasses
the weights, the release screen shows its rules in control-plane terms and the controller's own
analysis with its numbers, and the clusters view lists what rolldeck reads as no release."""

from __future__ import annotations

import pytest
from rich.console import Console

from rolldeck.console.screens.clusters import ClustersScreen
from rolldeck.console.screens.fleet import FleetTable, row_key
from rolldeck.console.screens.release import ReleaseScreen
from rolldeck.console.widgets.planes import ControlPlanePanel
from rolldeck.engine.kube import KubeBackend
from rolldeck.engine.model import ReleaseRef
from tests.adapter.helpers import FAST_WITH_UI, in_sync
from tests.adapter.upstream import scene
from tests.tui.helpers import console_app, sample, select_release, type_line
from tests.waiting import pilot_until, wait_until

SIZE = (180, 60)
CONTEXT = "kind-test"


def panel_text(app) -> str:
    console = Console(width=200, record=True)
    console.print(app.screen.query_one(ControlPlanePanel).content)
    return console.export_text()


async def open_release(app, pilot, ref: ReleaseRef) -> str:
    await select_release(pilot, app, ref)
    await pilot.press("enter")
    await pilot_until(pilot, lambda: isinstance(app.screen, ReleaseScreen) and app.screen.ref == ref, "the release screen")
    await sample(pilot)  # the tick that draws it
    await pilot_until(pilot, lambda: app.screen.query_one(ControlPlanePanel)._shown is not None, "the control-plane panel")
    return panel_text(app)


@pytest.mark.asyncio
async def test_rules_analysis_and_unmapped_objects_on_screen(fake_cluster, tmp_path):
    fake_cluster.store.seed(*scene(
        "istio/virtual-service-reviews-jason-v2-v3.yaml", "istio/bookinfo-reviews.yaml",
        "argo-rollouts/experiment-analysis", "gateway-api/httproute-redirect-http.yaml",
    ))
    backend = KubeBackend.from_kubeconfig(CONTEXT, kubeconfig=fake_cluster.kubeconfig_path, tuning=FAST_WITH_UI, key_dir=tmp_path / "keys", actor="alice")
    app = console_app(backend, audit_path=tmp_path / "audit.jsonl", actor="alice")
    reviews, rollout = ReleaseRef(CONTEXT, "reviews"), ReleaseRef(CONTEXT, "rollout-experiment-analysis")
    async with app.run_test(size=SIZE) as pilot:
        await in_sync(backend, fake_cluster)  # every object cached: no half-mapped release on screen
        await wait_until(lambda: {r.name for r in backend.snapshot().releases()} == {"reviews", "rollout-experiment-analysis"}
                         and backend.snapshot().release(rollout).experiments, "both releases, experiment included")
        await sample(pilot)  # the tick that puts their rows on screen
        table = app.screen.query_one("#fleet-table", FleetTable)
        await pilot_until(pilot, lambda: table.rendered(row_key(reviews)) is not None, "the fleet row")
        traffic = table.rendered(row_key(reviews))[[key for key, _ in table.columns].index("traffic")]
        assert traffic.endswith("⑂"), traffic  # a cohort goes elsewhere, whatever the weights say
        assert not table.rendered(row_key(rollout))[[key for key, _ in table.columns].index("traffic")].endswith("⑂")

        text = await open_release(app, pilot, reviews)
        assert "1. header end-user=jason → v2 100%" in text
        assert "requests matching a rule above skip the weighted split" in text
        await pilot.press("escape")

        text = await open_release(app, pilot, rollout)
        assert "background analysis rollout-experiment-analysis-random-fail-6f646bf7b7-skqcr: Inconclusive ✔ 4 ✖ 4 ? 1 ⚠ 1" in text
        assert "random-fail: Inconclusive (✔ 4 ✖ 4 ? 1 ⚠ 1)" in text
        assert "experiment rollout-experiment-analysis-6f646bf7b7-1-vcv27: Running (baseline blue 1/1, canary yellow 1/1)" in text
        await pilot.press("escape")

        await type_line(pilot, ":", "clusters")
        await pilot_until(pilot, lambda: isinstance(app.screen, ClustersScreen), "the clusters view")
        await sample(pilot)
        listing = app.screen.query_one("#unmapped-list")
        await pilot_until(pilot, lambda: listing.display, "the unmapped list")
        shown = str(listing.content)
        assert "HTTPRoute default/http-filter-redirect: no HTTP rule sends traffic to a Service (redirects or filters only)" in shown
