"""The confirmation dialog every mutating verb passes through.

Friction follows risk (``console/frames/confirm_risk.py`` decides, without Textual): a move toward
safety (abort, pause, a weight down) is one confirmation — Apply has focus, Enter applies. Anything
else opens with Cancel focused (``AUTO_FOCUS``: Textual's default focuses the first focusable widget,
and a reflexive Enter must never apply a change). On a protected context, and anywhere a forward
move goes against a Fail verdict or an alert, Apply stays disabled until the release's name is typed
(k9s' ``ShowConfirmAck`` with override) and the name box has focus, so typing is never lost.

The dialog stays live: the app hands it every frame (``show_live``) with the engine's review of the
plan, so the target's signals move under the operator's eyes and a plan the world has overtaken is
said to be stale — and Apply disabled — before anyone presses it.
"""

from __future__ import annotations

import asyncio

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input

from rolldeck.console.attention import AttentionItem
from rolldeck.console.frames.confirm_risk import Friction, Risk, assess, live_signals
from rolldeck.console.frames.frame import Frame, ReleaseRow
from rolldeck.console.widgets.plain import PlainLabel, PlainStatic
from rolldeck.engine.audit import Override
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
    typed_name: str | None = None  # this must be typed before Apply works
    ok: bool = True
    protected: bool = False  # the target context is protected: PROD badge and red frame
    risk: Risk = Risk(Friction.CONFIRM, "Cancel has focus: Tab to Apply, then Enter")

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


def proposal_for(
    plan: Plan, *, protected: bool, row: ReleaseRow | None = None, attention: Sequence[AttentionItem] = ()
) -> Proposal:
    """The dialog for ``plan``, its friction and warnings judged on the frame the operator saw."""
    target = plan.action.target
    risk = assess(plan, row, attention, protected=protected)
    return Proposal(
        verb=plan.action.kind.value,
        context=target.cluster,
        region=plan.region,
        diff=plan.diff,
        changes=plan_changes(plan),
        checks=tuple((p.ok, p.text) for p in plan.preconditions),
        warnings=plan.warnings,
        typed_name=target.name if risk.typed else None,
        ok=plan.ok,
        protected=protected,
        risk=risk,
    )


def confirm_title(proposal: Proposal) -> str:
    return proposal.title


def headline_text(proposal: Proposal) -> Text:
    """A move that ends the rollout says so above the plan's one line, in bold red."""
    return Text(proposal.risk.headline or "", style="bold red")


def alarms_text(proposal: Proposal) -> Text:
    return Text("\n").join(Text.assemble(("✗ ", "bold red"), (alarm, "red")) for alarm in proposal.risk.alarms)


def details_text(proposal: Proposal) -> Text:
    lines: list[Text] = []
    for field, before, after in proposal.changes:
        lines.append(Text.assemble((f"{field:<12}", "dim"), before, (" → ", "bold"), (after, "bold")))
    if proposal.changes:
        lines.append(Text(""))
    for ok, text in proposal.checks:
        mark, style = ("✓", "green") if ok else ("✗", "red")
        lines.append(Text.assemble((f"{mark} ", f"bold {style}"), text))
    cautions = (*proposal.warnings, *proposal.risk.cautions)
    lines.extend(Text.assemble(("⚠ ", "bold yellow"), (warning, "yellow")) for warning in cautions)
    return Text("\n").join(lines)


DRY_RUN_TIMEOUT_S = 5.0


def one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:200]


# Rows around the scrolling body (rolldeck.tcss): the dialog's border, its title, the friction hint,
# the typed-name box (when shown) and the buttons.
_FRAME_ROWS, _TITLE_ROWS, _HINT_ROWS, _INPUT_ROWS, _BUTTON_ROWS = 2, 1, 1, 3, 3

_FOCUS = {Friction.ONE_CONFIRMATION: "#apply", Friction.CONFIRM: "#cancel", Friction.TYPED_NAME: "#confirm-input"}


