"""Deployments as versions: replicas, state, revisions, and the one rounding rule for splits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rolldeck.engine.kube.mapping.objects import (
    LabelIndex,
    Obj,
    OwnedIndex,
    image_tag,
    int_or,
    meta,
    owned_by,
    revision_of,
    selector_matches,
    spec,
    status,
    sum_replicas,
    template_labels,
    workload_replicas,
)
from rolldeck.engine.model import Phase, Replicas, Role, VersionState

DEPLOYMENT_REVISION = "deployment.kubernetes.io/revision"


def percentages(weights: list[int]) -> list[int]:
    """Relative weights → integer percentages summing to 100 (largest remainder)."""
    total = sum(max(0, w) for w in weights)
    if total <= 0:
        return [0] * len(weights)
    raw = [max(0, w) * 100 / total for w in weights]
    result = [int(r) for r in raw]
    for index in sorted(range(len(raw)), key=lambda i: raw[i] - result[i], reverse=True)[: 100 - sum(result)]:
        result[index] += 1
    return result


def deployments_for_service(service: Obj | None, deployments: Iterable[Obj] | LabelIndex, extra: Mapping[str, str] | None = None) -> list[Obj]:
    if service is None:
        return []
    selector = {**(spec(service).get("selector") or {}), **(extra or {})}
    if isinstance(deployments, LabelIndex):
        return deployments.matching(selector)
    return [d for d in deployments if selector_matches(selector, template_labels(d))]


def deployment_state(items: list[Obj]) -> tuple[bool, bool, bool, bool]:
    """(paused, rolling, degraded, stale) over a version's Deployments."""
    paused = rolling = degraded = stale = False
    for d in items:
        sp, st = spec(d), status(d)
        paused |= bool(sp.get("paused"))
        generation, observed = int_or(meta(d).get("generation"), 0), int_or(st.get("observedGeneration"), 0)
        stale |= observed < generation
        replicas = int_or(sp.get("replicas"), 1)
        rolling |= observed < generation or int_or(st.get("updatedReplicas")) < replicas or int_or(st.get("availableReplicas")) < replicas
        for condition in st.get("conditions") or []:
            if condition.get("type") == "Progressing" and condition.get("reason") == "ProgressDeadlineExceeded":
                degraded = True
    return paused, rolling, degraded, stale


def deployment_revisions(deployment: Obj | None, replicasets: Iterable[Obj]) -> tuple[int, ...]:
    if deployment is None:
        return ()
    owned = replicasets.owned_by(deployment) if isinstance(replicasets, OwnedIndex) else [rs for rs in replicasets if owned_by(rs, deployment)]
    found = {revision_of(rs, DEPLOYMENT_REVISION) for rs in owned}
    return tuple(sorted(r for r in found if r is not None))


def version_of(name: str, items: list[Obj], role: Role) -> VersionState:
    revision = image_tag(items[0]) if items else "?"
    replicas = sum_replicas(workload_replicas(d) for d in items) if items else Replicas()
    return VersionState(name, revision, role, replicas)


def assemble_phase(*, degraded: bool, paused: bool, progressing: bool) -> Phase:
    if degraded:
        return Phase.DEGRADED
    if paused:
        return Phase.PAUSED
    return Phase.PROGRESSING if progressing else Phase.HEALTHY
