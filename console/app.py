"""The rolldeck Textual app: samples the backend at a fixed rate and routes verbs through the operator.

State flows one way (backend → snapshot → screens, at ``REFRESH_INTERVAL_S``); mutations flow one
way (key → plan → confirm modal → operator.execute → audit → notification).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import rich
from rich.segment import Segments
from textual import work
from textual.app import App
from textual.screen import Screen

from console import format as fmt
from console.commands import MUTATING_ACTIONS, SIM_ACTIONS, RolldeckCommands, Scope, bindings
from console.screens.base import ConsoleScreen, Frame
from console.screens.confirm import ConfirmModal
from console.screens.fleet import FleetScreen
from console.screens.help import HelpScreen
from console.screens.release import ReleaseScreen
from console.widgets.signal_history import SignalHistory
from console.widgets.status_bar import StatusView
from engine.actions import Action, ActionKind
from engine.audit import AuditLog
from engine.model import FleetState, ReleaseState
from engine.operator import Operator
from engine.plans import Plan
from engine.port import Backend, PacedBackend

REFRESH_INTERVAL_S = 0.5  # 2 Hz: fresh enough to watch a split converge, cheap enough for big fleets
SPEED_STEPS: tuple[float, ...] = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


def next_speed(current: float, direction: int) -> float:
    """The next speed step above (direction > 0) or below the current one, clamped to the ends."""
    if direction > 0:
        return next((s for s in SPEED_STEPS if s > current + 1e-9), SPEED_STEPS[-1])
    return next((s for s in reversed(SPEED_STEPS) if s < current - 1e-9), SPEED_STEPS[0])


class RolldeckApp(App[None]):
    CSS_PATH = Path(__file__).with_name("rolldeck.tcss")  # absolute: subclasses elsewhere still find it
    TITLE = "rolldeck"
    COMMANDS = App.COMMANDS | {RolldeckCommands}
    BINDINGS = bindings(Scope.APP)

    def __init__(self, backend: Backend, operator: Operator, *, actor: str, briefing: str = "") -> None:
        super().__init__()
        self.backend = backend
        self.operator = operator
        self.actor = actor
        self.briefing = briefing
        self.history = SignalHistory()
        self._started = False

    # --- lifecycle -------------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[None]:
        return FleetScreen()

    async def on_mount(self) -> None:
        await self.backend.start()
        self._started = True
        self.refresh_view()
        self.set_interval(REFRESH_INTERVAL_S, self.refresh_view, name="snapshot-sampler")
        if self.briefing:
            self.notify(fmt.unwrap(self.briefing), title="briefing", timeout=20)

    async def on_unmount(self) -> None:
        await self.backend.stop()

    def _fatal_error(self) -> None:
        """Textual's crash report, minus local variables.

        Textual renders ``Traceback(show_locals=True)``: any frame holding a token, a kubeconfig or
        a request header would print it to the terminal. The stack and message are kept.
        """
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(Segments(self.console.render(traceback, self.console.options)))
        self._close_messages_no_wait()

    # --- sampling --------------------------------------------------------------------------------

    @property
    def paced(self) -> PacedBackend | None:
        return self.backend if isinstance(self.backend, PacedBackend) else None

    def status_view(self, state: FleetState) -> StatusView:
        paced = self.paced
        return StatusView(
            source=self.backend.name,
            simulated=state.simulated,
            time=state.time,
            speed=paced.speed if paced else None,
            paused=paced.paused if paced else False,
            read_only=self.operator.read_only,
        )

    def refresh_view(self) -> None:
        """Sample one snapshot; draw it unless a modal covers the screen (nobody can see it)."""
        if not self._started or not self.is_running:
            return  # before start-up, or mid-shutdown while screens are being torn down
        state = self.backend.snapshot()
        self.history.record(state)
        self.set_class(state.simulated, "-sim")
        screen = self.screen
        if screen.is_modal or not isinstance(screen, ConsoleScreen):
            return
        frame = Frame(state, self.status_view(state), self.history, self.operator.audit)
        with self.batch_update():
            screen.show(frame)

    def on_console_screen_shown(self, _: ConsoleScreen.Shown) -> None:
        # A screen that comes back from under a modal, or is opened, draws at once, not at the next tick.
        self.refresh_view()

    # --- which verbs are available -----------------------------------------------------------------

    def _base_screen(self) -> Screen[object]:
        """The top non-modal screen: what verbs target even while the palette or help is open."""
        return next(s for s in reversed(self.screen_stack) if not s.is_modal)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in MUTATING_ACTIONS and self.operator.read_only:
            return None  # dimmed: the verb exists but this console may not use it
        if action in SIM_ACTIONS and self.paced is None:
            return None
        if action == "open_release":
            return isinstance(self._base_screen(), FleetScreen)
        if action == "back":
            return isinstance(self._base_screen(), ReleaseScreen)
        return True

    def locked_actions(self) -> frozenset[str]:
        return frozenset(a for a in MUTATING_ACTIONS | SIM_ACTIONS if self.check_action(a, ()) is None)

    def selected_release(self) -> ReleaseState | None:
        screen = self._base_screen()
        ref = screen.selected_ref() if isinstance(screen, ConsoleScreen) else None
        return self.backend.snapshot().release(ref) if ref is not None else None

    # --- navigation ------------------------------------------------------------------------------

    def action_open_release(self) -> None:
        release = self.selected_release()
        if release is None:
            self.notify("no release selected", severity="warning")
            return
        self.push_screen(ReleaseScreen(release))

    def action_back(self) -> None:
        if isinstance(self.screen, ReleaseScreen):
            self.screen.dismiss(None)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.locked_actions()))

    # --- operator verbs --------------------------------------------------------------------------

    def action_step_up(self) -> None:
        self.propose(ActionKind.STEP_UP)

    def action_step_down(self) -> None:
        self.propose(ActionKind.STEP_DOWN)

    def action_promote(self) -> None:
        self.propose(ActionKind.PROMOTE)

    def action_abort(self) -> None:
        self.propose(ActionKind.ABORT)

    def action_switch_slot(self) -> None:
        self.propose(ActionKind.SWITCH_SLOT)

    def action_pause_resume(self) -> None:
        release = self.selected_release()
        self.propose(ActionKind.RESUME if release is not None and release.paused else ActionKind.PAUSE)

    def propose(self, kind: ActionKind) -> None:
        """Plan the verb on the selected release; refuse with a toast or ask for confirmation."""
        release = self.selected_release()
        if release is None:
            self.notify("no release selected", severity="warning")
            return
        plan = self.operator.plan(Action(kind, release.ref))
        if not plan.ok:
            self.notify(plan.refusal or f"cannot {kind.value}", severity="warning")
            return
        self.push_screen(ConfirmModal(plan), callback=partial(self._confirmed, plan))

    def _confirmed(self, plan: Plan, apply: bool | None) -> None:
        if apply:
            self.execute_plan(plan)

    @work(group="operator", exit_on_error=False)
    async def execute_plan(self, plan: Plan) -> None:
        try:
            outcome = await self.operator.execute(plan, actor=self.actor)
        except Exception as error:  # a backend bug must not take the console down mid-incident
            self.notify(f"failed: {type(error).__name__}: {error}", severity="error")
            return
        self.notify(outcome.message, severity="information" if outcome.ok else "error")
        self.refresh_view()

    # --- simulation pacing -----------------------------------------------------------------------

    def action_sim_faster(self) -> None:
        self._change_speed(+1)

    def action_sim_slower(self) -> None:
        self._change_speed(-1)

    def _change_speed(self, direction: int) -> None:
        paced = self.paced
        if paced is None:
            return
        paced.set_speed(next_speed(paced.speed, direction))
        self.refresh_view()

    def action_sim_pause(self) -> None:
        paced = self.paced
        if paced is None:
            return
        paced.set_paused(not paced.paused)
        self.refresh_view()


def make_app(
    backend: Backend,
    audit_path: Path | None = None,
    actor: str = "alice",
    read_only: bool = False,
    wall_clock: Callable[[], float] = time.time,
    briefing: str = "",
) -> RolldeckApp:
    """The one way to build the console, used by the CLI and by the tests."""
    audit = AuditLog(audit_path, wall_clock)
    operator = Operator(backend, audit, read_only=read_only)
    return RolldeckApp(backend, operator, actor=actor, briefing=briefing)
