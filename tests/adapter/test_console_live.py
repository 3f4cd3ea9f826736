"""The console on a live backend: every release the adapter maps is on the fleet screen, each
shape renders its release screen, and a verb goes key → confirm → operator → PATCH on the fake cluster → audit."""

from __future__ import annotations

import subprocess
from pathlib import Path
import sys

import pytest

from rolldeck.console.screens.confirm import ConfirmModal
from rolldeck.console.screens.release import ReleaseScreen
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.kube import KubeBackend
from rolldeck.engine.model import ReleaseRef
from tests.adapter import scenes
from tests.adapter.helpers import FAST_WITH_UI, in_sync
from tests.tui.helpers import console_app, notifications, sample, select_release
from tests.waiting import wait_until
from tests.fakekube import ClusterSpec

SIZE = (160, 48)


@pytest.mark.asyncio
@pytest.mark.fakekube(ClusterSpec("eu"), ClusterSpec("us", tls=True, crds={"istio-v1beta1", "argo-rollouts"}))
async def test_console_renders_every_live_release_shape_and_applies_a_verb(fake_clusters, tmp_path):
    eu, us = fake_clusters["kind-eu"], fake_clusters["kind-us"]
    scenes.argo_canary(eu.store, status={"pauseConditions": [{"reason": "CanaryPauseStep"}], "controllerPause": True})
    scenes.argo_blue_green(eu.store)
    scenes.blue_green_service(eu.store)
    scenes.vs_canary(eu.store)
    scenes.http_route_canary(eu.store)
    scenes.rolling_deployment(eu.store)
    scenes.flagger_canary(eu.store, cluster="kind-eu")
    scenes.vs_canary(us.store, "cart", weight=25)
    backend = KubeBackend.from_kubeconfig("all", kubeconfig=fake_clusters.kubeconfig_path, tuning=FAST_WITH_UI, key_dir=tmp_path / "keys", actor="alice")
    audit = tmp_path / "audit.jsonl"
    app = console_app(backend, audit_path=audit, actor="alice")
    async with app.run_test(size=SIZE) as pilot:
        expected = {"checkout", "search", "web", "cart", "shipping", "api", "podinfo"}
        await wait_until(lambda: {r.name for r in backend.snapshot().releases() if r.cluster == "kind-eu"} >= expected, "every eu release")
        await wait_until(lambda: backend.snapshot().release(ReleaseRef("kind-us", "cart")) is not None, "us release")
        for cluster in (eu, us):  # every object cached: no half-mapped release (a lone Deployment) in the count
            await in_sync(backend, cluster)
        await sample(pilot)  # the sampler tick that puts every row on screen
        refs = [r.ref for r in backend.snapshot().releases()]
        assert len(refs) == 8
        shapes = {"checkout", "podinfo", "api"}  # an Argo canary, a Flagger canary, a rolling Deployment
        for ref in [r for r in refs if r.name in shapes and r.cluster == "kind-eu"]:  # each shape's screen renders
            await select_release(pilot, app, ref)
            await pilot.press("enter")
            assert isinstance(app.screen, ReleaseScreen) and app.screen.ref == ref
            await pilot.press("escape")
        await select_release(pilot, app, ReleaseRef("kind-eu", "web"))
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal), notifications(app)
        await pilot.click("#apply")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await wait_until(lambda: eu.store.get("services", "shop", "web")["spec"]["selector"]["slot"] == "green", "the switch on the cluster")
    records = AuditLog.read(audit)
    assert [(r["actor"], r["action"], r["result"], r["cluster"]) for r in records] == [("alice", "switch-slot", "applied", "kind-eu")]


def test_rolldeck_live_without_a_kubeconfig_is_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "rolldeck.console.cli", "live", "--context", "all"],
        capture_output=True, text=True, timeout=120, env={"KUBECONFIG": str(tmp_path / "none"), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        cwd=str(Path(__file__).parents[2]),
    )
    assert result.returncode == 2
    assert result.stderr == f"rolldeck: no usable kubeconfig: looked in {tmp_path / 'none'}\n"
