"""Pure presentation of what a route and its controller say beside the weights: traffic rules, the
controller's own analysis and experiments, and what rolldeck could not read. Rows are (label, Text)
pairs for the release screen's control-plane panel; marks are short strings for the fleet row."""

from __future__ import annotations

from rich.text import Text

from rolldeck.engine.controller_analysis import AnalysisPhase, AnalysisSummary
from rolldeck.engine.model import ClusterState, ReleaseState

RULE_STYLE = "bold magenta"
ANALYSIS_STYLES = {
    AnalysisPhase.SUCCESSFUL: "green",
    AnalysisPhase.RUNNING: "cyan",
    AnalysisPhase.PENDING: "dim",
    AnalysisPhase.INCONCLUSIVE: "bold yellow",
    AnalysisPhase.FAILED: "bold red",
    AnalysisPhase.ERROR: "bold red",
}
COHORT_MARK = "⑂"  # some requests are routed by a match, ahead of the weights


def rules_mark(release: ReleaseState) -> str:
    """For the fleet row: a release whose cohorts bypass the weights, and how many rules do."""
    cohorts = len(release.rules.cohorts)
    return f" {COHORT_MARK}{cohorts if cohorts > 1 else ''}" if cohorts else ""


def traffic_rule_rows(release: ReleaseState) -> list[tuple[str, Text]]:
    """One row per cohort, in evaluation order, then the mirrors ("mirror 0.5% → c")."""
    rows = [("rule", Text(f"{i + 1}. {cohort.describe()}", style=RULE_STYLE)) for i, cohort in enumerate(release.rules.cohorts)]
    if release.rules.cohorts:
        rows.append(("", Text("requests matching a rule above skip the weighted split", style="dim")))
    mirrors = release.rules.mirrors
    if mirrors:
        rows += [("mirror", Text(f"{m.percent:g}% shadowed to {m.version}", style=RULE_STYLE)) for m in mirrors]
    elif release.mirror is not None:
        rows.append(("mirror", Text(f"{release.mirror.percent:g}% shadowed to {release.mirror.version}", style=RULE_STYLE)))
    else:
        rows.append(("mirror", Text("off", style="dim")))
    return rows


def _analysis_lines(analysis: AnalysisSummary, indent: str = "") -> list[Text]:
    lines = [Text(indent + analysis.describe(), style=ANALYSIS_STYLES.get(analysis.phase, ""))]
    for metric in analysis.metrics:
        lines.append(Text(f"{indent}  {metric.describe()}", style=ANALYSIS_STYLES.get(metric.phase, "")))
    if analysis.message:
        lines.append(Text(f"{indent}  {analysis.message}", style="italic"))
    return lines


def controller_analysis_rows(release: ReleaseState) -> list[tuple[str, Text]]:
    """The controller's verdicts: metric, phase, counts, last value, message; experiments with theirs."""
    rows: list[tuple[str, Text]] = []
    for analysis in release.analyses:
        rows += [("analysis", line) for line in _analysis_lines(analysis)]
    for experiment in release.experiments:
        rows.append(("experiment", Text(experiment.describe(), style=ANALYSIS_STYLES.get(experiment.phase, ""))))
        for analysis in experiment.analyses:
            rows += [("", line) for line in _analysis_lines(analysis, indent="  ")]
    return rows


def unread_rows(release: ReleaseState) -> list[tuple[str, Text]]:
    return [("not read", Text(line, style="yellow")) for line in release.unread]


def unmapped_lines(clusters: list[ClusterState]) -> Text:
    """Objects rolldeck lists but does not read as releases, read-only: one line each."""
    text = Text()
    for cluster in clusters:
        for item in cluster.unmapped:
            if text:
                text.append("\n")
            text.append(f"{cluster.name}: ", style="bold")
            text.append(str(item), style="bold red" if item.unreadable else "yellow")  # malformed, not merely unknown
    return text
