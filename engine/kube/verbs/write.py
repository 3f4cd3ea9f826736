"""A write the API server should receive, and sending it through kubernetes-asyncio.

Verb builders are pure: from live objects to ``Write`` values (path, content type, body). The
sender adds the resourceVersion precondition (a ``test`` op for JSON patches, which fails 422, or
``metadata.resourceVersion`` for merge patches, which fails 409), ``fieldManager=rolldeck``, an
explicit content type and a timeout (kubernetes-asyncio-notes.md §1, pitfalls 1, 2 and 4).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kubernetes_asyncio.client import ApiClient

from rolldeck.engine.kube.errors import HttpError
from rolldeck.engine.kube.resources import JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, Kind, patch_call, read_json

FIELD_MANAGER = "rolldeck"
WRITE_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds
_SHORT = {JSON_PATCH: "json-patch", MERGE_PATCH: "merge", STRATEGIC_MERGE_PATCH: "strategic-merge"}


class StateChanged(Exception):
    """The live object no longer matches what the plan was made from: re-plan, never overwrite."""


@dataclass(frozen=True, slots=True)
class Write:
    kind: Kind
    namespace: str
    name: str
    body: Any  # dict for merge / strategic merge, list of ops for JSON patch
    content_type: str
    subresource: str = ""  # "status" for the status subresource
    guard: bool = True  # add the live resourceVersion as a precondition
    note: str = ""  # what it does, for humans

    @property
    def path(self) -> str:
        return self.kind.path(self.namespace, self.name, self.subresource)

    def with_rv(self, rv: str | None) -> Any:
        """The body as sent: with the resourceVersion precondition when guarded."""
        body = copy.deepcopy(self.body)
        if not self.guard or not rv:
            return body
        if self.content_type == JSON_PATCH:
            return [{"op": "test", "path": "/metadata/resourceVersion", "value": rv}, *body]
        body.setdefault("metadata", {})["resourceVersion"] = rv
        return body

    def describe(self, rv: str | None = None) -> str:
        body = json.dumps(self.with_rv(rv), separators=(",", ":"), sort_keys=False)
        return f"PATCH {self.path} ({_SHORT.get(self.content_type, self.content_type)}) {body}"


@dataclass(frozen=True, slots=True)
class GateDecision:
    """Flagger verbs write nothing to the API: they open one of rolldeck's gate webhooks."""

    namespace: str
    canary: str
    gate: str  # confirm-rollout, confirm-traffic-increase, confirm-promotion, rollback
    note: str = ""
    key: str = ""  # the cluster segment of the webhook URL (/<key>/rolldeck/gate/<gate>), as Flagger will call it


@dataclass(frozen=True, slots=True)
class Intent:
    writes: tuple[Write, ...] = ()
    gate: GateDecision | None = None
    summary: str = ""  # e.g. "promote: branch (c) step 1 → 2"
    extra: dict[str, Any] = field(default_factory=dict)


def template_without_label(template: Mapping[str, Any], label: str) -> dict[str, Any]:
    """A deep copy of a pod template without one label: rollback compares templates as the
    controllers do, ignoring the hash label they add themselves."""
    copied: dict[str, Any] = copy.deepcopy(dict(template))
    labels = (copied.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(label, None)
    return copied


def pointer(*parts: object) -> str:
    """RFC 6901 JSON pointer: ``~`` → ``~0``, ``/`` → ``~1`` (label keys contain slashes)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


async def send(api: ApiClient, write: Write, *, rv: str | None, dry_run: bool = False) -> dict[str, Any]:
    """PATCH through the library; returns the object as stored (or as it would be, with dry run)."""
    call = patch_call(api, write.kind, write.namespace, write.name, write.subresource)
    options: dict[str, Any] = {
        "field_manager": FIELD_MANAGER,
        "_content_type": write.content_type,
        "_preload_content": False,
        "_request_timeout": WRITE_TIMEOUT,
    }
    if dry_run:
        options["dry_run"] = "All"
    answer: dict[str, Any]
    try:
        answer = await read_json(await call(write.with_rv(rv), **options))
        return answer
    except HttpError as error:
        if error.status == 404 and write.subresource == "status" and write.kind.key == "rollouts":
            # Controllers before v0.10 have no status subresource: the CLI's unified patch.
            main = Write(write.kind, write.namespace, write.name, write.body, write.content_type, "", write.guard, write.note)
            call = patch_call(api, main.kind, main.namespace, main.name)
            answer = await read_json(await call(main.with_rv(rv), **options))
            return answer
        raise
