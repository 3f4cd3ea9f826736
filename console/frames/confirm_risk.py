"""What the confirm modal warns of and how hard it is to apply: built from the plan and the frame.

Friction follows risk. A move toward safety (abort, pause, a weight down: the plan's direction is
back) takes one confirmation anywhere — Apply has focus, one Enter applies. A forward move (more
traffic or time for the candidate) asks for the typed release name in a protected context, and
everywhere when the judge says Fail or the release is an alert in the attention queue: then the
modal shows the judge's evidence in red and the audit record keeps the override. A forward move
that ends the rollout says so, and warns when the judge has not seen enough to pass it.

Plain values, no Textual: the frame builder's tests exercise it without an app.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from rolldeck.console import format as fmt
from rolldeck.console.attention import AttentionItem, Severity
from rolldeck.console.frames.frame import ReleaseRow
from rolldeck.console.verdicts import ReleaseVerdict
from rolldeck.engine.audit import Override
from rolldeck.engine.judge import Verdict
from rolldeck.engine.plan_facts import Direction
from rolldeck.engine.plans import Plan


class Friction(StrEnum):
    ONE_CONFIRMATION = "one confirmation"  # toward safety: Apply has focus, Enter applies
    CONFIRM = "confirm"  # Cancel has focus: Tab to Apply, then Enter
    TYPED_NAME = "typed name"  # Apply stays disabled until the release name is typed (the box has focus)


# Which verbs need what: the ``?`` screen, the README and docs/console.md say the same.
FRICTION_RULES: tuple[tuple[str, str], ...] = (
    ("abort, pause, step down (toward safety)", "one confirmation anywhere: Apply has focus, Enter applies"),
    ("promote, step up, resume, switch to the new slot", "Cancel has focus (Tab, Enter); in a protected context type the release name"),
    ("… over a Fail verdict or an alert in the queue", "a red warning with the judge's evidence; type the release name anywhere; the audit keeps the override"),
    ("retry, undo, mirror, flag verbs, the autopilot switch", "Cancel has focus (Tab, Enter); in a protected context type the release name"),
)


@dataclass(frozen=True, slots=True)
class Risk:
    friction: Friction
    why: str  # one line: what this friction is for ("prod-eu-west-1 is protected", "toward safety…")
    alarms: tuple[str, ...] = ()  # red: the judge or the attention queue disagrees with this move
    cautions: tuple[str, ...] = ()  # yellow: the evidence behind a completing move is short
    headline: str | None = None  # "resume completes the rollout: v5.1.0 → 100 %"
    override: Override | None = None  # what confirming this overrides, for the audit record

    @property
    def typed(self) -> bool:
        return self.friction is Friction.TYPED_NAME


def assess(plan: Plan, row: ReleaseRow | None, attention: Sequence[AttentionItem], *, protected: bool) -> Risk:
    """The friction, warnings and headline for confirming ``plan``, as the frame shows its release."""
    verb = plan.action.kind.value
    name = plan.action.target.name
    headline = None
    if plan.completes is not None:
        headline = f"{verb} completes the rollout: {plan.completes.revision} → 100 %"
    if plan.direction is Direction.BACK:
        return Risk(Friction.ONE_CONFIRMATION, "toward safety: one confirmation, Enter applies", headline=headline)
    verdict = row.verdict if row is not None else None
    alarms: tuple[str, ...] = ()
    override = None
    if plan.direction is Direction.FORWARD:
        alarms, override = _objections(plan, verdict, attention)
    cautions = _short_evidence(verdict) if plan.completes is not None and not alarms else ()
    if alarms:
        why = f"against the {'judge' if override and override.verdict else 'alert'}: type {name} to enable Apply"
        return Risk(Friction.TYPED_NAME, why, alarms, cautions, headline, override)
    if protected:
        why = f"{plan.action.target.cluster} is protected: type {name} to enable Apply"
        return Risk(Friction.TYPED_NAME, why, (), cautions, headline)
    return Risk(Friction.CONFIRM, "Cancel has focus: Tab to Apply, then Enter", (), cautions, headline)


def _objections(
    plan: Plan, verdict: ReleaseVerdict | None, attention: Sequence[AttentionItem]
) -> tuple[tuple[str, ...], Override | None]:
    """Red lines for a forward move the judge fails or the queue alerts on, and the override to record."""
    ref = plan.action.target
    failing = verdict is not None and verdict.failing
    alerts = [item for item in attention if item.release == ref and item.severity is Severity.ERROR]
    lines: list[str] = []
    if failing and verdict is not None:
        lines.append(f"the judge says Fail ({fmt.count(verdict.n)} canary requests): {verdict.evidence}")
    for item in alerts:
        if failing and item.kind == "FAILING":
            continue  # the same verdict, already shown with its evidence
        lines.append(f"{item.kind} in the attention queue: {item.detail}")
    if not lines:
        return (), None
    shown = verdict.verdict.value if verdict is not None and verdict.verdict is not None else ""
    evidence = verdict.evidence if failing and verdict is not None else alerts[0].detail
    return tuple(lines), Override(shown if failing else "", evidence, alerts[0].kind if alerts else "")


def _short_evidence(verdict: ReleaseVerdict | None) -> tuple[str, ...]:
    """A completing move the judge has not passed: how much it has seen, and what it needs."""
    if verdict is None or verdict.verdict is Verdict.PASS:
        return ()
    seen = f"the judge has seen {fmt.count(verdict.n)} canary requests"
    state = verdict.verdict.value if verdict.verdict is not None else "no verdict"
    if verdict.n < verdict.n_min:
        return (f"short evidence: {seen} and needs {fmt.count(verdict.n_min)} before it can pass ({state})",)
    return (f"not passed: {seen} and is still {state}",)


def live_signals(row: ReleaseRow | None, now: float) -> tuple[str, ...]:
    """The target as it is now, refreshed under the open modal: weights, success %, p99, verdict."""
    if row is None:
        return ("live   the release is gone from the snapshot",)
    release = row.release
    names = " · ".join(v.name for v in fmt.ordered_versions(release))
    verdict = row.verdict
    judged = "no verdict"
    if verdict is not None and verdict.verdict is not None:
        judged = f"{verdict.verdict.value} ({fmt.count(verdict.n)} / {fmt.count(verdict.n_min)} canary requests)"
    return (
        f"live at {fmt.clock(now)}   traffic {fmt.traffic(release)} (desired→observed) · {release.phase.value}",
        f"       {names}: success {fmt.success_per_version(release)} % · p99 {fmt.p99_per_version(release)} ms",
        f"       verdict {judged}",
    )
