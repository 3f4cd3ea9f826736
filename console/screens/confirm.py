"""The confirmation dialog every mutating verb passes through.

Cancel is focused on open (``AUTO_FOCUS``): Textual's default focuses the first focusable widget,
and an operator's reflexive Enter must never apply a change. On a protected context Apply stays
disabled until the release's name is typed (k9s' ``ShowConfirmAck`` with override): muscle memory
cannot blow through it.
"""

from __future__ import annotations

import asyncio

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input

from rolldeck.console.widgets.plain import PlainLabel, PlainStatic
from rolldeck.engine.plans import Plan
from rolldeck.engine.port import DryRunner


@dataclass(frozen=True, slots=True)
class Proposal:
    """What the dialog shows: built from an engine plan, or by the console (the autopilot switch)."""

    verb: str
    context: str  # the target kubeconfig context (cluster), named in the title
    region: str
    diff: str
    changes: tuple[tuple[str, str, str], ...] = ()  # (field, before, after)
    checks: tuple[tuple[bool, str], ...] = ()
    warnings: tuple[str, ...] = ()
    typed_name: str | None = None  # protected context: this must be typed before Apply works
    ok: bool = True

    @property
    def title(self) -> str:
        return f"{self.verb} · context {self.context} · region {self.region}"


def _value(value: object) -> str:
    if isinstance(value, dict):
        return " · ".join(f"{k} {v}%" if isinstance(v, int) else f"{k} {v}" for k, v in value.items())
    return "—" if value is None else str(value)


def plan_changes(plan: Plan) -> tuple[tuple[str, str, str], ...]:
    keys = list(dict.fromkeys([*plan.before, *plan.after]))
    return tuple(
        (key, _value(plan.before.get(key)), _value(plan.after.get(key)))
        for key in keys
        if plan.before.get(key) != plan.after.get(key)
    )


def proposal_for(plan: Plan, *, protected: bool) -> Proposal:
    target = plan.action.target
    return Proposal(
        verb=plan.action.kind.value,
        context=target.cluster,
        region=plan.region,
        diff=plan.diff,
        changes=plan_changes(plan),
        checks=tuple((p.ok, p.text) for p in plan.preconditions),
        warnings=plan.warnings,
        typed_name=target.name if protected else None,
        ok=plan.ok,
    )


def confirm_title(proposal: Proposal) -> str:
    return proposal.title


def details_text(proposal: Proposal) -> Text:
    lines: list[Text] = []
    for field, before, after in proposal.changes:
        lines.append(Text.assemble((f"{field:<12}", "dim"), before, (" → ", "bold"), (after, "bold")))
    if proposal.changes:
        lines.append(Text(""))
    for ok, text in proposal.checks:
        mark, style = ("✓", "green") if ok else ("✗", "red")
        lines.append(Text.assemble((f"{mark} ", f"bold {style}"), text))
    lines.extend(Text.assemble(("⚠ ", "bold yellow"), (warning, "yellow")) for warning in proposal.warnings)
    return Text("\n").join(lines)


DRY_RUN_TIMEOUT_S = 5.0


def one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:200]


