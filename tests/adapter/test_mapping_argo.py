"""Argo Rollouts status as pure functions, table-tested like argo-rollouts' rolloututil_test.go."""

from __future__ import annotations

import copy

import pytest

from rolldeck.engine.kube.mapping import Objects, map_cluster
from rolldeck.engine.kube.mapping.argo import (
    actual_canary_weight,
    claimed_objects,
    current_set_weight,
    release_from_rollout,
    rollout_phase,
)
from rolldeck.engine.controller_analysis import AnalysisKind
from rolldeck.engine.model import Owner, Phase, Role, Strategy, Wait, WaitKind
from tests.fakekube import objects as ko

STEPS = [{"setWeight": 20}, {"pause": {}}, {"setWeight": 50}, {"analysis": {"templates": [{"templateName": "rate"}]}}]


def rollout(status=None, **spec_changes):
    obj = ko.rollout("checkout", "shop", steps=copy.deepcopy(STEPS), virtual_service_name="checkout-vs")
    obj["metadata"].update(uid="ro-1", generation=4)
    obj["status"] = {"observedGeneration": "4", **(status or {})}
    obj["spec"].update(spec_changes)
    return obj


def rs(hash_, revision, image, replicas=1, ready=None, owner="ro-1"):
    template = ko.pod_template({"app": "checkout", "rollouts-pod-template-hash": hash_}, f"registry.local/checkout:{image}")
    obj = ko.replicaset(f"checkout-{hash_}", "shop", template=template, replicas=replicas, revision=revision,
                        revision_annotation="rollout.argoproj.io/revision")
    obj["metadata"]["ownerReferences"] = [{"kind": "Rollout", "name": "checkout", "uid": owner, "controller": True}]
    obj["status"]["readyReplicas"] = replicas if ready is None else ready
    return obj


PHASE_CASES = [
    ("spec not observed", {"observedGeneration": "3", "phase": "Healthy"}, {}, ("Progressing", "waiting for rollout spec update to be observed")),
    ("just promoted", {"controllerPause": True, "phase": "Paused"}, {}, ("Progressing", "waiting for rollout to unpause")),
    ("controller phase wins", {"phase": "Paused", "message": "CanaryPauseStep", "pauseConditions": [{"reason": "CanaryPauseStep"}]}, {}, ("Paused", "CanaryPauseStep")),
    ("invalid spec", {"conditions": [{"type": "InvalidSpec", "status": "True", "message": "bad steps"}]}, {}, ("Degraded", "InvalidSpec: bad steps")),
    ("aborted", {"conditions": [{"type": "Progressing", "reason": "RolloutAborted", "message": "aborted by user"}]}, {}, ("Degraded", "RolloutAborted: aborted by user")),
    ("deadline", {"conditions": [{"type": "Progressing", "reason": "ProgressDeadlineExceeded", "message": "too slow"}]}, {}, ("Degraded", "ProgressDeadlineExceeded: too slow")),
    ("manual pause", {}, {"paused": True}, ("Paused", "manually paused")),
    ("pause step", {"pauseConditions": [{"reason": "CanaryPauseStep"}]}, {}, ("Paused", "CanaryPauseStep")),
    ("restarting", {"restartedAt": "2026-01-01T00:00:00Z"}, {"restartAt": "2026-01-02T00:00:00Z"}, ("Progressing", "rollout is restarting")),
    ("updating", {"updatedReplicas": 3}, {}, ("Progressing", "more replicas need to be updated")),
    ("becoming available", {"updatedReplicas": 5, "availableReplicas": 4}, {}, ("Progressing", "updated replicas are still becoming available")),
    ("steps left", {"updatedReplicas": 5, "availableReplicas": 5, "stableRS": "a", "currentPodHash": "b"}, {}, ("Progressing", "waiting for all steps to complete")),
    ("healthy", {"updatedReplicas": 5, "availableReplicas": 5, "stableRS": "a", "currentPodHash": "a"}, {}, ("Healthy", "")),
]


@pytest.mark.parametrize(("case", "status", "spec_changes", "expected"), PHASE_CASES, ids=[c[0] for c in PHASE_CASES])
def test_rollout_phase(case, status, spec_changes, expected):
    assert rollout_phase(rollout(status, **spec_changes)) == expected


