"""Append-only audit log: one JSON object per line, fsync'd before the action is reported done.

The one audit path: the operator holds the console's only ``AuditLog``, and every record goes
through it (``Operator.keep``) — operator and autopilot actions (``Operator.execute``), the answers
a controller got from rolldeck's gate webhooks (``gate_record``, reported by the backend to the
operator), and the autopilot switch (``autopilot_record``). The typed builders make their records
here, so no caller hand-builds one. Records never hold credentials: only the target, diff, before/after
summaries and a result.

Nothing applies without a record. ``check()`` says at start whether the file can be written (the
console refuses to start mutating otherwise). An action's *intent* is written (``begin``) before
the backend applies it and its *outcome* after, both carrying the same ``entry`` id: a crash between
them leaves an intent with no outcome, which ``read`` returns as such. A record that cannot be
written raises ``AuditError`` (one line) and is not kept; the caller decides what that means.
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
    INTENT = "intent"  # about to apply: the outcome follows under the same entry id


class AuditError(Exception):
    """The audit file cannot be written; ``str(error)`` is one line naming it and why."""


@dataclass(frozen=True, slots=True)
class Override:
    """A forward move confirmed against the judge or the attention queue: what the operator overrode,
    in the plain numbers the console showed them."""

    verdict: str  # the judge's verdict then ("Fail"), "" when only the attention queue objected
    evidence: str  # the judge's evidence line, or the attention item's detail
    attention: str = ""  # the attention item's kind (FAILING, DEGRADED…), "" when none


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
    entry: str = ""  # pairs an intent with its outcome ("" for a record with no intent)
    override: Override | None = None  # the operator confirmed this over a failing verdict or an alert


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
        self._entries = 0
        self._session = f"{os.getpid()}-{int(wall_clock() * 1000)}"  # entry ids stay unique across sessions on one file

    def wall_time(self) -> float:
        return self._wall_clock()

    def check(self) -> str:
        """"" when records can be written, else one line saying what and why (nothing is written)."""
        if self.path is None:
            return ""
        if self.path.is_dir():
            return f"audit log {self.path}: is a folder, not a file"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))
        except OSError as error:
            return f"audit log {self.path}: cannot write ({error.strerror or type(error).__name__})"
        return ""

    def next_entry(self) -> str:
        self._entries += 1
        return f"{self._session}-{self._entries}"

    def begin(self, intent: AuditRecord) -> None:
        """Put an action's intent on disk before it is applied (``:audit`` shows only outcomes)."""
        self._write(intent)

    def append(self, record: AuditRecord) -> None:
        """On disk first (fsync'd), then in ``:audit``; ``AuditError`` if it cannot be written."""
        self._write(record)
        self._recent.append(record)

    def remember(self, record: AuditRecord) -> None:
        """Into ``:audit`` only: a record the file refused, so the console still shows what happened."""
        self._recent.append(record)

    def _write(self, record: AuditRecord) -> None:
        if self.path is None:
            return
        line = json.dumps(asdict(record), sort_keys=True, default=str) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # O_APPEND keeps concurrent writers' lines whole; fsync makes "applied" mean "on disk".
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode())
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as error:
            raise AuditError(f"audit log {self.path}: cannot write ({error.strerror or type(error).__name__})") from None

    # --- typed entry points -------------------------------------------------------------------------

    def gate_record(self, answer: GateAnswer) -> AuditRecord:
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
        return record

    def autopilot_record(
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
        return record

    # --- reading ---------------------------------------------------------------------------------------

    def recent(self, limit: int = 50) -> list[AuditRecord]:
        return self._recent[-limit:]

    def for_release(self, release: str, limit: int = 20) -> list[AuditRecord]:
        return [r for r in self._recent if r.release == release][-limit:]

    @staticmethod
    def read(path: Path) -> list[dict[str, object]]:
        """One record per action: its outcome, or its intent when no outcome was written (a crash
        or a write failure between applying and recording)."""
        with path.open() as handle:
            lines = [json.loads(line) for line in handle if line.strip()]
        finished = {line.get("entry") for line in lines if line.get("entry") and line.get("result") != AuditResult.INTENT}
        return [line for line in lines if not (line.get("result") == AuditResult.INTENT and line.get("entry") in finished)]
