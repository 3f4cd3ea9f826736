"""One bake tracker for the whole engine: per release, when the current step's bake began (backend
time) and the totals at that moment, so "counts since the step began" is computed once.

A bake is one candidate revision held at one desired weight. It *starts* when the data plane
reached that weight (observed = desired): counts from the propagation window belong to the weight
before. Until then the bake counts provisionally from the moment the desired weight changed. A
release first seen mid-bake counts from when the backend began counting (``origin`` None).

The autopilot, the console's verdicts and its step countdowns all read the same tracker; each may
``observe`` a snapshot (a second look at the same instant is free). The judge lives here too:
``judge(release, make)`` feeds the bake's one sequential judge (``engine.judge.ReleaseEvidence``,
made on first use, dropped when the next bake begins) and answers its judgement, so the autopilot
and the console read the same evidence however often each of them looks. ``since_start`` (counts
over the whole bake), ``interval`` (counts since the previous look) and ``state(ref, make)`` (any
other per-bake object) are the lower seams.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from rolldeck.engine.judge import Counts, Judgement, ReleaseEvidence, Totals, counts_since, release_totals
from rolldeck.engine.judge.counts import ZERO
from rolldeck.engine.model import FleetState, ReleaseRef, ReleaseState

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Bake:
    candidate: str  # the candidate's revision
    weight: int  # its desired weight, percent
    reached: bool  # the data plane carries that weight: the bake proper has begun
    started_at: float | None  # backend time it began; None: under way before the tracker looked


@dataclass
class _Entry:
    bake: Bake
    origin: Totals | None  # totals at the start; None: since the backend began counting
    awaiting_origin: bool = False  # began while metrics were down: the first totals seen are the origin
    last: Totals | None = None  # totals at the previous look
    interval: tuple[Counts | None, Counts | None] = (None, None)
    state: object | None = None
    judge: ReleaseEvidence | None = None


class BakeTracker:
    def __init__(self) -> None:
        self._entries: dict[ReleaseRef, _Entry] = {}
        self._time: float | None = None

    # --- feeding ----------------------------------------------------------------------------------
    def observe(self, state: FleetState) -> None:
        """Take one look at a snapshot; a second look at the same backend instant changes nothing."""
        if state.time == self._time:
            return
        self._time = state.time
        seen: set[ReleaseRef] = set()
        for release in state.releases():
            candidate = release.candidate
            if candidate is None:
                continue
            seen.add(release.ref)
            self._look(release, state.time, candidate.revision)
        for ref in set(self._entries) - seen:
            del self._entries[ref]  # gone, or no candidate any more: its bake is over

    def _look(self, release: ReleaseState, now: float, revision: str) -> None:
        desired, observed = release.candidate_weight
        totals = release_totals(release)
        entry = self._entries.get(release.ref)
        if entry is None:  # first sight: under way since before we looked
            bake = Bake(revision, desired, observed == desired, None)
            entry = self._entries[release.ref] = _Entry(bake, origin=None)
        elif (entry.bake.candidate, entry.bake.weight) != (revision, desired):
            # A new weight: provisionally counted from now, properly once the data plane has it.
            entry = self._entries[release.ref] = _Entry(Bake(revision, desired, False, None), totals, totals is None)
            if observed == desired:
                self._start(entry, now, totals)
        elif not entry.bake.reached and observed == desired:
            self._start(entry, now, totals)
        if entry.awaiting_origin and totals is not None:
            entry.origin, entry.awaiting_origin = totals, False
        if totals is not None and entry.last is not None:
            entry.interval = (totals[0] - entry.last[0], totals[1] - entry.last[1])
        else:
            entry.interval = (None, None)
        entry.last = totals

    def _start(self, entry: _Entry, now: float, totals: Totals | None) -> None:
        entry.bake = Bake(entry.bake.candidate, entry.bake.weight, True, now)
        entry.origin, entry.awaiting_origin = totals, totals is None
        entry.state = entry.judge = None

    def restart(self, release: ReleaseState, now: float) -> None:
        """Begin a new bake at ``now`` whatever the weight did (the autopilot starts each plan step's
        bake itself, even when two steps hold the same weight)."""
        candidate = release.candidate
        if candidate is None:
            return
        totals = release_totals(release)
        bake = Bake(candidate.revision, release.candidate_weight[0], True, now)
        self._entries[release.ref] = _Entry(bake, totals, totals is None, last=totals)

    # --- reading ----------------------------------------------------------------------------------
    def bake(self, ref: ReleaseRef) -> Bake | None:
        entry = self._entries.get(ref)
        return entry.bake if entry is not None else None

    def started_at(self, ref: ReleaseRef) -> float | None:
        bake = self.bake(ref)
        return bake.started_at if bake is not None else None

    def since_start(self, release: ReleaseState) -> tuple[Counts | None, Counts | None]:
        """(candidate, stable) counts accumulated in this bake; (None, None) = no data."""
        entry = self._entries.get(release.ref)
        if entry is not None and entry.awaiting_origin and release_totals(release) is not None:
            return (ZERO, ZERO)  # metrics came back after the bake began: it counts from now
        return counts_since(release, entry.origin if entry is not None else None)

    def interval(self, ref: ReleaseRef) -> tuple[Counts | None, Counts | None]:
        """(candidate, stable) counts between the last two looks; (None, None) when unknown."""
        entry = self._entries.get(ref)
        return entry.interval if entry is not None else (None, None)

    def state(self, ref: ReleaseRef, make: Callable[[], T]) -> T:
        """The caller's per-bake object (a stateful judge): made on first use, dropped at the next bake."""
        entry = self._entries.get(ref)
        if entry is None:
            return make()
        if entry.state is None:
            entry.state = make()
        return entry.state  # type: ignore[return-value]  # one caller type per tracker

    def judge(self, release: ReleaseState, make: Callable[[], ReleaseEvidence]) -> Judgement:
        """Feed this bake's judge the release's totals at the last observed instant; its judgement.

        ``make`` builds the judge on first use (the caller that knows the rollout says how α is
        shared); every later caller in the same bake feeds and reads that one. A release with no
        bake (no candidate) is judged by a fresh judge that is not kept."""
        now = self._time if self._time is not None else 0.0
        entry = self._entries.get(release.ref)
        if entry is None:
            return make().observe_release(now, release)
        if entry.judge is None:
            entry.judge = make()
        return entry.judge.observe_release(now, release)

