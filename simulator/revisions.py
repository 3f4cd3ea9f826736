"""Revision history per simulated release, so ``undo`` goes back to a chosen revision as
``kubectl [argo] rollouts undo --to-revision=N`` does: the workload's template becomes revision N's,
under a new revision number.

Revisions are numbered oldest first: the scenario's ``history`` (older releases that behave like the
stable version), then stable, then the candidate, which is current.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rolldeck.simulator.state import Profile


@dataclass(frozen=True)
class Revision:
    number: int
    profile: Profile  # the template's behaviour: revision label, error rate, service time


def initial_history(stable: Profile, candidate: Profile, older: list[str]) -> list[Revision]:
    profiles = [replace(stable, revision=label) for label in older] + [stable, candidate]
    return [Revision(number, profile) for number, profile in enumerate(profiles, start=1)]


def find(history: list[Revision], number: int) -> Revision | None:
    return next((r for r in history if r.number == number), None)


def roll_back_to(history: list[Revision], number: int) -> Revision:
    """Append a new revision carrying ``number``'s template; the rollout rolls *forward* to it."""
    target = find(history, number)
    if target is None:
        raise KeyError(number)
    new = Revision(history[-1].number + 1, target.profile)
    history.append(new)
    return new
