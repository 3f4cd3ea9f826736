"""Per-context safety from the config: read-only contexts refused by the engine, the console's weight steps.

The console does not just hide verbs on a read-only context: it plans every action with
``read_only=True`` there, so the engine's own precondition refuses it — from a key, the palette,
the ``:`` line or the autopilot alike.
"""

from __future__ import annotations

from dataclasses import replace

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.model import DEFAULT_WEIGHT_STEPS, FleetState, ReleaseRef
from rolldeck.engine.operator import Operator
from rolldeck.engine.plans import Plan, plan_action
from rolldeck.engine.port import Backend

from rolldeck.console.config import ConsoleConfig

STEP_KINDS = (ActionKind.STEP_UP, ActionKind.STEP_DOWN)


class PolicyOperator(Operator):
    """The engine's operator, planning with the config's read-only contexts and weight steps."""

    def __init__(self, backend: Backend, audit: AuditLog, *, read_only: bool, config: ConsoleConfig) -> None:
        super().__init__(backend, audit, read_only=read_only)
        self.config = config

    def context_read_only(self, context: str) -> bool:
        return self.read_only or self.config.is_read_only(context)

    def plan(self, action: Action) -> Plan:
        state = self.backend.snapshot()
        steps = self.config.weight_steps
        if steps is not None and action.kind in STEP_KINDS:
            state = with_weight_steps(state, action.target, tuple(steps))
        return plan_action(state, action, read_only=self.context_read_only(action.target.cluster))


def with_weight_steps(state: FleetState, ref: ReleaseRef, steps: tuple[int, ...]) -> FleetState:
    """The snapshot with ``ref`` stepping through ``steps`` — unless the release brings its own steps."""
    release = state.release(ref)
    if release is None or release.weight_steps != DEFAULT_WEIGHT_STEPS:
        return state
    changed = replace(release, weight_steps=steps)
    regions = tuple(
        replace(
            region,
            clusters=tuple(
                replace(cluster, releases=tuple(changed if r.ref == ref else r for r in cluster.releases))
                if cluster.name == ref.cluster
                else cluster
                for cluster in region.clusters
            ),
        )
        for region in state.regions
    )
    return replace(state, regions=regions)
