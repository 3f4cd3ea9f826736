"""A plan's preconditions, and the one table of how each is phrased when it holds and when it fails.

A precondition is typed (``Requirement``) so its two phrasings live in one place: the *condition*,
shown as a check in the confirm modal ("canary pods ready (3/3)"), and the *failure*, the refusal a
human reads when it does not hold. A failure says what is wrong now and what to do next ("aborted:
retry first, or undo") — never the condition itself, which read as the opposite of the truth
("release is not aborted" about an aborted release). ``tests/engine/test_refusals.py`` triggers every
requirement through the planner, so no requirement can lack a failure phrasing.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Requirement(StrEnum):
    """Every condition a plan may check. The planners (``engine.plans``, ``engine.flag_plans``)
    build preconditions only through ``require``."""

    # any verb
    RELEASE_FOUND = "release-found"
    WRITABLE = "writable"
    REACHABLE = "reachable"
    PERMITTED = "permitted"
    # strategy and owner
    CANARY_STRATEGY = "canary-strategy"
    BLUE_GREEN_STRATEGY = "blue-green-strategy"
    MANUAL_WEIGHTS = "manual-weights"
    MANUAL_MIRROR = "manual-mirror"
    ROUTE_TAKES_WEIGHTS = "route-takes-weights"
    ROUTE_MIRRORS = "route-mirrors"
    COHORTS_OURS = "cohorts-ours"
    OWNER_RETRIES = "owner-retries"
    OWNER_UNDOES = "owner-undoes"
    STRATEGY_PROMOTES = "strategy-promotes"
    SLOTS_OURS = "slots-ours"
    # where the release is
    NOT_ABORTED = "not-aborted"
    NOT_ALREADY_ABORTED = "not-already-aborted"
    WAS_ABORTED = "was-aborted"
    IN_PROGRESS = "in-progress"
    ANALYSIS_RUNNING = "analysis-running"
    NOT_PAUSED = "not-paused"
    PAUSED = "paused"
    WAITS_FOR_PROMOTION = "waits-for-promotion"
    STEPS_REMAIN = "steps-remain"
    DEPLOYMENT_RUNNING = "deployment-running"
    # versions and slots
    CANDIDATE_EXISTS = "candidate-exists"
    STABLE_AND_CANDIDATE = "stable-and-candidate"
    CANDIDATE_HAS_READY_PODS = "candidate-has-ready-pods"
    CANDIDATE_ALL_READY = "candidate-all-ready"
    SWITCH_TO_PREVIEW = "switch-to-preview"
    SLOT_EXISTS = "slot-exists"
    SLOT_NOT_ACTIVE = "slot-not-active"
    SLOT_READY = "slot-ready"
    # weights, mirrors, revisions
    WEIGHT_IN_RANGE = "weight-in-range"
    WEIGHT_DIFFERS = "weight-differs"
    STEP_ABOVE = "step-above"
    STEP_BELOW = "step-below"
    MIRROR_IN_RANGE = "mirror-in-range"
    MIRROR_DIFFERS = "mirror-differs"
    EARLIER_REVISION = "earlier-revision"
    REVISION_KEPT = "revision-kept"
    REVISION_NOT_CURRENT = "revision-not-current"
    # flags
    FLAG_EXISTS = "flag-exists"
    FLAG_ON = "flag-on"
    FLAG_KILLED = "flag-killed"
    SHARES_GIVEN = "shares-given"
    VARIANTS_KNOWN = "variants-known"
    SHARES_IN_RANGE = "shares-in-range"
    SHARES_SUM_TO_100 = "shares-sum-to-100"
    SHARES_DIFFER = "shares-differ"
    FLAG_TWO_VARIANTS = "flag-two-variants"
    FLAG_STEP_ABOVE = "flag-step-above"
    FLAG_STEP_BELOW = "flag-step-below"


@dataclass(frozen=True, slots=True)
class Phrasing:
    """``str.format`` templates over the facts the planner passes to ``require``."""

    condition: str  # what must hold, as the confirm modal's check shows it
    failure: str  # the actual state, then the next step

    @property
    def fields(self) -> frozenset[str]:
        formatter = string.Formatter()
        return frozenset(name for text in (self.condition, self.failure) for _, name, _, _ in formatter.parse(text) if name)


_R = Requirement
PHRASINGS: Mapping[Requirement, Phrasing] = MappingProxyType(
    {
        _R.RELEASE_FOUND: Phrasing("release {target} exists", "no release {target} in the fleet: check the name, or :ctx all"),
        _R.WRITABLE: Phrasing("console is not read-only", "read-only context: {cluster} cannot be changed from this console"),
        _R.REACHABLE: Phrasing(
            "cluster {cluster} is reachable", "cluster {cluster} is unreachable{detail}: wait for it to come back, or act from another context"
        ),
        _R.PERMITTED: Phrasing("{verb} is permitted", "{reason}"),
        _R.CANARY_STRATEGY: Phrasing(
            "release uses the canary strategy", "{strategy} release: weights are for canaries — {instead}"
        ),
        _R.BLUE_GREEN_STRATEGY: Phrasing(
            "release uses the blue-green strategy", "{strategy} release: it has no slots to switch — {instead}"
        ),
        _R.MANUAL_WEIGHTS: Phrasing(
            "route is not owned by a controller (owner: {owner})",
            "owned by {owner_name}: manual weights are refused — {instead}",
        ),
        _R.MANUAL_MIRROR: Phrasing(
            "route is not owned by a controller (owner: {owner})",
            "owned by {owner_name}: its mirror is set in the {owner_name} spec, not by hand",
        ),
        _R.ROUTE_TAKES_WEIGHTS: Phrasing(
            "route takes weights (this is {router})", "routed by {router}, which rolldeck does not weight: set weights where that router is configured, or promote or abort from here"
        ),
        _R.ROUTE_MIRRORS: Phrasing(
            "route supports mirroring (Istio VirtualService; this is {router})",
            "routed by {router}, which cannot mirror: only an Istio VirtualService shadows traffic",
        ),
        _R.COHORTS_OURS: Phrasing(
            "not an unmanaged A/B route (its match rules are edited in the route itself)",
            "unmanaged A/B route: its cohorts are match rules rolldeck does not rewrite — edit the route itself",
        ),
        _R.OWNER_RETRIES: Phrasing("{owner} releases support retry", "no retry on {owner_name}: {instead}"),
        _R.OWNER_UNDOES: Phrasing("{owner} releases support undo", "no undo on {owner_name}: {instead}"),
        _R.STRATEGY_PROMOTES: Phrasing(
            "the strategy has a promote", "a rolling update has no promote: resume it, or abort to roll back"
        ),
        _R.SLOTS_OURS: Phrasing(
            "slots are switched by rolldeck", "slots are Flagger's: promote or abort instead"
        ),
        _R.NOT_ABORTED: Phrasing("release is not aborted", "aborted: {recover}"),
        _R.NOT_ALREADY_ABORTED: Phrasing(
            "release is not already aborted", "already aborted: traffic is on {stable}; {recover}"
        ),
        _R.WAS_ABORTED: Phrasing(
            "release was aborted or failed", "not aborted ({phase}): retry restarts only an aborted or failed rollout"
        ),
        _R.IN_PROGRESS: Phrasing(
            "a rollout is in progress", "no rollout in progress (Healthy on {stable}): nothing to {verb}"
        ),
        _R.ANALYSIS_RUNNING: Phrasing(
            "a canary analysis is running", "no canary analysis is running (Healthy): Flagger starts one on a new revision"
        ),
        _R.NOT_PAUSED: Phrasing("release is not already paused", "already paused: resume it, or promote"),
        _R.PAUSED: Phrasing("release is paused", "not paused ({phase}): nothing to resume"),
        _R.WAITS_FOR_PROMOTION: Phrasing(
            "rollout waits for promotion", "not waiting for promotion ({phase}): the preview is not ready to cut over yet"
        ),
        _R.STEPS_REMAIN: Phrasing(
            "steps remain ({position})", "at the last step ({position}): promote to finish, or abort"
        ),
        _R.DEPLOYMENT_RUNNING: Phrasing(
            "deployment is not paused", "the Deployment is paused (kubectl refuses to undo it): resume it first"
        ),
        _R.CANDIDATE_EXISTS: Phrasing("a candidate version exists", "no candidate version: nothing is rolling out"),
        _R.STABLE_AND_CANDIDATE: Phrasing(
            "release has a stable and a candidate version", "no {missing} version: {consequence}"
        ),
        _R.CANDIDATE_HAS_READY_PODS: Phrasing(
            "{candidate} has ready pods ({ready}/{desired})",
            "{candidate} has no ready pods ({ready}/{desired}): wait for them, or lower the weight",
        ),
        _R.CANDIDATE_ALL_READY: Phrasing(
            "{candidate} pods ready ({ready}/{desired})", "{candidate} pods not all ready ({ready}/{desired}): wait for them, or abort"
        ),
        _R.SWITCH_TO_PREVIEW: Phrasing(
            "switch goes to the preview slot (back: abort or undo)",
            "{slot} is not the preview slot: Argo Rollouts switches only to the preview — go back with abort or undo",
        ),
        _R.SLOT_EXISTS: Phrasing("slot {slot} exists", "no slot {slot}: the slots are {slots}"),
        _R.SLOT_NOT_ACTIVE: Phrasing("{slot} is not already active", "{slot} is already active: nothing to switch"),
        _R.SLOT_READY: Phrasing(
            "{slot} pods ready ({ready}/{desired})", "{slot} pods not all ready ({ready}/{desired}): wait for them before switching"
        ),
        _R.WEIGHT_IN_RANGE: Phrasing("weight {weight} is within 0–100%", "weight {weight} is outside 0–100%: give a percent from 0 to 100"),
        _R.WEIGHT_DIFFERS: Phrasing(
            "weight differs from the current {current}%", "already at {current}%: nothing to change"
        ),
        _R.STEP_ABOVE: Phrasing(
            "a step above {current}%", "already at the last step ({current}%): promote to finish, or abort"
        ),
        _R.STEP_BELOW: Phrasing(
            "a step below {current}%", "already at the first step ({current}%): abort sends all traffic to stable"
        ),
        _R.MIRROR_IN_RANGE: Phrasing(
            "mirror {percent}% of traffic to a candidate (0–100%)", "{percent}% cannot be mirrored: {why}"
        ),
        _R.MIRROR_DIFFERS: Phrasing("mirror differs from the current {current}%", "{now}: nothing to change"),
        _R.EARLIER_REVISION: Phrasing(
            "an earlier revision is still kept", "no earlier revision is kept (have {have}): nothing to undo to"
        ),
        _R.REVISION_KEPT: Phrasing(
            "revision {revision} is kept (have {have})", "revision {revision} is not kept (have {have}): pick one of those"
        ),
        _R.REVISION_NOT_CURRENT: Phrasing(
            "revision {revision} is not the current one", "revision {revision} is already the current one: pick an earlier one"
        ),
        _R.FLAG_EXISTS: Phrasing("flag {key} exists on {release}", "no flag {key} on {release}: {known}"),
        _R.FLAG_ON: Phrasing("flag {key} is on", "flag {key} is already killed: restore it to turn it back on"),
        _R.FLAG_KILLED: Phrasing("flag {key} is killed", "flag {key} is on, not killed: nothing to restore"),
        _R.SHARES_GIVEN: Phrasing("{what} given", "{what} is missing: say the percent to roll out"),
        _R.VARIANTS_KNOWN: Phrasing(
            "variants are the flag's own ({variants}; not {unknown})", "unknown variants {unknown}: the flag's own are {variants}"
        ),
        _R.SHARES_IN_RANGE: Phrasing("every share is within 0–100%", "a share is outside 0–100%: give percents from 0 to 100"),
        _R.SHARES_SUM_TO_100: Phrasing(
            "shares sum to 100% (they sum to {total}%)", "shares sum to {total}%, not 100%: adjust them"
        ),
        _R.SHARES_DIFFER: Phrasing("shares differ from the current {current}", "already at {current}: nothing to change"),
        _R.FLAG_TWO_VARIANTS: Phrasing(
            "flag {key} has two variants to step between", "flag {key} does not have two variants to step between: set its shares instead"
        ),
        _R.FLAG_STEP_ABOVE: Phrasing(
            "flag {key} has a step above {current}%", "flag {key} is at its last step ({current}%): it is fully rolled out"
        ),
        _R.FLAG_STEP_BELOW: Phrasing(
            "flag {key} has a step below {current}%", "flag {key} is at its first step ({current}%): kill it to turn it off"
        ),
    }
)


@dataclass(frozen=True, slots=True)
class Precondition:
    requirement: Requirement
    ok: bool
    text: str  # phrased as the condition, e.g. "canary pods ready (3/3)"
    failure: str  # phrased as what is wrong and what to do, e.g. "canary pods not all ready (1/3): wait for them, or abort"


def require(requirement: Requirement, ok: bool, **facts: object) -> Precondition:
    """A precondition phrased from the table; ``facts`` fill both templates (missing ones raise)."""
    phrasing = PHRASINGS[requirement]
    return Precondition(requirement, ok, phrasing.condition.format(**facts), phrasing.failure.format(**facts))


__all__ = ["PHRASINGS", "Phrasing", "Precondition", "Requirement", "require"]
