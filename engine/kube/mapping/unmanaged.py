"""Releases no controller owns: Deployments per version behind a route or a Service selector.

* **Canary by route**: an Istio VirtualService whose HTTP route splits weights over two or more
  destinations, or a Gateway API HTTPRoute rule with two or more weighted ``backendRefs``. Versions
  are the destinations, in order: the first is stable, the second the candidate (Argo's convention).
* **Blue-green by selector**: a Service whose selector picks one value of a label (``slot``,
  ``color``, ``version``…) that two or more Deployments differ in; the selected value is the
  active slot.

Routes and Services that Argo Rollouts or Flagger own are skipped by the caller (the owner rule).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rolldeck.engine.kube.mapping.objects import (
    LabelIndex,
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
    selector_matches,
    spec,
    status,
    sum_replicas,
    template_labels,
    workload_replicas,
)
from rolldeck.engine.kube.mapping.sources import Backend, Discovered, Sources
from rolldeck.engine.model import Mirror, Owner, Phase, ReleaseRef, ReleaseState, Replicas, Role, Router, Split, Strategy, VersionState

DEPLOYMENT_REVISION = "deployment.kubernetes.io/revision"


def _short_host(host: str) -> str:
    return host.split(".")[0]


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


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return out


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


def _assemble(
    *,
    name: str,
    cluster: str,
    region: str,
    namespace: str,
    strategy: Strategy,
    version_names: list[str],
    version_deployments: list[list[Obj]],
    roles: list[Role],
    split: Split,
    replicasets: list[Obj],
    sources: Sources,
    router: Router,
    active_slot: str | None = None,
    preview_slot: str | None = None,
    mirror: Mirror | None = None,
) -> Discovered:
    versions = []
    for version_name, items, role in zip(version_names, version_deployments, roles, strict=True):
        revision = image_tag(items[0]) if items else "?"
        replicas = sum_replicas(workload_replicas(d) for d in items) if items else Replicas()
        versions.append(VersionState(version_name, revision, role, replicas))
    candidate_index = next((i for i, role in enumerate(roles) if role is Role.CANDIDATE), None)
    candidate_items = version_deployments[candidate_index] if candidate_index is not None else []
    paused, _, _, _ = deployment_state(candidate_items)
    _, rolling, degraded, stale = deployment_state([d for items in version_deployments for d in items])
    candidate_weight = split.weight(version_names[candidate_index]) if candidate_index is not None else 0
    if degraded:
        phase = Phase.DEGRADED
    elif paused:
        phase = Phase.PAUSED
    elif rolling or (strategy is Strategy.CANARY and 0 < candidate_weight < 100):
        phase = Phase.PROGRESSING
    else:
        phase = Phase.HEALTHY
    missing = [n for n, items in zip(version_names, version_deployments, strict=True) if not items]
    message = f"no Deployment found for {', '.join(missing)}" if missing else ""
    release = ReleaseState(
        ref=ReleaseRef(cluster, name),
        region=region,
        namespace=namespace,
        strategy=strategy,
        owner=Owner.UNMANAGED,
        phase=phase,
        versions=tuple(versions),
        desired=split,
        observed=split,
        paused=paused,
        active_slot=active_slot,
        preview_slot=preview_slot,
        message=message,
        stale_spec=stale,
        router=router,
        revisions=deployment_revisions(candidate_items[0] if candidate_items else None, replicasets),
        mirror=mirror,
    )
    return Discovered(release, sources)


def _roles(count: int) -> list[Role]:
    return [Role.STABLE, Role.CANDIDATE] + [Role.PREVIOUS] * (count - 2)


def release_from_virtual_service(
    vs: Obj,
    services: Mapping[str, Obj],
    deployments: list[Obj] | LabelIndex,
    replicasets: list[Obj],
    destination_rules: Iterable[Obj] = (),
    *,
    cluster: str,
    region: str,
    name: str = "",
) -> Discovered | None:
    """A VirtualService HTTP route with two or more weighted destinations, else None."""
    http = list(spec(vs).get("http") or [])
    candidates = [i for i, route in enumerate(http) if len(route.get("route") or []) >= 2]
    if not candidates:
        return None
    rule = next((i for i in candidates if http[i].get("name") == "primary"), candidates[0])
    route = http[rule]["route"]
    subsets = _subset_labels(destination_rules)
    hosts = [str((d.get("destination") or {}).get("host") or "") for d in route]
    subset_names = [str((d.get("destination") or {}).get("subset") or "") for d in route]
    names = _unique_names([s or _short_host(h) for h, s in zip(hosts, subset_names, strict=True)])
    weights = [int_or(d.get("weight"), 0) for d in route]
    split = Split(tuple(zip(names, percentages(weights), strict=True)))
    items = [
        deployments_for_service(services.get(_short_host(h)), deployments, subsets.get((_short_host(h), s)))
        for h, s in zip(hosts, subset_names, strict=True)
    ]
    mirror = rule_mirror(http[rule], list(zip(names, hosts, subset_names, strict=True)))
    backends = {n: Backend(rule, j, h, s) for j, (n, h, s) in enumerate(zip(names, hosts, subset_names, strict=True))}
    sources = Sources(
        Owner.UNMANAGED,
        namespace_of(vs),
        route_kind="virtualservices",
        route=name_of(vs),
        backends=backends,
        deployments={n: tuple(name_of(d) for d in its) for n, its in zip(names, items, strict=True)},
    )
    return _assemble(
        name=name or name_of(vs),
        cluster=cluster,
        region=region,
        namespace=namespace_of(vs),
        strategy=Strategy.CANARY,
        version_names=names,
        version_deployments=items,
        roles=_roles(len(names)),
        split=split,
        replicasets=replicasets,
        sources=sources,
        router=Router.VIRTUAL_SERVICE,
        mirror=mirror,
    )


def mirror_percent(rule: Mapping[str, Any]) -> float:
    """How much of a mirrored HTTP route is copied: ``mirrorPercentage.value`` (a double, so 0.5 stays
    0.5), else the deprecated integer ``mirrorPercent`` (``mirror_percent`` in the proto), else 100."""
    percentage = rule.get("mirrorPercentage")
    if isinstance(percentage, Mapping) and percentage.get("value") is not None:
        return _float(percentage["value"], 100.0)
    for legacy in ("mirrorPercent", "mirror_percent"):
        if rule.get(legacy) is not None:
            return _float(rule[legacy], 100.0)
    return 100.0


def _float(value: object, default: float) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]  # YAML gives int, float or str here
    except (TypeError, ValueError):
        return default
    return number if 0.0 <= number <= 100.0 else default


def rule_mirror(rule: Mapping[str, Any], destinations: list[tuple[str, str, str]]) -> Mirror | None:
    """The rule's mirror as (version, percent); ``destinations`` are (version, host, subset) in route order."""
    target = rule.get("mirror")
    if not isinstance(target, Mapping):
        return None
    host, subset = _short_host(str(target.get("host", ""))), str(target.get("subset") or "")
    version = next((n for n, h, s in destinations if _short_host(h) == host and (not subset or s == subset)), host)
    return Mirror(version, mirror_percent(rule))


