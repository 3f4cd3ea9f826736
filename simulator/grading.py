"""The rubric applied to a drill's audit: which applied actions it counts as correct, wrong or critical.

A scenario's ``grading`` names action kinds (``correct: [kill-flag]``, ``wrong: [abort]``); an action
counts only when it was applied (a refused plan changed nothing). Time to detect and mitigate and the
error budget are scored elsewhere; this is the action part, the same for a scripted operator and the
autopilot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rolldeck.engine.audit import AuditResult
from rolldeck.simulator.scenario import Grading


def grade_actions(grading: Grading, audit: Iterable[Mapping[str, object]]) -> dict[str, list[dict[str, object]]]:
    verdicts: dict[str, list[dict[str, object]]] = {"correct": [], "wrong": [], "critical": []}
    kinds = {
        "correct": {k.value for k in grading.correct},
        "wrong": {k.value for k in grading.wrong},
        "critical": {k.value for k in grading.critical},
    }
    for record in audit:
        if record.get("result") != AuditResult.APPLIED.value:
            continue
        for verdict, names in kinds.items():
            if record.get("action") in names:
                verdicts[verdict].append(
                    {"at_s": record.get("backend_time"), "actor": record.get("actor"), "action": record.get("action"), "release": record.get("release")}
                )
    return verdicts


__all__ = ["grade_actions"]
