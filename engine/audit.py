"""Append-only audit log: one JSON object per line, fsync'd before the action is reported done.

Records never hold credentials: only the plan's target, diff, before/after summaries and a result.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path


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
    result: str  # "applied", "refused" or "failed"
    reason: str = ""
    evidence: str = ""  # why the actor acted: the autopilot's judge evidence, a Flagger gate, …


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

    def recent(self, limit: int = 50) -> list[AuditRecord]:
        return self._recent[-limit:]

    def for_release(self, release: str, limit: int = 20) -> list[AuditRecord]:
        return [r for r in self._recent if r.release == release][-limit:]

    @staticmethod
    def read(path: Path) -> list[dict[str, object]]:
        with path.open() as handle:
            return [json.loads(line) for line in handle if line.strip()]