def _subset_labels(destination_rules: Iterable[Obj]) -> dict[tuple[str, str], dict[str, str]]:
    result = {}
    for rule in destination_rules:
        host = _short_host(str(spec(rule).get("host") or ""))
        for subset in spec(rule).get("subsets") or []:
            result[(host, str(subset.get("name") or ""))] = dict(subset.get("labels") or {})
    return result


def release_from_http_route(
    route: Obj, services: Mapping[str, Obj], deployments: list[Obj] | LabelIndex, replicasets: list[Obj], *, cluster: str, region: str, name: str = ""
) -> Discovered | None:
    """An HTTPRoute rule with two or more backendRefs; weights are relative (unset = 1)."""
    rules = list(spec(route).get("rules") or [])
    rule = next((i for i, r in enumerate(rules) if len(r.get("backendRefs") or []) >= 2), None)
    if rule is None:
        return None
    refs = rules[rule]["backendRefs"]
    hosts = [str(ref.get("name") or "") for ref in refs]
    names = _unique_names(hosts)
    weights = [int_or(ref.get("weight"), 1) if ref.get("weight") is not None else 1 for ref in refs]
    split = Split(tuple(zip(names, percentages(weights), strict=True)))
    items = [deployments_for_service(services.get(h), deployments) for h in hosts]
    sources = Sources(
        Owner.UNMANAGED,
        namespace_of(route),
        route_kind="httproutes",
        route=name_of(route),
        backends={n: Backend(rule, j, h) for j, (n, h) in enumerate(zip(names, hosts, strict=True))},
        deployments={n: tuple(name_of(d) for d in its) for n, its in zip(names, items, strict=True)},
    )
    return _assemble(
        name=name or name_of(route),
        cluster=cluster,
        region=region,
        namespace=namespace_of(route),
        strategy=Strategy.CANARY,
        version_names=names,
        version_deployments=items,
        roles=_roles(len(names)),
        split=split,
        replicasets=replicasets,
        sources=sources,
        router=Router.HTTP_ROUTE,
    )


