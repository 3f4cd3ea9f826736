"""The judge's verdict: a fleet cell, and the release screen's panel with the evidence meter (n / n_min)."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from rolldeck.console import format as fmt
from rolldeck.console.verdicts import ReleaseVerdict
from rolldeck.console.widgets.plain import PlainStatic
from rolldeck.engine.judge import Verdict

VERDICT_STYLES = {
    Verdict.PASS: "bold green",
    Verdict.FAIL: "bold white on red",
    Verdict.INCONCLUSIVE: "bold yellow",
    Verdict.ERROR: "bold magenta",
}
VERDICT_MARKS = {Verdict.PASS: "✓", Verdict.FAIL: "✗", Verdict.INCONCLUSIVE: "…", Verdict.ERROR: "?"}
METER_WIDTH = 20
# The meter takes the verdict's colour: a full red bar is a Fail with all the evidence it needs.
METER_COLOURS = {Verdict.PASS: "green", Verdict.FAIL: "red", Verdict.INCONCLUSIVE: "yellow", Verdict.ERROR: "magenta"}


def verdict_label(verdict: Verdict) -> Text:
    return Text(f"{VERDICT_MARKS[verdict]} {verdict.value}", style=VERDICT_STYLES[verdict])


def verdict_cell(verdict: ReleaseVerdict | None) -> Text:
    """Compact: '✓ Pass', '✗ Fail', '… 45%' (inconclusive: share of the evidence gathered), '? Error'."""
    if verdict is None or verdict.verdict is None:
        return Text("")
    if verdict.verdict is Verdict.INCONCLUSIVE and not verdict.environment:
        share = min(100, verdict.n * 100 // verdict.n_min) if verdict.n_min else 100
        return Text(f"… {share}%", style=VERDICT_STYLES[Verdict.INCONCLUSIVE])
    return verdict_label(verdict.verdict)


def evidence_meter(n: int, n_min: int, width: int = METER_WIDTH, verdict: Verdict = Verdict.INCONCLUSIVE) -> Text:
    """'████████░░░░ 1,240 / 2,000': how much of the evidence gate is met, in the verdict's colour."""
    full = n >= n_min
    text = Text(fmt.meter(n, n_min, width), style=METER_COLOURS[verdict])
    text.append(f" {fmt.count(n)} / {fmt.count(n_min)}", style="bold" if full else "")
    return text


def verdict_text(verdict: ReleaseVerdict | None) -> Text:
    if verdict is None or verdict.verdict is None:
        return Text("no verdict yet: the judge looks at canaries while a step bakes", style="dim")
    text = Text.assemble(("verdict   ", "bold"), verdict_label(verdict.verdict), "   evidence ")
    text.append_text(evidence_meter(verdict.n, verdict.n_min, verdict=verdict.verdict))
    text.append("   by the autopilot" if verdict.by_autopilot else "   by the console's judge", style="dim")
    text.append("\n")
    text.append(verdict.evidence, style="italic")
    return text


class VerdictPanel(PlainStatic):
    def __init__(self, **kwargs: Any) -> None:  # Textual's own keywords (id, classes…)
        super().__init__("", **kwargs)
        self._shown: ReleaseVerdict | None | bool = False

    def show(self, verdict: ReleaseVerdict | None) -> None:
        if verdict == self._shown:
            return
        self._shown = verdict
        self.update(verdict_text(verdict))
