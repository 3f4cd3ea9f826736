"""Flag sources: where a release's flags are read from and written to (Unleash, OpenFeature).

``FlagSource`` is the small port a backend uses to fill ``ReleaseState.flags`` and to apply the
flag changes (``KillFlag``, ``RestoreFlag``, ``SetFlagRollout``) its plans carry. Adapters raise
``FlagError`` with one line for the operator; ``FlagConflict`` when the flag moved since the
operator looked (the source refused a guarded write, or a fresh read no longer matched).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from rolldeck.engine.changes import FlagChange
from rolldeck.engine.model import Flag


class FlagError(Exception):
    """A flag source failed or refused; ``str(error)`` is one line, never a credential or a body."""


class FlagConflict(FlagError):
    """The flag is no longer what the operator saw: nothing was written."""


@runtime_checkable
class FlagSource(Protocol):
    async def list_flags(self) -> tuple[Flag, ...]: ...

    async def apply(self, change: FlagChange) -> str:
        """Apply one flag change; returns one line saying what the source did."""
        ...


__all__ = ["FlagConflict", "FlagError", "FlagSource"]
