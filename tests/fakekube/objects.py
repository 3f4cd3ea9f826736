"""Builders for the objects rolldeck reads: plain dicts shaped like the real API's, minimal but valid.

Every builder takes `namespace` and returns a fresh dict; pass the result to `cluster.store.put()`.
"""

from __future__ import annotations

from typing import Any


def _meta(name: str, namespace: str, labels: dict[str, str] | None = None,
          annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels:
        meta["labels"] = dict(labels)
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


def pod_template(labels: dict[str, str], image: str, container: str = "app",
                 sidecars: list[dict] | None = None) -> dict[str, Any]:
    containers = [{"name": container, "image": image, "ports": [{"containerPort": 8080, "protocol": "TCP"}]}]
    containers += sidecars or []
    return {"metadata": {"labels": dict(labels)}, "spec": {"containers": containers}}


def deployment(name: str, namespace: str = "default", *, image: str = "registry.local/app:v1",
               replicas: int = 3, labels: dict[str, str] | None = None, paused: bool = False,
               ready: bool = True, sidecars: list[dict] | None = None,
               annotations: dict[str, str] | None = None) -> dict[str, Any]:
    labels = labels or {"app": name}
    obj: dict[str, Any] = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": _meta(name, namespace, labels, annotations),
        "spec": {"replicas": replicas, "selector": {"matchLabels": dict(labels)},
                 "template": pod_template(labels, image, sidecars=sidecars),
                 "strategy": {"type": "RollingUpdate",
                              "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}},
    }
    if paused:
        obj["spec"]["paused"] = True
    if ready:
        n = replicas
        obj["status"] = {"observedGeneration": 1, "replicas": n, "updatedReplicas": n, "readyReplicas": n,
                         "availableReplicas": n,
                         "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                                        {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]}
    return obj


def replicaset(name: str, namespace: str = "default", *, template: dict[str, Any], replicas: int,
               revision: int, owner: dict[str, Any] | None = None,
               revision_annotation: str = "deployment.kubernetes.io/revision") -> dict[str, Any]:
    """`owner` is the owning Deployment/Rollout as stored (needs metadata.uid) → a controller ownerReference."""
    labels = dict((template.get("metadata") or {}).get("labels") or {})
    meta = _meta(name, namespace, labels, {revision_annotation: str(revision)})
    if owner is not None:
        meta["ownerReferences"] = [{"apiVersion": owner["apiVersion"], "kind": owner["kind"],
                                    "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"],
                                    "controller": True, "blockOwnerDeletion": True}]
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": meta,
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": template},
            "status": {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas,
                       "observedGeneration": 1}}


def service(name: str, namespace: str = "default", *, selector: dict[str, str] | None = None,
            port: int = 80, target_port: int = 8080) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": _meta(name, namespace),
            "spec": {"type": "ClusterIP", "selector": dict(selector or {"app": name}),
                     "ports": [{"name": "http", "port": port, "targetPort": target_port, "protocol": "TCP"}]},
            "status": {"loadBalancer": {}}}


def virtual_service(name: str, namespace: str = "default", *, hosts: list[str] | None = None,
                    stable: str = "stable-svc", canary: str = "canary-svc", canary_weight: int = 0,
                    route_name: str = "primary", api_version: str = "networking.istio.io/v1",
                    subsets: bool = False) -> dict[str, Any]:
    def dest(host: str, subset: str) -> dict[str, Any]:
        return {"host": host, "subset": subset} if subsets else {"host": host}

    return {"apiVersion": api_version, "kind": "VirtualService", "metadata": _meta(name, namespace),
            "spec": {"hosts": hosts or [name],
                     "http": [{"name": route_name, "route": [
                         {"destination": dest(stable, "stable"), "weight": 100 - canary_weight},
                         {"destination": dest(canary, "canary"), "weight": canary_weight}]}]}}


def http_route(name: str, namespace: str = "default", *, stable: str = "stable-svc", canary: str = "canary-svc",
               stable_weight: int = 100, canary_weight: int = 0, gateway: str = "gateway",
               api_version: str = "gateway.networking.k8s.io/v1") -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": "HTTPRoute", "metadata": _meta(name, namespace),
            "spec": {"parentRefs": [{"name": gateway}],
                     "rules": [{"backendRefs": [{"name": stable, "port": 80, "weight": stable_weight},
                                                {"name": canary, "port": 80, "weight": canary_weight}]}]}}


def canary_steps(*weights: int, pause: bool = True) -> list[dict[str, Any]]:
    """[setWeight w1, pause {}, setWeight w2, pause {}, …]."""
    steps: list[dict[str, Any]] = []
    for w in weights:
        steps.append({"setWeight": w})
        if pause:
            steps.append({"pause": {}})
    return steps


