"""Flagger Canary → ``ReleaseState`` (kubernetes-mechanics.md §8 and the §10 row model).

Flagger clones the target Deployment into ``<target>-primary`` (the stable version) and scales the
target itself (the canary) up only while it analyses. It exposes no set-weight API: rolldeck drives
it through gate webhooks (``engine.kube.flagger_gates``), so which gates a Canary points at decides
which verbs are possible.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlparse

from rolldeck.engine.kube.mapping.objects import (
    Obj,
    controller_of,
    image_tag,
    int_or,
    name_of,
    namespace_of,
    spec,
    status,
    workload_replicas,
)
from rolldeck.engine.kube.mapping.routes import RouteRule, parse
from rolldeck.engine.kube.mapping.sources import Discovered, Sources
from rolldeck.engine.model import (
    AnalysisStep,
    Gate,
    Mirror,
    Owner,
    Phase,
    ReleaseRef,
    ReleaseState,
    Replicas,
    Role,
    Router,
    Split,
    Step,
    Strategy,
    VersionState,
    Wait,
    WaitKind,
    WeightStep,
)
from rolldeck.engine.kube.mapping.workloads import percentages
from rolldeck.engine.traffic import Cohort, TrafficRules

PHASES = {
    "Waiting": Phase.PAUSED,
    "WaitingPromotion": Phase.PAUSED,
    "Initializing": Phase.PROGRESSING,
    "Progressing": Phase.PROGRESSING,
    "Promoting": Phase.PROGRESSING,
    "Finalising": Phase.PROGRESSING,
    "Initialized": Phase.HEALTHY,
    "Succeeded": Phase.HEALTHY,
    "Failed": Phase.DEGRADED,
    "Terminating": Phase.UNKNOWN,  # rolldeck's choice: the object is being deleted
    "Terminated": Phase.UNKNOWN,
}
ROUTE_ROUTERS = {"virtualservices": Router.VIRTUAL_SERVICE, "httproutes": Router.HTTP_ROUTE}
GATE_TYPES = ("confirm-rollout", "confirm-traffic-increase", "confirm-promotion", "rollback")
GATE_PATH = "/rolldeck/gate/"  # a webhook is rolldeck's when its URL path ends with /rolldeck/gate/<type>

# Which verb needs which gate: without it the console cannot answer Flagger for that decision.
VERB_GATES = {"promote": "confirm-promotion", "step-up": "confirm-traffic-increase", "abort": "rollback"}


def phase_name(canary: Mapping[str, Any]) -> str:
    """``status.phase``, or the reason of the ``Promoted`` condition (Flagger writes the phase there
    too) when a status carries conditions but no phase; "" before Flagger has looked at it."""
    st = status(canary)
    if st.get("phase"):
        return str(st["phase"])
    promoted = next((c for c in st.get("conditions") or [] if c.get("type") == "Promoted"), None)
    return str((promoted or {}).get("reason") or "")


def phase_of(canary: Mapping[str, Any]) -> Phase:
    name = phase_name(canary)
    return PHASES.get(name, Phase.UNKNOWN if name else Phase.PROGRESSING)


def rolldeck_gates(canary: Mapping[str, Any]) -> set[str]:
    """Gate types whose webhook URL points at rolldeck's gate service."""
    gates = set()
    for hook in (spec(canary).get("analysis") or {}).get("webhooks") or []:
        kind = str(hook.get("type") or "")
        path = urlparse(str(hook.get("url") or "")).path.rstrip("/")
        if kind in GATE_TYPES and path.endswith(GATE_PATH + kind):
            gates.add(kind)
    return gates


def step_info(canary: Mapping[str, Any]) -> tuple[int | None, tuple[Step, ...], tuple[int, ...]]:
    """(step, steps, weight steps) from ``stepWeights``, ``stepWeight``/``maxWeight`` or ``iterations``."""
    analysis = spec(canary).get("analysis") or {}
    weight = int_or(status(canary).get("canaryWeight"))
    explicit = [int_or(w) for w in analysis.get("stepWeights") or []]
    if explicit:
        step = sum(1 for w in explicit if w <= weight)
        return step, tuple(WeightStep(w) for w in explicit), tuple(sorted({0, *explicit, 100}))
    step_weight = int_or(analysis.get("stepWeight"))
    if step_weight > 0:
        max_weight = int_or(analysis.get("maxWeight"), 50) or 50
        count = math.ceil(max_weight / step_weight)
        weights = [min(max_weight, step_weight * i) for i in range(1, count + 1)]
        return weight // step_weight, tuple(WeightStep(w) for w in weights), tuple(sorted({0, *weights, 100}))
    iterations = int_or(analysis.get("iterations"))
    if iterations:
        return int_or(status(canary).get("iterations")), (AnalysisStep("iteration"),) * iterations, (0, 100)
    return None, (), (0, 100)


