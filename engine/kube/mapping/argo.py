"""Argo Rollouts → ``ReleaseState``: pure functions of the Rollout, its ReplicaSets and AnalysisRuns.

Ported from ``utils/rollout/rolloututil.go`` (``GetRolloutPhase``, ``CalculateRolloutPhase``) and
``utils/replicaset`` (``GetCurrentCanaryStep``, ``GetCurrentSetWeight``) at argo-rollouts 9f8d111d8;
see kubernetes-mechanics.md §10. Table-tested in tests/adapter/test_mapping_argo.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from rolldeck.engine.kube.mapping.argo_analysis import rollout_analysis
from rolldeck.engine.kube.mapping.objects import (
    Obj,
    OwnedIndex,
    annotations_of,
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
from rolldeck.engine.controller_analysis import AnalysisPhase, AnalysisSummary
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
WORKLOAD_GENERATION = "rollout.argoproj.io/workload-generation"
DEGRADED_REASONS = ("RolloutAborted", "ProgressDeadlineExceeded")
# workloadRef kinds rolldeck watches (PodTemplates it does not), by cache key
WORKLOAD_KINDS = {"Deployment": "deployments", "ReplicaSet": "replicasets"}
# What splits traffic, per trafficRouting key; managedRoutes / maxTrafficWeight are settings, not routers,
# and nginx, alb, ambassador, apisix, appMesh, traefik are routers rolldeck reads but does not edit (OTHER).
ROUTERS = {"istio": Router.VIRTUAL_SERVICE, "smi": Router.SMI}


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


def max_weight(rollout: Mapping[str, Any]) -> int:
    """``MaxTrafficWeight``: weights are out of 100 unless trafficRouting.maxTrafficWeight says otherwise."""
    routing = ((spec(rollout).get("strategy") or {}).get("canary") or {}).get("trafficRouting") or {}
    return int_or(routing.get("maxTrafficWeight"), 100) or 100


def current_set_weight(rollout: Mapping[str, Any]) -> int:
    """``GetCurrentSetWeight``: 0 when aborted, the max weight after the last step, else the last setWeight so far."""
    if status(rollout).get("abort"):
        return 0
    all_steps = steps(rollout)
    index = current_step_index(rollout)
    if index is None or index >= len(all_steps):
        return max_weight(rollout)
    for step in reversed(all_steps[: index + 1]):
        if "setWeight" in step:
            return int_or(step["setWeight"])
    return 0


def fully_promoted(rollout: Mapping[str, Any]) -> bool:
    st = status(rollout)
    return bool(st.get("stableRS")) and st.get("stableRS") == st.get("currentPodHash")


def generation_observed(rollout: Mapping[str, Any]) -> bool:
    """``isGenerationObserved``: an unparsable observedGeneration (a v0.9 hash) or one ahead of the
    object's generation counts as observed; only a smaller number means the spec is not seen yet."""
    try:
        observed = int(str(status(rollout).get("observedGeneration")))
    except ValueError:
        return True
    return observed >= int_or(meta(rollout).get("generation"), 0)


def workload_generation_observed(rollout: Mapping[str, Any]) -> bool:
    """``isWorkloadGenerationObserved``, for a Rollout whose template comes from ``workloadRef``."""
    if not spec(rollout).get("workloadRef"):
        return True
    wanted = annotations_of(rollout).get(WORKLOAD_GENERATION)
    try:
        return wanted is None or int(str(status(rollout).get("workloadObservedGeneration"))) == int(wanted)
    except ValueError:
        return True


def rollout_phase(rollout: Mapping[str, Any]) -> tuple[str, str]:
    """``GetRolloutPhase``: (phase, message) with the client-side overrides first."""
    st = status(rollout)
    if not generation_observed(rollout):
        return "Progressing", "waiting for rollout spec update to be observed"
    if st.get("controllerPause") and not st.get("pauseConditions"):
        return "Progressing", "waiting for rollout to unpause"
    if not workload_generation_observed(rollout):
        return "Progressing", "waiting for rollout spec update to be observed for the reference workload"
    if st.get("phase"):
        return str(st["phase"]), str(st.get("message") or "")
    return calculate_rollout_phase(rollout)


