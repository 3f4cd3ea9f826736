"""From one cluster's cached objects to its releases: pure, so it is table-tested without a server.

Order matters for the owner rule: Argo Rollouts and Flagger claim their routes, Services and
Deployments first; only what nobody claimed can become an ``unmanaged`` release.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace

from rolldeck.engine.kube.mapping import argo, flagger, unmanaged
from rolldeck.engine.kube.mapping.argocd import gitops_for
from rolldeck.engine.kube.mapping.objects import LabelIndex, Obj, Objects, name_of, namespace_of
from rolldeck.engine.kube.mapping.sources import Discovered
from rolldeck.engine.model import ReleaseRef

__all__ = ["Discovered", "Objects", "map_cluster"]


def map_cluster(objects: Objects, *, cluster: str, region: str, gate_waits: Mapping[str, str] | None = None) -> list[Discovered]:
    found: list[tuple[Discovered, list[Obj]]] = []
    claimed: set[tuple[str, str, str]] = set()  # (namespace, kind key, name)

    for rollout in objects.all("rollouts"):
        ns = namespace_of(rollout)
        discovered = argo.release_from_rollout(
            rollout, objects.owned_index("replicasets", ns), objects.in_namespace("analysisruns", ns), cluster=cluster, region=region
        )
        claimed |= {(ns, kind, name) for kind, name in argo.claimed_objects(rollout)}
        found.append((discovered, [rollout]))

    for canary in objects.all("canaries"):
        ns = namespace_of(canary)
        deployments = {name_of(d): d for d in objects.in_namespace("deployments", ns)}
        discovered = flagger.release_from_canary(canary, deployments, cluster=cluster, region=region, gate_waits=gate_waits)
        claimed |= {(ns, kind, name) for kind, name in flagger.claimed_objects(canary)}
        found.append((discovered, [canary, *(deployments[n] for n in (discovered.sources.target,) if n in deployments)]))

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

    routed_services: set[tuple[str, str]] = set()
    route_kinds = (("virtualservices", unmanaged.release_from_virtual_service), ("httproutes", unmanaged.release_from_http_route))
    for kind, mapper in route_kinds:
        for route in objects.all(kind):
            if not free(kind, route):
                continue
            ns = namespace_of(route)
            services = services_in(ns)
            deployments = deployments_in(ns)
            replicasets = objects.owned_index("replicasets", ns)
            if kind == "virtualservices":
                discovered = mapper(route, services, deployments, replicasets, objects.in_namespace("destinationrules", ns), cluster=cluster, region=region)
            else:
                discovered = mapper(route, services, deployments, replicasets, cluster=cluster, region=region)
            if discovered is None:
                continue
            routed_services |= {(ns, b.host.split(".")[0]) for b in discovered.sources.backends.values()}
            names = {n for names in discovered.sources.deployments.values() for n in names}
            managed = [route, *named_deployments(ns, names)]
            found.append((discovered, managed))

    for service in objects.all("services"):
        ns = namespace_of(service)
        if not free("services", service) or (ns, name_of(service)) in routed_services:
            continue
        deployments = deployments_in(ns)
        discovered = unmanaged.release_from_service(service, deployments, objects.owned_index("replicasets", ns), cluster=cluster, region=region)
        if discovered is not None:
            names = {n for names in discovered.sources.deployments.values() for n in names}
            found.append((discovered, [service, *named_deployments(ns, names)]))

    accounted = {(item.release.namespace, n) for item, _ in found for names in item.sources.deployments.values() for n in names}
    for deployment in objects.all("deployments"):
        ns = namespace_of(deployment)
        if not free("deployments", deployment) or (ns, name_of(deployment)) in accounted:
            continue
        discovered = unmanaged.release_from_deployment(deployment, objects.owned_index("replicasets", ns), cluster=cluster, region=region)
        if discovered is not None:
            found.append((discovered, [deployment]))

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
    return result
