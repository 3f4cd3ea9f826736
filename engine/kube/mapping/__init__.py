"""From one cluster's cached objects to its releases: pure, so it is table-tested without a server.

Order matters for the owner rule: Argo Rollouts and Flagger claim their routes, Services and
Deployments first; only what nobody claimed can become an ``unmanaged`` release.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from rolldeck.engine.kube.mapping import argo, flagger, unmanaged
from rolldeck.engine.kube.mapping.argocd import gitops_for
from rolldeck.engine.kube.mapping.objects import LabelIndex, Obj, Objects, name_of, namespace_of
from rolldeck.engine.kube.mapping.readable import DATA_ERRORS, Guard, describe, readable
from rolldeck.engine.kube.mapping.route_release import route_release
from rolldeck.engine.kube.mapping.sources import Discovered
from rolldeck.engine.model import ReleaseRef, Unmapped

__all__ = ["ClusterMapping", "Discovered", "Objects", "map_cluster", "map_objects", "unmapped_objects"]


@dataclass(frozen=True, slots=True)
class ClusterMapping:
    releases: list[Discovered]
    unmapped: tuple[Unmapped, ...] = ()


def map_cluster(objects: Objects, *, cluster: str, region: str, gate_waits: Mapping[str, str] | None = None) -> list[Discovered]:
    return map_objects(objects, cluster=cluster, region=region, gate_waits=gate_waits).releases


def unmapped_objects(objects: Objects, *, cluster: str = "", region: str = "") -> tuple[Unmapped, ...]:
    return map_objects(objects, cluster=cluster, region=region).unmapped


def map_objects(objects: Objects, *, cluster: str, region: str, gate_waits: Mapping[str, str] | None = None) -> ClusterMapping:
    """Total over its input: a malformed object is an unreadable row, and the rest maps as if it
    were absent (``readable``); should a shape still slip through, this cluster says so in one row
    and the other clusters map on."""
    checked = readable(objects)
    guard = Guard()
    try:
        mapped = _map_objects(checked.objects, guard, cluster=cluster, region=region, gate_waits=gate_waits, claimed=_claims(checked.aside))
    except DATA_ERRORS as error:
        failed = Unmapped("cluster", "", cluster, f"could not be mapped: {describe(error)}", unreadable=True)
        return ClusterMapping([], _ordered([*checked.rows, *guard.rows, failed]))
    return ClusterMapping(mapped.releases, _ordered([*mapped.unmapped, *checked.rows, *guard.rows]))


CLAIMERS = {"rollouts": argo.claimed_objects, "canaries": flagger.claimed_objects}


def _claims(aside: Iterable[tuple[str, Obj]]) -> set[tuple[str, str, str]]:
    """What unreadable Rollouts and Canaries still own, when their spec can be read: their Services
    and routes are theirs, not releases of their own (never invent a release)."""
    claimed: set[tuple[str, str, str]] = set()
    for key, obj in aside:
        claimer = CLAIMERS.get(key)
        if claimer is None:
            continue
        try:
            claimed |= {(namespace_of(obj), kind, name) for kind, name in claimer(obj)}
        except DATA_ERRORS:
            continue  # its row already says it is unreadable
    return claimed


def _ordered(rows: Iterable[Unmapped]) -> tuple[Unmapped, ...]:
    return tuple(sorted(rows, key=lambda u: (u.namespace, u.kind, u.name)))


def _map_objects(
    objects: Objects, guard: Guard, *, cluster: str, region: str, gate_waits: Mapping[str, str] | None, claimed: set[tuple[str, str, str]]
) -> ClusterMapping:
    found: list[tuple[Discovered, list[Obj]]] = []
    unmapped: list[Unmapped] = []
    claimed = set(claimed)  # (namespace, kind key, name)

    def map_rollout(rollout: Obj) -> tuple[Discovered, list[Obj]]:
        ns = namespace_of(rollout)
        reference = (rollout.get("spec") or {}).get("workloadRef") or {}
        workload_key = argo.WORKLOAD_KINDS.get(str(reference.get("kind") or "Deployment"))
        workload = objects.get(workload_key, ns, str(reference["name"])) if workload_key and reference.get("name") else None
        discovered = argo.release_from_rollout(
            rollout,
            objects.owned_index("replicasets", ns),
            objects.in_namespace("analysisruns", ns),
            cluster=cluster,
            region=region,
            experiments=objects.in_namespace("experiments", ns),
            workload=workload,
        )
        return discovered, [rollout, *([workload] if workload is not None else [])]

    for rollout in objects.all("rollouts"):
        ns = namespace_of(rollout)
        # claims first, on their own: a Rollout whose status is unreadable still owns its Services
        claims = guard.run("rollouts", rollout, lambda: argo.claimed_objects(rollout))
        claimed |= {(ns, kind, name) for kind, name in claims or ()}
        one = guard.run("rollouts", rollout, lambda: map_rollout(rollout))
        if one is not None:
            found.append(one)

    def map_canary(canary: Obj) -> tuple[Discovered, list[Obj]]:
        ns = namespace_of(canary)
        deployments = {name_of(d): d for d in objects.in_namespace("deployments", ns)}
        routes = {kind: objects.in_namespace(kind, ns) for kind in ("virtualservices", "httproutes")}
        discovered = flagger.release_from_canary(canary, deployments, cluster=cluster, region=region, gate_waits=gate_waits, routes=routes)
        return discovered, [canary, *(deployments[n] for n in (discovered.sources.target,) if n in deployments)]

    for canary in objects.all("canaries"):
        ns = namespace_of(canary)
        claims = guard.run("canaries", canary, lambda: flagger.claimed_objects(canary))
        claimed |= {(ns, kind, name) for kind, name in claims or ()}
        one = guard.run("canaries", canary, lambda: map_canary(canary))
        if one is not None:
            found.append(one)

    def free(kind: str, obj: Obj) -> bool:
        return (namespace_of(obj), kind, name_of(obj)) not in claimed and not unmanaged.owned_by_controller(obj)

    free_deployments: dict[str, LabelIndex] = {}

    def deployments_in(ns: str) -> LabelIndex:
        if ns not in free_deployments:  # built once per namespace: selector matching stays linear
            free_deployments[ns] = LabelIndex([d for d in objects.in_namespace("deployments", ns) if free("deployments", d)])
        return free_deployments[ns]

    services_by_ns: dict[str, dict[str, Obj]] = {}
    deployments_by_ns: dict[str, dict[str, Obj]] = {}

    def services_in(ns: str) -> dict[str, Obj]:
        if ns not in services_by_ns:
            services_by_ns[ns] = {name_of(s): s for s in objects.in_namespace("services", ns)}
        return services_by_ns[ns]

    def named_deployments(ns: str, names: set[str]) -> list[Obj]:
        if ns not in deployments_by_ns:
            deployments_by_ns[ns] = {name_of(d): d for d in deployments_in(ns)}
        return [deployments_by_ns[ns][n] for n in sorted(names) if n in deployments_by_ns[ns]]

    covered: set[tuple[str, str]] = set()  # (namespace, Service) a recognised route already accounts for
    accounted: set[tuple[str, str]] = set()  # (namespace, Deployment) that is a version of some release
    for kind in ("virtualservices", "httproutes"):
        for route in objects.all(kind):
            if not free(kind, route):
                continue
            ns = namespace_of(route)
            outcome = guard.run(kind, route, lambda: route_release(
                kind,
                route,
                services_in(ns),
                deployments_in(ns),
                objects.owned_index("replicasets", ns),
                objects.in_namespace("destinationrules", ns) if kind == "virtualservices" else (),
                cluster=cluster,
                region=region,
            ))
            if outcome is None:
                continue
            covered |= {(ns, service) for service in outcome.covered_services}
            if outcome.unmapped is not None:
                unmapped.append(outcome.unmapped)
            if outcome.discovered is not None:
                accounted |= {(ns, d) for d in outcome.deployments}
                found.append((outcome.discovered, [route, *named_deployments(ns, outcome.deployments)]))

    candidates: dict[str, list[Obj]] = {}
    for service in objects.all("services"):
        ns = namespace_of(service)
        if free("services", service) and (ns, name_of(service)) not in covered:
            candidates.setdefault(ns, []).append(service)
    for ns, services in candidates.items():
        workloads = deployments_in(ns)
        services, per_version, previews = _service_groups(services, workloads, guard)
        unmapped.extend(unmanaged.unmapped_services(per_version, ns))
        for service in services:
            if name_of(service) in per_version or name_of(service) in previews:
                continue
            by_service = guard.run("services", service, lambda: unmanaged.release_from_service(
                service, workloads, objects.owned_index("replicasets", ns), cluster=cluster, region=region))
            if by_service is not None:
                names = {n for names in by_service.sources.deployments.values() for n in names}
                accounted |= {(ns, n) for n in names}
                found.append((by_service, [service, *named_deployments(ns, names)]))

    for deployment in objects.all("deployments"):
        ns = namespace_of(deployment)
        if not free("deployments", deployment) or (ns, name_of(deployment)) in accounted:
            continue
        alone = guard.run("deployments", deployment, lambda: unmanaged.release_from_deployment(
            deployment, objects.owned_index("replicasets", ns), cluster=cluster, region=region))
        if alone is not None:
            found.append((alone, [deployment]))

    applications = objects.all("applications")
    counts = Counter(d.release.name for d, _ in found)
    result = []
    for discovered, managed in found:
        release = discovered.release
        if counts[release.name] > 1:  # same name in several namespaces: qualify
            release = replace(release, ref=ReleaseRef(cluster, f"{release.namespace}/{release.name}"))
        gitops = gitops_for(managed, applications)
        if gitops is not None:
            release = replace(release, gitops=gitops)
        result.append(Discovered(release, discovered.sources))
    result.sort(key=lambda d: d.release.name)
    return ClusterMapping(result, tuple(unmapped))


def _service_groups(services: list[Obj], deployments: LabelIndex, guard: Guard) -> tuple[list[Obj], set[str], set[str]]:
    """(readable Services, per-version ones, preview ones) of one namespace. These compare the
    namespace's Services with each other, so a Service they cannot read is found alone and set aside."""
    try:
        return services, unmanaged.per_version_services(services, deployments), unmanaged.preview_services(services, deployments)
    except DATA_ERRORS:
        pass
    fine = []
    for service in services:
        if guard.run("services", service, lambda: (unmanaged.per_version_services([service], deployments),
                                                   unmanaged.preview_services([service], deployments))) is not None:
            fine.append(service)
    return fine, unmanaged.per_version_services(fine, deployments), unmanaged.preview_services(fine, deployments)
