"""Watch benchmark: the Kubernetes backend on 3 fake clusters × 300 objects with a steady stream of changes.

Measures, with the backend's production tuning (ReflectorTuning defaults: 5–10 min server timeouts,
90 s inactivity timeout):

* requests per minute in steady state (every fake API server's request log over the window; the
  goal is zero beyond the long-lived watches — no polling of objects);
* change → snapshot latency: from the moment a VirtualService weight is written on a server to the
  first ``backend.snapshot()`` that shows it (sampled every 5 ms; the console samples every 500 ms,
  which adds up to that much on screen). The fake server's watch loop polls its queue every 50 ms,
  so its own delivery adds up to 50 ms; a real API server pushes events at once;
* memory: Python allocations held by engine.kube (tracemalloc, traceback through engine/kube) once
  every cache is synced, and the process RSS growth from starting the backend;
* snapshot rebuild time after a change.

The fake servers run on their own event loops in threads, so the backend's loop is the console's.

    .venv/bin/python bench/kube_watch.py [--seconds 60] [--rate 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rolldeck.engine.kube import KubeBackend  # noqa: E402
from rolldeck.engine.model import ReleaseRef  # noqa: E402
from tests.fakekube import ClusterSpec, FakeCluster  # noqa: E402
from tests.fakekube import objects as ko  # noqa: E402
from tests.fakekube.kubeconfig import write_kubeconfig  # noqa: E402

CLUSTERS = ("a", "b", "c")
ROUTES = 40  # canaries by VirtualService: 40 VS + 80 Deployments + 80 Services = 200 objects
ROLLOUTS = 20  # 20 Rollouts + 40 ReplicaSets = 60
SLOTS = 10  # blue-green by selector: 10 Services + 20 Deployments = 30
PLAIN = 10  # rolling Deployments = 10 → 300 objects per cluster
NS = "shop"


def seed(cluster: FakeCluster) -> int:
    store = cluster.store
    count = 0
    for i in range(ROUTES):
        app = f"cart-{i}"
        store.put(ko.deployment(f"{app}-stable", NS, labels={"app": app, "track": "stable"}, image=f"r/{app}:v1"))
        store.put(ko.deployment(f"{app}-canary", NS, labels={"app": app, "track": "canary"}, image=f"r/{app}:v2", replicas=1))
        store.put(ko.service(f"{app}-stable", NS, selector={"app": app, "track": "stable"}))
        store.put(ko.service(f"{app}-canary", NS, selector={"app": app, "track": "canary"}))
        store.put(ko.virtual_service(app, NS, stable=f"{app}-stable", canary=f"{app}-canary", canary_weight=10))
        count += 5
    for i in range(ROLLOUTS):
        ro = store.put(ko.rollout(f"checkout-{i}", NS))
        for h, rev in (("stable0", 1), ("canary0", 2)):
            template = ko.pod_template({"app": f"checkout-{i}", "rollouts-pod-template-hash": h}, f"r/checkout:v{rev}")
            store.put(ko.replicaset(f"checkout-{i}-{h}", NS, template=template, replicas=2, revision=rev, owner=ro, revision_annotation="rollout.argoproj.io/revision"))
        count += 3
    for i in range(SLOTS):
        app = f"web-{i}"
        store.put(ko.deployment(f"{app}-blue", NS, labels={"app": app, "slot": "blue"}))
        store.put(ko.deployment(f"{app}-green", NS, labels={"app": app, "slot": "green"}))
        store.put(ko.service(app, NS, selector={"app": app, "slot": "blue"}))
        count += 3
    for i in range(PLAIN):
        store.put(ko.deployment(f"api-{i}", NS))
        count += 1
    return count


async def start_and_sync(backend: KubeBackend, releases: int) -> float:
    started = time.perf_counter()
    await backend.start()
    while sum(1 for _ in backend.snapshot().releases()) < releases:
        await asyncio.sleep(0.01)
    return time.perf_counter() - started


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def kube_bytes(snapshot: tracemalloc.Snapshot) -> int:
    marker = os.sep + os.path.join("engine", "kube") + os.sep
    return sum(t.size for t in snapshot.traces if any(marker in f.filename for f in t.traceback))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def run(seconds: float, rate: float, workdir: Path) -> None:
    with ExitStack() as stack:
        clusters = [stack.enter_context(FakeCluster(ClusterSpec(name), workdir=workdir / name).in_thread()) for name in CLUSTERS]
        objects = [seed(c) for c in clusters]
        kubeconfig = write_kubeconfig(workdir / "kubeconfig", clusters)
        expected = ROUTES + ROLLOUTS + SLOTS + PLAIN

        rss_before = rss_mib()
        backend = KubeBackend.from_kubeconfig("all", kubeconfig=kubeconfig, key_dir=workdir / "keys", serve_gates=False, seed=1)
        synced_s = await start_and_sync(backend, expected * len(clusters))
        rss_synced = rss_mib()

        for _ in range(8):  # sample at the console's 2 Hz while the access reviews for the new releases settle
            backend.snapshot()
            await asyncio.sleep(0.5)
        watches = sum(c.open_watches for c in clusters)
        marks = [len(c.requests) for c in clusters]
        backend_mark = backend.requests

        pending: dict[ReleaseRef, tuple[int, float]] = {}
        latencies: list[float] = []
        builds: list[float] = []
        stop = asyncio.Event()

        async def sampler() -> None:
            while not stop.is_set():
                t = time.perf_counter()
                before = backend.snapshot_builds
                state = backend.snapshot()
                if backend.snapshot_builds != before:
                    builds.append(time.perf_counter() - t)
                now = time.perf_counter()
                for ref, (weight, t0) in list(pending.items()):
                    release = state.release(ref)
                    if release is not None and release.desired.weight(f"{ref.name}-canary") == weight:
                        latencies.append(now - t0)
                        del pending[ref]
                await asyncio.sleep(0.005)

        sampling = asyncio.get_running_loop().create_task(sampler())
        rng = random.Random(7)
        routes = [(c, i) for i in range(ROUTES) for c in clusters]
        rng.shuffle(routes)
        changes = 0
        window_start = time.perf_counter()
        next_at = window_start
        while time.perf_counter() - window_start < seconds:
            cluster, i = routes[changes % len(routes)]
            app = f"cart-{i}"
            ref = ReleaseRef(cluster.context, app)
            weight = rng.choice([w for w in (5, 10, 25, 50) if w != (pending.get(ref) or (None,))[0]])

            def set_weight(vs, w=weight):
                vs["spec"]["http"][0]["route"][0]["weight"], vs["spec"]["http"][0]["route"][1]["weight"] = 100 - w, w

            await asyncio.to_thread(cluster.store.modify, "virtualservices", NS, app, set_weight)
            pending[ref] = (weight, time.perf_counter())
            changes += 1
            next_at += 1.0 / rate
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        await asyncio.sleep(1.0)
        stop.set()
        await sampling
        window_min = (time.perf_counter() - window_start) / 60.0
        sent = [r for c, m in zip(clusters, marks, strict=True) for r in list(c.requests)[m:]]
        requests = len(sent)
        kinds = sorted({f"{r.method} {r.path.rsplit('/', 1)[-1]}{' (watch)' if r.param('watch') else ''}" for r in sent})
        if os.environ.get("BENCH_DEBUG"):
            for r in sent:
                print("window request:", r.method, r.path_qs[:120], r.body[:300])
        rss_end = rss_mib()
        await backend.stop()

        # memory, in a second backend traced from its start (tracing slows everything: not timed)
        tracemalloc.start(16)
        traced = KubeBackend.from_kubeconfig("all", kubeconfig=kubeconfig, key_dir=workdir / "keys2", serve_gates=False, seed=2)
        await start_and_sync(traced, expected * len(clusters))
        held = kube_bytes(tracemalloc.take_snapshot())
        tracemalloc.stop()
        await traced.stop()

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.processor())
    print(f"machine: {os.cpu_count()} CPU ({cpu}), Python {platform.python_version()}, {platform.system()} {platform.release()}")
    print(f"clusters: {len(clusters)} × {objects[0]} objects ({expected} releases each); open watches: {watches}")
    print(f"initial sync: {synced_s:.2f} s (lists of every kind on 3 clusters, mapping included)")
    print(f"steady state: {changes} changes in {window_min * 60:.0f} s ({rate:g}/s); requests to the API servers: {requests} "
          f"= {requests / window_min:.1f}/min (backend count {backend.requests - backend_mark}){': ' + ', '.join(kinds) if kinds else ''}")
    if latencies:
        ms = [x * 1000 for x in latencies]
        print(f"change → snapshot: n={len(ms)} p50 {statistics.median(ms):.1f} ms, p95 {percentile(ms, 0.95):.1f} ms, "
              f"max {max(ms):.1f} ms; unresolved {len(pending)}")
    if builds:
        print(f"snapshot rebuild after a change: mean {statistics.mean(builds) * 1000:.2f} ms, p95 {percentile(builds, 0.95) * 1000:.2f} ms ({len(builds)} builds)")
    print(f"memory: engine.kube holds {held / 2**20:.1f} MiB (tracemalloc) for {sum(objects)} objects; "
          f"RSS {rss_before:.0f} → {rss_synced:.0f} MiB at sync (+{rss_synced - rss_before:.0f}), {rss_end:.0f} MiB at the end")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the steady-state window")
    parser.add_argument("--rate", type=float, default=5.0, help="changes per second across all clusters")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rolldeck-bench-") as workdir:
        asyncio.run(run(args.seconds, args.rate, Path(workdir)))


if __name__ == "__main__":
    main()