def slot_key(service: Obj, deployments: list[Obj] | LabelIndex) -> tuple[str, dict[str, list[Obj]]] | None:
    """The selector label that picks one of several Deployments, with the Deployments per value."""
    selector = dict(spec(service).get("selector") or {})
    for key in sorted(selector):
        rest = {k: v for k, v in selector.items() if k != key}
        slots: dict[str, list[Obj]] = {}
        pool = deployments.matching(rest) if isinstance(deployments, LabelIndex) and rest else deployments
        for d in pool:
            tl = template_labels(d)
            if key in tl and all(tl.get(k) == v for k, v in rest.items()):
                slots.setdefault(str(tl[key]), []).append(d)
        if len(slots) >= 2 and selector[key] in slots:
            return key, slots
    return None


def release_from_service(service: Obj, deployments: list[Obj] | LabelIndex, replicasets: list[Obj], *, cluster: str, region: str, name: str = "") -> Discovered | None:
    found = slot_key(service, deployments)
    if found is None:
        return None
    key, slots = found
    active = str(spec(service)["selector"][key])
    others = sorted((v for v in slots if v != active), key=lambda v: _newest(slots[v]), reverse=True)
    names = [active, *others]
    roles = [Role.STABLE] + ([Role.CANDIDATE] if others else []) + [Role.PREVIOUS] * max(0, len(others) - 1)
    split = Split(tuple((n, 100 if n == active else 0) for n in names))
    sources = Sources(
        Owner.UNMANAGED,
        namespace_of(service),
        service=name_of(service),
        selector_key=key,
        deployments={n: tuple(name_of(d) for d in slots[n]) for n in names},
    )
    return _assemble(
        name=name or name_of(service),
        cluster=cluster,
        region=region,
        namespace=namespace_of(service),
        strategy=Strategy.BLUE_GREEN,
        version_names=names,
        version_deployments=[slots[n] for n in names],
        roles=roles,
        split=split,
        replicasets=replicasets,
        sources=sources,
        router=Router.SERVICE,
        active_slot=active,
        preview_slot=others[0] if others else None,
    )


def _newest(items: list[Obj]) -> str:
    return max(str(meta(d).get("creationTimestamp") or "") for d in items)


def owned_by_controller(obj: Mapping[str, Any]) -> bool:
    ref = controller_of(obj)
    return ref is not None and ref.get("kind") in ("Canary", "Rollout")



SYSTEM_NAMESPACE_PREFIX = "kube-"  # kube-system & co: cluster plumbing, not releases


def release_from_deployment(deployment: Obj, replicasets: list[Obj], *, cluster: str, region: str, name: str = "") -> Discovered | None:
    """A Deployment nobody else accounts for: a rolling release whose split follows Ready pods.

    ``new`` is the ReplicaSet of the highest revision, ``old`` every older one still running pods;
    once the update is done only ``new`` remains, as the stable version.
    """
    if namespace_of(deployment).startswith(SYSTEM_NAMESPACE_PREFIX):
        return None
    owned = replicasets.owned_by(deployment) if isinstance(replicasets, OwnedIndex) else [rs for rs in replicasets if owned_by(rs, deployment)]
    by_revision = sorted(((revision_of(rs, DEPLOYMENT_REVISION) or 0, rs) for rs in owned), key=lambda item: item[0])
    newest = by_revision[-1][1] if by_revision else None
    older = [rs for _, rs in by_revision[:-1] if int_or(status(rs).get("replicas")) > 0 or int_or(spec(rs).get("replicas")) > 0]
    new_replicas = workload_replicas(newest) if newest is not None else workload_replicas(deployment)
    versions = []
    if older:
        old_replicas = sum_replicas(workload_replicas(rs) for rs in older)
        versions.append(VersionState("old", image_tag(older[-1]), Role.STABLE, old_replicas))
        versions.append(VersionState("new", image_tag(deployment), Role.CANDIDATE, new_replicas))
        ready = [old_replicas.ready, new_replicas.ready]
        split = Split(tuple(zip(("old", "new"), percentages(ready) if sum(ready) else [100, 0], strict=True)))
    else:
        versions.append(VersionState("new", image_tag(deployment), Role.STABLE, workload_replicas(deployment)))
        split = Split.of(new=100)
    paused, rolling, degraded, stale = deployment_state([deployment])
    phase = Phase.DEGRADED if degraded else Phase.PAUSED if paused else Phase.PROGRESSING if rolling or older else Phase.HEALTHY
    dep_name = name_of(deployment)
    release = ReleaseState(
        ref=ReleaseRef(cluster, name or dep_name),
        region=region,
        namespace=namespace_of(deployment),
        strategy=Strategy.ROLLING,
        owner=Owner.UNMANAGED,
        phase=phase,
        versions=tuple(versions),
        desired=split,
        observed=split,
        paused=paused,
        message="rolling update in progress" if older else "",
        stale_spec=stale,
        revisions=deployment_revisions(deployment, replicasets),
    )
    sources = Sources(Owner.UNMANAGED, namespace_of(deployment), deployments={v.name: (dep_name,) for v in versions})
    return Discovered(release, sources)
