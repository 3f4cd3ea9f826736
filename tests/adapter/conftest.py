"""Adapter fixtures: a started ``KubeBackend`` on the fake API server, and a way to act through the operator."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest_asyncio

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.kube.backend import KubeBackend
from rolldeck.engine.model import ReleaseRef
from rolldeck.engine.operator import Operator, Outcome
from rolldeck.engine.plans import Plan
from tests.adapter.helpers import in_sync, running_backend

CONTEXT = "kind-test"


@pytest_asyncio.fixture
async def live(fake_cluster, tmp_path) -> AsyncIterator[KubeBackend]:
    """A backend on the single fake cluster; seed the store before using it, or wait for the watch."""
    async with running_backend(fake_cluster.kubeconfig_path, context=fake_cluster.context, key_dir=tmp_path / "keys", actor="alice") as backend:
        backend.fake = fake_cluster  # type: ignore[attr-defined]  # tests reach the server through it
        yield backend


@pytest_asyncio.fixture
async def act(live, fake_cluster, tmp_path) -> Callable[..., Awaitable[Outcome]]:
    """``await act(ActionKind.PROMOTE, "checkout")``: once the caches hold what the test wrote,
    plan (must be allowed) and execute as alice. The operator's audit log (the only one: gate
    answers the backend reports go to it too) is ``tmp_path / "audit.jsonl"``."""
    operator = Operator(live, AuditLog(tmp_path / "audit.jsonl", time.time))

    async def run(kind: ActionKind, name: str, *, expect_ok: bool = True, **options) -> Outcome:
        await in_sync(live, fake_cluster)
        plan: Plan = operator.plan(Action(kind, ReleaseRef(CONTEXT, name), **options))
        assert plan.ok, plan.refusal
        outcome = await operator.execute(plan, actor="alice")
        assert outcome.ok is expect_ok, outcome.message
        return outcome

    run.operator = operator  # type: ignore[attr-defined]
    return run


def writes(cluster, since: int = 0):
    """Mutating requests the backend sent (SelfSubjectAccessReviews excluded)."""
    return [r for r in list(cluster.requests)[since:] if r.method in ("PATCH", "PUT", "POST", "DELETE") and "selfsubjectaccessreviews" not in r.path]
