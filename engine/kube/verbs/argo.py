"""Argo Rollouts verbs as the ``kubectl argo rollouts`` plugin sends them (kubernetes-mechanics.md §7).

"status" writes go to the ``/status`` subresource (not drift to Argo CD); "main" writes edit the
spec. Every body here is exactly the CLI's; the sender adds the resourceVersion precondition.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rolldeck.engine.kube.mapping import argo as argo_mapping
from rolldeck.engine.kube.mapping.objects import Obj, int_or, name_of, namespace_of, owned_by, revision_of, spec, status
from rolldeck.engine.kube.resources import DEPLOYMENTS, JSON_PATCH, MERGE_PATCH, REPLICASETS, Kind
from rolldeck.engine.kube.verbs.write import Intent, StateChanged, Write, pointer, template_without_label


def _is_inconclusive(rollout: Mapping[str, Any]) -> bool:
    """The CLI's ``isInconclusive``: the current step's analysis came back Inconclusive."""
    run = (status(rollout).get("canary") or {}).get("currentStepAnalysisRunStatus") or {}
    return run.get("status") == "Inconclusive"


def _step_guard(rollout: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A ``test`` on the step index, so a stale screen cannot promote twice."""
    st = status(rollout)
    if "currentStepIndex" in st:
        return [{"op": "test", "path": "/status/currentStepIndex", "value": st["currentStepIndex"]}]
    return []


def check_step(rollout: Mapping[str, Any], expected: int | None) -> None:
    if expected is None:
        return
    now = argo_mapping.current_step_index(rollout)
    if now is not None and now != expected:
        raise StateChanged(f"rollout moved to step {now} (the plan was made at step {expected})")


def promote(kind: Kind, rollout: Obj, expected_step: int | None = None) -> Intent:
    """``promote`` (default): first matching status branch (a)/(b)/(c), plus unpause if ``spec.paused``."""
    ns, name = namespace_of(rollout), name_of(rollout)
    st, sp = status(rollout), spec(rollout)
    if st.get("abort"):
        raise StateChanged("rollout is aborted: retry or undo it instead")
    check_step(rollout, expected_step)
    all_steps = argo_mapping.steps(rollout)
    index = int_or(st.get("currentStepIndex"), 0)
    nxt = min(index + 1, len(all_steps))
    pause_conditions = st.get("pauseConditions") or []
    writes: list[Write] = []
    canary = argo_mapping.is_canary(rollout)
    if canary and _is_inconclusive(rollout) and pause_conditions and st.get("controllerPause"):
        # (a) out of the inconclusive → pause loop (argo-rollouts#261)
        ops = _step_guard(rollout) + [
            {"op": "remove", "path": "/status/pauseConditions"},
            {"op": "add", "path": "/status/controllerPause", "value": False},
            {"op": "add", "path": "/status/currentStepIndex", "value": nxt},
        ]
        writes.append(Write(kind, ns, name, ops, JSON_PATCH, "status", note=f"past the inconclusive analysis: step {index} → {nxt}"))
        branch = "a"
    elif pause_conditions:
        # (b) continue past a pause step or BlueGreenPause
        writes.append(Write(kind, ns, name, {"status": {"pauseConditions": None}}, MERGE_PATCH, "status", note="clear pause conditions"))
        branch = "b"
    elif canary and all_steps:
        # (c) skip the current step (a running analysis or experiment); with spec.paused this is the
        # manual-pause quirk: promote resumes *and* advances one step
        ops = _step_guard(rollout) + [{"op": "add", "path": "/status/currentStepIndex", "value": nxt}]
        if "pauseConditions" in st:
            ops.insert(len(_step_guard(rollout)), {"op": "remove", "path": "/status/pauseConditions"})
        writes.append(Write(kind, ns, name, ops, JSON_PATCH, "status", note=f"skip step {index} → {nxt}"))
        branch = "c"
    else:
        branch = "-"
    if sp.get("paused"):
        writes.append(Write(kind, ns, name, {"spec": {"paused": False}}, MERGE_PATCH, note="unpause"))
    if not writes:
        raise StateChanged("nothing to promote: the rollout is not paused and has no steps left")
    return Intent(tuple(writes), summary=f"promote (branch {branch})")


