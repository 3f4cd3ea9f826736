"""Clusters view and cluster-wide attention: reachability, staleness, API latency, watches, controllers."""

from __future__ import annotations

from pathlib import Path

import pytest

from rolldeck.console.config import ConsoleConfig
from rolldeck.console.screens.clusters import ClustersScreen, ClustersTable
from rolldeck.console.screens.fleet import FleetScreen
from rolldeck.console.widgets.attention_table import AttentionTable
from rolldeck.engine.model import ClusterHealth

from .fake_backend import FakeBackend
from .helpers import NORMAL, console_app, type_line

SIZE = (140, 40)

LIVE_HEALTH = {
    "eu-prod-1": ClusterHealth(
        reachable=True,
        last_update_age_s=2.0,
        api_latency_ms=38.0,
        watches=7,
        controllers=("argo-rollouts", "istio", "argo-cd"),
        warnings=("TLS verification is off",),
    ),
    "us-prod-1": ClusterHealth(reachable=False, last_update_age_s=95.0, error="connection refused"),
}


def live_fake() -> FakeBackend:
    return FakeBackend(health=dict(LIVE_HEALTH), simulated=False)


class TestClustersView:
    @pytest.mark.asyncio
    async def test_each_cluster_shows_health_latency_watches_and_controllers(self, tmp_path: Path) -> None:
        config = ConsoleConfig(protected=["*-prod-*"], read_only=["us-*"], regions={"eu-prod-1": "europe"})
        app = console_app(live_fake(), audit_path=tmp_path / "a.jsonl", config=config)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await type_line(pilot, ":", "clusters")
            assert isinstance(app.screen, ClustersScreen)
            table = app.screen.query_one(ClustersTable)
            eu = table.rendered("eu-prod-1")
            us = table.rendered("us-prod-1")
            assert eu is not None and us is not None
            cluster, region, safety, reachable, age, latency, watches, argo, flagger, argocd, releases, warnings = eu
            assert (cluster, region, safety) == ("eu-prod-1", "europe", "PROD")  # region from the config map
            assert (reachable, age, latency, watches) == ("✓ yes", "2s", "38", "7")
            assert (argo, flagger, argocd) == ("✓", "—", "✓")
            assert (releases, warnings) == ("1", "TLS verification is off")
            assert us[2] == "PROD ⊘ RO" and us[3] == "✗ connection refused" and us[4] == "1m"


class TestClusterAttention:
    @pytest.mark.asyncio
    async def test_unreachable_and_stale_clusters_are_queued_and_enter_opens_the_clusters_view(
        self, tmp_path: Path
    ) -> None:
        fake = live_fake()
        fake.health["eu-prod-1"] = ClusterHealth(reachable=True, last_update_age_s=95.0)  # stale: > 90 s
        app = console_app(fake, audit_path=tmp_path / "a.jsonl", config=NORMAL)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            queue = app.screen.query_one(AttentionTable)
            kinds = {item.cluster: item.kind for item in queue.items.values() if item.release is None}
            assert kinds == {"us-prod-1": "UNREACHABLE", "eu-prod-1": "STALE"}
            assert queue.rendered("cluster:us-prod-1")[0] == "✗ UNREACHABLE"  # type: ignore[index]
            assert queue.rendered("cluster:us-prod-1")[2:4] == ("us-prod-1", "us-east")  # type: ignore[index]
            await pilot.press("shift+tab")  # from the fleet up to the queue; the worst item is first
            assert queue.has_focus and queue.selected_item() is not None
            assert queue.selected_item().kind == "UNREACHABLE"  # type: ignore[union-attr]
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ClustersScreen)
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, FleetScreen)


@pytest.mark.asyncio
async def test_the_live_header_shows_the_wall_clock_as_a_time_of_day_not_as_elapsed_time(tmp_path: Path) -> None:
    """Issue 11, item 10: a live backend's clock is unix time; 't 498940:57:00' was hours since 1970."""
    from .helpers import clock_shown

    fake = live_fake()
    fake._clock.time = 1_796_188_620.0  # 2026-12-02 05:17:00 UTC
    app = console_app(fake, audit_path=tmp_path / "a.jsonl", config=NORMAL)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert clock_shown(app) == "05:17:00 UTC"
    simulated = FakeBackend()
    simulated._clock.time = 3725.0
    app = console_app(simulated, audit_path=tmp_path / "b.jsonl", config=NORMAL)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert clock_shown(app) == "t 01:02:05"  # a drill's clock stays elapsed time
