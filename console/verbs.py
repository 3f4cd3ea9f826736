"""Operator verbs and the autopilot switch: key → plan → confirm modal → operator → audit → toast.

A mixin of ``RolldeckApp`` (Textual binds actions to the app, so the verbs are app methods); kept
apart so the mutation path reads in one place, away from sampling and navigation. A verb the engine
refuses — from a key (dimmed or not), ``:abort`` or the palette — is on record as ``refused``, with
the engine's reason, like every other outcome.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual import work

from rolldeck.console.catalogue import COMMANDS_BY_ACTION, MUTATING_ACTIONS
from rolldeck.console.screens.confirm import ConfirmModal, MirrorModal, Proposal, proposal_for
from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.audit import AuditResult, Override
from rolldeck.engine.model import ReleaseState
from rolldeck.engine.plans import Plan

if TYPE_CHECKING:
    from collections.abc import Mapping

    from textual.actions import ActionParseResult
    from textual.app import App
    from textual.dom import DOMNode

    from rolldeck.console.catalogue import ConsoleCommand
    from rolldeck.console.config import ConsoleConfig
    from rolldeck.console.contexts import PolicyOperator
    from rolldeck.console.frames.frame import Frame
    from rolldeck.engine.autopilot import Autopilot
    from rolldeck.engine.port import Backend

    _Base = App[None]
else:
    _Base = object


class OperatorVerbs(_Base):
    """The app's mutating actions. Expects the app's backend, operator, config, autopilot and actor."""

    backend: Backend
    operator: PolicyOperator
    config: ConsoleConfig
    autopilot: Autopilot | None
    actor: str
    frame: Frame | None

    if TYPE_CHECKING:  # provided by RolldeckApp

        def selected_release(self) -> ReleaseState | None: ...

        def selected_flag(self) -> str | None: ...

        def flag_in_focus(self) -> str | None: ...

        def refresh_view(self) -> None: ...

        def run_command(self, command: ConsoleCommand) -> None: ...

    # --- operator verbs --------------------------------------------------------------------------

    async def run_action(
        self, action: str | ActionParseResult, default_namespace: DOMNode | None = None, namespaces: Mapping[str, DOMNode] | None = None
    ) -> bool:
        """A dimmed verb key still reaches the engine, as ``:abort`` does: it refuses with the reason,
        on record, instead of the key doing nothing in silence."""
        handled = await super().run_action(action, default_namespace, namespaces)
        name = action.removeprefix("app.") if isinstance(action, str) else action[1]
        if not handled and default_namespace in (None, self) and name in MUTATING_ACTIONS and self.check_action(name, ()) is None:
            self.run_command(COMMANDS_BY_ACTION[name])
            return True
        return handled

    def action_step_up(self) -> None:
        flag = self.flag_in_focus()
        self.propose(ActionKind.STEP_UP if flag is None else ActionKind.FLAG_STEP_UP, flag=flag)

    def action_step_down(self) -> None:
        flag = self.flag_in_focus()
        self.propose(ActionKind.STEP_DOWN if flag is None else ActionKind.FLAG_STEP_DOWN, flag=flag)

    def action_promote(self) -> None:
        self.propose(ActionKind.PROMOTE)

    def action_abort(self) -> None:
        self.propose(ActionKind.ABORT)

    def action_switch_slot(self) -> None:
        self.propose(ActionKind.SWITCH_SLOT)

    def action_retry(self) -> None:
        self.propose(ActionKind.RETRY)

    def action_undo(self) -> None:
        self.propose(ActionKind.UNDO)

    def action_pause_resume(self) -> None:
        release = self.selected_release()
        self.propose(ActionKind.RESUME if release is not None and release.paused else ActionKind.PAUSE)

    def _target(self) -> ReleaseState | None:
        if isinstance(self.screen, ConfirmModal):
            return None  # one decision at a time: a verb key inside a dialog does nothing
        release = self.selected_release()
        if release is None:
            self.notify("no release selected", severity="warning")
        return release

    def action_kill_flag(self) -> None:
        """The kill switch on the selected flag; on a flag already killed, restore it (as space
        pauses or resumes)."""
        key = self.selected_flag()
        release = self.selected_release()
        flag = release.flag(key) if release is not None and key is not None else None
        if flag is None:
            self.notify("no flag selected: open a release with flags", severity="warning")
            return
        self.propose(ActionKind.KILL_FLAG if flag.enabled else ActionKind.RESTORE_FLAG, flag=flag.key)

    def propose(self, kind: ActionKind, *, flag: str | None = None) -> None:
        """Plan the verb on the selected release; refuse with a toast or ask for confirmation."""
        release = self._target()
        if release is None:
            return
        plan = self.operator.plan(Action(kind, release.ref, flag=flag))
        if not plan.ok:
            self.operator.refuse(plan, actor=self.actor)
            self.notify(plan.refusal or f"cannot {kind.value}", severity="warning")
            return
        frame = self.frame
        row = frame.row(release.ref) if frame is not None else None
        attention = frame.attention if frame is not None else ()
        proposal = proposal_for(plan, protected=self.config.is_protected(release.cluster), row=row, attention=attention)
        modal = ConfirmModal(proposal, plan)
        self.push_screen(modal, callback=partial(self._confirmed, modal))

    def action_mirror(self) -> None:
        release = self._target()
        if release is None:
            return
        current = release.mirror.percent if release.mirror else 0.0
        ref = release.ref

        def make_plan(percent: float) -> Plan:
            return self.operator.plan(Action(ActionKind.SET_MIRROR, ref, percent=percent))

        # Refuse at once what no percent can fix (owner, router, read-only): the dialog is for the percent.
        probe = make_plan(10 if current != 10 else 20)
        if not probe.ok:
            self.operator.refuse(probe, actor=self.actor)
            self.notify(probe.refusal or "cannot set-mirror", severity="warning")
            return
        modal = MirrorModal(make_plan, current, protected=self.config.is_protected(release.cluster))
        self.push_screen(modal, callback=partial(self._confirmed, modal))

    def _confirmed(self, modal: ConfirmModal, apply: bool | None) -> None:
        if apply and modal.plan is not None:
            self.execute_plan(modal.plan, modal.override)

    @work(group="operator", exit_on_error=False)
    async def execute_plan(self, plan: Plan, override: Override | None = None) -> None:
        try:
            evidence = self._evidence_for(plan)
            outcome = await self.operator.execute(plan, actor=self.actor, evidence=evidence, override=override)
        except Exception as error:  # a backend bug must not take the console down mid-incident
            self.notify(f"failed: {type(error).__name__}: {error}", severity="error")
            return
        self.notify(outcome.message, severity="information" if outcome.ok else "error")
        self.refresh_view()

    def _evidence_for(self, plan: Plan) -> str:
        """The judge's verdict and evidence on the target as the operator last saw them: the audit
        record keeps why a release was aborted or promoted, as the autopilot's records do."""
        row = self.frame.row(plan.action.target) if self.frame is not None else None
        verdict = row.verdict if row is not None else None
        if verdict is None or verdict.verdict is None:
            return ""
        return f"{verdict.verdict.value}: {verdict.evidence}"

    # --- the autopilot switch ----------------------------------------------------------------------

    def action_toggle_autopilot(self) -> None:
        self.propose_autopilot(None)

    def propose_autopilot(self, enabled: bool | None) -> None:
        pilot = self.autopilot
        if pilot is None:
            self.notify("no autopilot in this console (start it with --autopilot)", severity="warning")
            return
        turn_on = not pilot.enabled if enabled is None else enabled
        if turn_on == pilot.enabled:
            self.notify(f"the autopilot is already {'on' if turn_on else 'off'}", severity="information")
            return
        if self.operator.read_only:  # the engine refuses it, on record; no dialog to dismiss
            record = pilot.switch(turn_on, actor=self.actor)
            self.notify(f"refused: {record.reason}", title="autopilot", severity="warning")
            return
        diff = pilot.switch_diff(turn_on)
        if turn_on:
            warnings: tuple[str, ...] = ("it acts on its next look: steps, holds and aborts go through the operator",)
        else:
            warnings = ("releases stay at their current weight; nothing steps, holds or aborts them until you do",)
        tracks = pilot.views()
        clusters = sorted({t.ref.cluster for t in tracks})
        proposal = Proposal(
            verb=f"autopilot {'on' if turn_on else 'off'}",
            context=", ".join(clusters) or "no releases",
            region="all",
            diff=diff,
            checks=((not self.operator.read_only, "console is not read-only"),),
            warnings=warnings,
            ok=not self.operator.read_only,
        )
        modal = ConfirmModal(proposal)
        self.push_screen(modal, callback=partial(self._autopilot_confirmed, turn_on))

    def _autopilot_confirmed(self, turn_on: bool, apply: bool | None) -> None:
        pilot = self.autopilot
        if not apply or pilot is None:
            return
        record = pilot.switch(turn_on, actor=self.actor)  # the engine records it in the operator's audit log
        applied = record.result is AuditResult.APPLIED
        self.notify(record.diff if applied else f"refused: {record.reason}", title="autopilot", severity="information" if applied else "warning")
        self.refresh_view()
