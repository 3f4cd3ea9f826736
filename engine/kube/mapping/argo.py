"""Argo Rollouts → ``ReleaseState``: pure functions of the Rollout, its ReplicaSets and AnalysisRuns.

Ported from ``utils/rollout/rolloututil.go`` (``GetRolloutPhase``, ``CalculateRolloutPhase``) and
``utils/replicaset`` (``GetCurrentCanaryStep``, ``GetCurrentSetWeight``) at argo-rollouts 9f8d111d8;
see kubernetes-mechanics.md §10. Table-tested in tests/adapter/test_mapping_argo.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from rolldeck.engine.kube.mapping.objects import (
    Obj,
    OwnedIndex,
    controller_of,
    image_tag,
    int_or,
    meta,
    name_of,
    namespace_of,
    owned_by,
    revision_of,
    spec,
    status,
    workload_replicas,
)
from rolldeck.engine.kube.mapping.sources import Discovered, Sources
from rolldeck.engine.model import (
    DEFAULT_WEIGHT_STEPS,
    Owner,
    Phase,
    ReleaseRef,
    ReleaseState,
    Replicas,
    Role,
    Split,
    AnalysisStep,
    OtherStep,
    PauseStep,
    Router,
    Step,
    Strategy,
    VersionState,
    Wait,
    WaitKind,
    WeightStep,
)

REVISION = "rollout.argoproj.io/revision"
POD_HASH = "rollouts-pod-template-hash"
DEGRADED_REASONS = ("RolloutAborted", "ProgressDeadlineExceeded")


def steps(rollout: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    canary = (spec(rollout).get("strategy") or {}).get("canary")
    return list((canary or {}).get("steps") or [])


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def duration_s(value: object) -> float | None:
    """An Argo duration: seconds as a number, or Go's ``1h30m`` / ``30s`` / ``500ms``; None if unreadable."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value or "").strip()
    if text.isdigit():
        return float(text)
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _UNIT_S[u] for n, u in parts)


def typed_step(step: Mapping[str, Any]) -> Step:
    """One entry of ``spec.strategy.canary.steps`` as a typed step."""
    if "setWeight" in step:
        return WeightStep(int_or(step["setWeight"]))
    if "pause" in step:
        pause = step.get("pause") or {}
        return PauseStep(duration_s(pause.get("duration")) if isinstance(pause, Mapping) and pause.get("duration") is not None else None)
    if "analysis" in step:
        templates = (step.get("analysis") or {}).get("templates") or []
        return AnalysisStep(", ".join(str(t.get("templateName") or "") for t in templates if isinstance(t, Mapping)))
    return OtherStep(next(iter(step), "step"))


def is_canary(rollout: Mapping[str, Any]) -> bool:
    return (spec(rollout).get("strategy") or {}).get("blueGreen") is None


def current_step_index(rollout: Mapping[str, Any]) -> int | None:
    """``GetCurrentCanaryStep``'s index: None without steps; unset means 0."""
    if not steps(rollout):
        return None
    return int_or(status(rollout).get("currentStepIndex"), 0)


def current_set_weight(rollout: Mapping[str, Any]) -> int:
    """``GetCurrentSetWeight``: 0 when aborted, 100 after the last step, else the last setWeight so far."""
    if status(rollout).get("abort"):
        return 0
    all_steps = steps(rollout)
    index = current_step_index(rollout)
    if index is None or index >= len(all_steps):
        return 100
    for step in reversed(all_steps[: index + 1]):
        if "setWeight" in step:
            return int_or(step["setWeight"])
    return 0


def fully_promoted(rollout: Mapping[str, Any]) -> bool:
    st = status(rollout)
    return bool(st.get("stableRS")) and st.get("stableRS") == st.get("currentPodHash")


