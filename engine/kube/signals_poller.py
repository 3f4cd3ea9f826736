"""The live signals: every release's newest metrics window, polled from the metrics source.

One round asks the source for every release in the snapshot (at most ``concurrency`` at once, each
bounded by a timeout); an answer becomes the release's per-version ``Signals``, its observed split
and its running totals (``RunningTotals``: what the judge counts); a failure or a timeout becomes the
release's ``metrics_error`` — the Error verdict, never a crash and never a rollback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from rolldeck.engine.kube.errors import describe, one_line
from rolldeck.engine.kube.mapping.workloads import percentages
from rolldeck.engine.kube.signals import ReleaseSignals, RunningTotals
from rolldeck.engine.model import ReleaseRef, ReleaseState, Signals, Split
from rolldeck.engine.port import Clock

Answer = Mapping[str, Signals] | str  # per-version signals, or why there are none


class SignalsPoller:
    def __init__(
        self,
        source: ReleaseSignals,
        *,
        releases: Callable[[], Iterable[ReleaseState]],
        clock: Clock,
        on_change: Callable[[], None],
        timeout_s: float,
        interval_s: float,
        concurrency: int = 8,
    ) -> None:
        self._source = source
        self._releases = releases
        self._clock = clock
        self._on_change = on_change
        self.timeout_s = timeout_s
        self.interval_s = interval_s
        self._limit = asyncio.Semaphore(concurrency)
        self._answers: dict[ReleaseRef, Answer] = {}
        self._totals = RunningTotals()  # cumulative counts for the judge, from successive windows
        self.version = 0  # bumped when any release's answer changed: the snapshot re-maps then

    async def run(self) -> None:
        """Poll forever (the backend's task; cancelled on stop)."""
        while True:
            await self.poll_once()
            await asyncio.sleep(self.interval_s)

    async def poll_once(self) -> None:
        await asyncio.gather(*(self._one(release) for release in list(self._releases())))

    def answer(self, ref: ReleaseRef) -> Answer | None:
        return self._answers.get(ref)

    def decorate(self, release: ReleaseState) -> ReleaseState:
        """The release with its newest signals, totals and observed split (or its metrics error)."""
        answer = self._answers.get(release.ref)
        if isinstance(answer, str):
            return replace(release, metrics_error=answer)
        if not answer:
            return release
        changes: dict[str, Any] = {
            "versions": tuple(
                replace(v, signals=answer[v.name], totals=self._totals.get(str(release.ref), v.name)) if v.name in answer else v
                for v in release.versions
            )
        }
        names = [v.name for v in release.versions]
        counts = [answer[n].requests if n in answer else 0 for n in names]
        if sum(counts) > 0:
            changes["observed"] = Split(tuple(zip(names, percentages(counts), strict=True)))
        return replace(release, **changes)

    async def _one(self, release: ReleaseState) -> None:
        async with self._limit:
            try:
                raw = await asyncio.wait_for(self._source.signals(release), self.timeout_s)
            except asyncio.TimeoutError:
                raw = f"metrics source timed out after {self.timeout_s:.0f}s"
            except Exception as error:  # a broken source is the Error verdict, never a crash
                raw = f"metrics source failed: {describe(error)}"
        value: Answer
        if isinstance(raw, Mapping):
            window: dict[str, Signals] = dict(raw)
            self._totals.add(str(release.ref), window, self._clock.now())
            value = window
        else:
            value = one_line(str(raw))
        if self._answers.get(release.ref) != value:
            self._answers[release.ref] = value
            self.version += 1
            self._on_change()
