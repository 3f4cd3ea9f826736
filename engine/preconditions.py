"""A plan's precondition: one checked condition, phrased as the condition itself."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Precondition:
    ok: bool
    text: str  # phrased as the condition, e.g. "canary pods ready (3/3)"


__all__ = ["Precondition"]