def _condition(rollout: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    return next((c for c in status(rollout).get("conditions") or [] if c.get("type") == kind), None)


def rollout_phase(rollout: Mapping[str, Any]) -> tuple[str, str]:
    """``GetRolloutPhase``: (phase, message) with the client-side overrides first."""
    md, st = meta(rollout), status(rollout)
    observed = st.get("observedGeneration")
    if observed is not None and str(observed) != str(md.get("generation")):
        return "Progressing", "waiting for rollout spec update to be observed"
    if st.get("controllerPause") and not st.get("pauseConditions"):
        return "Progressing", "waiting for rollout to unpause"
    if st.get("phase"):
        return str(st["phase"]), str(st.get("message") or "")
    return calculate_rollout_phase(rollout)


def calculate_rollout_phase(rollout: Mapping[str, Any]) -> tuple[str, str]:
    """``CalculateRolloutPhase``: for controllers that write no ``status.phase`` (≤ v0.10)."""
    sp, st = spec(rollout), status(rollout)
    invalid = _condition(rollout, "InvalidSpec")
    if invalid is not None and str(invalid.get("status", "True")) == "True":
        return "Degraded", str(invalid.get("message") or "InvalidSpec")
    progressing = _condition(rollout, "Progressing")
    if progressing is not None and progressing.get("reason") in DEGRADED_REASONS:
        return "Degraded", str(progressing.get("message") or progressing.get("reason"))
    if sp.get("paused"):
        return "Paused", "manually paused"
    for pause in st.get("pauseConditions") or []:
        return "Paused", str(pause.get("reason") or "paused")
    if sp.get("restartAt") and sp.get("restartAt") != st.get("restartedAt"):
        return "Progressing", "rollout is restarting"
    replicas = int_or(sp.get("replicas"), 1)
    updated = int_or(st.get("updatedReplicas"))
    available = int_or(st.get("availableReplicas"))
    if updated < replicas:
        return "Progressing", "more replicas need to be updated"
    if available < updated:
        return "Progressing", "updated replicas are still becoming available"
    if not is_canary(rollout):
        if (st.get("blueGreen") or {}).get("activeSelector") != st.get("currentPodHash"):
            return "Progressing", "active service cutover pending"
    else:
        canary = (sp.get("strategy") or {}).get("canary") or {}
        if not canary.get("trafficRouting") and int_or(st.get("replicas")) > updated:
            return "Progressing", "old replicas are pending termination"
        if st.get("stableRS") != st.get("currentPodHash"):
            return "Progressing", "waiting for all steps to complete"
    return "Healthy", ""


_PHASES = {"Healthy": Phase.HEALTHY, "Progressing": Phase.PROGRESSING, "Paused": Phase.PAUSED, "Degraded": Phase.DEGRADED}


def actual_canary_weight(rollout: Mapping[str, Any], canary_available: int) -> int:
    """What the controller reports it set on the router, or the pod ratio without traffic routing."""
    st = status(rollout)
    weights = ((st.get("canary") or {}).get("weights") or {}).get("canary")
    if isinstance(weights, Mapping) and "weight" in weights:
        return int_or(weights.get("weight"))
    index, count = current_step_index(rollout), len(steps(rollout))
    if index is not None and index >= count:
        return 100
    total = int_or(st.get("availableReplicas"))
    return round(canary_available * 100 / total) if total > 0 else 0


def router_of(rollout: Mapping[str, Any]) -> Router:
    strategy = spec(rollout).get("strategy") or {}
    if strategy.get("blueGreen") is not None:
        return Router.SERVICE
    routing = (strategy.get("canary") or {}).get("trafficRouting") or {}
    if routing.get("istio"):
        return Router.VIRTUAL_SERVICE
    plugins = routing.get("plugins") or {}
    if any("gatewayAPI" in key for key in plugins):
        return Router.HTTP_ROUTE
    if routing.get("smi"):
        return Router.SMI
    return Router.OTHER if routing else Router.NONE  # NGINX, ALB, Traefik…; none: the pod ratio


# Argo's pause-condition reasons (``PauseReason`` in pkg/apis/rollouts/v1alpha1/types.go).
_WAITS = {
    "CanaryPauseStep": WaitKind.PAUSE_STEP,
    "BlueGreenPause": WaitKind.PROMOTION,
    "InconclusiveAnalysisRun": WaitKind.INCONCLUSIVE,
    "InconclusiveExperiment": WaitKind.INCONCLUSIVE,
}


def wait_of(pause_reasons: list[str]) -> Wait | None:
    """The pause condition a human must resolve; an inconclusive analysis outranks a pause step."""
    waits = [Wait(_WAITS.get(reason, WaitKind.OTHER), reason=reason) for reason in pause_reasons if reason]
    order = list(WaitKind)
    return min(waits, key=lambda w: (w.kind is not WaitKind.INCONCLUSIVE, order.index(w.kind)), default=None)


def owned_replicasets(rollout: Obj, replicasets: Iterable[Obj]) -> list[Obj]:
    if isinstance(replicasets, OwnedIndex):
        return replicasets.owned_by(rollout)
    return [rs for rs in replicasets if owned_by(rs, rollout)]


def _by_hash(replicasets: Iterable[Obj]) -> dict[str, Obj]:
    return {str((meta(rs).get("labels") or {}).get(POD_HASH, "")): rs for rs in replicasets}


def _analysis_note(rollout: Mapping[str, Any], runs: Mapping[str, Obj]) -> str:
    st = status(rollout)
    current = (st.get("canary") or {}).get("currentStepAnalysisRunStatus") or (st.get("blueGreen") or {}).get(
        "prePromotionAnalysisRunStatus"
    )
    if not current:
        return ""
    name, phase = current.get("name", ""), current.get("status", "")
    run = runs.get(name)
    failed = ""
    if run is not None:
        bad = sum(int_or(m.get("failed")) for m in status(run).get("metricResults") or [])
        if bad:
            failed = f", {bad} failed measurement{'s' if bad != 1 else ''}"
    return f"analysis {name}: {phase}{failed}"


def _version(name: str, rs: Obj | None, role: Role) -> VersionState:
    if rs is None:
        return VersionState(name, "?", role, Replicas())
    revision = revision_of(rs, REVISION)
    label = image_tag(rs) + (f" (rev {revision})" if revision is not None else "")
    return VersionState(name, label, role, workload_replicas(rs))


def release_from_rollout(
    rollout: Obj, replicasets: Iterable[Obj], analysisruns: Iterable[Obj], *, cluster: str, region: str, name: str = ""
) -> Discovered:
    """Map one Rollout (with the ReplicaSets and AnalysisRuns of its namespace) to a release."""
    sp, st = spec(rollout), status(rollout)
    owned = owned_replicasets(rollout, replicasets)
    hashes = _by_hash(owned)
    runs = {name_of(r): r for r in analysisruns if controller_of(r) is None or owned_by(r, rollout)}
    stable_hash, current_hash = str(st.get("stableRS") or ""), str(st.get("currentPodHash") or "")
    phase_name, phase_message = rollout_phase(rollout)
    aborted = bool(st.get("abort"))
    pause_reasons = [str(p.get("reason") or "") for p in st.get("pauseConditions") or []]
    paused = bool(sp.get("paused")) or bool(pause_reasons)
    revisions = tuple(sorted({r for r in (revision_of(rs, REVISION) for rs in owned) if r is not None}))
    observed_gen = st.get("observedGeneration")
    stale = observed_gen is not None and str(observed_gen) != str(meta(rollout).get("generation"))

    release_name = name or name_of(rollout)
    ref = ReleaseRef(cluster, release_name)
    common: dict[str, Any] = dict(
        ref=ref,
        region=region,
        namespace=namespace_of(rollout),
        owner=Owner.ARGO_ROLLOUTS,
        phase=_PHASES.get(phase_name, Phase.UNKNOWN),
        paused=paused,
        aborted=aborted,
        wait=wait_of(pause_reasons),
        stale_spec=stale,
        router=router_of(rollout),
        revisions=revisions,
    )
    notes = [n for n in (phase_message, _analysis_note(rollout, runs), "Aborted: retry or undo" if aborted else "") if n]
    common["message"] = "; ".join(notes)
    sources = Sources(Owner.ARGO_ROLLOUTS, namespace_of(rollout), rollout=name_of(rollout))

    if is_canary(rollout):
        all_steps = steps(rollout)
        stable_rs = hashes.get(stable_hash)
        versions = [_version("stable", stable_rs, Role.STABLE)]
        desired: Split
        observed: Split
        if current_hash and current_hash != stable_hash:
            canary_rs = hashes.get(current_hash)
            versions.append(_version("canary", canary_rs, Role.CANDIDATE))
            weight = current_set_weight(rollout)
            available = int_or(status(canary_rs).get("availableReplicas")) if canary_rs else 0
            actual = actual_canary_weight(rollout, available)
            desired = Split.of(stable=100 - weight, canary=weight)
            observed = Split.of(stable=100 - actual, canary=actual)
        else:
            desired = observed = Split.of(stable=100)
        set_weights = {int_or(s["setWeight"]) for s in all_steps if "setWeight" in s}
        weight_steps = tuple(sorted(set_weights | {0, 100})) if set_weights else DEFAULT_WEIGHT_STEPS
        release = ReleaseState(
            **common,
            strategy=Strategy.CANARY,
            versions=tuple(versions),
            desired=desired,
            observed=observed,
            step=current_step_index(rollout),
            steps=tuple(typed_step(st) for st in all_steps),
            weight_steps=weight_steps,
        )
        return Discovered(release, sources)

    blue_green = st.get("blueGreen") or {}
    active_hash = str(blue_green.get("activeSelector") or stable_hash)
    preview_hash = str(blue_green.get("previewSelector") or current_hash)
    versions = [_version("active", hashes.get(active_hash), Role.STABLE)]
    split = {"active": 100}
    preview_slot = None
    if preview_hash and preview_hash != active_hash:
        versions.append(_version("preview", hashes.get(preview_hash), Role.CANDIDATE))
        split["preview"] = 0
        preview_slot = "preview"
    release = ReleaseState(
        **common,
        strategy=Strategy.BLUE_GREEN,
        versions=tuple(versions),
        desired=Split(tuple(split.items())),
        observed=Split(tuple(split.items())),
        active_slot="active",
        preview_slot=preview_slot,
    )
    return Discovered(release, sources)


def claimed_objects(rollout: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(kind key, name) of routes and Services this Rollout owns: no manual edits there."""
    namespace_free: set[tuple[str, str]] = set()
    strategy = spec(rollout).get("strategy") or {}
    for section in ("canary", "blueGreen"):
        body = strategy.get(section) or {}
        for key in ("activeService", "previewService", "canaryService", "stableService"):
            if body.get(key):
                namespace_free.add(("services", str(body[key])))
        routing = body.get("trafficRouting") or {}
        istio = routing.get("istio") or {}
        services = [istio.get("virtualService")] + list(istio.get("virtualServices") or [])
        for vs in services:
            if isinstance(vs, Mapping) and vs.get("name"):
                namespace_free.add(("virtualservices", str(vs["name"]).split(".")[0]))
        for plugin, config in (routing.get("plugins") or {}).items():
            if isinstance(config, Mapping):
                for key in ("httpRoute", "httpRoutes"):
                    value = config.get(key)
                    for route in value if isinstance(value, list) else [value]:
                        route_name = route.get("name") if isinstance(route, Mapping) else route
                        if route_name:
                            namespace_free.add(("httproutes", str(route_name)))
    return namespace_free
