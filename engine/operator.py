"""The operator: the single mutation path for humans and the autopilot.

plan → (the caller confirms) → execute: check the confirmed change's expectations against the newest
snapshot (the world may have moved while the confirm modal was open: a colleague's kubectl edit, a
controller's step), re-plan, refuse if anything changed, apply through the backend, and append an
audit record whatever happened.

The operator holds the one audit log. A backend that answers a controller's gate webhooks
(``GateAnswers``) reports each answer to the operator built on it, so a Flagger gate that passed on
an operator's approval is audited in the same log, and shows in ``:audit``.
"""

from __future__ import annotations

from dataclasses import dataclass

from rolldeck.engine.actions import Action
from rolldeck.engine.audit import AuditError, AuditLog, AuditRecord, AuditResult, GateAnswer, Override
from rolldeck.engine.changes import stale
from rolldeck.engine.plans import Plan, plan_action
from rolldeck.engine.port import ApplyError, Backend, GateAnswers


PENDING = "queued: applies when the clock runs"  # the backend took it, but its clock is stopped


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    message: str  # one line for a notification
    plan: Plan
    record: AuditRecord


class Operator:
    def __init__(self, backend: Backend, audit: AuditLog, *, read_only: bool = False) -> None:
        self.backend = backend
        self.audit = audit
        self.read_only = read_only
        if isinstance(backend, GateAnswers):
            backend.report_gate_answers(self.record_gate_answer)

    def record_gate_answer(self, answer: GateAnswer) -> AuditRecord:
        record = self.audit.gate_record(answer)
        self.keep(record)
        return record

    def keep(self, record: AuditRecord) -> str:
        """Append to the audit log; "" or, when the file refused it, the one-line reason (the record
        is then still shown in ``:audit``)."""
        try:
            self.audit.append(record)
        except AuditError as error:
            self.audit.remember(record)
            return str(error)
        return ""

    def plan(self, action: Action) -> Plan:
        return plan_action(self.backend.snapshot(), action, read_only=self.read_only)

    async def execute(self, plan: Plan, *, actor: str, evidence: str = "", override: Override | None = None) -> Outcome:
        """Apply ``plan`` unless the world moved since it was shown; ``override``: the operator confirmed
        it over a failing verdict or an alert, and the record keeps what they overrode."""
        fresh, problem = self.review(plan)
        if problem is not None:
            return self._finish(fresh, actor, AuditResult.REFUSED, problem, evidence, override=override)
        # The intent goes on disk first: an action never applies without a record, and a crash
        # between applying and recording leaves an intent with no outcome.
        entry = self.audit.next_entry()
        try:
            self.audit.begin(self._record(fresh, actor, AuditResult.INTENT, "", evidence, entry, override))
        except AuditError as error:
            return self._finish(fresh, actor, AuditResult.REFUSED, f"{error}; nothing was applied", evidence, override=override)
        try:
            result = await self.backend.apply(fresh)
        except ApplyError as error:
            return self._finish(fresh, actor, AuditResult.FAILED, str(error), evidence, entry, override)
        if result.pending:
            reason = f"{PENDING}{f' ({result.detail})' if result.detail else ''}"
            return self._finish(fresh, actor, AuditResult.APPLIED, reason, evidence, entry, override, pending=True)
        return self._finish(fresh, actor, AuditResult.APPLIED, result.detail, evidence, entry, override)

    def review(self, plan: Plan) -> tuple[Plan, str | None]:
        """The plan as it would run now, and why it may not (None: it still holds).

        The confirm modal asks on every frame, so a change under it shows before Apply; ``execute``
        asks again and refuses with the same line."""
        moved = self._moved(plan)
        if moved is not None:
            return plan, moved
        fresh = self.plan(plan.action)
        if fresh.ok and fresh.change != plan.change:
            return fresh, "state changed since the plan was shown; review it again"
        if not fresh.ok:
            return fresh, fresh.refusal or "refused"
        return fresh, None

    def refuse(self, plan: Plan, *, actor: str) -> Outcome:
        """Record a plan the engine refused before anyone could confirm it (a key, ``:abort``, the
        palette on a read-only console): refusals are on record too."""
        return self._finish(plan, actor, AuditResult.REFUSED, plan.refusal or "refused", "")

    def _moved(self, plan: Plan) -> str | None:
        """One line when the release no longer is what the operator confirmed against."""
        release = self.backend.snapshot().release(plan.action.target)
        if release is None or plan.change is None:
            return None  # the re-plan refuses these with its own reason
        difference = stale(plan.change, release)
        if difference is None:
            return None
        return f"{release.name} changed since you looked: {difference}; review the new plan"

    def _finish(
        self,
        plan: Plan,
        actor: str,
        result: AuditResult,
        reason: str,
        evidence: str,
        entry: str = "",
        override: Override | None = None,
        *,
        pending: bool = False,
    ) -> Outcome:
        record = self._record(plan, actor, result, reason, evidence, entry, override)
        applied = result is AuditResult.APPLIED
        done = f"{PENDING} — {plan.diff}" if pending else plan.diff
        message = done if applied else f"{result}: {reason}"
        unwritten = self.keep(record)
        if unwritten and applied:
            message = f"{done} — applied, but its outcome is not on record ({unwritten}); its intent is"
        elif unwritten and unwritten not in reason:
            message = f"{message} (not on record: {unwritten})"
        return Outcome(applied, message, plan, record)

    def _record(
        self, plan: Plan, actor: str, result: AuditResult, reason: str, evidence: str, entry: str, override: Override | None = None
    ) -> AuditRecord:
        target = plan.action.target
        applied = result is AuditResult.APPLIED
        return AuditRecord(
            actor=actor,
            wall_time=self.audit.wall_time(),
            backend_time=self.backend.clock.now(),
            cluster=target.cluster,
            region=plan.region,
            release=str(target),
            action=plan.action.kind.value,
            diff=plan.diff,
            before=plan.before,
            after=plan.after if applied or result is AuditResult.INTENT else plan.before,
            result=result,
            reason=reason,
            evidence=evidence,
            entry=entry,
            override=override,
        )