def test_blue_green_cutover_pending_and_canary_old_replicas():
    bg = ko.rollout("web", "shop", blue_green=True)
    bg["status"] = {"updatedReplicas": 5, "availableReplicas": 5, "currentPodHash": "b", "blueGreen": {"activeSelector": "a"}}
    assert rollout_phase(bg) == ("Progressing", "active service cutover pending")
    plain = ko.rollout("web", "shop")  # no traffic routing: old pods still up means progressing
    plain["status"] = {"replicas": 7, "updatedReplicas": 5, "availableReplicas": 5, "stableRS": "a", "currentPodHash": "a"}
    assert rollout_phase(plain) == ("Progressing", "old replicas are pending termination")


@pytest.mark.parametrize(
    ("status", "weight"),
    [
        ({"currentStepIndex": 0}, 20),
        ({"currentStepIndex": 1}, 20),  # the pause after setWeight 20
        ({"currentStepIndex": 3}, 50),  # analysis after setWeight 50
        ({"currentStepIndex": 4}, 100),  # all steps done
        ({}, 20),  # unset index means step 0
        ({"currentStepIndex": 2, "abort": True}, 0),
    ],
)
def test_current_set_weight(status, weight):
    assert current_set_weight(rollout(status)) == weight


def test_set_weight_without_steps_is_full_promotion():
    assert current_set_weight(rollout({}, strategy={"canary": {}})) == 100


def test_actual_weight_follows_the_plugin():
    """info/rollout_info.go: the router's weight, SetWeight while it reports none, the pod ratio
    floored without a router, the max after the last step, 0 while no pod is available."""
    available = {"availableReplicas": 6}
    assert actual_canary_weight(rollout({**available, "canary": {"weights": {"canary": {"weight": 15}}}}), 1) == 15
    assert actual_canary_weight(rollout({**available, "currentStepIndex": 1}), canary_available=2) == 20  # SetWeight
    plain = rollout({**available, "currentStepIndex": 1})
    del plain["spec"]["strategy"]["canary"]["trafficRouting"]
    assert actual_canary_weight(plain, canary_available=2) == 33
    assert actual_canary_weight(plain, canary_available=4) == 66  # floored, as the plugin's integer division
    assert actual_canary_weight(rollout({"currentStepIndex": 4}), 0) == 100
    assert actual_canary_weight(rollout({"canary": {"weights": {"canary": {"weight": 15}}}}), 1) == 0  # nothing available yet


def test_canary_release_at_a_pause_step():
    ro = rollout(
        {
            "phase": "Paused",
            "currentStepIndex": 1,
            "stableRS": "aaa",
            "currentPodHash": "bbb",
            "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2026-01-01T00:00:00Z"}],
            "controllerPause": True,
            "availableReplicas": 5,
            "canary": {"weights": {"canary": {"weight": 20}, "stable": {"weight": 80}}},
        }
    )
    found = release_from_rollout(ro, [rs("aaa", 3, "v1", 4), rs("bbb", 4, "v2", 1), rs("zzz", 9, "v9", owner="other")], [], cluster="eu-1", region="eu")
    r = found.release
    assert (r.owner, r.strategy, r.phase) == (Owner.ARGO_ROLLOUTS, Strategy.CANARY, Phase.PAUSED)
    assert [(v.name, v.revision, v.role) for v in r.versions] == [("stable", "v1 (rev 3)", Role.STABLE), ("canary", "v2 (rev 4)", Role.CANDIDATE)]
    assert r.desired.as_dict() == {"stable": 80, "canary": 20} == r.observed.as_dict()
    assert (r.step, r.step_count, r.weight_steps) == (1, 4, (0, 20, 50, 100))
    assert r.paused and r.wait == Wait(WaitKind.PAUSE_STEP, reason="CanaryPauseStep") and not r.aborted
    assert r.revisions == (3, 4) and r.router == "VirtualService"
    assert found.sources.rollout == "checkout"


