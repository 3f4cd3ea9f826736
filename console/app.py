"""The rolldeck Textual app: samples the backend at a fixed rate and routes verbs through the operator.

State flows one way (backend → snapshot → judge, attention, autopilot → screens, every
``refresh_s``); mutations flow one way (key, palette or ``:`` line → plan → confirm modal →
operator.execute → audit → notification). The autopilot looks from the same timer, in a worker,
never blocking the loop and never overlapping itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import rich
from rich.segment import Segments
from textual import work
from textual.app import App
from textual.screen import Screen

from rolldeck.console import format as fmt
from rolldeck.console.attention import AttentionTracker
from rolldeck.console.commands import MUTATING_ACTIONS, SIM_ACTIONS, Arg, RolldeckCommands, Scope, bindings
from rolldeck.console.config import ConsoleConfig
from rolldeck.console.contexts import PolicyOperator
from rolldeck.console.navigation import (
    Command,
    CommandError,
    GoTo,
    History,
    Quit,
    RunAction,
    SetAutopilot,
    SetContext,
    SetNamespace,
    ShowHelp,
    SimPause,
    SimSpeed,
    View,
    parse_command,
)
from rolldeck.console.screens.audit import AuditScreen
from rolldeck.console.screens.base import ConsoleScreen, Frame, ViewScope
from rolldeck.console.screens.clusters import ClustersScreen
from rolldeck.console.screens.fleet import FleetScreen
from rolldeck.console.screens.help import HelpScreen
from rolldeck.console.screens.release import ReleaseScreen
from rolldeck.console.step_plans import StepPlanView, autopilot_steps, step_plan_view
from rolldeck.console.verbs import OperatorVerbs
from rolldeck.console.verdicts import LiveJudge, release_verdicts
from rolldeck.console.widgets.command_line import COMMAND, FILTER
from rolldeck.console.widgets.signal_history import SignalHistory
from rolldeck.console.widgets.status_bar import StatusView
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.autopilot import Autopilot, AutopilotEvent
from rolldeck.engine.bakes import BakeTracker
from rolldeck.engine.judge import JudgeConfig
from rolldeck.engine.model import FleetState, ReleaseState
from rolldeck.engine.port import Backend, PacedBackend
from rolldeck.engine.rollout_plans import RolloutPlan

REFRESH_INTERVAL_S = 0.5  # 2 Hz: fresh enough to watch a split converge, cheap enough for big fleets
SPEED_STEPS: tuple[float, ...] = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
VIEW_SCREENS: dict[View, type[ConsoleScreen]] = {View.CLUSTERS: ClustersScreen, View.AUDIT: AuditScreen}


def next_speed(current: float, direction: int) -> float:
    """The next speed step above (direction > 0) or below the current one, clamped to the ends."""
    if direction > 0:
        return next((s for s in SPEED_STEPS if s > current + 1e-9), SPEED_STEPS[-1])
    return next((s for s in reversed(SPEED_STEPS) if s < current - 1e-9), SPEED_STEPS[0])



# Console verbs → the engine action kinds they may plan (pause/resume toggles), for RBAC dimming.
_ACTION_KINDS: dict[str, tuple[str, ...]] = {
    "step_up": ("step-up",),
    "step_down": ("step-down",),
    "promote": ("promote",),
    "abort": ("abort",),
    "switch_slot": ("switch-slot",),
    "retry": ("retry",),
    "undo": ("undo",),
    "mirror": ("set-mirror",),
    "pause_resume": ("pause", "resume"),
}


@dataclass(frozen=True, slots=True)
class AutopilotSetup:
    """What the console needs to run an autopilot; the app builds it on its own operator."""

    plans: Sequence[RolloutPlan]
    judge: JudgeConfig
    interval_s: float = 10.0
    enabled: bool = True


class RolldeckApp(OperatorVerbs, App[None]):
    CSS_PATH = Path(__file__).with_name("rolldeck.tcss")  # absolute: subclasses elsewhere still find it
    TITLE = "rolldeck"
    COMMANDS = App.COMMANDS | {RolldeckCommands}
    BINDINGS = bindings(Scope.APP)

    def __init__(
        self,
        backend: Backend,
        operator: PolicyOperator,
        *,
        actor: str,
        briefing: str = "",
        config: ConsoleConfig | None = None,
        autopilot: Autopilot | None = None,
        judge: JudgeConfig | None = None,
        refresh_s: float | None = REFRESH_INTERVAL_S,
        ui_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.operator = operator
        self.actor = actor
        self.briefing = briefing
        self.config = config or ConsoleConfig()
        self.autopilot = autopilot
        self.refresh_s = refresh_s
        self.ui_clock = ui_clock
        self.history = SignalHistory()
        # One bake tracker: the autopilot's when there is one, so verdicts and countdowns agree with it.
        self.bakes = autopilot.bakes if autopilot is not None else BakeTracker()
        self.live_judge = LiveJudge(judge or self.config.judge_config(), self.bakes)
        self.attention = AttentionTracker(self.config.stale_after_s, self.config.stuck_after_s)
        self.autopilot_steps = autopilot_steps(autopilot)
        self.scope = ViewScope()
        self.histories = {COMMAND: History(), FILTER: History()}
        self.frame: Frame | None = None  # the last frame drawn (tests and the benchmark read it)
        self._looking = False
        self._locks: tuple[object, ...] = ()
        self._started = False

    # --- lifecycle -------------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[None]:
        return FleetScreen()

    async def on_mount(self) -> None:
        self.theme = self.config.theme
        if self.config.keys:
            self.set_keymap(self.config.keys)
        await self.backend.start()
        self._started = True
        self.refresh_view()
        if self.refresh_s is not None:  # None: whoever built the app calls refresh_view (tests tick by hand)
            self.set_interval(self.refresh_s, self.refresh_view, name="snapshot-sampler")
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

    def context_in_view(self) -> str | None:
        screen = self._base_screen()
        context = screen.context_in_view() if isinstance(screen, ConsoleScreen) else None
        return context or self.scope.context

    def context_read_only(self, state: FleetState, context: str | None) -> bool:
        if self.operator.read_only:
            return True
        if context is None:
            return False
        cluster = state.cluster(context)
        return self.operator.context_read_only(context) or (cluster is not None and cluster.read_only)

    def status_view(self, state: FleetState) -> StatusView:
        paced = self.paced
        context = self.context_in_view()
        screen = self._base_screen()
        row_filter = screen.row_filter if isinstance(screen, ConsoleScreen) else None
        return StatusView(
            source=self.backend.name,
            simulated=state.simulated,
            time=state.time,
            speed=paced.speed if paced else None,
            paused=paced.paused if paced else False,
            read_only=self.context_read_only(state, context),
            protected=context is not None and self.config.is_protected(context),
            context=context or "",
            scope=str(self.scope) if self.scope != ViewScope() else "",
            autopilot=self.autopilot.enabled if self.autopilot is not None else None,
            filter=row_filter.text if row_filter else "",
        )

    def refresh_view(self) -> None:
        """Sample one snapshot, judge, let the autopilot look if due; draw unless a modal covers the screen."""
        if not self._started or not self.is_running:
            return  # before start-up, or mid-shutdown while screens are being torn down
        state = self.backend.snapshot()
        self.history.record(state)
        verdicts, tracks = release_verdicts(state, self.live_judge.update(state), self.autopilot)
        attention = self.attention.items(state, verdicts, tracks, self.config.regions)
        self._autopilot_look_if_due()
        self.set_class(state.simulated, "-sim")
        status = self.status_view(state)
        self._refresh_locks(status)
        self.frame = Frame(
            state,
            status,
            self.history,
            self.operator.audit,
            scope=self.scope,
            verdicts=verdicts,
            tracks=tracks,
            attention=attention,
            events=tuple(self.autopilot.events) if self.autopilot is not None else (),
        )
        screen = self.screen
        if screen.is_modal or not isinstance(screen, ConsoleScreen):
            return
        with self.batch_update():
            screen.show(self.frame)

    def _refresh_locks(self, status: StatusView) -> None:
        # check_action depends on the context in view: re-check the footer only when that changes.
        locks = (status.read_only, status.context, self.autopilot.enabled if self.autopilot else None, type(self._base_screen()))
        if locks != self._locks:
            self._locks = locks
            self.refresh_bindings()

    def on_console_screen_shown(self, _: ConsoleScreen.Shown) -> None:
        # A screen that comes back from under a modal, or is opened, draws at once, not at the next tick.
        self.refresh_view()

    def step_plan(self, release: ReleaseState, frame: Frame) -> StepPlanView | None:
        return step_plan_view(
            release,
            frame.state.time,
            frame.tracks.get(release.ref),
            self.autopilot_steps,
            self.bakes,
        )

    # --- the autopilot ------------------------------------------------------------------------------

    def _autopilot_look_if_due(self) -> None:
        pilot = self.autopilot
        if pilot is not None and pilot.enabled and not self._looking and pilot.due():
            self._looking = True  # set before the worker starts: the next tick must not start another
            self._autopilot_look()

    @work(group="autopilot", exit_on_error=False)
    async def _autopilot_look(self) -> None:
        assert self.autopilot is not None
        try:
            events = await self.autopilot.look()
        except Exception as error:  # an engine bug must not take the console down mid-incident
            self.notify(f"autopilot failed: {type(error).__name__}: {error}", severity="error")
            return
        finally:
            self._looking = False
        for event in events:
            self.notify_event(event)

    def notify_event(self, event: AutopilotEvent) -> None:
        severity = event.severity if event.severity in ("information", "warning", "error") else "information"
        self.notify(f"{event.release}: {event.message}", title=f"autopilot {event.kind}", severity=severity)  # type: ignore[arg-type]

    # --- which verbs are available -----------------------------------------------------------------

    def _base_screen(self) -> Screen[object]:
        """The top non-modal screen: what verbs target even while the palette or help is open."""
        return next(s for s in reversed(self.screen_stack) if not s.is_modal)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_autopilot":
            return None if self.autopilot is None or self.operator.read_only else True
        if action in MUTATING_ACTIONS:
            if isinstance(self._base_screen(), (ClustersScreen, AuditScreen)):
                return False  # these views list no releases: the verbs have no target here
            if self.operator.read_only:
                return None  # dimmed: the verb exists but this console may not use it
            context = self.context_in_view()
            if context is not None and self.context_read_only(self.backend.snapshot(), context):
                return None
            if self._denied_by_rbac(action):
                return None  # the cluster's access review refuses it: dimmed, the planner says why
        if action in SIM_ACTIONS and self.paced is None:
            return None
        base = self._base_screen()
        if action == "open_release":
            return isinstance(base, FleetScreen)
        if action == "back":
            return not isinstance(base, FleetScreen) or base.row_filter is not None
        return True

    def _denied_by_rbac(self, action: str) -> bool:
        release = self.selected_release() if self.is_mounted else None
        if release is None or not release.denied:
            return False
        denied = dict(release.denied)
        kinds = _ACTION_KINDS.get(action, ())
        return bool(kinds) and all(kind in denied for kind in kinds)

    def locked_actions(self) -> frozenset[str]:
        return frozenset(a for a in MUTATING_ACTIONS | SIM_ACTIONS if self.check_action(a, ()) is None)

    def selected_release(self) -> ReleaseState | None:
        screen = self._base_screen()
        ref = screen.selected_ref() if isinstance(screen, ConsoleScreen) else None
        return self.backend.snapshot().release(ref) if ref is not None else None

    # --- navigation ------------------------------------------------------------------------------

    def action_open_release(self) -> None:
        screen = self._base_screen()
        release = self.selected_release()
        if release is None:
            if isinstance(screen, FleetScreen) and screen.selected_cluster() is not None:
                self.go_to(View.CLUSTERS)  # a cluster-wide problem: its detail is the clusters view
                return
            self.notify("no release selected", severity="warning")
            return
        self.push_screen(ReleaseScreen(release, clock=self.ui_clock))

    def action_back(self) -> None:
        screen = self.screen
        if not isinstance(screen, ConsoleScreen):
            return
        if isinstance(screen, FleetScreen):
            screen.set_filter(None)
        elif len(self.screen_stack) > 1:
            self.pop_screen()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.locked_actions(), self.config.keys))

    def action_command_line(self) -> None:
        self._open_prompt(COMMAND)

    def action_filter(self) -> None:
        self._open_prompt(FILTER)

    def _open_prompt(self, mode: str) -> None:
        screen = self.screen
        if isinstance(screen, ConsoleScreen) and not screen.prompt_open:
            screen.open_prompt(mode)

    def go_to(self, view: View) -> None:
        """Show a top-level view: the fleet is the bottom of the stack, other views sit on it."""
        while len(self.screen_stack) > 1:
            self.pop_screen()
        if view in VIEW_SCREENS:
            self.push_screen(VIEW_SCREENS[view]())

    def run_line(self, line: str) -> None:
        """Execute one ``:`` command (from the prompt or the palette)."""
        try:
            command = parse_command(line)
        except CommandError as error:
            self.notify(str(error), severity="error")
            return
        self.execute_command(command)

    def execute_command(self, command: Command) -> None:
        match command:
            case GoTo(view):
                self.go_to(view)
            case SetContext(context):
                self._set_scope(context=context)
            case SetNamespace(namespace):
                self._set_scope(namespace=namespace)
            case SimSpeed(speed):
                self._pace(speed=speed)
            case SimPause(paused):
                self._pace(paused=paused)
            case SetAutopilot(enabled):
                self.propose_autopilot(enabled)
            case RunAction(action):
                self._run_verb(action)
            case ShowHelp():
                self.action_help()
            case Quit():
                self.exit()

    def _run_verb(self, action: str) -> None:
        """A key verb by name (``:abort``, the palette). Unlike a key, a locked verb still runs: its
        plan reaches the engine, which refuses it with the reason — silence would look like a bug."""
        if self.check_action(action, ()) is False:
            self.notify(f"{action.replace('_', ' ')} does nothing in this view", severity="warning")
            return
        self.call_later(getattr(self, f"action_{action}"))

    _UNSET = object()

    def _set_scope(self, *, context: object = _UNSET, namespace: object = _UNSET) -> None:
        state = self.backend.snapshot()
        if isinstance(context, str) and state.cluster(context) is None:
            known = ", ".join(c.name for c in state.clusters())
            self.notify(f"no context {context!r} (known: {known})", severity="error")
            return
        if isinstance(namespace, str) and namespace not in {r.namespace for r in state.releases()}:
            self.notify(f"no releases in namespace {namespace!r}", severity="warning")
        changes = {}
        if context is not self._UNSET:
            changes["context"] = context
        if namespace is not self._UNSET:
            changes["namespace"] = namespace
        self.scope = replace(self.scope, **changes)  # type: ignore[arg-type]
        self.refresh_view()

    def line_arguments(self, arg: Arg) -> list[str]:
        """The values the palette offers for a ``:`` command's argument, from the current fleet."""
        state = self.backend.snapshot()
        if arg is Arg.CONTEXT:
            return ["all", *(c.name for c in state.clusters())]
        if arg is Arg.NAMESPACE:
            return ["all", *sorted({r.namespace for r in state.releases()})]
        if arg is Arg.SIM:
            return ["pause", "run", *(f"speed {s:g}" for s in SPEED_STEPS)] if self.paced else []
        if arg is Arg.ON_OFF:
            return ["on", "off"] if self.autopilot is not None else []
        return [""]

    # --- simulation pacing -----------------------------------------------------------------------

    def action_sim_faster(self) -> None:
        self._change_speed(+1)

    def action_sim_slower(self) -> None:
        self._change_speed(-1)

    def _change_speed(self, direction: int) -> None:
        paced = self.paced
        if paced is not None:
            self._pace(speed=next_speed(paced.speed, direction))

    def action_sim_pause(self) -> None:
        paced = self.paced
        if paced is not None:
            self._pace(paused=not paced.paused)

    def _pace(self, *, speed: float | None = None, paused: bool | None = None) -> None:
        paced = self.paced
        if paced is None:
            self.notify("not a simulation: the clock is not ours to set", severity="warning")
            return
        if speed is not None:
            paced.set_speed(speed)
        if paused is not None:
            paced.set_paused(paused)
        self.refresh_view()


