"""The ``kubectl argo rollouts`` plugin's own test objects, mapped by rolldeck, against the plugin's
own expectations (``pkg/kubectl-argo-rollouts/cmd/get/get_test.go`` and ``info/info_test.go`` at
argoproj/argo-rollouts 9f8d111d8): status, message, strategy, step, set and actual weight, image and
revision per version, ready pods per version (the plugin's tree), analysis counts and experiments. One test per (object, field), so a field
rolldeck reads differently from the plugin fails on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml

from rolldeck.engine.kube.mapping import map_cluster
from rolldeck.engine.kube.mapping.argo import rollout_phase
from rolldeck.engine.model import ReleaseState, Role, Strategy
from tests.adapter.upstream import ROOT, objects

DEADLINE = 'ProgressDeadlineExceeded: ReplicaSet "{}" has timed out progressing.'
INVALID = (
    'InvalidSpec: The Rollout "rollout-invalid" is invalid: spec.template.metadata.labels: Invalid value: '
    'map[string]string{"app":"doesnt-match"}: `selector` does not match template `labels`'
)


@dataclass(frozen=True)
class Expect:
    scene: str  # folder under tests/upstream/argo-rollouts
    rollout: str
    plugin_test: str  # where upstream asserts it
    fields: dict[str, Any] = field(default_factory=dict)


CASES = [
    Expect("canary", "canary-demo", "get_test.go TestGetCanaryRollout", {
        "status": "Degraded",
        "message": DEADLINE.format("canary-demo-65fb5ffc84"),
        "strategy": "Canary",
        "step": "0/8",
        "set_weight": 20,
        "actual_weight": 0,
        # Images (with the tree's revision per ReplicaSet): the canary and stable stacks
        "images": {("does-not-exist", 31): "canary", ("green", 30): "stable"},
        "revisions": (29, 30, 31),
        "pods": {"canary": (0, 1), "stable": (5, 5)},  # the tree: ready:0/1 (ImagePullBackOff), five ready:1/1
    }),
    Expect("canary", "canary-demo-pingpong", "get_test.go TestGetCanaryPingPongRollout", {
        "status": "Degraded",
        "message": DEADLINE.format("canary-demo-65fb5ffc84"),
        "step": "0/8",
        "set_weight": 20,
        "actual_weight": 0,
        "images": {("does-not-exist", 31): "canary", ("green", 30): "stable"},
        "revisions": (29, 30, 31),
        "pods": {"canary": (0, 1), "stable": (5, 5)},  # the tree: ready:0/1 (ImagePullBackOff), five ready:1/1
    }),
    Expect("canary", "canary-demo-weights", "info_test.go TestActualWeightWithExistingWeight", {
        "actual_weight": 20,  # status.canary.weights.canary.weight
    }),
    Expect("canary", "canary-demo-weights-na", "info_test.go TestActualWeightWithoutExistingWeight", {
        "actual_weight": 20,  # SMI routing, no weights in status: ActualWeight = SetWeight
        "set_weight": 20,
    }),
    Expect("blue-green", "bluegreen-demo", "get_test.go TestGetBlueGreenRollout", {
        "status": "Paused",
        "message": "BlueGreenPause",
        "strategy": "BlueGreen",
        "images": {("blue", 10): "active", ("green", 11): "preview"},
        "revisions": (8, 10, 11),
        "pods": {"active": (3, 3), "preview": (3, 3)},
    }),
    Expect("experiment-analysis", "rollout-experiment-analysis", "get_test.go TestExperimentRollout", {
        "status": "Degraded",
        "message": DEADLINE.format("rollout-experiment-analysis-6f646bf7b7"),
        "strategy": "Canary",
        "step": "1/2",
        "set_weight": 25,
        "actual_weight": 25,
        "images": {("blue", 1): "stable", ("yellow", 2): "canary"},
        "revisions": (1, 2),
        "pods": {"stable": (3, 3), "canary": (1, 1)},
        # α … AnalysisRun ? Inconclusive ✔ 4,✖ 4,? 1,⚠ 1
        "analysis": {"rollout-experiment-analysis-random-fail-6f646bf7b7-skqcr": ("Inconclusive", 4, 4, 1, 1)},
        # the run's own status: a Job metric records no value, and the run no message
        "analysis_detail": {"rollout-experiment-analysis-random-fail-6f646bf7b7-skqcr": ("background", "", {"random-fail": ("Inconclusive", "")})},
        "experiments": {"rollout-experiment-analysis-6f646bf7b7-1-vcv27": ("Running", {})},
        # info_test.go TestExperimentInfo: ExperimentImages blue, yellow; the tree: one ready pod each
        "experiment_pods": {"rollout-experiment-analysis-6f646bf7b7-1-vcv27": {("baseline", "blue"): (1, 1), ("canary", "yellow"): (1, 1)}},
    }),
    Expect("experiment-step", "canary-demo", "get_test.go TestGetRolloutWithExperimentJob", {
        "status": "Progressing",
        "message": "more replicas need to be updated",
        "strategy": "Canary",
        "step": "0/1",
        "set_weight": 0,
        "actual_weight": 0,
        "images": {("green", 1): "stable"},  # the canary stack is scaled down; its image runs in the experiment
        "revisions": (1, 2),
        "experiments": {"canary-demo-645d5dbc4c-2-0": ("Running", {"canary-demo-645d5dbc4c-2-0-stress-test": "Running"})},
        "experiment_pods": {"canary-demo-645d5dbc4c-2-0": {("canary-preview", "blue"): (1, 1)}},  # Σ:canary-preview
        "pods": {"stable": (5, 5), "canary": (0, 0)},  # the canary ReplicaSet is ScaledDown
    }),
    Expect("rollout-aborted", "rollout-background-analysis", "get_test.go TestGetAbortedRollout, info_test.go TestRolloutAborted", {
        "status": "Degraded",
        "message": 'RolloutAborted: metric "web" assessed Failed due to failed (1) > failureLimit (0)',
        "strategy": "Canary",
        "step": "0/2",
        "set_weight": 0,
        "actual_weight": 0,
        "images": {("blue", 1): "stable"},
        "revisions": (1, 2),
        "analysis": {"rollout-background-analysis-db976bc44-2": ("Failed", 0, 1, 0, 0)},  # ✖ 1
        "analysis_detail": {"rollout-background-analysis-db976bc44-2": (
            "background", 'metric "web" assessed Failed due to failed (1) > failureLimit (0)', {"web": ("Failed", "false")})},
        "pods": {"stable": (1, 1), "canary": (0, 0)},
    }),
    Expect("rollout-invalid", "rollout-invalid", "get_test.go TestGetInvalidRollout, info_test.go TestRolloutStatusInvalidSpec", {
        "status": "Degraded",
        "message": INVALID,
        "strategy": "Canary",
        "step": "",
        "set_weight": 100,
        "actual_weight": 100,
        "images": {},
        "revisions": (),
    }),
]

def _canary_share(release: ReleaseState, split: str) -> int:
    candidate = release.candidate
    if candidate is None:  # fully promoted: the current version has everything
        return 100
    return getattr(release, split).weight(candidate.name)


def _revision(label: str) -> tuple[str, int | None]:
    tag, _, rest = label.partition(" (rev ")
    return tag, int(rest.rstrip(")")) if rest else None


def observed(release: ReleaseState, name: str) -> Any:
    """The plugin's field ``name`` as rolldeck shows it."""
    if name == "status":
        return release.phase.value
    if name == "message":
        # rolldeck appends its own notes ("; analysis …"); the controller's message comes first
        return release.message.split("; ")[0]
    if name == "strategy":
        return {Strategy.CANARY: "Canary", Strategy.BLUE_GREEN: "BlueGreen"}.get(release.strategy, release.strategy.value)
    if name == "step":
        return f"{release.step}/{release.step_count}" if release.step is not None and release.step_count else ""
    if name == "set_weight":
        return _canary_share(release, "desired")
    if name == "actual_weight":
        return _canary_share(release, "observed")
    if name == "images":
        # the plugin lists the images of ReplicaSets that still have pods
        return {_revision(v.revision): v.name for v in release.versions if v.replicas.desired > 0 or v.replicas.ready > 0}
    if name == "revisions":
        return release.revisions
    if name == "analysis":
        return {a.name: (a.phase, a.successful, a.failed, a.inconclusive, a.error) for a in release.analyses}
    if name == "pods":  # the tree's ready:n/m per ReplicaSet, summed per version
        return {v.name: (v.replicas.ready, v.replicas.desired) for v in release.versions}
    if name == "experiment_pods":
        return {e.name: {(t.name, t.image): (t.ready, t.replicas) for t in e.templates} for e in release.experiments}
    if name == "analysis_detail":  # kind, the run's message, per metric its phase and last measured value
        return {a.name: (a.kind.value, a.message, {m.name: (m.phase.value, m.last_value) for m in a.metrics}) for a in release.analyses}
    if name == "experiments":
        return {e.name: (e.phase, {a.name: a.phase for a in e.analyses}) for e in release.experiments}
    raise KeyError(name)