SMI_PROVIDERS = ("smi", "linkerd", "osm")  # Flagger drives these through an SMI TrafficSplit


def apex_name(canary: Mapping[str, Any]) -> str:
    sp = spec(canary)
    return str((sp.get("service") or {}).get("name") or (sp.get("targetRef") or {}).get("name") or name_of(canary))


def generated_route(canary: Obj, routes: Mapping[str, Iterable[Obj]]) -> tuple[str, Obj] | None:
    """(kind key, route) Flagger generated for this Canary: named after the apex Service; owned by the
    Canary when Flagger sets owner references."""
    apex = apex_name(canary)
    for kind in ("virtualservices", "httproutes"):
        for route in routes.get(kind, ()):
            ref = controller_of(route)
            if name_of(route) == apex and (ref is None or (ref.get("kind") == "Canary" and ref.get("name") == name_of(canary))):
                return kind, route
    return None


def router_of(canary: Mapping[str, Any], route: tuple[str, Obj] | None = None) -> Router:
    """What splits traffic: the route Flagger generated when it is in view; else the provider. The
    provider is often a flag of the Flagger deployment (``-mesh-provider``), not in the Canary."""
    if route is not None:
        return ROUTE_ROUTERS[route[0]]
    provider = str(spec(canary).get("provider") or "istio")
    if provider.startswith("gatewayapi"):
        return Router.HTTP_ROUTE
    if provider == "istio":
        return Router.VIRTUAL_SERVICE
    if provider == "kubernetes":
        return Router.SERVICE  # blue/green by switching the apex Service's selector
    if provider.split(":")[0] in SMI_PROVIDERS:
        return Router.SMI
    return Router.OTHER


def wait_of(canary: Mapping[str, Any], gate_waits: Mapping[str, str]) -> Wait | None:
    """The gate Flagger waits at: what our gate service last refused, else the phase's."""
    phase = phase_name(canary)
    if phase in ("Initialized", "Succeeded", "Failed", "Terminating", "Terminated"):
        return None  # nothing to decide any more, whatever the gate saw last
    key = f"{namespace_of(canary)}/{name_of(canary)}"
    name = gate_waits.get(key) or {"Waiting": "confirm-rollout", "WaitingPromotion": "confirm-promotion"}.get(phase)
    if name is None:
        return None
    try:
        return Wait.at_gate(Gate(name))
    except ValueError:
        return Wait(WaitKind.OTHER, reason=name)


