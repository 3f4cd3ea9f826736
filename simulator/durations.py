"""Durations as scenario authors write them: ``90s``, ``5m``, ``1h30m``, ``250ms`` or plain seconds."""

from __future__ import annotations

import math
import re

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
MAX_DURATION_S = 7 * 86400.0  # nothing in a scenario, a drill or --until lasts longer than a week


def parse_duration(value: object) -> float:
    """Seconds in ``value``: finite, not negative, at most ``MAX_DURATION_S``; raises ValueError
    naming the bad text and the accepted units."""
    if isinstance(value, bool):
        raise ValueError(f"invalid duration {value!r}")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(f"duration must be a finite number of seconds, got {value}")
        if value < 0:
            raise ValueError(f"duration must not be negative, got {value}")
        return _bounded(float(value), value)
    if not isinstance(value, str):
        raise ValueError(f"invalid duration {value!r}")
    text = value.strip()
    position, total = 0, 0.0
    for match in _PART.finditer(text):
        if match.start() != position:
            break
        total += float(match.group(1)) * _SECONDS[match.group(2)]
        position = match.end()
    if position != len(text) or not text:
        raise ValueError(f"invalid duration {value!r}: use a number with a unit (ms, s, m, h, d), e.g. 30s, 5m, 1h30m")
    return _bounded(total, value)


def _bounded(seconds: float, value: object) -> float:
    if seconds > MAX_DURATION_S:
        raise ValueError(f"duration {value!r} is longer than the limit of {MAX_DURATION_S / 86400:.0f} days")
    return seconds


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"
