"""On real clusters the confirm modal shows the API server's dry run, and verbs RBAC refuses are dimmed."""

from __future__ import annotations

import pytest
import yaml

from rolldeck.console.screens.confirm import ConfirmModal
from rolldeck.engine.kube import KubeBackend
from rolldeck.engine.model import ReleaseRef
from tests.adapter import scenes
from tests.adapter.helpers import FAST_WITH_UI, in_sync
from tests.tui.helpers import console_app, sample, select_release
from tests.waiting import pilot_until, wait_until
from tests.fakekube import Allow, ClusterSpec

SIZE = (160, 48)
CONTEXT = "kind-test"
PROMOTER = ClusterSpec("test", tokens={"promoter": ("bob", [Allow("get,list,watch"), Allow("patch", "rollouts/status", namespace="shop")])})


def open_console(backend, tmp_path):
    return console_app(backend, audit_path=tmp_path / "audit.jsonl", actor="alice")


async def select(app, pilot, backend, ref):
    await wait_until(lambda: backend.snapshot().release(ref) is not None, f"{ref} in the backend's snapshot")
    await sample(pilot)  # the sampler tick that puts its row on screen
    await select_release(pilot, app, ref)


@pytest.mark.asyncio
async def test_the_confirm_modal_shows_the_servers_dry_run_and_stores_nothing(fake_cluster, tmp_path):
    scenes.vs_canary(fake_cluster.store)
    backend = KubeBackend.from_kubeconfig(fake_cluster.context, kubeconfig=fake_cluster.kubeconfig_path,
                                          tuning=FAST_WITH_UI, key_dir=tmp_path / "keys", actor="alice")
    app = open_console(backend, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await in_sync(backend, fake_cluster)  # every object cached: no half-mapped release (a lone Deployment) on screen
        ref = ReleaseRef(CONTEXT, "cart")
        await select(app, pilot, backend, ref)
        before = fake_cluster.store.rv
        await pilot.press("right_square_bracket")
        modal = await pilot_until(pilot, lambda: isinstance(app.screen, ConfirmModal) and app.screen, "the confirm modal")
        line = modal.query_one("#confirm-dry-run")
        await pilot_until(pilot, lambda: "server dry run:" in str(line.render()) and "asking" not in str(line.render()), "the dry run")
        assert any(r.param("dryRun") == "All" for r in fake_cluster.requests if r.method == "PATCH")
        await pilot.press("escape")
        await pilot.pause()
    assert fake_cluster.store.rv == before  # a dry run stores nothing, and Cancel applied nothing


@pytest.mark.asyncio
@pytest.mark.fakekube(PROMOTER)
async def test_verbs_rbac_refuses_are_dimmed_and_do_nothing(fake_clusters, tmp_path):
    cluster = fake_clusters[CONTEXT]
    document = cluster.kubeconfig_dict()
    document["users"][0]["user"]["token"] = "promoter"
    path = tmp_path / "bob.yaml"
    path.write_text(yaml.safe_dump(document))
    scenes.argo_canary(cluster.store, step=3, status={"phase": "Progressing"})
    backend = KubeBackend.from_kubeconfig(CONTEXT, kubeconfig=path, tuning=FAST_WITH_UI, key_dir=tmp_path / "keys", actor="bob")
    app = open_console(backend, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        ref = ReleaseRef(CONTEXT, "checkout")
        await select(app, pilot, backend, ref)
        await wait_until(lambda: "pause" in dict(backend.snapshot().release(ref).denied), "the access review")
        assert app.check_action("pause_resume", ()) is None  # dimmed: bob may not patch the Rollout spec
        assert app.check_action("abort", ()) is True  # status patches are allowed
        await pilot.press("space")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmModal)
