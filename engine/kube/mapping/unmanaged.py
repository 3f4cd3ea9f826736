"""Releases no controller owns: Deployments per version behind a route or a Service selector.

* **Canary or A/B by route**: an Istio VirtualService or Gateway API HTTPRoute reaching two or more
  versions by weights, match cohorts or mirrors (``route_release``).
* **Blue-green by selector**: a Service whose selector picks one value of a label that two or more
  Deployments differ in, or of a slot label (``slot``, ``color``) even while only one slot runs; the
  selected value is the active slot. Several Services each pinning one value of the same label are
  per-version Services, not a switch: they are listed as unmapped, never as opposite releases.

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
    spec,
    status,
    sum_replicas,
    template_labels,
    workload_replicas,
)
from rolldeck.engine.kube.mapping.route_release import route_release
from rolldeck.engine.kube.mapping.sources import Discovered, Sources
from rolldeck.engine.kube.mapping.workloads import (
    DEPLOYMENT_REVISION,
    assemble_phase,
    deployment_revisions,
    deployment_state,
    percentages,
    version_of,
)
from rolldeck.engine.kube.mapping.routes import mirror_percent, short_host
from rolldeck.engine.model import Mirror, Owner, ReleaseRef, ReleaseState, Role, Router, Split, Strategy, Unmapped, VersionState

SLOT_KEYS = ("slot", "color", "colour")  # a selector on one of these is a blue-green switch even with one slot running
SLOT_VALUES = ("blue", "green")
PREVIEW_MARK = "preview"  # "web-preview": the blue-green preview Service beside the active one


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
    """A VirtualService reaching two or more versions, else None (see ``route_release``)."""
    return route_release("virtualservices", vs, services, deployments, replicasets, destination_rules, cluster=cluster, region=region, name=name).discovered


def rule_mirror(rule: Mapping[str, Any], destinations: list[tuple[str, str, str]]) -> Mirror | None:
    """A VirtualService rule's mirror as (version, percent); ``destinations`` are (version, host, subset)."""
    target = rule.get("mirror")
    if not isinstance(target, Mapping):
        return None
    host, subset = short_host(str(target.get("host", ""))), str(target.get("subset") or "")
    version = next((n for n, h, s in destinations if short_host(h) == host and (not subset or s == subset)), host)
    return Mirror(version, mirror_percent(rule))


def release_from_http_route(
    route: Obj, services: Mapping[str, Obj], deployments: list[Obj] | LabelIndex, replicasets: list[Obj], *, cluster: str, region: str, name: str = ""
) -> Discovered | None:
    """An HTTPRoute reaching two or more versions (weights are relative, unset = 1), else None."""
    return route_release("httproutes", route, services, deployments, replicasets, cluster=cluster, region=region, name=name).discovered


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
    unread: tuple[str, ...] = (),
) -> Discovered:
    versions = [version_of(n, items, role) for n, items, role in zip(version_names, version_deployments, roles, strict=True)]
    candidate_index = next((i for i, role in enumerate(roles) if role is Role.CANDIDATE), None)
    candidate_items = version_deployments[candidate_index] if candidate_index is not None else []
    paused, _, _, _ = deployment_state(candidate_items)
    _, rolling, degraded, stale = deployment_state([d for items in version_deployments for d in items])
    release = ReleaseState(
        ref=ReleaseRef(cluster, name),
        region=region,
        namespace=namespace,
        strategy=strategy,
        owner=Owner.UNMANAGED,
        phase=assemble_phase(degraded=degraded, paused=paused, progressing=rolling),
        versions=tuple(versions),
        desired=split,
        observed=split,
        paused=paused,
        active_slot=active_slot,
        preview_slot=preview_slot,
        stale_spec=stale,
        router=router,
        revisions=deployment_revisions(candidate_items[0] if candidate_items else None, replicasets),
        unread=unread,
    )
    return Discovered(release, sources)


def slot_key(service: Obj, deployments: list[Obj] | LabelIndex) -> tuple[str, dict[str, list[Obj]]] | None:
    """The selector label that picks one of several Deployments, with the Deployments per value.

    A slot label (``slot``, ``color``, or the values blue/green) counts with a single Deployment, or
    none yet: the Service is a switch waiting for its other slot."""
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
    for key in sorted(selector):
        if key in SLOT_KEYS or str(selector[key]) in SLOT_VALUES:
            rest = {k: v for k, v in selector.items() if k != key}
            pool = deployments.matching(rest) if isinstance(deployments, LabelIndex) and rest else deployments
            slots = {}
            for d in pool:
                tl = template_labels(d)
                if key in tl and all(tl.get(k) == v for k, v in rest.items()):
                    slots.setdefault(str(tl[key]), []).append(d)
            slots.setdefault(str(selector[key]), [])
            return key, slots
    return None


def per_version_services(services: list[Obj], deployments: list[Obj] | LabelIndex) -> set[str]:
    """Services that each pin a different value of the same label over the same Deployments
    (``foo-v1``, ``foo-v2``): versions of one app, reachable one by one, with no switch between them.
    A ``*-preview`` Service beside an active one is a blue-green pair, not this."""
    groups: dict[tuple[str, frozenset[tuple[str, str]]], dict[str, str]] = {}
    for service in services:
        found = slot_key(service, deployments)
        if found is None:
            continue
        key, _ = found
        selector = {k: str(v) for k, v in (spec(service).get("selector") or {}).items()}
        rest = frozenset((k, v) for k, v in selector.items() if k != key)
        groups.setdefault((key, rest), {})[name_of(service)] = selector[key]
    out: set[str] = set()
    for members in groups.values():
        if len(set(members.values())) < 2:
            continue
        if any(PREVIEW_MARK in name for name in members) and any(PREVIEW_MARK not in name for name in members):
            continue
        out |= set(members)
    return out


def preview_services(services: list[Obj], deployments: list[Obj] | LabelIndex) -> set[str]:
    """``*-preview`` Services that pin the other slot of an active Service: covered by its release."""
    out = set()
    by_name = {name_of(s): s for s in services}
    for name, service in by_name.items():
        if PREVIEW_MARK in name and name.replace(f"-{PREVIEW_MARK}", "") in by_name and slot_key(service, deployments) is not None:
            out.add(name)
    return out


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
    empty = [n for n in names if not slots[n]]
    unread = (f"no Deployment found for slot {', '.join(empty)}",) if empty else ()
    sources = Sources(
        Owner.UNMANAGED,
        namespace_of(service),
        service=name_of(service),
        selector_key=key,
        deployments={n: tuple(name_of(d) for d in slots[n]) for n in names},
    )
    return _assemble(
        unread=unread,
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


def unmapped_services(names: set[str], namespace: str) -> list[Unmapped]:
    return [
        Unmapped("Service", namespace, name, "one of several per-version Services and no route splits between them: read-only")
        for name in sorted(names)
    ]


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
    phase = assemble_phase(degraded=degraded, paused=paused, progressing=rolling or bool(older))
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
