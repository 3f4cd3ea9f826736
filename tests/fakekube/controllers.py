"""Controller simulators: just enough of the Deployment, Argo Rollouts and Flagger controllers for tests.

Each writes through `Store.put` (events, RVs, generation rules apply) and is idempotent: a reconcile
that changes nothing writes nothing, so `run()` loops settle.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
from typing import Any

from .objects import replicaset
from .store import Store, now_rfc3339

POD_TEMPLATE_HASH = "pod-template-hash"
DEPLOYMENT_REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
ROLLOUT_POD_TEMPLATE_HASH = "rollouts-pod-template-hash"


def template_hash(template: dict[str, Any], label: str = POD_TEMPLATE_HASH) -> str:
    """Stable short hash of a pod template, ignoring its own hash label."""
    t = _without_hash_label(template, label)
    return hashlib.sha256(json.dumps(t, sort_keys=True).encode()).hexdigest()[:10]


def _without_hash_label(template: dict[str, Any], label: str = POD_TEMPLATE_HASH) -> dict[str, Any]:
    t = copy.deepcopy(template)
    labels = (t.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(label, None)
    return t


def _controlled_by(obj: dict[str, Any], owner: dict[str, Any]) -> bool:
    return any(ref.get("controller") and ref.get("uid") == owner["metadata"]["uid"]
               for ref in obj["metadata"].get("ownerReferences") or [])


def _put_if_changed(store: Store, before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    strip = lambda o: {k: v for k, v in o.items() if k != "metadata"} | {  # noqa: E731
        "metadata": {k: v for k, v in o["metadata"].items() if k != "resourceVersion"}}
    if before is not None and strip(before) == strip(after):
        return before
    return store.put(after)


class DeploymentController:
    """Deployment → ReplicaSets with revision annotations and controller ownerReferences.

    Enough for `kubectl rollout history` / `rollout undo`: a new template gets a new RS with revision
    max+1; going back to an old template (undo) re-uses that RS and gives it revision max+1.
    Pods are not simulated; RS and Deployment status report every replica ready at once.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def reconcile(self, namespace: str, name: str) -> dict[str, Any] | None:
        """Bring one Deployment's ReplicaSets and status up to date; returns the current RS."""
        dep = self.store.find("deployments", namespace, name)
        if dep is None:
            return None
        spec = dep["spec"]
        status_before = copy.deepcopy(dep)
        if spec.get("paused"):
            dep.setdefault("status", {})["observedGeneration"] = dep["metadata"]["generation"]
            _put_if_changed(self.store, status_before, dep)
            return None
        owned = [rs for rs in self.store.list("replicasets", namespace) if _controlled_by(rs, dep)]
        template = _without_hash_label(spec["template"])
        max_rev = max((int(rs["metadata"].get("annotations", {}).get(DEPLOYMENT_REVISION, "0")) for rs in owned),
                      default=0)
        current = next((rs for rs in owned if _without_hash_label(rs["spec"]["template"]) == template), None)
        replicas = spec.get("replicas", 1)
        if current is None:
            h = template_hash(template)
            new_template = copy.deepcopy(template)
            new_template.setdefault("metadata", {}).setdefault("labels", {})[POD_TEMPLATE_HASH] = h
            rs = replicaset(f"{name}-{h}", namespace, template=new_template, replicas=replicas,
                            revision=max_rev + 1, owner=dep)
            rs["spec"]["selector"] = copy.deepcopy(spec["selector"])
            rs["spec"]["selector"].setdefault("matchLabels", {})[POD_TEMPLATE_HASH] = h
            current = self.store.put(rs)
        else:
            before = copy.deepcopy(current)
            annotations = current["metadata"].setdefault("annotations", {})
            revision = int(annotations.get(DEPLOYMENT_REVISION, "0"))
            if revision != max_rev:  # an old template came back (undo): it becomes the newest revision
                annotations[REVISION_HISTORY] = ",".join(filter(None, [annotations.get(REVISION_HISTORY),
                                                                       str(revision)]))
                annotations[DEPLOYMENT_REVISION] = str(max_rev + 1)
            current["spec"]["replicas"] = replicas
            current["status"] = _rs_status(before, current)
            current = _put_if_changed(self.store, before, current)
        for rs in owned:
            if rs["metadata"]["name"] != current["metadata"]["name"] and rs["spec"].get("replicas", 0):
                before = copy.deepcopy(rs)
                rs["spec"]["replicas"] = 0
                rs["status"] = _rs_status(before, rs)
                _put_if_changed(self.store, before, rs)
        dep = self.store.get("deployments", namespace, name)
        before = copy.deepcopy(dep)
        dep["metadata"].setdefault("annotations", {})[DEPLOYMENT_REVISION] = \
            current["metadata"]["annotations"][DEPLOYMENT_REVISION]
        dep["status"] = {**_ready(replicas), "updatedReplicas": replicas,
                         "observedGeneration": dep["metadata"]["generation"],
                         "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                                        {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]}
        _put_if_changed(self.store, before, dep)
        return current

    def reconcile_all(self) -> None:
        for dep in self.store.list("deployments"):
            self.reconcile(dep["metadata"]["namespace"], dep["metadata"]["name"])

    async def run(self) -> None:
        """Reconcile on every Deployment event until cancelled (use as a background task)."""
        rt = self.store.registry.find("deployments")
        watcher, _ = self.store.open_watch(rt, None, lambda o: True, lambda o: True, str(self.store.rv),
                                           asyncio.get_running_loop())
        try:
            self.reconcile_all()
            while True:
                event = await watcher.queue.get()
                if event is None:
                    return
                if event.key == rt.storage_key and event.type != "DELETED":
                    self.reconcile(event.namespace, event.obj["metadata"]["name"])
        finally:
            self.store.close_watch(watcher)


def _ready(n: int) -> dict[str, Any]:
    return {"replicas": n, "readyReplicas": n, "availableReplicas": n}


def _rs_status(before: dict[str, Any], rs: dict[str, Any]) -> dict[str, Any]:
    # Observe the generation put() is about to assign (a spec change bumps it), so one write settles it.
    generation = before["metadata"].get("generation", 1) + (1 if before["spec"] != rs["spec"] else 0)
    return {**_ready(rs["spec"].get("replicas", 0)), "observedGeneration": generation}


class RolloutController:
    """One reconcile = one controller step of an Argo Rollouts canary, honouring the CLI's patches.

    - a new `spec.template` starts a revision: `currentPodHash` changes, step 0, weight 0;
    - `setWeight` sets `status.canary.weights.canary.weight` and advances;
    - `pause` adds a `CanaryPauseStep` pauseCondition (+ `controllerPause`); once `promote` clears
      `pauseConditions` the next step() moves past it;
    - `status.abort` → Degraded, weight 0; `status.promoteFull` → straight to the end;
    - `spec.paused` → Paused ("manually paused"); past the last step → stable = current, Healthy.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def step(self, namespace: str, name: str) -> dict[str, Any]:
        ro = self.store.get("rollouts", namespace, name)
        before = copy.deepcopy(ro)
        st = ro.setdefault("status", {})
        steps = ((ro["spec"].get("strategy") or {}).get("canary") or {}).get("steps") or []
        st["observedGeneration"] = str(ro["metadata"]["generation"])
        h = template_hash(ro["spec"]["template"], ROLLOUT_POD_TEMPLATE_HASH)
        if st.get("currentPodHash") != h:
            st.update(currentPodHash=h, currentStepIndex=0, abort=False, phase="Progressing",
                      message="more replicas need to be updated", controllerPause=False)
            st.pop("pauseConditions", None)
            self._weight(st, 0)
        elif ro["spec"].get("paused"):
            st.update(phase="Paused", message="manually paused")
        elif st.get("abort"):
            st.update(phase="Degraded", message="RolloutAborted: Rollout aborted update to revision")
            st["abortedAt"] = st.get("abortedAt") or now_rfc3339()
            self._weight(st, 0)
        elif st.get("promoteFull"):
            self._complete(st, len(steps))
        elif st.get("pauseConditions"):
            st.update(phase="Paused", message="CanaryPauseStep")
        else:
            self._advance(st, steps)
        return _put_if_changed(self.store, before, ro)

    def _advance(self, st: dict[str, Any], steps: list[dict[str, Any]]) -> None:
        index = int(st.get("currentStepIndex") or 0)
        if index >= len(steps):
            self._complete(st, len(steps))
            return
        step = steps[index]
        if "pause" in step:
            if not st.get("controllerPause"):
                st["pauseConditions"] = [{"reason": "CanaryPauseStep", "startTime": now_rfc3339()}]
                st.update(controllerPause=True, phase="Paused", message="CanaryPauseStep")
                return
            st["controllerPause"] = False  # promote cleared the pause: the step is done
        elif "setWeight" in step:
            self._weight(st, int(step["setWeight"]))
        st.update(currentStepIndex=index + 1, phase="Progressing", message="more replicas need to be updated")
        if index + 1 >= len(steps):
            self._complete(st, len(steps))

    @staticmethod
    def _weight(st: dict[str, Any], weight: int) -> None:
        st.setdefault("canary", {})["weights"] = {"canary": {"weight": weight}, "stable": {"weight": 100 - weight}}

    def _complete(self, st: dict[str, Any], n_steps: int) -> None:
        st.update(currentStepIndex=n_steps, stableRS=st.get("currentPodHash"), phase="Healthy", message="",
                  controllerPause=False)
        st.pop("promoteFull", None)
        st.pop("pauseConditions", None)
        self._weight(st, 0)


FLAGGER_TERMINAL = {"Succeeded", "Failed"}


class FlaggerController:
    """Walks a Flagger Canary through its phases, one `step()` per analysis interval.

    Initialized/Succeeded --start()--> Progressing (weight += stepWeight until maxWeight)
    → Promoting → Finalising → Succeeded; `failedChecks >= threshold` → Failed (weight 0);
    `spec.suspend` freezes everything.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def start(self, namespace: str, name: str, spec_hash: str = "spec-b") -> dict[str, Any]:
        def begin(c: dict[str, Any]) -> None:
            c["status"].update(phase="Progressing", canaryWeight=0, iterations=0, failedChecks=0,
                               lastAppliedSpec=spec_hash)
        return self.store.modify("canaries", namespace, name, begin)

    def step(self, namespace: str, name: str) -> dict[str, Any]:
        c = self.store.get("canaries", namespace, name)
        before = copy.deepcopy(c)
        st, analysis = c.setdefault("status", {}), c["spec"].get("analysis") or {}
        phase = st.get("phase", "Initializing")
        if c["spec"].get("suspend") or phase in FLAGGER_TERMINAL | {"Initialized"}:
            return c
        if phase == "Initializing":
            st["phase"] = "Initialized"
        elif st.get("failedChecks", 0) >= analysis.get("threshold", 5):
            st.update(phase="Failed", canaryWeight=0)
        elif phase == "Progressing":
            weight = st.get("canaryWeight", 0) + analysis.get("stepWeight", 10)
            st["iterations"] = st.get("iterations", 0) + 1
            if weight >= analysis.get("maxWeight", 50):
                st.update(phase="Promoting", canaryWeight=analysis.get("maxWeight", 50))
            else:
                st["canaryWeight"] = weight
        elif phase in ("Waiting", "WaitingPromotion"):
            pass  # gates decide; tests flip the phase themselves
        elif phase == "Promoting":
            st["phase"] = "Finalising"
        elif phase == "Finalising":
            st.update(phase="Succeeded", canaryWeight=0, lastPromotedSpec=st.get("lastAppliedSpec"))
        st["conditions"] = [{"type": "Promoted", "status": "True" if st["phase"] == "Succeeded" else "Unknown",
                             "reason": st["phase"], "lastTransitionTime": now_rfc3339()}]
        st["lastTransitionTime"] = now_rfc3339()
        return _put_if_changed(self.store, before, c)

    def walk(self, namespace: str, name: str, max_steps: int = 100) -> list[str]:
        """Step until a terminal phase; returns the phases seen."""
        phases = []
        for _ in range(max_steps):
            phase = self.step(namespace, name)["status"]["phase"]
            phases.append(phase)
            if phase in FLAGGER_TERMINAL:
                break
        return phases
