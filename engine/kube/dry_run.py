"""The server's dry run: what ``apply`` would send, previewed with ``dryRun=All`` — nothing is stored.

One typed line per request (``DryRunLine`` in the port): the object's changed leaves as the API
server would store them, "no API request" for a Flagger gate, or why this request (or the whole
plan) cannot be previewed. A failed preview informs the decision; it never raises.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rolldeck.engine.kube import verbs
from rolldeck.engine.kube.applier import Applier, resource_version
from rolldeck.engine.kube.errors import HttpError, describe, one_line
from rolldeck.engine.kube.gate_service import GateService
from rolldeck.engine.kube.redaction import scrub
from rolldeck.engine.kube.reflector import TRANSPORT_ERRORS
from rolldeck.engine.plans import Plan
from rolldeck.engine.port import ApplyError, DryRun, DryRunKind, DryRunLine


class ServerDryRun:
    def __init__(self, applier: Applier, gates: GateService) -> None:
        self._applier = applier
        self._gates = gates

    async def dry_run(self, plan: Plan) -> DryRun:
        answer = await self._preview(plan)
        # the preview holds what the server sent back: its lines are scrubbed like any error text
        return DryRun(tuple(DryRunLine(line.kind, scrub(line.text)) for line in answer.lines))

    async def _preview(self, plan: Plan) -> DryRun:
        target = plan.action.target
        try:
            connection = self._applier.connection(target)
        except ApplyError as error:
            return DryRun.unavailable(str(error))
        found = self._applier.find(target)
        if found is None:
            return DryRun.unavailable(f"release {target} no longer exists")
        try:
            live = await self._applier.read_live(connection, plan, found, fresh=True)
            intent = self._applier.intent(connection, plan, found, live)
        except verbs.StateChanged as error:
            return DryRun.unavailable(f"cannot preview: {one_line(str(error))}")
        except ApplyError as error:
            return DryRun.unavailable(f"preview unavailable: {error}")
        if intent.gate is not None:
            gate = intent.gate
            url = self._gates.url(connection.name, gate.gate) or "(gate service off)"
            text = f"no API request: opens Flagger gate {gate.gate} for {gate.namespace}/{gate.canary}, used once at Flagger's next call to {url}"
            return DryRun((DryRunLine(DryRunKind.NO_REQUEST, text),))
        assert connection.write_api is not None
        lines = []
        for write in intent.writes:
            current = live.objects.get((write.kind.key, write.name))
            try:
                preview = await verbs.send(connection.write_api, write, rv=resource_version(current), dry_run=True)
            except HttpError as error:
                lines.append(DryRunLine(DryRunKind.UNAVAILABLE, f"{write.path}: preview unavailable ({error})"))
                continue
            except TRANSPORT_ERRORS as error:
                lines.append(DryRunLine(DryRunKind.UNAVAILABLE, f"{write.path}: preview unavailable ({describe(error)})"))
                continue
            changes = object_diff(current or {}, preview)
            lines.append(DryRunLine(DryRunKind.CHANGE, f"PATCH {write.path}: " + ("; ".join(changes) if changes else "no change")))
        return DryRun(tuple(lines))


_IGNORED = ("metadata.resourceVersion", "metadata.managedFields", "metadata.generation", "metadata.creationTimestamp", "metadata.uid", "status")


def object_diff(before: Mapping[str, Any], after: Mapping[str, Any], limit: int = 12) -> list[str]:
    """Changed leaves between two versions of an object, as ``path: old → new`` (status included
    only when it is what changed, i.e. for status-subresource writes)."""
    left, right = _flatten(before), _flatten(after)
    paths = sorted(set(left) | set(right))
    spec_changed = [p for p in paths if left.get(p, _MISSING) != right.get(p, _MISSING) and not p.startswith(_IGNORED)]
    status_changed = [p for p in paths if left.get(p, _MISSING) != right.get(p, _MISSING) and p.startswith("status")]
    changed = spec_changed or status_changed
    out = [f"{p}: {_show(left.get(p, _MISSING))} → {_show(right.get(p, _MISSING))}" for p in changed[:limit]]
    if len(changed) > limit:
        out.append(f"… {len(changed) - limit} more")
    return out


_MISSING = object()


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        if not value:
            return {prefix: {}} if prefix else {}
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list):
        if not value:
            return {prefix: []}
        out = {}
        for index, inner in enumerate(value):
            out.update(_flatten(inner, f"{prefix}[{index}]"))
        return out
    return {prefix: value}


def _show(value: Any) -> str:
    if value is _MISSING:
        return "∅"
    text = json.dumps(value, separators=(",", ":"), default=str)
    return text if len(text) <= 60 else text[:59] + "…"