def promote_full(kind: Kind, rollout: Obj) -> Intent:
    ns, name = namespace_of(rollout), name_of(rollout)
    st = status(rollout)
    if st.get("abort"):
        raise StateChanged("rollout is aborted: retry or undo it instead")
    writes = []
    if st.get("currentPodHash") != st.get("stableRS"):
        writes.append(Write(kind, ns, name, {"status": {"promoteFull": True}}, MERGE_PATCH, "status", note="promote --full"))
    if spec(rollout).get("paused"):
        writes.append(Write(kind, ns, name, {"spec": {"paused": False}}, MERGE_PATCH, note="unpause"))
    if not writes:
        raise StateChanged("rollout is already fully promoted")
    return Intent(tuple(writes), summary="promote --full")


def abort(kind: Kind, rollout: Obj) -> Intent:
    if status(rollout).get("abort"):
        raise StateChanged("rollout is already aborted")
    return Intent((Write(kind, namespace_of(rollout), name_of(rollout), {"status": {"abort": True}}, MERGE_PATCH, "status", note="abort"),), summary="abort")


def retry(kind: Kind, rollout: Obj) -> Intent:
    if not status(rollout).get("abort"):
        raise StateChanged("rollout is not aborted any more")
    return Intent((Write(kind, namespace_of(rollout), name_of(rollout), {"status": {"abort": False}}, MERGE_PATCH, "status", note="retry"),), summary="retry")


def set_paused(kind: Kind, rollout: Obj, paused: bool) -> Intent:
    if bool(spec(rollout).get("paused")) == paused and paused:
        raise StateChanged("rollout is already paused")
    note = "pause" if paused else "resume"
    return Intent((Write(kind, namespace_of(rollout), name_of(rollout), {"spec": {"paused": paused}}, MERGE_PATCH, note=note),), summary=note)


def undo(kind: Kind, rollout: Obj, replicasets: Iterable[Obj], to_revision: int | None, *, workload: Obj | None = None) -> Intent:
    """``undo [--to-revision=N]``: the chosen ReplicaSet's template, minus its pod-template hash.

    With ``spec.workloadRef`` the Rollout has no template of its own: the patch goes to the
    referenced Deployment's ``/spec/template`` (the CLI's ``undoWorkloadRef``)."""
    if spec(rollout).get("workloadRef") and workload is None:
        raise StateChanged("the workload the rollout's workloadRef names was not found")
    owned = [rs for rs in replicasets if owned_by(rs, rollout)]
    by_revision = {r: rs for rs in owned if (r := revision_of(rs, argo_mapping.REVISION)) is not None}
    if not by_revision:
        raise StateChanged("no ReplicaSets with revisions found for this rollout")
    ordered = sorted(by_revision)
    if to_revision in (None, 0):
        if len(ordered) < 2:
            raise StateChanged("no previous revision to undo to")
        to_revision = ordered[-2]
    target = by_revision.get(to_revision)
    if target is None:
        raise StateChanged(f"revision {to_revision} not found (have {', '.join(map(str, ordered))})")
    template = template_without_label(spec(target).get("template") or {}, argo_mapping.POD_HASH)
    source = workload if workload is not None else rollout
    if template == template_without_label(spec(source).get("template") or {}, argo_mapping.POD_HASH):
        raise StateChanged(f"the rollout already runs the template of revision {to_revision}")
    ops = [{"op": "replace", "path": pointer("spec", "template"), "value": template}]
    if workload is not None:
        target_kind = REPLICASETS if workload.get("kind") == "ReplicaSet" else DEPLOYMENTS
        note = f"{target_kind.kind.lower()} {name_of(workload)}: template of revision {to_revision}"
        write = Write(target_kind, namespace_of(workload), name_of(workload), ops, JSON_PATCH, note=note)
    else:
        write = Write(kind, namespace_of(rollout), name_of(rollout), ops, JSON_PATCH, note=f"template of revision {to_revision}")
    return Intent((write,), summary=f"undo to revision {to_revision}", extra={"revision": to_revision})