def _params():
    for case in CASES:
        for name, value in case.fields.items():
            yield pytest.param(case, name, value, id=f"{case.scene}/{case.rollout}/{name}")


def _release(scene: str, rollout: str) -> ReleaseState:
    found = {d.release.name: d.release for d in map_cluster(objects(f"argo-rollouts/{scene}"), cluster="c", region="r")}
    assert rollout in found, f"no release {rollout} in {sorted(found)}"
    return found[rollout]


@pytest.mark.parametrize(("case", "name", "expected"), list(_params()))
def test_plugin_field(case: Expect, name: str, expected: Any) -> None:
    assert observed(_release(case.scene, case.rollout), name) == expected, case.plugin_test


# Never invent a release: every Rollout is one release, and nothing it references becomes another.
SCENE_RELEASES = {
    "canary": {"canary-demo", "canary-demo-workloadRef", "canary-demo-workloadRef-deploy", "canary-demo-pingpong",
               "canary-demo-weights", "canary-demo-weights-na"},
    "blue-green": {"bluegreen-demo"},
    "experiment-analysis": {"rollout-experiment-analysis"},
    "experiment-step": {"canary-demo"},
    "rollout-aborted": {"rollout-background-analysis"},
    "rollout-invalid": {"rollout-invalid"},
}


