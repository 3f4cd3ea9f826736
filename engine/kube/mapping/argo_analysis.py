"""Argo Rollouts AnalysisRuns and Experiments → the model's summaries.

The counts are the controller's (``status.metricResults[]``), summed per run exactly as the
``kubectl argo rollouts`` plugin does for its tree (``info/analysisrun_info.go``). A release shows
the runs and experiments of its current revision, plus any its status names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rolldeck.engine.controller_analysis import (
    AnalysisKind,
    AnalysisPhase,
    AnalysisSummary,
    ExperimentSummary,
    ExperimentTemplate,
    MetricResult,
)
from rolldeck.engine.kube.mapping.objects import Obj, annotations_of, controller_of, image_tag, int_or, labels, meta, name_of, owned_by, spec, status

REVISION = "rollout.argoproj.io/revision"
KINDS = {
    "Step": AnalysisKind.STEP,
    "Background": AnalysisKind.BACKGROUND,
    "PrePromotion": AnalysisKind.PRE_PROMOTION,
    "PostPromotion": AnalysisKind.POST_PROMOTION,
}
_ORDER = list(AnalysisKind)


def metric_result(result: Mapping[str, Any]) -> MetricResult:
    measurements = [m for m in result.get("measurements") or [] if isinstance(m, Mapping)]
    last = measurements[-1] if measurements else {}
    return MetricResult(
        name=str(result.get("name") or ""),
        phase=AnalysisPhase.of(result.get("phase")),
        count=int_or(result.get("count")),
        successful=int_or(result.get("successful")),
        failed=int_or(result.get("failed")),
        inconclusive=int_or(result.get("inconclusive")),
        error=int_or(result.get("error")),
        last_value=str(last.get("value") or ""),
        message=str(result.get("message") or last.get("message") or ""),
    )


def analysis_summary(run: Mapping[str, Any]) -> AnalysisSummary:
    owner = controller_of(run) or {}
    kind = AnalysisKind.EXPERIMENT if owner.get("kind") == "Experiment" else KINDS.get(str(labels(run).get("rollout-type") or ""), AnalysisKind.OTHER)
    st = status(run)
    return AnalysisSummary(
        name=name_of(run),
        kind=kind,
        phase=AnalysisPhase.of(st.get("phase")),
        metrics=tuple(metric_result(r) for r in st.get("metricResults") or [] if isinstance(r, Mapping)),
        message=str(st.get("message") or ""),
    )


def experiment_summary(experiment: Mapping[str, Any], runs: Iterable[Obj]) -> ExperimentSummary:
    templates = {str(t.get("name")): t for t in spec(experiment).get("templates") or [] if isinstance(t, Mapping)}
    statuses = [t for t in status(experiment).get("templateStatuses") or [] if isinstance(t, Mapping)]
    shown = []
    for name in list(templates) + [str(t.get("name")) for t in statuses if str(t.get("name")) not in templates]:
        template = templates.get(name, {})
        state = next((t for t in statuses if str(t.get("name")) == name), {})
        shown.append(
            ExperimentTemplate(
                name=name,
                image=image_tag({"spec": {"template": template.get("template") or {}}}) if template else "?",
                ready=int_or(state.get("readyReplicas")),
                replicas=int_or(state.get("replicas"), int_or(template.get("replicas"), 1)),
            )
        )
    owned = sorted((r for r in runs if owned_by(r, experiment)), key=name_of)
    return ExperimentSummary(
        name=name_of(experiment),
        phase=AnalysisPhase.of(status(experiment).get("phase")),
        message=str(status(experiment).get("message") or ""),
        templates=tuple(shown),
        analyses=tuple(analysis_summary(r) for r in owned),
    )


def named_in_status(rollout: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """(AnalysisRun names, Experiment names) the Rollout's status points at."""
    st = status(rollout)
    runs = set()
    for section, keys in (
        ("canary", ("currentStepAnalysisRunStatus", "currentBackgroundAnalysisRunStatus")),
        ("blueGreen", ("prePromotionAnalysisRunStatus", "postPromotionAnalysisRunStatus")),
    ):
        for key in keys:
            name = ((st.get(section) or {}).get(key) or {}).get("name")
            if name:
                runs.add(str(name))
    experiment = (st.get("canary") or {}).get("currentExperiment")
    return runs, {str(experiment)} if experiment else set()


def current(rollout: Obj, items: Iterable[Obj], names: set[str]) -> list[Obj]:
    """The rollout's own objects of its current revision, plus those its status names."""
    revision = annotations_of(rollout).get(REVISION)
    out = []
    for item in items:
        named = name_of(item) in names
        if not (owned_by(item, rollout) or (named and controller_of(item) is None)):
            continue
        if name_of(item) in names or (revision is not None and annotations_of(item).get(REVISION) == revision):
            out.append(item)
    return sorted(out, key=lambda o: (str(meta(o).get("creationTimestamp") or ""), name_of(o)))


def rollout_analysis(rollout: Obj, runs: Iterable[Obj], experiments: Iterable[Obj]) -> tuple[tuple[AnalysisSummary, ...], tuple[ExperimentSummary, ...], list[str]]:
    """(analyses, experiments, what could not be read) for one Rollout."""
    runs, experiments = list(runs), list(experiments)
    run_names, experiment_names = named_in_status(rollout)
    own_runs = current(rollout, runs, run_names)
    own_experiments = current(rollout, experiments, experiment_names)
    missing = [f"AnalysisRun {n} (named in the Rollout's status) not found" for n in sorted(run_names - {name_of(r) for r in own_runs})]
    missing += [f"Experiment {n} (named in the Rollout's status) not found" for n in sorted(experiment_names - {name_of(e) for e in own_experiments})]
    analyses = sorted((analysis_summary(r) for r in own_runs), key=lambda a: _ORDER.index(a.kind))
    return tuple(analyses), tuple(experiment_summary(e, runs) for e in own_experiments), missing