def rollout(name: str, namespace: str = "default", *, image: str = "registry.local/app:v1", replicas: int = 5,
            steps: list[dict[str, Any]] | None = None, blue_green: bool = False,
            virtual_service_name: str | None = None, stable_service: str = "stable-svc",
            canary_service: str = "canary-svc", paused: bool = False,
            status: dict[str, Any] | None = None) -> dict[str, Any]:
    labels = {"app": name}
    if blue_green:
        strategy: dict[str, Any] = {"blueGreen": {"activeService": f"{name}-active",
                                                  "previewService": f"{name}-preview",
                                                  "autoPromotionEnabled": False}}
    else:
        canary: dict[str, Any] = {"steps": steps if steps is not None else canary_steps(20, 50),
                                  "stableService": stable_service, "canaryService": canary_service}
        if virtual_service_name:
            canary["trafficRouting"] = {"istio": {"virtualService": {"name": virtual_service_name,
                                                                     "routes": ["primary"]}}}
        strategy = {"canary": canary}
    obj: dict[str, Any] = {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": _meta(name, namespace, labels),
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                 "template": pod_template(labels, image), "strategy": strategy},
        "status": status if status is not None else {
            "phase": "Healthy", "observedGeneration": "1", "currentStepIndex": 0, "replicas": replicas,
            "updatedReplicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas,
            "HPAReplicas": replicas, "selector": f"app={name}", "stableRS": "stable0", "currentPodHash": "stable0"},
    }
    if paused:
        obj["spec"]["paused"] = True
    return obj


def analysis_run(name: str, namespace: str = "default", *, rollout_name: str | None = None,
                 phase: str = "Running", metrics: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    labels = {"rollouts-pod-template-hash": "canary0"} if rollout_name else None
    meta = _meta(name, namespace, labels)
    if rollout_name:
        meta["ownerReferences"] = [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": rollout_name,
                                    "uid": "", "controller": True}]
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisRun", "metadata": meta,
            "spec": {"metrics": [{"name": "success-rate", "successCondition": "result[0] >= 0.95",
                                  "failureLimit": 2, "provider": {"prometheus": {"query": "up"}}}]},
            "status": {"phase": phase, "metricResults": metrics if metrics is not None else [
                {"name": "success-rate", "phase": phase, "count": 1, "successful": 1, "failed": 0,
                 "inconclusive": 0, "error": 0, "consecutiveError": 0,
                 "measurements": [{"phase": "Successful", "value": "[0.99]"}]}]}}


def canary(name: str, namespace: str = "default", *, target: str | None = None, phase: str = "Initialized",
           canary_weight: int = 0, step_weight: int = 10, max_weight: int = 50, threshold: int = 5,
           failed_checks: int = 0, router: str = "istio") -> dict[str, Any]:
    """A Flagger Canary (flagger.app/v1beta1) targeting Deployment `target` (default: `name`)."""
    return {"apiVersion": "flagger.app/v1beta1", "kind": "Canary", "metadata": _meta(name, namespace),
            "spec": {"provider": router,
                     "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target or name},
                     "service": {"port": 80, "targetPort": 8080},
                     "analysis": {"interval": "1m", "threshold": threshold, "maxWeight": max_weight,
                                  "stepWeight": step_weight,
                                  "metrics": [{"name": "request-success-rate", "thresholdRange": {"min": 99},
                                               "interval": "1m"}]}},
            "status": {"phase": phase, "canaryWeight": canary_weight, "failedChecks": failed_checks,
                       "iterations": 0, "lastAppliedSpec": "spec-a", "lastPromotedSpec": "spec-a",
                       "conditions": [{"type": "Promoted", "status": "True" if phase in ("Initialized", "Succeeded")
                                       else "Unknown", "reason": phase}]}}


def application(name: str, namespace: str = "argocd", *, sync: str = "Synced", health: str = "Healthy",
                auto_sync: bool = True, self_heal: bool = False, revision: str = "abc123",
                dest_namespace: str = "default") -> dict[str, Any]:
    """An Argo CD Application (argoproj.io/v1alpha1); status lives in the main resource."""
    spec: dict[str, Any] = {"project": "default",
                            "source": {"repoURL": "https://git.example/app.git", "path": name,
                                       "targetRevision": "HEAD"},
                            "destination": {"server": "https://kubernetes.default.svc",
                                            "namespace": dest_namespace}}
    if auto_sync:
        spec["syncPolicy"] = {"automated": {"prune": True, "selfHeal": self_heal}}
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": _meta(name, namespace),
            "spec": spec,
            "status": {"sync": {"status": sync, "revision": revision}, "health": {"status": health},
                       "history": [{"id": 1, "revision": revision, "deployedAt": "2025-01-01T00:00:00Z"}],
                       "operationState": {"phase": "Succeeded",
                                          "operation": {"initiatedBy": {"automated": auto_sync}}}}}