@pytest.mark.parametrize(("scene", "names"), [pytest.param(s, n, id=s) for s, n in SCENE_RELEASES.items()])
def test_scene_releases(scene: str, names: set[str]) -> None:
    assert {d.release.name for d in map_cluster(objects(f"argo-rollouts/{scene}"), cluster="c", region="r")} == names


def test_roles_follow_the_plugin_tags():
    """The plugin tags stable/canary by stableRS/currentPodHash and active/preview by the selectors."""
    bg = _release("blue-green", "bluegreen-demo")
    assert [(v.name, v.role) for v in bg.versions] == [("active", Role.STABLE), ("preview", Role.CANDIDATE)]
    canary = _release("canary", "canary-demo")
    assert [(v.name, v.role) for v in canary.versions] == [("stable", Role.STABLE), ("canary", Role.CANDIDATE)]


# utils/rollout/rolloututil_test.go, transcribed as data: GetRolloutPhase's table.
PHASE_CASES = [d for d in yaml.safe_load_all((ROOT / "argo-rollouts" / "rolloututil-cases.yaml").read_text()) if d]
@pytest.mark.parametrize("case", [pytest.param(c, id=c["test"]) for c in PHASE_CASES])
def test_get_rollout_phase(case: dict[str, Any]) -> None:
    assert rollout_phase(case["rollout"]) == (case["phase"], case["message"])