def test_aborted_canary_says_what_to_do_and_sends_traffic_back():
    ro = rollout({"phase": "Degraded", "message": "RolloutAborted", "abort": True, "currentStepIndex": 2, "stableRS": "aaa", "currentPodHash": "bbb"})
    r = release_from_rollout(ro, [rs("aaa", 3, "v1"), rs("bbb", 4, "v2")], [], cluster="c", region="r").release
    assert r.aborted and r.phase is Phase.DEGRADED
    assert r.desired.as_dict() == {"stable": 100, "canary": 0}
    assert "Aborted: retry or undo" in r.message


def test_inconclusive_analysis_is_what_the_rollout_waits_on():
    ro = rollout(
        {
            "phase": "Paused",
            "currentStepIndex": 3,
            "stableRS": "aaa",
            "currentPodHash": "bbb",
            "controllerPause": True,
            "pauseConditions": [{"reason": "InconclusiveAnalysisRun"}],
            "canary": {"currentStepAnalysisRunStatus": {"name": "checkout-bbb-3", "status": "Inconclusive"}},
        }
    )
    run = ko.analysis_run("checkout-bbb-3", "shop", phase="Inconclusive", metrics=[
        {"name": "success-rate", "phase": "Inconclusive", "count": 3, "successful": 2, "inconclusive": 1,
         "message": "result[0] >= 0.95 and < 0.99: neither", "measurements": [{"phase": "Successful", "value": "[0.99]"},
                                                                               {"phase": "Inconclusive", "value": "[0.97]"}]}])
    run["metadata"]["labels"] = {"rollout-type": "Step", "rollouts-pod-template-hash": "bbb"}
    r = release_from_rollout(ro, [rs("aaa", 3, "v1"), rs("bbb", 4, "v2")], [run], cluster="c", region="r").release
    assert r.wait == Wait(WaitKind.INCONCLUSIVE, reason="InconclusiveAnalysisRun")
    assert "analysis checkout-bbb-3: Inconclusive" in r.message
    # the numbers behind "Inconclusive": the step's run, its metric's counts, newest value and message
    [summary] = r.analyses
    assert (summary.kind, summary.describe()) == (AnalysisKind.STEP, "step analysis checkout-bbb-3: Inconclusive ✔ 2 ? 1")
    assert [m.describe() for m in summary.metrics] == [
        "success-rate: Inconclusive (✔ 2 ✖ 0 ? 1 ⚠ 0) · last [0.97] · result[0] >= 0.95 and < 0.99: neither"]


def test_blue_green_release_has_active_and_preview_slots():
    ro = ko.rollout("web", "shop", blue_green=True)
    ro["metadata"].update(uid="ro-1", generation=2)
    ro["status"] = {
        "observedGeneration": "2",
        "phase": "Paused",
        "stableRS": "aaa",
        "currentPodHash": "bbb",
        "pauseConditions": [{"reason": "BlueGreenPause"}],
        "blueGreen": {"activeSelector": "aaa", "previewSelector": "bbb"},
    }
    r = release_from_rollout(ro, [rs("aaa", 1, "v1"), rs("bbb", 2, "v2")], [], cluster="c", region="r").release
    assert r.strategy is Strategy.BLUE_GREEN and r.router == "Service"
    assert (r.active_slot, r.preview_slot) == ("active", "preview")
    assert r.desired.as_dict() == {"active": 100, "preview": 0}
    assert r.wait == Wait(WaitKind.PROMOTION, reason="BlueGreenPause") and r.paused


def test_rollout_claims_its_services_and_route():
    claimed = claimed_objects(rollout())
    assert {("services", "stable-svc"), ("services", "canary-svc"), ("virtualservices", "checkout-vs")} <= claimed
    bg = claimed_objects(ko.rollout("web", blue_green=True))
    assert {("services", "web-active"), ("services", "web-preview")} <= bg


def test_owned_route_never_becomes_an_unmanaged_release():
    ro = rollout({"stableRS": "aaa", "currentPodHash": "aaa", "phase": "Healthy"})
    vs = ko.virtual_service("checkout-vs", "shop", canary_weight=0)
    objects = Objects.of({"rollouts": [ro], "virtualservices": [vs], "replicasets": [rs("aaa", 1, "v1")]})
    releases = map_cluster(objects, cluster="c", region="r")
    assert [(d.release.name, d.release.owner) for d in releases] == [("checkout", Owner.ARGO_ROLLOUTS)]