def _completed(run: Mapping[str, Any] | None) -> bool:
    return run is not None and str(run.get("status") or "") in ("Successful", "Failed", "Error", "Inconclusive")


def calculate_rollout_phase(rollout: Mapping[str, Any]) -> tuple[str, str]:
    """``CalculateRolloutPhase``: for controllers that write no ``status.phase`` (≤ v0.10)."""
    sp, st = spec(rollout), status(rollout)
    for condition in st.get("conditions") or []:
        if condition.get("type") == "InvalidSpec":
            return "Degraded", f"InvalidSpec: {condition.get('message') or ''}"
        if condition.get("reason") in DEGRADED_REASONS:
            return "Degraded", f"{condition['reason']}: {condition.get('message') or ''}"
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
    current, stable = st.get("currentPodHash"), st.get("stableRS")
    if not is_canary(rollout):
        active = (st.get("blueGreen") or {}).get("activeSelector")
        if not active or active != current:
            return "Progressing", "active service cutover pending"
        if not stable or stable != current:
            # switched, not yet marked stable: post-promotion analysis, or verification
            blue_green = (sp.get("strategy") or {}).get("blueGreen") or {}
            if blue_green.get("postPromotionAnalysis") is not None and not _completed((st.get("blueGreen") or {}).get("postPromotionAnalysisRunStatus")):
                return "Progressing", "waiting for analysis to complete"
            return "Progressing", "waiting for post-promotion verification to complete"
    else:
        canary = (sp.get("strategy") or {}).get("canary") or {}
        if not canary.get("trafficRouting") and int_or(st.get("replicas")) > updated:
            return "Progressing", "old replicas are pending termination"
        if not stable or stable != current:
            return "Progressing", "waiting for all steps to complete"
    return "Healthy", ""


_PHASES = {"Healthy": Phase.HEALTHY, "Progressing": Phase.PROGRESSING, "Paused": Phase.PAUSED, "Degraded": Phase.DEGRADED}


def actual_canary_weight(rollout: Mapping[str, Any], canary_available: int) -> int:
    """The plugin's ActualWeight (``info/rollout_info.go``), in units of the max weight: the max after
    the last step; with pods available, the router's reported weight (SetWeight while it reports
    none), or without a router the canary's share of available pods, floored."""
    st = status(rollout)
    index, count = current_step_index(rollout), len(steps(rollout))
    if index is None or index >= count:
        return max_weight(rollout)
    total = int_or(st.get("availableReplicas"))
    if total <= 0:
        return 0
    routing = ((spec(rollout).get("strategy") or {}).get("canary") or {}).get("trafficRouting")
    if not routing:
        return canary_available * max_weight(rollout) // total
    weights = (st.get("canary") or {}).get("weights")
    if isinstance(weights, Mapping) and isinstance(weights.get("canary"), Mapping):
        return int_or(weights["canary"].get("weight"))
    return current_set_weight(rollout)


def reported_weights(rollout: Mapping[str, Any]) -> list[tuple[str, int]] | None:
    """What the controller says it set on the router (``status.canary.weights``): stable, canary and
    any experiment destinations, in units of the max weight; None when it reports nothing."""
    weights = (status(rollout).get("canary") or {}).get("weights")
    if not isinstance(weights, Mapping) or not isinstance(weights.get("canary"), Mapping):
        return None
    out = [("stable", int_or((weights.get("stable") or {}).get("weight"))), ("canary", int_or(weights["canary"].get("weight")))]
    for i, extra in enumerate(weights.get("additional") or []):
        out.append((str(extra.get("serviceName") or f"experiment-{i + 1}"), int_or(extra.get("weight"))))
    return out


def router_of(rollout: Mapping[str, Any]) -> Router:
    strategy = spec(rollout).get("strategy") or {}
    if strategy.get("blueGreen") is not None:
        return Router.SERVICE
    routing = (strategy.get("canary") or {}).get("trafficRouting") or {}
    for key, router in ROUTERS.items():
        if key in routing:  # "smi: {}" is a complete configuration
            return router
    plugins = routing.get("plugins") or {}
    if any("gatewayAPI" in key for key in plugins):
        return Router.HTTP_ROUTE
    return Router.OTHER if routing else Router.NONE  # NGINX, ALB, Traefik, other plugins…; none: the pod ratio


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


