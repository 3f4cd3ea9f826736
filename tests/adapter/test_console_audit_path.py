"""One audit path on a live console: Flagger's use of a gate an operator opened is recorded in the
console's own audit log — on disk and in ``:audit`` — beside the operator's approval."""

from __future__ import annotations

import aiohttp
import pytest

from rolldeck.console.screens.confirm import ConfirmModal
from rolldeck.console.widgets.event_log import AuditTable
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.kube import KubeBackend
from rolldeck.engine.model import Gate, ReleaseRef, Wait
from tests.adapter import scenes
from tests.adapter.helpers import FAST_WITH_UI, in_sync
from tests.tui.helpers import NORMAL, console_app, sample, select_release, type_line
from tests.waiting import pilot_until, wait_until

SIZE = (160, 48)
CONTEXT = "kind-test"
REF = ReleaseRef(CONTEXT, "podinfo")


async def flagger_calls(url: str) -> int:
    """What Flagger does every interval: POST its payload to the Canary's webhook URL."""
    payload = {"name": "podinfo", "namespace": "shop", "phase": "WaitingPromotion", "checksum": "abc", "metadata": {}}
    async with aiohttp.ClientSession() as session, session.post(url, json=payload) as response:
        return response.status


@pytest.mark.asyncio
async def test_a_flagger_gate_answer_is_in_audit_and_the_audit_file(fake_cluster, tmp_path):
    backend = KubeBackend.from_kubeconfig(CONTEXT, kubeconfig=fake_cluster.kubeconfig_path, tuning=FAST_WITH_UI, key_dir=tmp_path / "keys", actor="alice")
    audit = tmp_path / "audit.jsonl"
    app = console_app(backend, audit_path=audit, actor="alice", config=NORMAL)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: backend.gates is not None and backend.gates.port != 0, "the gate service listening")
        assert backend.gates is not None
        scenes.flagger_canary(fake_cluster.store, base=f"http://127.0.0.1:{backend.gates.port}", cluster=CONTEXT)
        await in_sync(backend, fake_cluster)
        url = backend.gate_url(CONTEXT, Gate.CONFIRM_PROMOTION.value)
        assert url is not None
        await wait_until(lambda: (r := backend.snapshot().release(REF)) is not None and r.wait == Wait.at_gate(Gate.CONFIRM_PROMOTION), "the Canary waiting")
        await sample(pilot)
        await select_release(pilot, app, REF)
        await pilot.press("p")
        await pilot_until(pilot, lambda: isinstance(app.screen, ConfirmModal), "the confirm modal")
        await pilot.press("tab", "enter")  # Apply
        await app.workers.wait_for_complete()
        await wait_until(lambda: backend.gates is not None and backend.gates.is_open(CONTEXT, "shop", "podinfo", "confirm-promotion"), "the gate open")
        assert await flagger_calls(url) == 200  # Flagger passes the gate: it promotes now
        await type_line(pilot, ":", "audit")
        table = await pilot_until(pilot, lambda: app.screen.query(AuditTable).first() if app.screen.query(AuditTable) else None, "the audit view")
        await sample(pilot)
        shown = [table.rendered(key) for key in table.row_keys]
        assert [(row[1], row[2], row[4]) for row in shown if row] == [
            ("alice", "gate:confirm-promotion", str(REF)),
            ("alice", "promote", str(REF)),
        ]
    records = AuditLog.read(audit)
    assert [(r["actor"], r["action"], r["result"], r["release"]) for r in records] == [
        ("alice", "promote", "applied", str(REF)),
        ("alice", "gate:confirm-promotion", "applied", str(REF)),
    ]
    assert records[1]["diff"] == "Flagger passed confirm-promotion for shop/podinfo, approved by alice"
