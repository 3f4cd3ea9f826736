"""Where a mapped release came from: the objects the verbs will read and patch.

Kept beside the ``ReleaseState`` (which is engine vocabulary only) so ``apply`` can find the
Rollout, Canary, route, Service or Deployments behind a release without searching again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rolldeck.engine.model import Owner, ReleaseState


@dataclass(frozen=True, slots=True)
class Backend:
    """One version's place in a route: ``spec.http[rule].route[index]`` or ``spec.rules[rule].backendRefs[index]``."""

    rule: int
    index: int
    host: str  # destination host / backendRef name (a Service)
    subset: str = ""


@dataclass(frozen=True, slots=True)
class Sources:
    owner: Owner
    namespace: str
    rollout: str = ""
    canary: str = ""
    route_kind: str = ""  # "virtualservices" or "httproutes"
    route: str = ""
    backends: dict[str, Backend] = field(default_factory=dict)  # version name → place in the route
    service: str = ""  # blue-green by selector
    selector_key: str = ""
    deployments: dict[str, tuple[str, ...]] = field(default_factory=dict)  # version name → Deployment names
    target: str = ""  # the Deployment Flagger watches (retry edits its template)
    workload: tuple[str, str] | None = None  # (kind key, name) a Rollout's workloadRef names: undo patches it

    def candidate_deployment(self, release: ReleaseState) -> str:
        candidate = release.candidate
        names = self.deployments.get(candidate.name, ()) if candidate else ()
        return names[0] if names else ""


@dataclass(frozen=True, slots=True)
class Discovered:
    release: ReleaseState
    sources: Sources
