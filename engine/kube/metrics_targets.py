"""What to ask Prometheus for a live release: per-version label selectors from placeholders.

Selectors are templates over the release's identity — ``{name}``, ``{namespace}``, ``{cluster}``,
``{version}`` (the version's name: stable/canary, blue/green) and ``{revision}`` (its image tag or
revision) — so one rule covers a whole fleet, and a release can override it. The defaults follow
Istio's canonical service labels, which sidecars set from the pod's ``app`` and ``version`` labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from rolldeck.engine.metrics import MetricsTarget
from rolldeck.engine.model import ReleaseState

ISTIO_SELECTOR = {
    "destination_workload_namespace": "{namespace}",
    "destination_canonical_service": "{name}",
    "destination_canonical_revision": "{revision}",
}
APP_SELECTOR = {"namespace": "{namespace}", "app": "{name}", "version": "{revision}"}


@dataclass(frozen=True)
class MetricsRule:
    templates: str = "istio"  # a template set in engine.metrics.TEMPLATE_SETS: istio | app
    selector: Mapping[str, str] = field(default_factory=lambda: dict(ISTIO_SELECTOR))
    window_s: float = 60.0
    slo_latency_s: float = 0.5
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MetricsTargets:
    """A default rule plus per-release overrides keyed ``cluster/name`` or ``name``."""

    default: MetricsRule = MetricsRule()
    releases: Mapping[str, MetricsRule] = field(default_factory=dict)

    def rule_for(self, release: ReleaseState) -> MetricsRule:
        return self.releases.get(str(release.ref)) or self.releases.get(release.name) or self.default

    def target_for(self, release: ReleaseState) -> MetricsTarget | None:
        """The query for every version that has pods; None when there is nothing to measure."""
        rule = self.rule_for(release)
        selectors = {}
        for version in release.versions:
            values = {
                "name": release.name,
                "namespace": release.namespace,
                "cluster": release.cluster,
                "version": version.name,
                # the image tag: live revisions read "v2 (rev 2)" — the tag is what pods are labelled with
                "revision": version.revision.split(" ", 1)[0],
            }
            selectors[version.name] = {label: pattern.format(**values) for label, pattern in rule.selector.items()}
        if not selectors:
            return None
        return MetricsTarget(
            selectors=selectors,
            templates=rule.templates,
            window_s=rule.window_s,
            slo_latency_s=rule.slo_latency_s,
            params=dict(rule.params),
        )
