"""The confirmation dialog every traffic-shifting verb passes through.

Cancel is focused on open (``AUTO_FOCUS``): Textual's default focuses the first focusable widget,
and an operator's reflexive Enter must never apply a change.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from engine.plans import Plan


def confirm_title(plan: Plan) -> str:
    target = plan.action.target
    return f"{plan.action.kind.value} · cluster {target.cluster} · region {plan.region}"


def precondition_lines(plan: Plan) -> Text:
    lines: list[Text] = []
    for precondition in plan.preconditions:
        mark, style = ("✓", "green") if precondition.ok else ("✗", "red")
        lines.append(Text.assemble((f"{mark} ", f"bold {style}"), precondition.text))
    # Plan.warnings is newer than the rest of the engine API; read it softly until it settles.
    warnings: tuple[str, ...] = getattr(plan, "warnings", ())
    lines.extend(Text.assemble(("⚠ ", "bold yellow"), (warning, "yellow")) for warning in warnings)
    return Text("\n").join(lines)


class ConfirmModal(ModalScreen[bool]):
    AUTO_FOCUS = "#cancel"
    BINDINGS = [Binding("escape", "cancel", "cancel", id="confirm-cancel")]

    def __init__(self, plan: Plan) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Label(confirm_title(self.plan), id="confirm-title")
            yield Static(Text(self.plan.diff, style="bold"), id="confirm-diff")
            yield Static(precondition_lines(self.plan), id="confirm-preconditions")
            with Horizontal(id="confirm-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Apply", id="apply", variant="warning")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "apply")

    def action_cancel(self) -> None:
        self.dismiss(False)