def release_from_canary(
    canary: Obj,
    deployments: Mapping[str, Obj],
    *,
    cluster: str,
    region: str,
    name: str = "",
    gate_waits: Mapping[str, str] | None = None,
    routes: Mapping[str, Iterable[Obj]] | None = None,
) -> Discovered:
    """Map one Canary; ``deployments`` are its namespace's Deployments by name, ``routes`` its
    VirtualServices and HTTPRoutes by kind key (the generated one carries the cohorts and mirror)."""
    sp, st = spec(canary), status(canary)
    analysis = sp.get("analysis") or {}
    target = str((sp.get("targetRef") or {}).get("name") or name_of(canary))
    primary = deployments.get(f"{target}-primary")
    candidate = deployments.get(target)
    weight = max(0, min(100, int_or(st.get("canaryWeight"))))
    step, steps, weight_steps = step_info(canary)
    if analysis.get("stepWeight") or analysis.get("stepWeights"):
        strategy = Strategy.CANARY
    elif analysis.get("match"):
        strategy = Strategy.AB  # iterations with a match: the cohort goes to the canary (A/B testing)
    else:
        strategy = Strategy.BLUE_GREEN
    phase = phase_name(canary)
    failed, threshold = int_or(st.get("failedChecks")), int_or(analysis.get("threshold"))
    notes = [phase or "not yet initialised"]
    if threshold:
        notes.append(f"failed checks {failed}/{threshold}")
    for condition in st.get("conditions") or []:
        if condition.get("type") == "Promoted" and condition.get("message"):
            notes.append(str(condition["message"]))
    if sp.get("suspend"):
        notes.append("suspended")
    if sp.get("skipAnalysis"):
        notes.append("skip analysis: new revisions are promoted without checks")
    route = generated_route(canary, routes or {})
    rules, unread = _rules(canary, route)
    versions = (
        VersionState("primary", image_tag(primary) if primary else "?", Role.STABLE, workload_replicas(primary) if primary else Replicas()),
        VersionState("canary", image_tag(candidate) if candidate else "?", Role.CANDIDATE, workload_replicas(candidate) if candidate else Replicas()),
    )
    split = Split.of(primary=100 - weight, canary=weight)
    mirror = Mirror("canary", float(int_or(analysis.get("mirrorWeight"), 100))) if analysis.get("mirror") else None
    gates = rolldeck_gates(canary)
    denied = tuple(
        (verb, f"the Canary has no {gate} webhook pointing at rolldeck ({GATE_PATH}{gate})")
        for verb, gate in VERB_GATES.items()
        if gate not in gates
    )
    release = ReleaseState(
        ref=ReleaseRef(cluster, name or name_of(canary)),
        region=region,
        namespace=namespace_of(canary),
        strategy=strategy,
        owner=Owner.FLAGGER,
        phase=phase_of(canary),
        rules=rules,
        unread=tuple(unread),
        versions=versions,
        desired=split,
        observed=split,
        paused=bool(sp.get("suspend")),
        aborted=phase == "Failed",
        step=step,
        steps=steps,
        weight_steps=weight_steps,
        active_slot="primary" if strategy is Strategy.BLUE_GREEN else None,
        preview_slot="canary" if strategy is Strategy.BLUE_GREEN else None,
        message="; ".join(notes),
        wait=wait_of(canary, gate_waits or {}),
        router=router_of(canary, route),
        mirror=mirror,
        denied=denied,
    )
    sources = Sources(
        Owner.FLAGGER,
        namespace_of(canary),
        canary=name_of(canary),
        target=target,
        deployments={"primary": (f"{target}-primary",), "canary": (target,)},
    )
    return Discovered(release, sources)


def _rules(canary: Obj, route: tuple[str, Obj] | None) -> tuple[TrafficRules, list[str]]:
    """Cohorts and mirrors as the generated route has them, versions named primary and canary."""
    analysis = spec(canary).get("analysis") or {}
    provider = str(spec(canary).get("provider") or "")
    if route is None:
        unread = [] if provider == "kubernetes" else [f"route {apex_name(canary)} not found: cohorts and mirrors are unknown"]
        return TrafficRules(), unread
    parsed = parse(*route)
    apex = apex_name(canary)
    names = {f"{apex}-primary": "primary", f"{apex}-canary": "canary", apex: "primary"}

    def version(host: str) -> str:
        return names.get(host, host)

    def split(rule: RouteRule) -> Split:
        shares = percentages([max(0, d.weight) for d in rule.destinations])
        out: dict[str, int] = {}
        for d, share in zip(rule.destinations, shares, strict=True):
            out[version(d.host)] = out.get(version(d.host), 0) + share
        return Split(tuple(out.items()))

    cohorts = tuple(Cohort(rule.conditions, split(rule), order=i) for i, rule in enumerate(parsed.cohorts))
    default = parsed.default
    mirrors = tuple(Mirror(version(m.host), m.percent) for m in (default.mirrors if default else ()))
    unread = [] if cohorts or not analysis.get("match") else [f"the Canary matches a cohort but route {apex} has no match rule yet"]
    return TrafficRules(cohorts, mirrors), unread


def claimed_objects(canary: Mapping[str, Any]) -> set[tuple[str, str]]:
    """Objects Flagger generates for a Canary: routes, Services and Deployments named after it."""
    sp = spec(canary)
    target = str((sp.get("targetRef") or {}).get("name") or name_of(canary))
    service = str((sp.get("service") or {}).get("name") or target)
    claimed = {("deployments", target), ("deployments", f"{target}-primary")}
    for base in {service, target}:
        claimed |= {("services", base), ("services", f"{base}-primary"), ("services", f"{base}-canary")}
        claimed |= {("virtualservices", base), ("httproutes", base), ("destinationrules", f"{base}-primary"), ("destinationrules", f"{base}-canary")}
    return claimed
