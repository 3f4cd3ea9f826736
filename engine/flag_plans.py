"""Flag verbs resolved against a release: kill switch, restore, set or step a rollout's shares.

Pure like ``engine.plans`` (which dispatches here): preconditions, the typed change carrying the flag
the operator saw, and a one-line diff. A flag change moves no route weights, so the owner rule does
not apply: a flag is its application's runtime toggle, whoever owns the release's traffic.
"""

from __future__ import annotations

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.changes import Change, FlagChange, KillFlag, RestoreFlag, SetFlagRollout
from rolldeck.engine.model import Flag, FlagState, ReleaseState
from rolldeck.engine.preconditions import Precondition, Requirement, require

FlagResult = tuple[list[Precondition], Change | None, str]

# Shares are compared after rounding: sources store integers or hundredths, never finer.
_SHARE_TOLERANCE = 0.01


def plan_flag(release: ReleaseState, action: Action) -> FlagResult:
    key = action.flag or ""
    flag = release.flag(key)
    known = f"its flags are {', '.join(f.key for f in release.flags)}" if release.flags else "it has no flags"
    exists = require(Requirement.FLAG_EXISTS, flag is not None, key=key or "(none given)", release=release.name, known=known)
    if flag is None:
        return [exists], None, f"{action.kind.value} flag {key}"
    match action.kind:
        case ActionKind.KILL_FLAG:
            return _kill(flag)
        case ActionKind.RESTORE_FLAG:
            return _restore(flag)
        case ActionKind.SET_FLAG_ROLLOUT:
            return _set_rollout(flag, _requested_shares(flag, action))
        case ActionKind.FLAG_STEP_UP:
            return _step(flag, +1)
        case ActionKind.FLAG_STEP_DOWN:
            return _step(flag, -1)
    raise ValueError(f"{action.kind.value} is not a flag verb")


def _where(flag: Flag) -> str:
    return f" ({flag.environment})" if flag.environment else ""


def _kill(flag: Flag) -> FlagResult:
    checks = [require(Requirement.FLAG_ON, flag.enabled, key=flag.key)]
    reach = f"{flag.exposure:g}% of evaluations" if flag.treatment else "every evaluation"
    diff = f"kill flag {flag.key}{_where(flag)}: off for {reach}, callers get their code default"
    return checks, KillFlag(flag.key, expect=flag), diff


def _restore(flag: Flag) -> FlagResult:
    checks = [require(Requirement.FLAG_KILLED, not flag.enabled, key=flag.key)]
    diff = f"restore flag {flag.key}{_where(flag)}: on again with {flag.describe_shares()}"
    return checks, RestoreFlag(flag.key, expect=flag), diff


def _requested_shares(flag: Flag, action: Action) -> tuple[tuple[str, float], ...] | None:
    if action.shares is not None:
        return action.shares
    treatment = flag.treatment
    if action.percent is None or treatment is None:
        return None
    return _two_way(flag, treatment, action.percent)


def _two_way(flag: Flag, treatment: str, percent: float) -> tuple[tuple[str, float], ...]:
    return tuple((v, percent if v == treatment else 100.0 - percent) for v in flag.variants)


def _set_rollout(flag: Flag, shares: tuple[tuple[str, float], ...] | None) -> FlagResult:
    if shares is None:
        what = "the share of each variant" if flag.treatment is None else "the treatment's share"
        return [require(Requirement.SHARES_GIVEN, False, what=what)], None, f"set flag {flag.key} rollout"
    checks = _valid_shares(flag, shares)
    # in the flag's own share order: flagd buckets by list position, so keeping the order keeps the
    # users already on the treatment on it when its share grows
    ordered = tuple((v, _share(shares, v)) for v, _ in flag.shares)
    changed = any(abs(ordered_value - flag.share(v)) > _SHARE_TOLERANCE for v, ordered_value in ordered)
    checks.append(require(Requirement.SHARES_DIFFER, changed, current=flag.describe_shares()))
    if not all(c.ok for c in checks):
        return checks, None, f"set flag {flag.key} rollout"
    new = ", ".join(f"{v} {s:g}%" for v, s in ordered)
    treatment = flag.treatment
    if treatment is not None:
        diff = f"flag {flag.key}{_where(flag)}: {treatment} {flag.share(treatment):g}% → {_share(ordered, treatment):g}%"
    else:
        diff = f"flag {flag.key}{_where(flag)}: {flag.describe_shares()} → {new}"
    if not flag.enabled:
        diff += " (stays killed until restored)"
    return checks, SetFlagRollout(flag.key, ordered, expect=flag), diff


def _share(shares: tuple[tuple[str, float], ...], variant: str) -> float:
    return next((value for name, value in shares if name == variant), 0.0)


def _valid_shares(flag: Flag, shares: tuple[tuple[str, float], ...]) -> list[Precondition]:
    unknown = [name for name, _ in shares if name not in flag.variants]
    total = sum(value for _, value in shares)
    return [
        require(Requirement.VARIANTS_KNOWN, not unknown, variants=", ".join(flag.variants), unknown=", ".join(unknown)),
        require(Requirement.SHARES_IN_RANGE, all(0 <= value <= 100 for _, value in shares)),
        require(Requirement.SHARES_SUM_TO_100, abs(total - 100) <= _SHARE_TOLERANCE, total=f"{total:g}"),
    ]


def _step(flag: Flag, direction: int) -> FlagResult:
    treatment = flag.treatment
    if treatment is None:
        return [require(Requirement.FLAG_TWO_VARIANTS, False, key=flag.key)], None, f"step flag {flag.key}"
    current = flag.share(treatment)
    steps = sorted(set(flag.steps))
    if direction > 0:
        nxt = next((s for s in steps if s > current + _SHARE_TOLERANCE), None)
    else:
        nxt = next((s for s in reversed(steps) if s < current - _SHARE_TOLERANCE), None)
    if nxt is None:
        edge = Requirement.FLAG_STEP_ABOVE if direction > 0 else Requirement.FLAG_STEP_BELOW
        return [require(edge, False, key=flag.key, current=f"{current:g}")], None, f"step flag {flag.key}"
    return _set_rollout(flag, _two_way(flag, treatment, nxt))


def flag_effects(change: FlagChange, release: ReleaseState) -> dict[str, object]:
    """The audit 'after' of a flag change, in ``summarize``'s ``flags`` field."""
    flags = summarize_flags(release)
    match change:
        case KillFlag(key=key):
            flags[key] = {**flags.get(key, {}), "state": FlagState.DISABLED.value}
        case RestoreFlag(key=key):
            flags[key] = {**flags.get(key, {}), "state": FlagState.ENABLED.value}
        case SetFlagRollout(key=key, shares=shares):
            flags[key] = {**flags.get(key, {}), "shares": dict(shares)}
    return {"flags": flags}


def summarize_flags(release: ReleaseState) -> dict[str, dict[str, object]]:
    return {f.key: {"state": f.state.value, "shares": dict(f.shares)} for f in release.flags}


__all__ = ["FlagResult", "flag_effects", "plan_flag", "summarize_flags"]