def _analysis_note(rollout: Mapping[str, Any], analyses: Iterable[AnalysisSummary]) -> str:
    """The analysis the rollout waits on (step or pre-promotion), or a background run that went bad."""
    st = status(rollout)
    by_name = {a.name: a for a in analyses}
    canary, blue_green = st.get("canary") or {}, st.get("blueGreen") or {}
    notes = []
    for current, always in (
        (canary.get("currentStepAnalysisRunStatus") or blue_green.get("prePromotionAnalysisRunStatus"), True),
        (canary.get("currentBackgroundAnalysisRunStatus") or blue_green.get("postPromotionAnalysisRunStatus"), False),
    ):
        if not current or not (always or AnalysisPhase.of(current.get("status")).bad):
            continue
        name, phase = current.get("name", ""), current.get("status", "")
        summary = by_name.get(name)
        bad = summary.failed if summary is not None else 0
        notes.append(f"analysis {name}: {phase}" + (f", {bad} failed measurement{'s' if bad != 1 else ''}" if bad else ""))
    return "; ".join(notes)


def _version(name: str, rs: Obj | None, role: Role) -> VersionState:
    if rs is None:
        return VersionState(name, "?", role, Replicas())
    revision = revision_of(rs, REVISION)
    label = image_tag(rs) + (f" (rev {revision})" if revision is not None else "")
    return VersionState(name, label, role, workload_replicas(rs))


def _from_status(rollout: Obj, template_source: Obj, names: tuple[str, str | None]) -> list[VersionState]:
    """Versions when the ReplicaSets are not in view (RBAC may hide them): pod counts from the
    Rollout's status, as lower bounds (a candidate's ready pods are at least the ready pods that
    cannot be old ones), never more than the status proves."""
    sp, st = spec(rollout), status(rollout)
    desired = int_or(sp.get("replicas"), 1)
    total, updated, ready = int_or(st.get("replicas")), int_or(st.get("updatedReplicas")), int_or(st.get("readyReplicas"))
    stable_name, candidate_name = names
    if candidate_name is None:
        return [VersionState(stable_name, image_tag(template_source), Role.STABLE, Replicas(desired, ready, updated))]
    preview = int_or(((sp.get("strategy") or {}).get("blueGreen") or {}).get("previewReplicaCount"), desired)
    candidate_ready = min(updated, max(0, ready - (total - updated)))
    return [
        VersionState(stable_name, "?", Role.STABLE, Replicas(desired, max(0, ready - updated), 0)),
        VersionState(candidate_name, image_tag(template_source), Role.CANDIDATE, Replicas(preview if not is_canary(rollout) else updated, candidate_ready, updated)),
    ]


def _percent(value: int, scale: int) -> int:
    return value * 100 // scale if scale != 100 else value


