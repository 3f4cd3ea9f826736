"""Flags inside simulated versions: cohorts of a version's traffic with their own error and latency.

A flag's *provider* state (what the operator sets: enabled, the treatment's share) is the control
plane; the *evaluated* state is what the application's SDKs use, and it catches up only after the
provider refresh interval (``ReleaseSpec.flag_refresh``, 15 s like several SDKs' polling) — exactly
like a route's propagation delay. A ``flag_path`` fault makes the treatment path itself misbehave, so
only the flag's cohort sees it: the kill switch cuts it after the refresh, no rollback needed.

Cohorts are drawn only for versions that carry a flag, so scenarios without flags keep their random
streams (and their numbers) unchanged.

The application labels its metrics with the evaluated variant (OpenFeature's ``feature_flag.key`` /
``feature_flag.variant``), so each cohort has its own request, error and slow counts: the snapshot
hands them over as ``Flag.cohorts`` and the judge compares flag on with flag off. A cohort's slow
requests are read from the latency samples that took the path when the path has its own latency,
and are the version's slow share otherwise (the path is then the version's code, as fast).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from rolldeck.engine.model import Flag, FlagSource, FlagState, Role, Signals
from rolldeck.simulator.scenario import FlagSpec

if TYPE_CHECKING:
    from rolldeck.simulator.state import ReleaseSim

ON, OFF = "on", "off"


@dataclass
class FlagSim:
    key: str
    versions: tuple[str, ...]  # the versions whose code carries the flag
    enabled: bool  # provider (control plane)
    share: float  # provider: percent of evaluations on the treatment
    seen_enabled: bool  # evaluated (data plane), after the refresh interval
    seen_share: float
    steps: tuple[float, ...]
    last_changed_by: str = "scenario"
    generation: int = 0  # newest provider change; older refreshes are dropped
    # the treatment path's own behaviour, set by a flag_path fault (None: as the version)
    error_rate: float | None = None
    latency_add_s: float = 0.0
    # run totals per cohort of the carrying versions: [requests, errors, slow]
    on_totals: np.ndarray = field(default_factory=lambda: np.zeros(3))
    off_totals: np.ndarray = field(default_factory=lambda: np.zeros(3))
    tick_on: int = 0  # this tick's requests on the path, until the tick's slow requests are split

    @property
    def exposure(self) -> float:
        """Fraction of a carrying version's requests on the treatment path now (data plane)."""
        return self.seen_share / 100.0 if self.seen_enabled else 0.0

    def cohorts(self) -> tuple[tuple[str, Signals], ...]:
        """Cumulative counts per evaluated variant, as a metrics query by ``feature_flag.variant`` gives them."""
        return tuple(
            (variant, Signals(requests=int(round(t[0])), errors=int(round(t[1])), slow=int(round(t[2]))))
            for variant, t in ((ON, self.on_totals), (OFF, self.off_totals))
        )

    def model(self, environment: str, *, metrics_down: bool = False) -> Flag:
        return Flag(
            key=self.key,
            state=FlagState.ENABLED if self.enabled else FlagState.DISABLED,
            variants=(ON, OFF),
            default_variant=OFF,
            shares=((ON, self.share), (OFF, 100.0 - self.share)),
            environment=environment,
            targeting=f"fractional by targetingKey in {', '.join(self.versions)}",
            last_changed_by=self.last_changed_by,
            source=FlagSource.SIMULATOR,
            steps=self.steps,
            on_variant=ON,
            cohorts=() if metrics_down else self.cohorts(),  # a metrics outage hides the cohorts too
        )


def flag_sim(spec: FlagSpec, release: ReleaseSim) -> FlagSim:
    roles = {"stable": (Role.STABLE,), "candidate": (Role.CANDIDATE,), "all": tuple(Role)}[spec.version]
    versions = tuple(v.name for v in release.versions if v.role in roles)
    return FlagSim(spec.key, versions, spec.enabled, spec.share, spec.enabled, spec.share, tuple(spec.steps))


