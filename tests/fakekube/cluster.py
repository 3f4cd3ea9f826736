"""`FakeCluster`: one fake API server instance and its test controls; `FakeFleet`: several plus a kubeconfig."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from .auth import FULL_ACCESS, Allow, Identity, TokenTable
from .faults import Faults
from .kubeconfig import kubeconfig_dict, write_kubeconfig
from .requestlog import RequestLog
from .resources import ALL_CRDS, Registry, ResourceType
from .server import ApiServer, ServerOptions
from .store import Store
from .tls import TlsMaterial, make_tls


@dataclass
class ClusterSpec:
    """Everything that differs between fake clusters. Only `name` is required."""

    name: str
    crds: Iterable[str] = ALL_CRDS
    tls: bool = False
    mtls: bool = False  # implies tls; the kubeconfig user then also carries a client cert
    token: str | None = None  # default "token-<name>", full access, user "admin@<name>"
    # Extra tokens: token → (user, allow rules).
    tokens: dict[str, tuple[str, Sequence[Allow]]] = field(default_factory=dict)
    rollout_status_subresource: bool = True  # False: /status 404 on Rollouts, as pre-v0.10 controllers
    git_version: str = "v1.33.1"  # major/minor select the kubectl the gcloud dispatcher runs
    bookmark_interval: float = 60.0
    start_rv: int = 1000
    extra_resources: Sequence[ResourceType] = ()
    context: str | None = None  # default "kind-<name>"
    namespace: str = "default"  # the kubeconfig context's namespace
    # Rules for requests without credentials (user "system:anonymous"); None → 401. kubectl sends
    # no credentials over plain http, so http instances driven by kubectl need e.g. FULL_ACCESS here.
    anonymous: Sequence[Allow] | None = None
    objects: Sequence[dict] = ()  # seeded at start


class FakeCluster:
    """One fake API server. `async with FakeCluster(ClusterSpec("eu")) as c:` or start()/stop().

    From synchronous code use `with FakeCluster(...).in_thread() as c:` (own loop in a thread).
    """

    def __init__(self, spec: ClusterSpec | str, *, workdir: Path | str | None = None) -> None:
        self.spec = spec if isinstance(spec, ClusterSpec) else ClusterSpec(spec)
        s = self.spec
        self.name = s.name
        self.context = s.context or f"kind-{s.name}"
        self.token = s.token or f"token-{s.name}"
        self.user = f"admin@{s.name}"
        self.registry = Registry.build(s.crds, rollout_status_subresource=s.rollout_status_subresource,
                                       extra=s.extra_resources)
        self.store = Store(self.registry, start_rv=s.start_rv)
        self.tokens = TokenTable()
        self.tokens.add(self.token, self.user, FULL_ACCESS)
        for token, (user, allow) in s.tokens.items():
            self.tokens.add(token, user, tuple(allow))
        self.faults = Faults()
        self.requests = RequestLog()
        self.options = ServerOptions(git_version=s.git_version, bookmark_interval=s.bookmark_interval)
        self.tls: TlsMaterial | None = make_tls(mtls=s.mtls) if (s.tls or s.mtls) else None
        self._server = ApiServer(self.store, self.tokens, self.faults, self.requests, self.options)
        if s.anonymous is not None:
            self._server.anonymous = Identity("system:anonymous", tuple(s.anonymous), ("system:unauthenticated",))
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._workdir = Path(workdir) if workdir is not None else None
        self._own_workdir = False
        self.port = 0
        self._thread: threading.Thread | None = None
        for namespace in ("default", "kube-system"):
            self.store.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace},
                            "status": {"phase": "Active"}})
        self.store.seed(*s.objects)

    # ---- lifecycle --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def workdir(self) -> Path:
        """Where the kubeconfig is written; a private temp dir (removed at stop) unless given."""
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="fakekube-"))
            self._own_workdir = True
        return self._workdir

    @property
    def kubeconfig_path(self) -> Path:
        return self.workdir / f"kubeconfig-{self.context}.yaml"

    async def start(self) -> "FakeCluster":
        self._loop = asyncio.get_running_loop()
        # A short shutdown_timeout: open watches are ended by stop(), nothing else should linger.
        self._runner = web.AppRunner(self._server.app(), shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.tls.server_context if self.tls else None)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._server.address = f"127.0.0.1:{self.port}"
        write_kubeconfig(self.kubeconfig_path, [self], self.spec.namespace)
        return self

    async def stop(self) -> None:
        for watcher in self.store.watchers:
            watcher.deliver(None)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._own_workdir and self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)

    async def __aenter__(self) -> "FakeCluster":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def in_thread(self) -> "_ThreadedCluster":
        return _ThreadedCluster(self)

    # ---- test controls ----------------------------------------------------------------------

    @property
    def silent(self) -> bool:
        return self.options.silent

    @silent.setter
    def silent(self, value: bool) -> None:
        self.options.silent = value

    @property
    def bookmark_interval(self) -> float:
        return self.options.bookmark_interval

    @bookmark_interval.setter
    def bookmark_interval(self, seconds: float) -> None:
        self.options.bookmark_interval = seconds

    @property
    def clock(self) -> Callable[[], float] | None:
        """What times watch timeouts and bookmarks; None is the event loop's clock. Set a manual one
        (``tests.waiting.ManualClock``) to end watches when the test says, not when seconds pass."""
        return self.options.clock

    @clock.setter
    def clock(self, clock: Callable[[], float] | None) -> None:
        self.options.clock = clock

    @property
    def watch_polls(self) -> int:
        """Passes of every watch loop so far: "the server looked N more times" without sleeping."""
        return self.options.watch_polls

    @property
    def bookmarks_sent(self) -> int:
        return self.options.bookmarks_sent

    @property
    def git_version(self) -> str:
        return self.options.git_version

    @git_version.setter
    def git_version(self, value: str) -> None:
        self.options.git_version = value

    def compact(self) -> None:
        self.store.compact()

    def drop_watches(self) -> int:
        """Abort every open watch connection (the client sees ClientPayloadError). Returns how many."""
        watchers = self.store.watchers

        def abort_all() -> None:
            for watcher in watchers:
                if watcher.abort is not None:
                    watcher.abort()
                watcher.deliver(None)

        self._on_loop(abort_all)
        return len(watchers)

    @property
    def open_watches(self) -> int:
        return len(self.store.watchers)

    def clear_requests(self) -> None:
        self.requests.clear()

    def kubeconfig_dict(self) -> dict[str, Any]:
        """For `kubernetes_asyncio.config.new_client_from_config_dict(cluster.kubeconfig_dict())`."""
        return kubeconfig_dict([self], self.spec.namespace)

    def _on_loop(self, fn: Any) -> None:
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is None or running is loop:
            fn()
        else:
            loop.call_soon_threadsafe(fn)

    def __repr__(self) -> str:
        return f"<FakeCluster {self.context} {self.url}>"


class _ThreadedCluster:
    """Runs a FakeCluster on its own event loop in a daemon thread, for synchronous tests."""

    def __init__(self, cluster: FakeCluster) -> None:
        self.cluster = cluster
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=f"fakekube-{cluster.name}", daemon=True)

    def __enter__(self) -> FakeCluster:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.cluster.start(), self.loop).result(timeout=10)
        return self.cluster

    def __exit__(self, *exc: object) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self.cluster.stop(), self.loop).result(timeout=10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=5)
            self.loop.close()


class FakeFleet:
    """Several started clusters and one kubeconfig holding a context per cluster."""

    def __init__(self, clusters: Sequence[FakeCluster], kubeconfig_path: Path) -> None:
        self.clusters = list(clusters)
        self.kubeconfig_path = kubeconfig_path

    @classmethod
    async def start(cls, specs: Iterable[ClusterSpec | str], workdir: Path) -> "FakeFleet":
        clusters: list[FakeCluster] = []
        try:
            for spec in specs:
                cluster = FakeCluster(spec, workdir=workdir)
                clusters.append(cluster)
                await cluster.start()
        except BaseException:
            for cluster in clusters:
                await cluster.stop()
            raise
        path = write_kubeconfig(Path(workdir) / "kubeconfig.yaml", clusters)
        return cls(clusters, path)

    async def stop(self) -> None:
        for cluster in self.clusters:
            await cluster.stop()

    @property
    def contexts(self) -> list[str]:
        return [c.context for c in self.clusters]

    def __getitem__(self, key: str | int) -> FakeCluster:
        if isinstance(key, int):
            return self.clusters[key]
        for cluster in self.clusters:
            if key in (cluster.context, cluster.name):
                return cluster
        raise KeyError(key)

    def __iter__(self) -> Iterator[FakeCluster]:
        return iter(self.clusters)

    def __len__(self) -> int:
        return len(self.clusters)

    def kubeconfig_dict(self) -> dict[str, Any]:
        return kubeconfig_dict(self.clusters)
