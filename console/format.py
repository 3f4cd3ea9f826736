"""Pure formatting helpers: model values → the short strings the console shows.

No Textual here, so every rule (rounding, dashes for "no data", arrows for lag) is testable alone.
"""

from __future__ import annotations

import math

from rolldeck.engine.model import ReleaseState, Role, Split, Strategy, VersionState

NO_DATA = "—"
ARROW = "→"
SEPARATOR = " · "


def percent(ratio: float | None, digits: int = 1) -> str:
    """0.9987 → '99.9%'; None (no requests) → '—', never '100%'."""
    if ratio is None:
        return NO_DATA
    return f"{ratio * 100:.{digits}f}%"


def step_position(release: ReleaseState) -> str:
    """'3/9': the controller's step, counted from 1; '' with no step. A finished rollout's index is
    one past its last step (Argo's currentStepIndex == len(steps)): that reads 9/9, never 10/9."""
    if release.step is None:
        return ""
    if not release.step_count:
        return str(release.step + 1)
    return f"{min(release.step + 1, release.step_count)}/{release.step_count}"


def millis(seconds: float | None) -> str:
    """0.1234 → '123'; latencies are shown in whole milliseconds."""
    if seconds is None:
        return NO_DATA
    return f"{seconds * 1000:.0f}"


def rate(rps: float) -> str:
    """Requests per second, compact: 8.4, 120, 1.2k."""
    if rps >= 10_000:
        return f"{rps / 1000:.0f}k"
    if rps >= 1_000:
        return f"{rps / 1000:.1f}k"
    if rps >= 100:
        return f"{rps:.0f}"
    return f"{rps:.1f}"


def clock(seconds: float) -> str:
    """Backend seconds → 'HH:MM:SS' (hours keep counting past 24 for long drills)."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"


def wall_clock(epoch_s: float) -> str:
    """A live backend's time (unix seconds) → its UTC time of day, 'HH:MM:SS UTC': a wall clock is
    not an elapsed time, and counting hours since 1970 ('498940:57:00') tells the operator nothing."""
    if not math.isfinite(epoch_s):
        return "--:--:-- UTC"
    total = int(epoch_s) % 86400
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d} UTC"


def speed(multiplier: float) -> str:
    return f"×{multiplier:g}"


def desired_observed(desired: str, observed: str, unit: str = "") -> str:
    """'10→5%' while the data plane lags the control plane, '10%' once they agree."""
    if desired == observed:
        return f"{desired}{unit}"
    return f"{desired}{ARROW}{observed}{unit}"


def dominant_version(split: Split) -> str | None:
    """The version carrying most traffic (blue-green's observed active slot); None if the split is empty."""
    if not split.weights:
        return None
    return max(split.weights, key=lambda item: item[1])[0]


def traffic(release: ReleaseState) -> str:
    """Desired → observed traffic: the candidate weight for canaries, the active slot for blue-green."""
    if release.strategy is Strategy.BLUE_GREEN:
        desired = release.active_slot or NO_DATA
        observed = dominant_version(release.observed) or NO_DATA
        return desired_observed(desired, observed)
    desired_weight, observed_weight = release.candidate_weight
    return desired_observed(str(desired_weight), str(observed_weight), "%")


def ordered_versions(release: ReleaseState) -> list[VersionState]:
    """Stable first, then the candidate: the order every per-version cell uses."""
    order = {Role.STABLE: 0, Role.CANDIDATE: 1}
    return sorted(release.versions, key=lambda version: order.get(version.role, 2))


def ready_pods(release: ReleaseState) -> str:
    """'4/4 · 2/2': ready/desired pods per version, stable first."""
    return SEPARATOR.join(
        f"{v.replicas.ready}/{v.replicas.desired}" for v in ordered_versions(release)
    )


def success_per_version(release: ReleaseState) -> str:
    """'99.9 · 94.8': success % per version (no % sign, the column header says it)."""
    return SEPARATOR.join(
        _bare_percent(v.signals.success_ratio) for v in ordered_versions(release)
    )


def p99_per_version(release: ReleaseState) -> str:
    """'48 · 310': p99 latency in ms per version."""
    return SEPARATOR.join(millis(v.signals.p99) for v in ordered_versions(release))


def total_rps(release: ReleaseState) -> str:
    return rate(sum(v.signals.rps for v in release.versions))


def _bare_percent(ratio: float | None) -> str:
    if ratio is None:
        return NO_DATA
    return f"{ratio * 100:.1f}"


def unwrap(text: str) -> str:
    """Re-flow hard-wrapped prose (YAML block scalars): lines join, blank lines stay paragraph breaks."""
    paragraphs = [" ".join(block.split()) for block in text.strip().split("\n\n")]
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph)


def duration(seconds: float | None) -> str:
    """90 → '1m30s', 600 → '10m', 7200 → '2h', None → '—': short enough for a step list."""
    if seconds is None:
        return NO_DATA
    total = max(0, int(round(seconds)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m{secs:02d}s" if secs else f"{minutes}m"
    return f"{secs}s"


def age(seconds: float) -> str:
    """How long ago: '0s', '45s', '3m', '2h'."""
    total = max(0, int(seconds))
    if total < 60:
        return f"{total}s"
    if total < 3600:
        return f"{total // 60}m"
    return f"{total // 3600}h"


METER_FULL, METER_EMPTY = "█", "░"


def meter(n: int, n_min: int, width: int = 10) -> str:
    """An evidence bar: '██████░░░░' at 60 %, full (and no further) once n ≥ n_min."""
    if n_min <= 0:
        return METER_FULL * width
    filled = min(width, max(0, n) * width // n_min)
    return METER_FULL * filled + METER_EMPTY * (width - filled)


def count(n: int) -> str:
    """Thousands separators: 12,400."""
    return f"{n:,}"
