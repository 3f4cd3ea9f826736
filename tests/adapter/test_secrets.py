"""A server that echoes the request's Authorization header (in a Status message, its cause, a
plain-text body) never gets the bearer token onto an outcome, the audit file or a dry-run line:
``engine.kube.redaction`` scrubs every registered credential in the one place server text passes."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest
from aiohttp import web

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.kube.errors import describe, http_error
from rolldeck.engine.kube.redaction import REDACTED, Secrets
from rolldeck.engine.model import ReleaseRef
from rolldeck.engine.operator import Operator
from tests.adapter import scenes
from tests.adapter.helpers import in_sync, running_backend, wait_release
from tests.fakekube import ClusterSpec

MARKER = "s3cr3t-bearer-marker-7f1c2a"
CONTEXT = "kind-test"


def echo_json(request: web.Request) -> web.Response:
    auth = request.headers.get("Authorization", "")
    status = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 500, "reason": "InternalError",
              "message": f"internal error; the request carried Authorization: {auth}",
              "details": {"causes": [{"message": f"echo of {auth}"}]}}
    return web.json_response(status, status=500)


def echo_text(request: web.Request) -> web.Response:
    return web.Response(status=500, text=f"proxy error for Authorization: {request.headers.get('Authorization', '')}\n")


@pytest.mark.asyncio
@pytest.mark.parametrize("echo", [echo_json, echo_text])
@pytest.mark.fakekube(ClusterSpec("test", token=MARKER))
async def test_a_server_echoing_the_token_never_puts_it_on_record(fake_clusters, tmp_path, echo):
    cluster = fake_clusters[CONTEXT]
    scenes.vs_canary(cluster.store)

    async def handler(request: web.Request) -> web.StreamResponse | None:
        return echo(request)

    audit_path = tmp_path / "audit.jsonl"
    async with running_backend(fake_clusters.kubeconfig_path, context=CONTEXT, key_dir=tmp_path / "keys", actor="alice") as live:
        await wait_release(live, CONTEXT, "cart")
        await in_sync(live, cluster)
        operator = Operator(live, AuditLog(audit_path, time.time))
        cluster.faults.add(method="PATCH", handler=handler)
        plan = operator.plan(Action(ActionKind.STEP_UP, ReleaseRef(CONTEXT, "cart")))
        assert plan.ok, plan.refusal
        preview = await live.dry_run(plan)
        outcome = await operator.execute(plan, actor="alice")
    assert not outcome.ok and outcome.message.startswith("failed:") and "500" in outcome.message
    assert REDACTED in outcome.message and REDACTED in preview.text  # the echo is there, the token is not
    for text in (outcome.message, outcome.record.reason, preview.text, audit_path.read_text()):
        assert MARKER not in text


def test_secrets_scrub_tokens_passwords_and_basic_auth_header_values():
    secrets = Secrets()
    secrets.add("tok-1234567890", "abc", None)  # "abc" is too short to be a credential
    secrets.add_basic_auth("alice", "hunter2-password")
    basic = base64.b64encode(b"alice:hunter2-password").decode()
    text = f"Authorization: Bearer tok-1234567890; Authorization: Basic {basic}; pw hunter2-password; abc"
    assert secrets.scrub(text) == f"Authorization: Bearer {REDACTED}; Authorization: Basic {REDACTED}; pw {REDACTED}; abc"


def test_every_line_made_from_a_server_answer_is_scrubbed():
    from rolldeck.engine.kube.redaction import SECRETS

    SECRETS.add("registered-marker-5b8e")
    error = http_error(500, "Internal Server Error", b'{"kind":"Status","message":"saw registered-marker-5b8e","details":{"causes":[{"message":"registered-marker-5b8e"}]}}')
    assert "registered-marker-5b8e" not in str(error) and "registered-marker-5b8e" not in describe(RuntimeError("boom registered-marker-5b8e"))


@pytest.mark.asyncio
@pytest.mark.fakekube(ClusterSpec("test", token=MARKER))
async def test_a_console_session_with_echoing_servers_leaves_the_token_in_no_file_and_no_screen(fake_clusters, tmp_path, monkeypatch):
    """Issue 11, item 1: objects whose annotations and condition messages repeat the token, and a
    server that echoes it on every PATCH; after a session (views, a dry run, a failed action, a
    screenshot) neither the TEXTUAL_LOG file, the audit file, the screenshot, a toast nor a model
    field holds it, and the log file the console created is 0600."""
    import textual.constants

    from rolldeck.console.screens.confirm import ConfirmModal
    from rolldeck.engine.kube import KubeBackend
    from tests.adapter.helpers import FAST_WITH_UI
    from tests.tui.helpers import console_app, notifications, sample, select_release, type_line
    from tests.waiting import pilot_until, wait_until

    cluster = fake_clusters[CONTEXT]
    scenes.vs_canary(cluster.store)
    scenes.argo_canary(cluster.store, status={
        "message": f"analysis saw Authorization: Bearer {MARKER}",
        "conditions": [{"type": "Progressing", "status": "True", "reason": "RolloutPaused", "message": f"paused by {MARKER}"}],
    })
    cluster.store.modify("deployments", "shop", "cart-canary",
                         lambda d: d["metadata"].setdefault("annotations", {}).update({"deploy/note": f"pushed with token {MARKER}"}))
    async def echo(request: web.Request) -> web.Response:
        return echo_json(request)

    cluster.faults.add(method="PATCH", handler=echo)
    log = tmp_path / "textual.log"
    monkeypatch.setattr(textual.constants, "LOG_FILE", str(log))
    audit = tmp_path / "audit.jsonl"
    backend = KubeBackend.from_kubeconfig(CONTEXT, kubeconfig=fake_clusters.kubeconfig_path, tuning=FAST_WITH_UI,
                                          key_dir=tmp_path / "keys", actor="alice")
    app = console_app(backend, audit_path=audit, actor="alice")
    async with app.run_test(size=(160, 48)) as pilot:
        await in_sync(backend, cluster)
        checkout = await wait_until(lambda: backend.snapshot().release(ReleaseRef(CONTEXT, "checkout")), "the Rollout")
        assert REDACTED in checkout.message  # the echo is mapped, the token is not
        annotated = cluster.store.get("deployments", "shop", "cart-canary")
        cached = backend.connections[CONTEXT].cached("deployments", "shop", "cart-canary")
        assert MARKER in annotated["metadata"]["annotations"]["deploy/note"]  # the server has it...
        assert cached["metadata"]["annotations"]["deploy/note"] == f"pushed with token {REDACTED}"  # ...the cache never did
        await sample(pilot)
        await type_line(pilot, ":", "clusters")
        await sample(pilot)
        await pilot.press("escape")
        await sample(pilot)
        await select_release(pilot, app, ReleaseRef(CONTEXT, "checkout"))
        await pilot.press("enter")  # the release screen with the Rollout's message
        await sample(pilot)
        await pilot.press("escape")
        await sample(pilot)
        await select_release(pilot, app, ReleaseRef(CONTEXT, "cart"))
        await pilot.press("right_square_bracket")
        modal = await pilot_until(pilot, lambda: isinstance(app.screen, ConfirmModal) and app.screen, "the confirm modal")
        line = modal.query_one("#confirm-dry-run")
        await pilot_until(pilot, lambda: "asking" not in str(line.render()) and str(line.render()), "the dry run's answer")
        assert REDACTED in str(line.render())
        await pilot.click("#apply")
        await app.workers.wait_for_complete()
        await pilot_until(pilot, lambda: any("500" in message for _, message in notifications(app)), "the failure toast")
        shot = Path(app.save_screenshot(path=str(tmp_path), filename="session.svg"))
    toasts = "\n".join(message for _, message in notifications(app))
    assert REDACTED in toasts
    for name, text in (("TEXTUAL_LOG", log.read_text()), ("audit", audit.read_text()), ("screenshot", shot.read_text()),
                       ("toasts", toasts), ("snapshot", repr(backend.snapshot()))):
        assert MARKER not in text, name
    assert REDACTED in log.read_text()  # the log did get the echoed lines, scrubbed
    assert log.stat().st_mode & 0o777 == 0o600