def split_errors(
    flags: list[FlagSim], version: str, requests: int, base: int, error_rate: float, rng: np.random.Generator,
    *, other_errors: int = 0,
) -> int:
    """Application errors among ``base`` requests of ``version`` (of ``requests`` arrived), cohort by cohort.

    Each carrying flag takes its exposure's share of what remains (cohorts of different flags do not
    overlap, a simplification) and fails at its path's rate; the rest fail at the version's rate.
    Requests that never reached the application (shed, timed out, fast errors: ``other_errors``) count
    in the off cohort. Without a carrying flag this is the version's single binomial draw, as before
    flags existed.
    """
    carrying = [f for f in flags if version in f.versions]
    if not carrying:
        return int(rng.binomial(base, min(1.0, error_rate)))
    remaining, errors, cohort = base, 0, []
    for flag in carrying:
        n_on = int(rng.binomial(remaining, min(1.0, flag.exposure))) if remaining > 0 else 0
        rate = error_rate if flag.error_rate is None else flag.error_rate
        e_on = int(rng.binomial(n_on, min(1.0, rate))) if n_on > 0 else 0
        remaining -= n_on
        errors += e_on
        cohort.append((flag, n_on, e_on))
    errors += int(rng.binomial(remaining, min(1.0, error_rate))) if remaining > 0 else 0
    for flag, n_on, e_on in cohort:
        # requests not sampled into ``base`` (timeouts, fast errors) fall to the off cohort's count
        flag.on_totals[:2] += (n_on, e_on)
        flag.off_totals[:2] += (requests - n_on, errors - e_on + other_errors)
        flag.tick_on = n_on
    return errors


def count_unserved(flags: list[FlagSim], version: str, requests: int, errors: float, slow: float = 0.0) -> None:
    """Requests that never reached the application (no endpoints, all shed): the off cohort's."""
    for flag in flags:
        if version in flag.versions and requests > 0:
            flag.off_totals += (requests, errors, slow)


def path_latency(
    flags: list[FlagSim], version: str, k: int, rng: np.random.Generator, masks: dict[str, np.ndarray] | None = None
) -> np.ndarray | float:
    """Extra latency per sampled request from slow treatment paths (0 without one); ``masks`` gets
    which samples took each slow path."""
    slow = [f for f in flags if version in f.versions and f.latency_add_s > 0 and f.exposure > 0]
    if not slow or k <= 0:
        return 0.0
    extra = np.zeros(k)
    for flag in slow:
        on_path = rng.random(k) < flag.exposure
        extra[on_path] += flag.latency_add_s
        if masks is not None:
            masks[flag.key] = on_path
    return extra


def split_slow(
    flags: list[FlagSim], version: str, requests: int, slow: float, slow_samples: np.ndarray, masks: dict[str, np.ndarray],
) -> None:
    """Share this tick's ``slow`` requests of ``version`` between each carrying flag's cohorts.

    ``slow_samples`` marks the latency samples above the SLO; a path with its own latency has its
    samples in ``masks``, and its cohort gets the share of slow samples that took it. Otherwise the
    cohort is as slow as the version. Draws nothing: the random streams stay as they were.
    """
    for flag in flags:
        if version not in flag.versions:
            continue
        mask = masks.get(flag.key)
        if mask is not None and len(mask) == len(slow_samples):
            slow_total = int(slow_samples.sum())
            on = slow * int((slow_samples & mask).sum()) / slow_total if slow_total else 0.0
        else:
            on = slow * flag.tick_on / requests if requests > 0 else 0.0
        flag.on_totals[2] += on
        flag.off_totals[2] += slow - on
        flag.tick_on = 0


__all__ = ["FlagSim", "count_unserved", "flag_sim", "path_latency", "split_errors", "split_slow"]
