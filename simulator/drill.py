"""Headless drills: run a scenario flat out, apply timed operator actions, write a report.

Actions go through the engine's operator exactly as console actions do (plan → apply → audit), so a
drill exercises production code paths. Commands apply at tick boundaries, so a drill with the same
seed and actions file gives the same report however it is chunked.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Annotated

import numpy as np
from pydantic import BaseModel, BeforeValidator, Field, TypeAdapter

from rolldeck.engine import documents
from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.autopilot import Autopilot
from rolldeck.engine.model import ReleaseRef
from rolldeck.engine.operator import Operator
from rolldeck.simulator.autopilot_plans import judge_config, rollout_plans
from rolldeck.simulator.backend import SimulatorBackend
from rolldeck.simulator.durations import parse_duration
from rolldeck.simulator.grading import grade_actions
from rolldeck.simulator.latency import log_bucket_upper_edges
from rolldeck.simulator.scenario import Scenario, ScenarioError
from rolldeck.simulator.snapshot import signals_of

Duration = Annotated[float, BeforeValidator(parse_duration)]


class DrillAction(BaseModel):
    model_config = documents.MODEL_CONFIG  # strict types, finite floats, no unknown keys

    at: Duration
    release: str  # "cluster/name", or a name that is unique in the fleet
    action: Annotated[ActionKind, documents.BY_VALUE]
    weight: Annotated[int, Field(ge=0, le=100)] | None = None  # set-weight
    slot: str | None = None  # switch-slot
    percent: Annotated[float, Field(ge=0.0, le=100.0)] | None = None  # set-mirror (a float: 0.5 is fine)
    revision: Annotated[int, Field(ge=1)] | None = None  # undo (default: the previous revision)
    flag: str | None = None  # the flag verbs (kill-flag, restore-flag, set-flag-rollout with percent, flag-step-up/down)
    actor: str = "drill"


MAX_ACTIONS = 10_000
_ACTIONS: TypeAdapter[list[DrillAction]] = TypeAdapter(Annotated[list[DrillAction], Field(max_length=MAX_ACTIONS)])


def load_actions(path: Path) -> list[DrillAction]:
    """Read an actions file: a YAML list of ``{at, release, action[, weight, slot, percent, revision, flag, actor]}``."""
    document = documents.load(path, error=ScenarioError)
    if document.data is None:
        document = replace(document, data=[])  # an empty file: no actions
    actions: list[DrillAction] = document.validate(_ACTIONS)
    return sorted(actions, key=lambda a: a.at)


@dataclass
class DrillResult:
    report: dict
    failures: list[str]


def resolve_release(backend: SimulatorBackend, name: str) -> ReleaseRef:
    if "/" in name:
        cluster, release = name.split("/", 1)
        return ReleaseRef(cluster, release)
    matches = [r.ref for r in backend.snapshot().releases() if r.name == name]
    if len(matches) != 1:
        where = ", ".join(str(m) for m in matches) or "none"
        raise ScenarioError([f"release {name!r} must name exactly one release as cluster/name (matches: {where})"])
    return matches[0]


def run_drill(
    scenario: Scenario,
    *,
    until: float,
    actions: list[DrillAction],
    wall_clock: Callable[[], float],
    audit_path: Path | None = None,
    chunk: float | None = None,
    autopilot: bool = False,
) -> DrillResult:
    """Run ``scenario`` to ``until`` seconds; ``chunk`` splits the run (results must not change).

    With ``autopilot``, the scenario's autopilot plans run too, looking every ``interval`` of
    simulated time; its decisions go through the same operator as the scripted actions.
    """
    return asyncio.run(_run(scenario, until, actions, wall_clock, audit_path, chunk, autopilot))


async def _run(scenario, until, actions, wall_clock, audit_path, chunk, with_autopilot) -> DrillResult:
    backend = SimulatorBackend(scenario, paused=True, autopilot=with_autopilot)
    operator = Operator(backend, AuditLog(audit_path, wall_clock))
    pilot = _make_autopilot(scenario, operator) if with_autopilot else None
    failures: list[str] = []
    pending = list(actions)
    while True:
        next_action = pending[0].at if pending else None
        next_look = pilot.next_look if pilot else None
        due = min((t for t in (next_action, next_look) if t is not None), default=None)
        if due is None or due > until:
            break
        _advance(backend, due, chunk)
        # Scripted actions first, then the autopilot's look, at the same instant: a fixed order.
        while pending and pending[0].at <= due:
            item = pending.pop(0)
            ref = resolve_release(backend, item.release)
            action = Action(item.action, ref, weight=item.weight, slot=item.slot, revision=item.revision, percent=item.percent, flag=item.flag)
            plan = operator.plan(action)
            outcome = await operator.execute(plan, actor=item.actor)
            if not outcome.ok:
                failures.append(f"at {item.at:.0f}s {item.action.value} {ref}: {outcome.message}")
        if pilot is not None and next_look is not None and next_look <= due:
            await pilot.look()
    _advance(backend, until, chunk)
    return DrillResult(build_report(backend, operator, pilot), failures)


def _make_autopilot(scenario: Scenario, operator: Operator) -> Autopilot:
    if scenario.autopilot is None:
        raise ScenarioError([f"{scenario.scenario}: the scenario declares no autopilot plan"])
    return Autopilot(operator, rollout_plans(scenario), judge_config(scenario), interval_s=scenario.autopilot.interval)


def _advance(backend: SimulatorBackend, target: float, chunk: float | None) -> None:
    if chunk is None:
        backend.run_until(target)
        return
    now = backend.clock.now()
    while now < target:
        now = min(target, now + chunk)
        backend.run_until(now)


def build_report(backend: SimulatorBackend, operator: Operator, pilot: Autopilot | None = None) -> dict:
    world = backend.world
    snapshot = backend.snapshot()
    bounds = tuple(world.scenario.latency_buckets_s)
    edges = log_bucket_upper_edges()
    releases = []
    for state in snapshot.releases():
        sim = world.release(state.ref)
        assert sim is not None, f"{state.ref} is in the snapshot but not in the world"
        versions = []
        for version in sim.versions:
            totals = signals_of(version.totals, world.now, bounds)
            versions.append(
                {
                    "name": version.name,
                    "revision": version.profile.revision,
                    "role": version.role.value,
                    "pods_ready": version.ready_pods,
                    "requests": totals.requests,
                    "errors": totals.errors,
                    "slow": totals.slow,
                    "p50_s": _fine_quantile(version.fine, edges, 0.5),
                    "p99_s": _fine_quantile(version.fine, edges, 0.99),
                }
            )
        flags = [
            {"key": f.key, "enabled": f.enabled, "share": f.share, "evaluated_enabled": f.seen_enabled, "evaluated_share": f.seen_share,
             "on_requests": int(f.on_totals[0]), "on_errors": int(f.on_totals[1]),
             "off_requests": int(f.off_totals[0]), "off_errors": int(f.off_totals[1])}
            for f in sim.flags
        ]
        releases.append(
            {
                **({"flags": flags} if flags else {}),
                "release": str(state.ref),
                "region": state.region,
                "strategy": state.strategy.value,
                "phase": state.phase.value,
                "paused": state.paused,
                "aborted": state.aborted,
                "desired": state.desired.as_dict(),
                "observed": state.observed.as_dict(),
                "active_slot": state.active_slot,
                "versions": versions,
            }
        )
    audit = []
    for record in operator.audit.recent(limit=10_000):
        entry = asdict(record)
        entry.pop("wall_time")  # reports are replayable artefacts; wall times live in the audit file
        entry.pop("entry")  # so do the session's intent ids
        audit.append(entry)
    return {
        "scenario": world.scenario.scenario,
        "seed": world.scenario.seed,
        "sim_time_s": world.now,
        "ticks": world.tick_count,
        "digest": world.digest(),
        "releases": releases,
        "commands": [asdict(c) for c in world.command_log],
        "audit": audit,
        "autopilot": [asdict(event) for event in pilot.events] if pilot else None,
        "grading": grade_actions(world.scenario.grading, audit),
    }


def _fine_quantile(fine: np.ndarray, edges: np.ndarray, q: float) -> float | None:
    total = fine.sum()
    if total <= 0:
        return None
    index = int(np.searchsorted(np.cumsum(fine), q * total))
    return round(float(edges[min(index, len(edges) - 1)]), 6)


def write_report(report: dict, path: Path) -> None:
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
