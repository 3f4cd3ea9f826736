"""The query shape for a flag's cohorts: a version's own selector, narrowed by the flag's labels.

OpenFeature's telemetry conventions label an evaluation with ``feature_flag.key`` and
``feature_flag.variant``; exported to Prometheus (OpenTelemetry's name translation turns dots into
underscores) they are ``feature_flag_key`` and ``feature_flag_variant``. An application that puts
them on its request metrics lets the same templates count each cohort: the treatment's requests are
the version's with ``feature_flag_variant="<treatment>"``, the rest of the flag's evaluations the
ones with ``!=``. The answer maps each cohort to ``Signals`` exactly as versions are mapped, so the
source, its error handling and its checks are the version queries' own.
"""

from __future__ import annotations

from dataclasses import replace

from rolldeck.engine.metrics.source import MetricsTarget
from rolldeck.engine.metrics.templates import Matcher

FLAG_KEY_LABEL = "feature_flag_key"
FLAG_VARIANT_LABEL = "feature_flag_variant"


def cohort_target(target: MetricsTarget, version: str, flag: str, treatment: str, default_variant: str) -> MetricsTarget:
    """``target`` reshaped to query ``flag``'s cohorts inside ``version``: one entry named
    ``treatment`` (its path) and one named ``default_variant`` (every other variant's evaluations)."""
    if version not in target.selectors:
        raise ValueError(f"no selector for version {version!r} (known: {', '.join(target.versions)})")
    if treatment == default_variant:
        raise ValueError(f"flag {flag}: the treatment {treatment!r} is also the default variant")
    base = target.matchers(version)
    key = Matcher(FLAG_KEY_LABEL, flag)
    return replace(
        target,
        selectors={
            treatment: (*base, key, Matcher(FLAG_VARIANT_LABEL, treatment)),
            default_variant: (*base, key, Matcher(FLAG_VARIANT_LABEL, treatment, "!=")),
        },
    )


__all__ = ["FLAG_KEY_LABEL", "FLAG_VARIANT_LABEL", "cohort_target"]
