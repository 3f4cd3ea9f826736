"""A release's flags: state, shares, who reaches the treatment path now, targeting, last change.

The one focusable table on the release screen: its cursor names the flag that ``k`` (kill switch, or
restore) acts on, and while it has focus ``]``/``[`` step that flag's rollout instead of the canary. A killed flag wears a red KILLED; the exposure column says how many evaluations reach the
treatment path now (0 once killed), the number the kill switch changes.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text

from rolldeck.console.verdicts import ReleaseVerdict
from rolldeck.console.widgets.keyed_table import KeyedTable, Row
from rolldeck.console.widgets.verdict import verdict_cell
from rolldeck.engine.model import Flag, ReleaseState

FLAG_COLUMNS: tuple[tuple[str, str], ...] = (
    ("flag", "flag"),
    ("state", "state"),
    ("shares", "shares"),
    ("exposure", "on path"),
    ("cohort", "cohort"),
    ("environment", "env"),
    ("targeting", "targeting"),
    ("changed", "last changed by"),
)


def flag_cells(flag: Flag) -> tuple[str, Text, str, str]:
    """Key, state, shares and exposure: the cells the release screen and ``:flags`` share."""
    state = Text("on", style="green") if flag.enabled else Text("KILLED", style="bold red")
    exposure = f"{flag.exposure:g}%" if flag.treatment else "–"
    return flag.key, state, flag.describe_shares(), exposure


NO_COHORT = Text("no cohort signals", style="dim")


def cohort_cell(flag: Flag, cohort: ReleaseVerdict | None) -> Text:
    """The judge on the flag's cohort; why there is none when the flag is not judged."""
    if cohort is not None:
        return verdict_cell(cohort)
    if flag.cohorts and not flag.exposure:
        return Text("nobody on the path", style="dim")
    return NO_COHORT


def flag_row(flag: Flag, cohort: ReleaseVerdict | None = None) -> Row:
    return (*flag_cells(flag), cohort_cell(flag, cohort), flag.environment or "–", flag.targeting, flag.last_changed_by or "–")


class FlagsTable(KeyedTable):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(FLAG_COLUMNS, **kwargs)  # type: ignore[arg-type]  # Textual's own keywords

    def show(self, release: ReleaseState, cohorts: Mapping[str, ReleaseVerdict] | None = None) -> None:
        """``cohorts``: the judge on each judged flag's cohort, by flag key."""
        cohorts = cohorts or {}
        self.sync({flag.key: flag_row(flag, cohorts.get(flag.key)) for flag in release.flags})
