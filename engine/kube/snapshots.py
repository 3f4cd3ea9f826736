"""Snapshot assembly: watch caches → pure mapping → one immutable ``FleetState``.

Each cluster is re-mapped only when something it shows changed — its caches, a gate, an access
answer or the signals — and the fleet is rebuilt only when something is dirty, or after
``REBUILD_EVERY_S`` so health ages stay current without any event. The mapped releases keep their
``Sources`` (``Discovered``), which the applier and the dry run look up by release.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from rolldeck.engine.kube.access_reviews import AccessReviews
from rolldeck.engine.kube.cluster import ClusterConnection
from rolldeck.engine.kube.gate_service import GateService
from rolldeck.engine.kube.mapping import map_objects
from rolldeck.engine.kube.mapping.sources import Discovered
from rolldeck.engine.kube.signals_poller import SignalsPoller
from rolldeck.engine.model import ClusterState, FleetState, RegionState, ReleaseRef, ReleaseState, Unmapped
from rolldeck.engine.port import Clock

REBUILD_EVERY_S = 1.0  # health ages in the snapshot stay this fresh without any event


class Dirty:
    """Set by anything the snapshot shows (a cache, a gate, an access answer, the signals); taken
    by the next rebuild."""

    def __init__(self) -> None:
        self._set = True

    def mark(self) -> None:
        self._set = True

    def take(self) -> bool:
        was, self._set = self._set, False
        return was


class SnapshotAssembler:
    def __init__(
        self,
        connections: Mapping[str, ClusterConnection],
        *,
        source: str,
        read_only: bool,
        clock: Clock,
        monotonic: Callable[[], float],
        dirty: Dirty,
        gates: GateService,
        access: AccessReviews,
        signals: SignalsPoller | None = None,
    ) -> None:
        self._connections = connections
        self._source = source
        self._read_only = read_only
        self._clock = clock
        self._monotonic = monotonic
        self._dirty = dirty
        self._gates = gates
        self._access = access
        self._signals = signals
        self._mapped: dict[str, tuple[tuple[int, ...], list[Discovered], tuple[Unmapped, ...]]] = {}
        self._discovered: dict[ReleaseRef, Discovered] = {}
        self._fleet: FleetState | None = None
        self._built_at = 0.0
        self.builds = 0  # fleet rebuilds so far (the watch benchmark counts them)

    def snapshot(self) -> FleetState:
        now = self._monotonic()
        dirty = self._dirty.take()
        if self._fleet is not None and not dirty and now - self._built_at < REBUILD_EVERY_S:
            return self._fleet
        self._built_at = now
        self.builds += 1
        regions: dict[str, list[ClusterState]] = {}
        discovered: dict[ReleaseRef, Discovered] = {}
        for name, connection in self._connections.items():
            releases, unmapped = self._releases(connection)
            for item in releases:
                discovered[item.release.ref] = item
            state = ClusterState(
                name=name,
                region=connection.region,
                releases=tuple(item.release for item in releases),
                health=connection.health(),
                read_only=self._read_only,
                unmapped=unmapped,
            )
            regions.setdefault(connection.region, []).append(state)
        self._discovered = discovered
        self._fleet = FleetState(
            time=self._clock.now(),
            source=self._source,
            regions=tuple(RegionState(region, tuple(clusters)) for region, clusters in sorted(regions.items())),
            simulated=False,
        )
        return self._fleet

    def discovered(self, ref: ReleaseRef) -> Discovered | None:
        """The release and the objects behind it, as of a fresh snapshot."""
        self.snapshot()
        return self._discovered.get(ref)

    def find_canary(self, cluster: str, namespace: str, canary: str) -> Discovered | None:
        """The release of a Flagger Canary. ``cluster`` is the gate key of its webhook URL, usually but
        not always the context name: an exact match wins, else the only Canary of that name."""
        candidates = [d for d in self._discovered.values() if d.sources.canary == canary and d.sources.namespace == namespace]
        exact = [d for d in candidates if d.release.cluster == cluster]
        if exact:
            return exact[0]
        return candidates[0] if len(candidates) == 1 else None

    def _releases(self, connection: ClusterConnection) -> tuple[list[Discovered], tuple[Unmapped, ...]]:
        """The cluster's releases (decorated) and the objects it could not map into one."""
        signals_version = self._signals.version if self._signals is not None else 0
        key = (connection.version, self._gates.version, connection.access.version, signals_version)
        cached = self._mapped.get(connection.name)
        if cached is not None and cached[0] == key:
            return cached[1], cached[2]
        mapped = map_objects(connection.objects(), cluster=connection.name, region=connection.region, gate_waits=self._gates.waits(connection.name))
        result = [Discovered(self._decorate(connection, item.release), item.sources) for item in mapped.releases]
        self._mapped[connection.name] = (key, result, mapped.unmapped)
        self._access.schedule(connection, [item.release for item in result])
        return result, mapped.unmapped

    def _decorate(self, connection: ClusterConnection, release: ReleaseState) -> ReleaseState:
        denied = dict(release.denied)
        for kind, reason in (*connection.access.denied(release), *self._gates.denials(release)):
            denied.setdefault(kind, reason)
        release = replace(release, denied=tuple(sorted(denied.items())))
        return self._signals.decorate(release) if self._signals is not None else release
