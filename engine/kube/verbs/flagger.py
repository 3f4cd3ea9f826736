"""Flagger verbs: gate decisions (no API write), suspend/resume, and retry by template annotation."""

from __future__ import annotations

from urllib.parse import urlparse

from rolldeck.engine.kube.mapping.flagger import GATE_PATH
from rolldeck.engine.kube.mapping.objects import Obj, name_of, namespace_of, spec, status
from rolldeck.engine.kube.resources import DEPLOYMENTS, MERGE_PATCH, STRATEGIC_MERGE_PATCH, Kind
from rolldeck.engine.kube.verbs.write import GateDecision, Intent, StateChanged, Write

RETRY_ANNOTATION = "rolldeck.io/retry-at"


def gate(canary: Obj, gate_type: str, note: str) -> Intent:
    """Open the gate under the key Flagger's own webhook URL carries, so its next call matches."""
    key = ""
    for hook in (spec(canary).get("analysis") or {}).get("webhooks") or []:
        path = urlparse(str(hook.get("url") or "")).path.rstrip("/")
        if hook.get("type") == gate_type and path.endswith(GATE_PATH + gate_type):
            key = path[: -len(GATE_PATH + gate_type)].strip("/")
            break
    return Intent(gate=GateDecision(namespace_of(canary), name_of(canary), gate_type, note, key), summary=note)


def set_suspended(kind: Kind, canary: Obj, suspended: bool) -> Intent:
    if bool(spec(canary).get("suspend")) == suspended:
        raise StateChanged(f"canary {name_of(canary)} is already {'suspended' if suspended else 'running'}")
    note = "suspend" if suspended else "resume"
    write = Write(kind, namespace_of(canary), name_of(canary), {"spec": {"suspend": suspended}}, MERGE_PATCH, note=note)
    return Intent((write,), summary=f"{note} canary {name_of(canary)}")


def retry(canary: Obj, target: Obj, stamp: str) -> Intent:
    """Flagger retries a failed canary when the target's pod template changes (Flagger FAQ)."""
    if status(canary).get("phase") != "Failed":
        raise StateChanged(f"canary {name_of(canary)} is {status(canary).get('phase') or 'not failed'}, not Failed")
    body = {"spec": {"template": {"metadata": {"annotations": {RETRY_ANNOTATION: stamp}}}}}
    write = Write(DEPLOYMENTS, namespace_of(target), name_of(target), body, STRATEGIC_MERGE_PATCH, note="new pod-template annotation")
    return Intent((write,), summary=f"retry canary {name_of(canary)}")