class ConfirmModal(ModalScreen[bool]):
    AUTO_FOCUS = "#cancel"
    BINDINGS = [Binding("escape", "cancel", "cancel", id="confirm-cancel")]

    def __init__(self, proposal: Proposal, plan: Plan | None = None) -> None:
        super().__init__()
        self.proposal = proposal
        self.plan = plan  # what Apply executes (None for console-only proposals)
        self.stale: str | None = None  # why the plan no longer holds, from the engine's review
        # Friction follows risk (see the module doc): the focus is chosen per dialog, not per class.
        self.AUTO_FOCUS = _FOCUS[proposal.risk.friction]  # type: ignore[misc]  # Textual reads it from the instance; declared ClassVar

    @property
    def override(self) -> Override | None:
        """What confirming overrides (a Fail verdict, an alert): the audit record keeps it."""
        return self.proposal.risk.override

    def compose(self) -> ComposeResult:
        classes = " ".join(c for c, on in (("-prod", self.proposal.protected), ("-alarm", bool(self.proposal.risk.alarms))) if on)
        with Vertical(id="confirm-dialog", classes=classes):
            with Horizontal(id="confirm-heading"):
                yield PlainLabel("PROD", id="confirm-prod-badge")
                yield PlainLabel(confirm_title(self.proposal), id="confirm-title")
            with VerticalScroll(id="confirm-body"):
                yield PlainStatic(headline_text(self.proposal), id="confirm-headline")
                yield PlainStatic(Text(self.proposal.diff, style="bold"), id="confirm-diff")
                yield PlainStatic(alarms_text(self.proposal), id="confirm-alarms")
                yield from self.compose_extra()
                yield PlainStatic(details_text(self.proposal), id="confirm-preconditions")
                yield PlainStatic("", id="confirm-live")
                yield PlainStatic("", id="confirm-stale")
                yield PlainStatic("", id="confirm-dry-run")
            yield PlainLabel(self.proposal.risk.why, id="confirm-typed-hint")
            yield Input(placeholder=self.proposal.typed_name or "", id="confirm-input")
            with Horizontal(id="confirm-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Apply", id="apply", variant="warning", disabled=not self.can_apply())

    def compose_extra(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.query_one("#confirm-prod-badge").display = self.proposal.protected
        self._show_friction()
        for quiet in ("#confirm-live", "#confirm-stale"):
            self.query_one(quiet).display = False
        backend = getattr(self.app, "backend", None)  # the app's port; a bare test app has none
        runner = backend if isinstance(backend, DryRunner) else None
        self.query_one("#confirm-dry-run").display = bool(runner and self.plan is not None and self.plan.ok)
        if runner is not None and self.plan is not None and self.plan.ok:
            self.query_one("#confirm-dry-run", PlainStatic).update(Text("server dry run: asking the API server…", style="dim"))
            self.run_worker(self._dry_run(runner, self.plan), exclusive=True, group="dry-run", exit_on_error=False)

    def _show_friction(self) -> None:
        risk = self.proposal.risk
        hint = self.query_one("#confirm-typed-hint", PlainLabel)
        hint.update(risk.why)
        hint.set_class(risk.typed, "-typed")
        self.query_one("#confirm-input").display = risk.typed
        self.query_one("#confirm-alarms").display = bool(risk.alarms)
        self.query_one("#confirm-headline").display = risk.headline is not None
        self.query_one("#confirm-dialog").set_class(bool(risk.alarms), "-alarm")
        self._fit_body()

    def on_resize(self) -> None:
        self._fit_body()

    def _fit_body(self) -> None:
        """The body scrolls so the name box and the buttons always show, down to 80×24: it gets the
        screen's height less the frame, the title, the hint, the name box and the buttons."""
        typed = self.proposal.risk.typed
        reserved = _FRAME_ROWS + _TITLE_ROWS + _HINT_ROWS + (_INPUT_ROWS if typed else 0) + _BUTTON_ROWS
        self.query_one("#confirm-body").styles.max_height = max(3, self.size.height - reserved)

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

    # --- live under the operator's eyes ------------------------------------------------------------

    def show_live(self, frame: Frame, stale: str | None) -> None:
        """One sampler frame: the target's signals now, and the engine's word on the plan (``stale``:
        why Apply would be refused now, None while it holds)."""
        if self.plan is None:
            return
        ref = self.plan.action.target
        row = frame.row(ref)
        live = self.query_one("#confirm-live", PlainStatic)
        live.update(Text("\n".join(live_signals(row, frame.state.time)), style="dim"))
        live.display = True
        self.stale = stale
        notice = self.query_one("#confirm-stale", PlainStatic)
        notice.display = stale is not None
        if stale is not None:
            notice.update(Text.assemble(("✗ changed under this dialog: ", "bold red"), (stale, "red"), ("\n  Apply would be refused: Esc, then plan again", "red")))
        self._escalate(assess(self.plan, row, frame.attention, protected=self.proposal.protected))
        self.query_one("#apply", Button).disabled = not self.can_apply()

    def _escalate(self, risk: Risk) -> None:
        """A Fail verdict or an alert that arrives while the dialog is open raises its friction; nothing
        lowers it while it is open."""
        if not risk.alarms or self.proposal.risk.alarms == risk.alarms:
            return
        was_typed = self.proposal.risk.typed
        name = self.plan.action.target.name if self.plan is not None else None
        self.proposal = replace(self.proposal, risk=risk, typed_name=name)
        self.query_one("#confirm-alarms", PlainStatic).update(alarms_text(self.proposal))
        self.query_one("#confirm-preconditions", PlainStatic).update(details_text(self.proposal))
        self.query_one("#confirm-input", Input).placeholder = name or ""
        self._show_friction()
        if not was_typed:
            self.query_one("#confirm-input", Input).focus()

    def typed_ok(self) -> bool:
        if self.proposal.typed_name is None:
            return True
        return self.query_one("#confirm-input", Input).value.strip() == self.proposal.typed_name if self.is_mounted else False

    def can_apply(self) -> bool:
        return self.proposal.ok and self.stale is None and self.typed_ok()

    def refresh_proposal(self, proposal: Proposal) -> None:
        self.proposal = proposal
        self.query_one("#confirm-title", PlainLabel).update(confirm_title(proposal))
        self.query_one("#confirm-headline", PlainStatic).update(headline_text(proposal))
        self.query_one("#confirm-diff", PlainStatic).update(Text(proposal.diff, style="bold"))
        self.query_one("#confirm-alarms", PlainStatic).update(alarms_text(proposal))
        self.query_one("#confirm-preconditions", PlainStatic).update(details_text(proposal))
        self._show_friction()
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
