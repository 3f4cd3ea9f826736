"""Append-only audit log: one JSON object per line, fsync'd before the action is reported done.

The one audit path: the operator holds the console's only ``AuditLog``, and every record goes
through it — operator and autopilot actions (``Operator.execute``), the answers a controller got
from rolldeck's gate webhooks (``gate_passed``, reported by the backend to the operator), and the
autopilot switch (``autopilot_switched``). The typed entry points build their records here, so no
caller hand-builds one. Records never hold credentials: only the target, diff, before/after
summaries and a result.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

from rolldeck.engine.waits import Gate

AUTOPILOT_SCOPE = "*"  # the autopilot switch covers every release the console sees


class AuditResult(StrEnum):
    APPLIED = "applied"
    REFUSED = "refused"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class AuditRecord:
    actor: str
    wall_time: float  # seconds since the epoch, from the wall clock the caller injected
    backend_time: float  # backend clock seconds (simulated time in a simulation)
    cluster: str
    region: str
    release: str
    action: str
    diff: str
    before: dict[str, object]
    after: dict[str, object]
    result: AuditResult
    reason: str = ""
    evidence: str = ""  # why the actor acted: the autopilot's judge evidence, a Flagger gate, …


@dataclass(frozen=True, slots=True)
class GateAnswer:
    """A controller passed one of rolldeck's gates that an operator had opened: Flagger called the
    webhook and got its 200, so it acts now (promotes, steps, rolls back) on that operator's word."""

    release: str  # "cluster/name" when the backend knows the Canary's release, else "<gate key>/<canary>"
    cluster: str
    region: str
    namespace: str
    canary: str
    gate: Gate
    approver: str  # the operator whose approval opened the gate
    backend_time: float


class AuditLog:
    def __init__(self, path: Path | None, wall_clock: Callable[[], float]) -> None:
        self.path = path
        self._wall_clock = wall_clock
        self._recent: list[AuditRecord] = []
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    def wall_time(self) -> float:
        return self._wall_clock()

    def append(self, record: AuditRecord) -> None:
        self._recent.append(record)
        if self.path is None:
            return
        line = json.dumps(asdict(record), sort_keys=True, default=str) + "\n"
        # O_APPEND keeps concurrent writers' lines whole; fsync makes "applied" mean "on disk".
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    # --- typed entry points -------------------------------------------------------------------------

    def gate_passed(self, answer: GateAnswer) -> AuditRecord:
        """Flagger used a gate an operator opened: the moment the controller acts on the approval."""
        where = f"{answer.namespace}/{answer.canary}"
        record = AuditRecord(
            actor=answer.approver,
            wall_time=self.wall_time(),
            backend_time=answer.backend_time,
            cluster=answer.cluster,
            region=answer.region,
            release=answer.release,
            action=f"gate:{answer.gate.value}",
            diff=f"Flagger passed {answer.gate.value} for {where}, approved by {answer.approver}",
            before={},
            after={},
            result=AuditResult.APPLIED,
            reason="Flagger called rolldeck's gate webhook",
            evidence=f"gate {answer.gate.value} approved by {answer.approver}",
        )
        self.append(record)
        return record

    def autopilot_switched(
        self, *, actor: str, enabled: bool, was: bool, diff: str, backend_time: float, refusal: str = ""
    ) -> AuditRecord:
        """The autopilot turned on or off (or a refused attempt, with ``refusal`` as the reason)."""
        applied = not refusal
        record = AuditRecord(
            actor=actor,
            wall_time=self.wall_time(),
            backend_time=backend_time,
            cluster=AUTOPILOT_SCOPE,
            region=AUTOPILOT_SCOPE,
            release=AUTOPILOT_SCOPE,
            action=f"autopilot-{'on' if enabled else 'off'}",
            diff=diff,
            before={"autopilot": was},
            after={"autopilot": enabled if applied else was},
            result=AuditResult.APPLIED if applied else AuditResult.REFUSED,
            reason=refusal,
        )
        self.append(record)
        return record

    # --- reading ---------------------------------------------------------------------------------------

    def recent(self, limit: int = 50) -> list[AuditRecord]:
        return self._recent[-limit:]

    def for_release(self, release: str, limit: int = 20) -> list[AuditRecord]:
        return [r for r in self._recent if r.release == release][-limit:]

    @staticmethod
    def read(path: Path) -> list[dict[str, object]]:
        with path.open() as handle:
            return [json.loads(line) for line in handle if line.strip()]