class ConfirmModal(ModalScreen[bool]):
    AUTO_FOCUS = "#cancel"
    BINDINGS = [Binding("escape", "cancel", "cancel", id="confirm-cancel")]

    def __init__(self, proposal: Proposal, plan: Plan | None = None) -> None:
        super().__init__()
        self.proposal = proposal
        self.plan = plan  # what Apply executes (None for console-only proposals)

    def compose(self) -> ComposeResult:
        protected = self.proposal.typed_name is not None
        with Vertical(id="confirm-dialog", classes="-prod" if protected else ""):
            with Horizontal(id="confirm-heading"):
                yield PlainLabel("PROD", id="confirm-prod-badge")
                yield PlainLabel(confirm_title(self.proposal), id="confirm-title")
            yield PlainStatic(Text(self.proposal.diff, style="bold"), id="confirm-diff")
            yield from self.compose_extra()
            yield PlainStatic(details_text(self.proposal), id="confirm-preconditions")
            yield PlainStatic("", id="confirm-dry-run")
            if protected:
                yield PlainLabel(
                    f"{self.proposal.context} is protected: type the release name, {self.proposal.typed_name}, to enable Apply",
                    id="confirm-typed-hint",
                )
                yield Input(placeholder=self.proposal.typed_name, id="confirm-input")
            with Horizontal(id="confirm-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Apply", id="apply", variant="warning", disabled=not self.can_apply())

    def compose_extra(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.query_one("#confirm-prod-badge").display = self.proposal.typed_name is not None
        backend = getattr(self.app, "backend", None)  # the app's port; a bare test app has none
        runner = backend if isinstance(backend, DryRunner) else None
        self.query_one("#confirm-dry-run").display = bool(runner and self.plan is not None and self.plan.ok)
        if runner is not None and self.plan is not None and self.plan.ok:
            self.query_one("#confirm-dry-run", PlainStatic).update(Text("server dry run: asking the API server…", style="dim"))
            self.run_worker(self._dry_run(runner, self.plan), exclusive=True, group="dry-run", exit_on_error=False)

    async def _dry_run(self, runner: DryRunner, plan: Plan) -> None:
        """Ask the API server what the change would do (dryRun=All): nothing is stored."""
        try:
            answer = await asyncio.wait_for(runner.dry_run(plan), DRY_RUN_TIMEOUT_S)
            text = Text(f"server dry run: {answer.text}", style="green" if answer.complete else "yellow")
        except asyncio.TimeoutError:
            text = Text(f"server dry run: no answer within {DRY_RUN_TIMEOUT_S:.0f}s", style="yellow")
        except Exception as error:  # a failed preview never blocks the decision, it only informs it
            text = Text(f"server dry run failed: {one_line(error)}", style="yellow")
        if self.is_attached:
            self.query_one("#confirm-dry-run", PlainStatic).update(text)

    def typed_ok(self) -> bool:
        if self.proposal.typed_name is None:
            return True
        return self.query_one("#confirm-input", Input).value.strip() == self.proposal.typed_name if self.is_mounted else False

    def can_apply(self) -> bool:
        return self.proposal.ok and self.typed_ok()

    def refresh_proposal(self, proposal: Proposal) -> None:
        self.proposal = proposal
        self.query_one("#confirm-title", PlainLabel).update(confirm_title(proposal))
        self.query_one("#confirm-diff", PlainStatic).update(Text(proposal.diff, style="bold"))
        self.query_one("#confirm-preconditions", PlainStatic).update(details_text(proposal))
        self.query_one("#apply", Button).disabled = not self.can_apply()

    @on(Input.Changed, "#confirm-input")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.query_one("#apply", Button).disabled = not self.can_apply()

    @on(Input.Submitted, "#confirm-input")
    def _typed_enter(self, event: Input.Submitted) -> None:
        event.stop()
        if self.can_apply():
            self.dismiss(True)
        else:
            self.app.bell()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "apply" and not self.can_apply():
            return
        self.dismiss(event.button.id == "apply")

    def action_cancel(self) -> None:
        self.dismiss(False)


class MirrorModal(ConfirmModal):
    """Set mirror: the percent is part of the plan, so the plan is re-made as it is typed."""

    def __init__(self, make_plan: Callable[[float], Plan], current: float, *, protected: bool) -> None:
        self._make_plan = make_plan
        self._protected = protected
        plan = make_plan(current)
        super().__init__(proposal_for(plan, protected=protected), plan)
        self._current = current

    def compose_extra(self) -> ComposeResult:
        with Horizontal(id="mirror-row"):
            yield PlainLabel("mirror percent (0 stops mirroring): ", id="mirror-label")
            # a float: Istio's mirrorPercentage is a double, 0.5 % is a real setting
            yield Input(f"{self._current:g}", type="number", id="mirror-percent", max_length=6)

    @on(Input.Changed, "#mirror-percent")
    def _percent(self, event: Input.Changed) -> None:
        event.stop()
        try:
            percent = float(event.value)
        except ValueError:
            percent = -1.0  # the planner refuses it with a reason, which the dialog shows
        self.plan = self._make_plan(percent)
        self.refresh_proposal(proposal_for(self.plan, protected=self._protected))

    @on(Input.Submitted, "#mirror-percent")
    def _percent_enter(self, event: Input.Submitted) -> None:
        event.stop()  # enter in the percent box moves on, it never applies
        self.focus_next()
