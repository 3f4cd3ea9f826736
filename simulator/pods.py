"""Pod lifecycle: scheduling, image pull, readiness, crash loops, OOM kills, kills and drains.

Each pod is a SimPy process. Faults change a version's conditions (crash looping, a memory leak) and
wake its pods so they re-evaluate; kubelet's crash-loop back-off (10 s doubling to a 5 min cap) and
restart counts follow Kubernetes. The data plane only reads which pods are Ready and how fast their
node lets them serve.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
import simpy

if TYPE_CHECKING:
    from rolldeck.simulator.state import ReleaseSim, VersionSim

BACKOFF_START_S = 10.0
BACKOFF_CAP_S = 300.0
CRASH_AFTER_START_S = 2.0  # a bad config exits this long after the container starts


class PodState(StrEnum):
    STARTING = "starting"  # scheduled, pulling or not yet Ready
    READY = "ready"
    BACKOFF = "backoff"  # CrashLoopBackOff
    TERMINATED = "terminated"


@dataclass
class Pod:
    name: str
    node: int
    state: PodState = PodState.STARTING
    restarts: int = 0
    crashes: int = 0  # consecutive crashes, for the back-off
    ready_since: float = 0.0
    process: simpy.Process | None = field(default=None, repr=False)


class PodLifecycle:
    def __init__(self, env: simpy.Environment, rng: Callable[[str], np.random.Generator], nodes: dict[str, int]) -> None:
        self.env = env
        self._rng = rng
        self._nodes = nodes  # cluster → node count
        self._serial = 0

    def add(self, release: ReleaseSim, version: VersionSim, *, ready: bool) -> Pod:
        """Start one pod; ``ready`` pods exist already when the scenario begins."""
        self._serial += 1
        nodes = self._nodes.get(release.ref.cluster, 1)
        pod = Pod(f"{release.ref.name}-{version.name}-{self._serial}", node=self._serial % nodes)
        if ready:
            pod.state, pod.ready_since = PodState.READY, self.env.now
        version.pods.append(pod)
        pod.process = self.env.process(self._life(release, version, pod, ready))
        return pod

    def scale(self, release: ReleaseSim, version: VersionSim, replicas: int) -> None:
        version.desired_pods = replicas
        alive = [p for p in version.pods if p.state is not PodState.TERMINATED]
        for _ in range(replicas - len(alive)):
            self.add(release, version, ready=False)
        # Scale down the least useful pods first: not-ready ones, then the youngest.
        surplus = len(alive) - replicas
        if surplus > 0:
            order = sorted(alive, key=lambda p: (p.state is PodState.READY, -p.ready_since))
            for pod in order[:surplus]:
                self._interrupt(pod, "terminate")
                pod.state = PodState.TERMINATED
        version.pods = [p for p in version.pods if p.state is not PodState.TERMINATED]
        version.updated_pods = replicas

    def kill(self, version: VersionSim, pods: list[Pod]) -> None:
        """Delete pods (pod kill, node drain): the ReplicaSet replaces each one from scratch."""
        for pod in pods:
            if pod.state is not PodState.TERMINATED:
                pod.state = PodState.STARTING
                self._interrupt(pod, "kill")

    def wake(self, version: VersionSim) -> None:
        """A fault changed the version's conditions: every pod re-evaluates now."""
        for pod in version.pods:
            self._interrupt(pod, "recheck")

    def _interrupt(self, pod: Pod, cause: str) -> None:
        if pod.process is not None and pod.process.is_alive and pod.process is not self.env.active_process:
            pod.process.interrupt(cause)

    def _startup_s(self, release: ReleaseSim, version: VersionSim) -> float:
        spec = release.spec
        jitter = float(self._rng(f"pods/{release.ref}/{version.name}").uniform(0.8, 1.2))
        return spec.scheduling_delay + spec.image_pull_delay + spec.readiness_delay * jitter

    def _life(self, release: ReleaseSim, version: VersionSim, pod: Pod, ready: bool):
        starting = not ready
        while True:
            try:
                if starting:
                    pod.state = PodState.STARTING
                    if version.crash_looping:
                        yield self.env.timeout(CRASH_AFTER_START_S)
                    else:
                        yield self.env.timeout(self._startup_s(release, version))
                    starting = False
                if version.crash_looping:
                    # The container exits; kubelet restarts it after a doubling back-off.
                    pod.state = PodState.BACKOFF
                    pod.restarts += 1
                    version.restarts += 1
                    delay = min(BACKOFF_START_S * 2**pod.crashes, BACKOFF_CAP_S)
                    pod.crashes += 1
                    yield self.env.timeout(delay)
                    starting = True
                    continue
                pod.crashes = 0
                if pod.state is not PodState.READY:
                    pod.state, pod.ready_since = PodState.READY, self.env.now
                leak = version.leak_mb_per_s
                if leak > 0:
                    grown_since = max(pod.ready_since, version.leak_since)
                    used = version.base_memory_mb + leak * (self.env.now - grown_since)
                    yield self.env.timeout(max(0.0, (version.memory_limit_mb - used) / leak))
                    # OOMKilled: the container restarts and must pass readiness again.
                    pod.restarts += 1
                    version.restarts += 1
                    pod.state = PodState.STARTING
                    yield self.env.timeout(release.spec.readiness_delay)
                    pod.state, pod.ready_since = PodState.READY, self.env.now
                    continue
                yield self.env.event()  # run until something interrupts this pod
            except simpy.Interrupt as interrupt:
                if interrupt.cause == "terminate":
                    pod.state = PodState.TERMINATED
                    return
                if interrupt.cause == "kill":
                    starting = True
                elif pod.state in (PodState.STARTING, PodState.BACKOFF):
                    starting = True  # re-evaluate the start (a crash loop began or ended meanwhile)