def make_app(
    backend: Backend,
    audit_path: Path | None = None,
    actor: str = "alice",
    read_only: bool = False,
    wall_clock: Callable[[], float] = time.time,
    briefing: str = "",
    *,
    config: ConsoleConfig | None = None,
    autopilot: AutopilotSetup | None = None,
    judge: JudgeConfig | None = None,
    refresh_s: float | None = REFRESH_INTERVAL_S,
    ui_clock: Callable[[], float] = time.monotonic,
) -> RolldeckApp:
    """The one way to build the console, used by the CLI, the tests and the benchmark.

    ``autopilot`` builds an ``engine.autopilot.Autopilot`` on this console's operator, so its
    decisions share the audit log, the read-only rules and the per-context policy with the human's.
    ``judge`` is the SLO the console judges canaries with when the autopilot does not (default: the
    config's SLO). Controller steps come from the model (``ReleaseState.steps``), and the autopilot
    and the console's verdicts share one ``engine.bakes.BakeTracker``.
    ``refresh_s`` is the sampler's period; None starts no sampler timer, and whoever built the app
    samples by calling ``refresh_view`` (tests, to count ticks instead of seconds). ``ui_clock`` is
    the wall time behind the console's own rate limits (chart redraws); tests pass a manual one.
    """
    config = config or ConsoleConfig()
    audit = AuditLog(audit_path, wall_clock)
    operator = PolicyOperator(backend, audit, read_only=read_only, config=config)
    pilot = None
    if autopilot is not None:
        pilot = Autopilot(operator, list(autopilot.plans), autopilot.judge, interval_s=autopilot.interval_s)
        pilot.enabled = autopilot.enabled
    return RolldeckApp(
        backend,
        operator,
        actor=actor,
        briefing=briefing,
        config=config,
        autopilot=pilot,
        judge=judge or (autopilot.judge if autopilot is not None else None),
        refresh_s=refresh_s,
        ui_clock=ui_clock,
    )
