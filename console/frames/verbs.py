"""What each catalogue command would do from a viewpoint: available, locked (and why) or meaningless.

One pure rule set for the footer's dimming, the palette's "(locked: …)" titles, the ``?`` screen
and the frame. RBAC is decided on the command's typed ``plans`` (its ``ActionKind``s), never on
its name: a verb is locked when the cluster's access review refuses every action it may plan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rolldeck.console.catalogue import CATALOGUE, ConsoleCommand, Kind
from rolldeck.console.frames.frame import Availability, VerbView, Viewpoint, Where
from rolldeck.engine.model import FleetState, ReleaseState

READ_ONLY_CONSOLE = "read-only console"
NOT_A_SIMULATION = "not a simulation"
NO_AUTOPILOT = "no autopilot in this console (start it with --autopilot)"

# Where a command means anything, from the viewpoint and its selected release.
_AVAILABLE_ON: dict[str, Callable[[Viewpoint, ReleaseState | None], bool]] = {
    "open-release": lambda viewpoint, _: viewpoint.where in (Where.FLEET, Where.FLAGS),
    # escape on the fleet only clears a filter; elsewhere it goes back
    "back": lambda viewpoint, _: viewpoint.where is not Where.FLEET or bool(viewpoint.filter),
    # the flag rows live on the release screen, and only releases with flags have them: elsewhere
    # the key stays out of the footer, which has no room to spare
    "kill-flag": lambda viewpoint, release: viewpoint.where in (Where.RELEASE, Where.FLAGS) and release is not None and bool(release.flags),
}
# The flags view's rows are flags: only the flag verbs act there (] [ step the row's share).
_FLAG_VERBS = frozenset({"kill-flag", "step-up", "step-down"})


@dataclass(frozen=True, slots=True)
class VerbRules:
    """The console's standing facts a verb's availability depends on (the snapshot and the
    viewpoint are the moving ones)."""

    read_only: bool  # the whole console (``--readonly``)
    context_read_only: Callable[[str], bool]  # the config's read-only contexts (and the console's flag)
    has_autopilot: bool
    paced: bool  # the backend's clock is ours to set (a simulation)

    def context_locked(self, state: FleetState, context: str | None) -> bool:
        """Mutations are refused in this context: the console, the config or the cluster says so."""
        if self.read_only:
            return True
        if context is None:
            return False
        cluster = state.cluster(context)
        return self.context_read_only(context) or (cluster is not None and cluster.read_only)

    def verb(self, command: ConsoleCommand, state: FleetState, viewpoint: Viewpoint, release: ReleaseState | None) -> VerbView:
        """``release`` is the viewpoint's selected release in ``state`` (None when nothing is selected)."""

        def locked(reason: str) -> VerbView:
            return VerbView(command.id, Availability.LOCKED, reason)

        if command.id == "autopilot":
            if not self.has_autopilot:
                return locked(NO_AUTOPILOT)
            return locked(READ_ONLY_CONSOLE) if self.read_only else VerbView(command.id, Availability.AVAILABLE)
        if command.kind is Kind.MUTATING:
            if not viewpoint.where.lists_releases:
                return VerbView(command.id, Availability.NOT_HERE, f"the {viewpoint.where.value} view lists no releases")
            if viewpoint.where is Where.FLAGS and command.id not in _FLAG_VERBS:
                return VerbView(command.id, Availability.NOT_HERE, "the flags view acts on flags: enter opens the release")
            if self.read_only:
                return locked(READ_ONLY_CONSOLE)
            if viewpoint.context is not None and self.context_locked(state, viewpoint.context):
                return locked(f"context {viewpoint.context} is read-only")
            refusal = denied_by_rbac(command, release)
            if refusal:
                return locked(refusal)  # dimmed; the planner says the same if it is run by name
        if command.kind is Kind.SIM and not self.paced:
            return locked(NOT_A_SIMULATION)
        where = _AVAILABLE_ON.get(command.id)
        if where is not None and not where(viewpoint, release):
            return VerbView(command.id, Availability.NOT_HERE, "nothing to do in this view")
        return VerbView(command.id, Availability.AVAILABLE)

    def verbs(
        self, state: FleetState, viewpoint: Viewpoint, commands: Iterable[ConsoleCommand] = CATALOGUE
    ) -> dict[str, VerbView]:
        release = state.release(viewpoint.selected) if viewpoint.selected is not None else None
        return {command.id: self.verb(command, state, viewpoint, release) for command in commands}


def denied_by_rbac(command: ConsoleCommand, release: ReleaseState | None) -> str:
    """The access review's reason when it refuses every action the command may plan; "" otherwise."""
    if release is None or not release.denied or not command.plans:
        return ""
    denied = dict(release.denied)
    reasons = [denied.get(kind.value) for kind in command.plans]
    if any(reason is None for reason in reasons):
        return ""
    return "; ".join(dict.fromkeys(r for r in reasons if r))
