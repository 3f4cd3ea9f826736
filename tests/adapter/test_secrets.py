"""A server that echoes the request's Authorization header (in a Status message, its cause, a
plain-text body) never gets the bearer token onto an outcome, the audit file or a dry-run line:
``engine.kube.redaction`` scrubs every registered credential in the one place server text passes."""

from __future__ import annotations

import base64
import time

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
