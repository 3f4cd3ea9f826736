"""Where live releases get their data-plane signals: an optional source the backend polls.

The backend only needs ``signals(release)``; ``TargetedSignals`` adapts the Prometheus port of
``engine.metrics`` (``fetch(MetricsTarget)``) given a function that says what to query for a
release (selectors per version are deployment-specific, so the caller configures them).
Polling a metrics store is fine; polling the API server is not (the watch caches do that job).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol, runtime_checkable

from engine.model import ReleaseState, Signals


@runtime_checkable
class ReleaseSignals(Protocol):
    async def signals(self, release: ReleaseState) -> Mapping[str, Signals] | object:
        """Signals per version name, or an error object whose ``str()`` is one line (e.g. ``MetricsError``)."""
        ...


class TargetedSignals:
    """``ReleaseSignals`` over an ``engine.metrics.SignalsSource``: release → ``MetricsTarget`` → fetch."""

    def __init__(self, source: object, target_for: Callable[[ReleaseState], object | None]) -> None:
        self.source = source
        self.target_for = target_for

    async def signals(self, release: ReleaseState) -> Mapping[str, Signals] | object:
        target = self.target_for(release)
        if target is None:
            return {}
        return await self.source.fetch(target)  # type: ignore[attr-defined]


class StaticSignals:
    """In-memory source for tests and demos: ``set(ref_str, {version: Signals})`` or an error."""

    def __init__(self) -> None:
        self.answers: dict[str, Mapping[str, Signals] | object] = {}
        self.calls = 0

    def set(self, release: str, answer: Mapping[str, Signals] | object) -> None:
        self.answers[release] = answer

    async def signals(self, release: ReleaseState) -> Mapping[str, Signals] | object:
        self.calls += 1
        return self.answers.get(str(release.ref), {})
