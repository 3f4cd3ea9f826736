"""An unmanaged route (VirtualService or HTTPRoute) → a release, with its traffic rules.

Versions are the route's destinations (weighted, cohort and mirror targets), in that order, plus the
*idle* versions of the same app: Deployments behind the route's Services that no rule sends traffic
to (bookinfo's ``reviews-v2`` while the route splits v1/v3). The first destination of the weighted
default is stable, the next one (or the cohort's, or the mirror's) the candidate: Argo's convention.

Nothing is invented: a route that reaches fewer than two versions is not a release (its single
Deployment shows as one), and a route whose destinations have no Deployment behind them is listed
as unmapped. Every Service the route names, or that selects a version of its app, is *covered*: it
never becomes a blue-green release of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rolldeck.engine.kube.mapping.objects import LabelIndex, Obj, name_of, namespace_of, selector_matches, spec, template_labels
from rolldeck.engine.kube.mapping.routes import HTTP_ROUTES, RouteRule, parse
from rolldeck.engine.kube.mapping.sources import Backend, Discovered, Sources
from rolldeck.engine.kube.mapping.workloads import assemble_phase, deployment_revisions, deployment_state, percentages, version_of
from rolldeck.engine.model import Owner, ReleaseRef, ReleaseState, Role, Router, Split, Strategy, Unmapped, VersionState
from rolldeck.engine.traffic import Cohort, Mirror, TrafficRules

# Labels that name an application (not a version of it): idle versions are looked up only under one.
APP_KEYS = ("app", "app.kubernetes.io/name", "k8s-app", "service")
ROUTE_KINDS = {"virtualservices": "VirtualService", HTTP_ROUTES: "HTTPRoute"}
ROUTERS = {"virtualservices": Router.VIRTUAL_SERVICE, HTTP_ROUTES: Router.HTTP_ROUTE}


@dataclass
class RouteResult:
    discovered: Discovered | None = None
    covered_services: set[str] = field(default_factory=set)
    deployments: set[str] = field(default_factory=set)  # accounted for: no rolling release of their own
    unmapped: Unmapped | None = None


def subset_labels(destination_rules: Iterable[Obj]) -> dict[tuple[str, str], dict[str, str]]:
    result = {}
    for rule in destination_rules:
        host = str(spec(rule).get("host") or "").split(".")[0]
        for subset in spec(rule).get("subsets") or []:
            result[(host, str(subset.get("name") or ""))] = dict(subset.get("labels") or {})
    return result


def _matching(deployments: Iterable[Obj] | LabelIndex, selector: Mapping[str, str]) -> list[Obj]:
    if isinstance(deployments, LabelIndex):
        return deployments.matching(selector)
    return [d for d in deployments if selector_matches(selector, template_labels(d))]


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return out


def route_release(
    kind: str,
    route: Obj,
    services: Mapping[str, Obj],
    deployments: Iterable[Obj] | LabelIndex,
    replicasets: Iterable[Obj] = (),
    destination_rules: Iterable[Obj] = (),
    *,
    cluster: str,
    region: str,
    name: str = "",
) -> RouteResult:
    parsed = parse(kind, route)
    ns, route_name = namespace_of(route), name_of(route)
    label = ROUTE_KINDS[kind]
    hosts = parsed.hosts()
    result = RouteResult(covered_services={h for h, _ in hosts})
    if not hosts:
        delegates = [r.delegate for r in parsed.rules if r.delegate]
        if delegates:
            reason = f"delegates to VirtualService {', '.join(delegates)}: read that one"
        elif parsed.other_routes:
            reason = f"only {'/'.join(parsed.other_routes)} routes, which rolldeck does not read"
        else:
            reason = "no HTTP rule sends traffic to a Service (redirects or filters only)"
        result.unmapped = Unmapped(label, ns, route_name, reason)
        return result

    subsets = subset_labels(destination_rules)
    resolved: dict[tuple[str, str], list[Obj]] = {}
    for host, subset in hosts:
        service = services.get(host)
        selector = {**(spec(service).get("selector") or {}), **subsets.get((host, subset), {})} if service is not None else {}
        resolved[(host, subset)] = _matching(deployments, selector) if service is not None else []

    default = parsed.default
    order: list[tuple[str, str]] = []
    for rule in ([default] if default else []) + list(parsed.cohorts):
        order += [(d.host, d.subset) for d in rule.destinations if (d.host, d.subset) not in order]
    order += [key for key in hosts if key not in order]
    names = dict(zip(order, _unique([s or h for h, s in order]), strict=True))

    # idle versions: the same app's Deployments that no rule reaches
    base = _common_selector([spec(services[h]).get("selector") or {} for h, _ in hosts if h in services])
    idle: dict[str, list[Obj]] = {}
    if any(k in base for k in APP_KEYS):
        taken = {name_of(d) for items in resolved.values() for d in items}
        siblings = [s for s in services.values() if base.items() <= dict(spec(s).get("selector") or {}).items()]
        result.covered_services |= {name_of(s) for s in siblings}
        host_subsets = {sub: labels for (h, sub), labels in subsets.items() if h in {x for x, _ in hosts}}
        for deployment in _matching(deployments, base):
            if name_of(deployment) in taken:
                continue
            idle.setdefault(_idle_name(deployment, host_subsets, siblings), []).append(deployment)
    version_names = [names[key] for key in order] + sorted(n for n in idle if n not in names.values())
    items = {names[key]: resolved[key] for key in order} | {n: idle[n] for n in idle if n not in names.values()}
    result.deployments = {name_of(d) for its in items.values() for d in its}

    if not any(items.values()):
        where = ", ".join(f"{h}/{s}" if s else h for h, s in hosts)
        result.unmapped = Unmapped(label, ns, route_name, f"no Deployment behind {where} in this namespace")
        return result
    if len(version_names) < 2:
        return result  # one version behind a route: its Deployment is the release

    unread: list[str] = []
    stable = names[(default.destinations[0].host, default.destinations[0].subset)] if default and default.destinations else version_names[0]
    candidate = None
    if default and len(default.destinations) >= 2:
        candidate = names[(default.destinations[1].host, default.destinations[1].subset)]
    for rule in parsed.cohorts:
        for d in rule.destinations:
            if candidate is None and names[(d.host, d.subset)] != stable:
                candidate = names[(d.host, d.subset)]
    for m in default.mirrors if default else ():
        if candidate is None and names.get((m.host, m.subset), m.host) != stable:
            candidate = names.get((m.host, m.subset), m.host)
    roles = {n: Role.STABLE if n == stable else Role.CANDIDATE if n == candidate else Role.PREVIOUS for n in version_names}

    desired = dict.fromkeys(version_names, 0)
    if default is not None:
        desired |= _rule_split(default, names)
    else:
        unread.append("no catch-all rule: requests that match no rule get no route (404)")
    split = Split(tuple(desired.items()))
    cohorts = tuple(
        Cohort(rule.conditions, Split(tuple(_rule_split(rule, names).items())), order=position)
        for position, rule in enumerate(parsed.cohorts)
    )
    mirrors = tuple(Mirror(names.get((m.host, m.subset), m.host), m.percent) for m in (default.mirrors if default else ()))
    for rule in parsed.cohorts:
        for m in rule.mirrors:
            unread.append(f"rule {rule.index} mirrors {m.percent:g}% of its cohort to {m.host}: only the default rule's mirror is shown")
    for rule in parsed.unreachable:
        unread.append(f"rule {rule.index} comes after the catch-all rule: Istio never reaches it")
    missing = [n for n in version_names if not items[n]]
    if missing:
        unread.append(f"no Deployment found for {', '.join(missing)}")

    ab = bool(cohorts) and (candidate is None or desired.get(candidate, 0) == 0)
    strategy = Strategy.AB if ab else Strategy.CANARY
    candidate_items = items.get(candidate, []) if candidate else []
    paused, _, _, _ = deployment_state(candidate_items)
    _, rolling, degraded, stale = deployment_state([d for its in items.values() for d in its])
    testing = candidate is not None and (
        0 < desired.get(candidate, 0) < 100
        or any(c.sends_to(candidate) > 0 for c in cohorts)
        or any(m.version == candidate and m.percent > 0 for m in mirrors)
    )
    phase = assemble_phase(degraded=degraded, paused=paused, progressing=rolling or testing)

    backends = {names[(d.host, d.subset)]: Backend(default.index, d.index, d.host, d.subset) for d in default.destinations} if default else {}
    sources = Sources(
        Owner.UNMANAGED,
        ns,
        route_kind=kind,
        route=route_name,
        backends=backends,
        deployments={n: tuple(name_of(d) for d in items[n]) for n in version_names},
    )
    first_mirror = next((m for m in mirrors), None)
    release = ReleaseState(
        ref=ReleaseRef(cluster, name or route_name),
        region=region,
        namespace=ns,
        strategy=strategy,
        owner=Owner.UNMANAGED,
        phase=phase,
        versions=_versions(version_names, items, roles),
        desired=split,
        observed=split,
        paused=paused,
        stale_spec=stale,
        router=ROUTERS[kind],
        revisions=deployment_revisions(candidate_items[0] if candidate_items else None, replicasets),
        mirror=first_mirror,
        rules=TrafficRules(cohorts, mirrors),
        unread=tuple(unread),
    )
    result.discovered = Discovered(release, sources)
    return result


def _rule_split(rule: RouteRule, names: Mapping[tuple[str, str], str]) -> dict[str, int]:
    raw = [max(0, d.weight) for d in rule.destinations]
    out: dict[str, int] = {}
    for d, share in zip(rule.destinations, percentages(raw), strict=True):
        key = names[(d.host, d.subset)]
        out[key] = out.get(key, 0) + share
    return out


def _common_selector(selectors: list[Mapping[str, Any]]) -> dict[str, str]:
    if not selectors:
        return {}
    common = {str(k): str(v) for k, v in selectors[0].items()}
    for selector in selectors[1:]:
        common = {k: v for k, v in common.items() if str(selector.get(k)) == v}
    return common


def _idle_name(deployment: Obj, subsets: Mapping[str, Mapping[str, str]], siblings: list[Obj]) -> str:
    labels = template_labels(deployment)
    for subset, wanted in sorted(subsets.items()):
        if wanted and selector_matches(dict(wanted), labels):
            return subset
    for service in sorted(siblings, key=name_of):
        selector = dict(spec(service).get("selector") or {})
        if selector_matches(selector, labels) and len(selector) > 1:
            return name_of(service)
    return name_of(deployment)


def _versions(names: list[str], items: Mapping[str, list[Obj]], roles: Mapping[str, Role]) -> tuple[VersionState, ...]:
    return tuple(version_of(n, items[n], roles[n]) for n in names)


def is_route_kind(kind: str) -> bool:
    return kind in ROUTE_KINDS


__all__ = ["RouteResult", "is_route_kind", "route_release", "subset_labels"]