def release_from_rollout(
    rollout: Obj,
    replicasets: Iterable[Obj],
    analysisruns: Iterable[Obj],
    *,
    cluster: str,
    region: str,
    name: str = "",
    experiments: Iterable[Obj] = (),
    workload: Obj | None = None,
) -> Discovered:
    """Map one Rollout (with the ReplicaSets, AnalysisRuns and Experiments of its namespace, and the
    Deployment its ``workloadRef`` names) to a release."""
    sp, st = spec(rollout), status(rollout)
    owned = owned_replicasets(rollout, replicasets)
    hashes = _by_hash(owned)
    stable_hash, current_hash = str(st.get("stableRS") or ""), str(st.get("currentPodHash") or "")
    phase_name, phase_message = rollout_phase(rollout)
    aborted = bool(st.get("abort"))
    pause_reasons = [str(p.get("reason") or "") for p in st.get("pauseConditions") or []]
    paused = bool(sp.get("paused")) or bool(pause_reasons)
    revisions = tuple(sorted({r for r in (revision_of(rs, REVISION) for rs in owned) if r is not None}))
    analyses, experiment_summaries, unread = rollout_analysis(rollout, analysisruns, experiments)
    reference = sp.get("workloadRef") or {}
    template_source = rollout
    if reference:
        if workload is not None:
            template_source = workload
        else:
            kind = reference.get("kind", "Deployment")
            why = "not found" if kind in WORKLOAD_KINDS else "is a kind rolldeck does not read"
            unread.append(f"workloadRef {kind} {reference.get('name', '?')} {why}: the template is unknown")
    no_replicasets = not owned and int_or(st.get("replicas")) > 0
    if no_replicasets:
        unread.append("ReplicaSets not in view (RBAC?): pods per version are lower bounds from the Rollout's status")

    common: dict[str, Any] = dict(
        ref=ReleaseRef(cluster, name or name_of(rollout)),
        region=region,
        namespace=namespace_of(rollout),
        owner=Owner.ARGO_ROLLOUTS,
        phase=_PHASES.get(phase_name, Phase.UNKNOWN),
        paused=paused,
        aborted=aborted,
        wait=wait_of(pause_reasons),
        stale_spec=not generation_observed(rollout),
        router=router_of(rollout),
        revisions=revisions,
        analyses=analyses,
        experiments=experiment_summaries,
    )
    notes = [n for n in (phase_message, _analysis_note(rollout, analyses), "Aborted: retry or undo" if aborted else "") if n]
    common["message"] = "; ".join(notes)
    workload_key = WORKLOAD_KINDS.get(str(reference.get("kind") or "Deployment"))
    workload_ref = (workload_key, str(reference["name"])) if workload_key and reference.get("name") else None
    sources = Sources(Owner.ARGO_ROLLOUTS, namespace_of(rollout), rollout=name_of(rollout), workload=workload_ref)
    changing = bool(current_hash) and current_hash != stable_hash

    if is_canary(rollout):
        all_steps = steps(rollout)
        scale = max_weight(rollout)
        if no_replicasets:
            versions = _from_status(rollout, template_source, ("stable", "canary" if changing else None))
        else:
            versions = [_version("stable", hashes.get(stable_hash), Role.STABLE)]
            if changing:
                versions.append(_version("canary", hashes.get(current_hash), Role.CANDIDATE))
        desired: Split
        observed: Split
        if changing:
            canary_rs = hashes.get(current_hash)
            weight = current_set_weight(rollout)
            available = int_or(status(canary_rs).get("availableReplicas")) if canary_rs else 0
            actual = actual_canary_weight(rollout, available)
            desired = Split.of(stable=_percent(scale - weight, scale), canary=_percent(weight, scale))
            observed = Split.of(stable=_percent(scale - actual, scale), canary=_percent(actual, scale))
            reported = reported_weights(rollout)
            index = current_step_index(rollout)
            steps_left = index is not None and index < len(all_steps)
            if reported is not None and steps_left and int_or(st.get("availableReplicas")) > 0:
                observed = Split(tuple((n, _percent(w, scale)) for n, w in reported))
                if sum(w for _, w in reported) != scale:
                    unread.append(f"the controller reports weights summing to {sum(w for _, w in reported)} of {scale}")
        else:
            desired = observed = Split.of(stable=100)
        set_weights = {_percent(int_or(s["setWeight"]), scale) for s in all_steps if "setWeight" in s}
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
            unread=tuple(unread),
        )
        return Discovered(release, sources)

    blue_green = st.get("blueGreen") or {}
    active_hash = str(blue_green.get("activeSelector") or stable_hash)
    preview_hash = str(blue_green.get("previewSelector") or current_hash)
    two = bool(preview_hash) and preview_hash != active_hash
    if no_replicasets:
        versions = _from_status(rollout, template_source, ("active", "preview" if two else None))
    else:
        versions = [_version("active", hashes.get(active_hash), Role.STABLE)]
        if two:
            versions.append(_version("preview", hashes.get(preview_hash), Role.CANDIDATE))
    split = {"active": 100, **({"preview": 0} if two else {})}
    release = ReleaseState(
        **common,
        strategy=Strategy.BLUE_GREEN,
        versions=tuple(versions),
        desired=Split(tuple(split.items())),
        observed=Split(tuple(split.items())),
        active_slot="active",
        preview_slot="preview" if two else None,
        unread=tuple(unread),
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
    reference = spec(rollout).get("workloadRef") or {}
    if reference.get("name") and reference.get("kind", "Deployment") == "Deployment":
        # the template's source: part of this release, never an unmanaged one of its own
        namespace_free.add(("deployments", str(reference["name"])))
    return namespace_free
