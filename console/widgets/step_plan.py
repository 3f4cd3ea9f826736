"""The step plan on one line: done steps ticked, the current one highlighted with its countdown."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from rolldeck.console import format as fmt
from rolldeck.console.step_plans import PlannedStep, StepPlanView
from rolldeck.console.widgets.plain import PlainStatic


def _step_label(step: PlannedStep) -> str:
    label = step.label
    if step.bake_s is not None:
        label += f" {fmt.duration(step.bake_s)}"
    if step.approval:
        label += " approve"
    return label


def step_plan_text(view: StepPlanView | None, paused: bool = False) -> Text:
    if view is None:
        return Text("no step plan: a manual release", style="dim")
    text = Text()
    owner = f"{view.source}" + (f" · {view.state}" if view.state else "")
    text.append(f"plan ({owner})  ", style="bold")
    for index, step in enumerate(view.steps):
        if index:
            text.append("  ")
        if view.current is None or index > view.current:
            text.append(f"· {_step_label(step)}", style="dim")
        elif index < view.current:
            text.append(f"✓ {_step_label(step)}", style="green")
        else:
            text.append(f"▶ {_step_label(step)}", style="bold reverse cyan")
            if view.countdown_s is not None:
                text.append(f" {fmt.duration(view.countdown_s)} left", style="bold cyan")
            elif paused:
                text.append(" paused", style="bold yellow")
    return text


class StepPlanLine(PlainStatic):
    def __init__(self, **kwargs: Any) -> None:  # Textual's own keywords (id, classes…)
        super().__init__("", **kwargs)
        self._shown: tuple[StepPlanView | None, bool] | None = None

    def show(self, view: StepPlanView | None, paused: bool) -> None:
        key = (view, paused)
        if key == self._shown:
            return
        self._shown = key
        self.update(step_plan_text(view, paused))
