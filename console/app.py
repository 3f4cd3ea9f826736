"""The rolldeck Textual app: samples the backend at a fixed rate and routes verbs through the operator.

State flows one way: every ``refresh_s`` the app takes a snapshot and the frame builder
(``console.frames``, no Textual) turns it into a ``Frame`` of plain values — verdicts, attention,
step countdowns, what each verb would do — which the screen on top renders. Mutations flow one way
(key, palette or ``:`` line → catalogue command → plan → confirm modal → operator.execute → audit →
notification). The autopilot looks from the same timer (``AutopilotSchedule``), in a worker, never
blocking the loop and never overlapping itself. The app is the router: screens post messages
(``ConsoleScreen.RunLine``, ``Shown``) and never reach into it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import rich
from rich.segment import Segments
from textual import constants as textual_constants
from textual import work
from textual.app import App, SystemCommand
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Input

from rolldeck.console.catalogue import COMMANDS_BY_ACTION, MUTATING_ACTIONS, PROMPT_ACTIONS, SIM_ACTIONS, Arg, ConsoleCommand, Scope
from rolldeck.console.commands import RolldeckCommands, bindings
from rolldeck.console.config import ConsoleConfig
from rolldeck.console.contexts import PolicyOperator
from rolldeck.console.frames.autopilot_schedule import AutopilotSchedule
from rolldeck.console.frames.builder import ConsoleVerdicts, FrameBuilder
from rolldeck.console.frames.frame import Availability, Frame, VerbView, ViewScope, Viewpoint
from rolldeck.console.frames.verbs import VerbRules
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
from rolldeck.console.screens.base import ConsoleScreen
from rolldeck.console.screens.briefing import BriefingScreen
from rolldeck.console.screens.clusters import ClustersScreen
from rolldeck.console.screens.confirm import ConfirmModal
from rolldeck.console.screens.flags import FlagsScreen
from rolldeck.console.screens.fleet import FleetScreen
from rolldeck.console.screens.help import HelpScreen
from rolldeck.console.screens.release import ReleaseScreen
from rolldeck.console.screenshots import svg_keeping_spaces
from rolldeck.console.verbs import OperatorVerbs
from rolldeck.console.verdicts import LiveJudge
from rolldeck.console.widgets.command_line import COMMAND, FILTER
from rolldeck.console.widgets.signal_history import SignalHistory
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.autopilot import Autopilot, AutopilotEvent
from rolldeck.engine.bakes import BakeTracker
from rolldeck.engine.judge import JudgeConfig
from rolldeck.engine.model import ReleaseState
from rolldeck.engine.port import Backend, PacedBackend
from rolldeck.engine.rollout_plans import RolloutPlan

REFRESH_INTERVAL_S = 0.5  # 2 Hz: fresh enough to watch a split converge, cheap enough for big fleets
SPEED_STEPS: tuple[float, ...] = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
VIEW_SCREENS: dict[View, type[ConsoleScreen]] = {View.CLUSTERS: ClustersScreen, View.FLAGS: FlagsScreen, View.AUDIT: AuditScreen}


def private_log_file() -> None:
    """Textual appends every log line (events, messages, a toast's text) to ``$TEXTUAL_LOG``, creating
    it with the umask's mode (0644: readable by everyone). Create it 0600 first, so what a console
    logs is its user's alone; a file the user already has keeps the mode they gave it."""
    path = textual_constants.LOG_FILE
    if not path:
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600))
    except OSError:
        return  # it exists (theirs), or cannot be made: Textual reports that one itself


def next_speed(current: float, direction: int) -> float:
    """The next speed step above (direction > 0) or below the current one, clamped to the ends."""
    if direction > 0:
        return next((s for s in SPEED_STEPS if s > current + 1e-9), SPEED_STEPS[-1])
    return next((s for s in reversed(SPEED_STEPS) if s < current - 1e-9), SPEED_STEPS[0])

# Autopilot events carry the engine's severity words; anything else shows as information.
_SEVERITIES: dict[str, SeverityLevel] = {"information": "information", "warning": "warning", "error": "error"}


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
    COMMANDS = {RolldeckCommands}  # which yields Textual's built-ins too, after the app's own
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
        private_log_file()  # before Textual writes its first line
        super().__init__()
        self.backend = backend
        self.operator = operator
        self.actor = actor
        self.briefing = briefing
        self.config = config or ConsoleConfig()
        self.autopilot = autopilot
        self.refresh_s = refresh_s
        self.ui_clock = ui_clock
        # One bake tracker: the autopilot's when there is one, so verdicts and countdowns agree with it.
        bakes = autopilot.bakes if autopilot is not None else BakeTracker()
        self.judge_config = judge or self.config.judge_config()
        self.rules = VerbRules(
            read_only=operator.read_only,
            context_read_only=operator.context_read_only,
            has_autopilot=autopilot is not None,
            paced=isinstance(backend, PacedBackend),
        )
        self.frames = FrameBuilder(
            source=backend.name,
            verdicts=ConsoleVerdicts(
                LiveJudge(self.judge_config, bakes), autopilot, autopilot.cohorts if autopilot is not None else None
            ),
            rules=self.rules,
            audit=operator.audit,
            config=self.config,
            bakes=bakes,
            autopilot=autopilot,
            paced=self.paced,
        )
        self.schedule = AutopilotSchedule(autopilot)
        self.scope = ViewScope()
        self.histories = {COMMAND: History(), FILTER: History()}
        self.frame: Frame | None = None  # the last frame drawn (tests and the benchmark read it)
        self._locks: tuple[object, ...] = ()
        self._started = False
        self._stopped_told = ""  # the simulator-stopped reason already toasted (once, not every tick)

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
            self.show_briefing(first=True)

    async def on_unmount(self) -> None:
        await self.backend.stop()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Textual's built-ins, with Screenshot saving where the config says (and saying where)."""
        for command in super().get_system_commands(screen):
            if command.title == "Screenshot":
                # After the palette has closed, so the SVG shows the console, not the palette.
                yield SystemCommand("Screenshot", f"Save an SVG of the screen in {self.config.screenshot_folder()}",
                                    lambda: self.call_after_refresh(self.action_screenshot))
            else:
                yield command

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        folder = Path(path).expanduser() if path else self.config.screenshot_folder()
        stem = f"rolldeck-{time.strftime('%Y%m%d-%H%M%S')}"  # the wall clock names the file, nothing more
        try:
            folder.mkdir(parents=True, exist_ok=True)
            saved = folder / (filename or f"{stem}.svg")
            for n in range(1, 100):  # two in one second: keep both
                if filename or not saved.exists():
                    break
                saved = folder / f"{stem}-{n}.svg"
            saved.write_text(svg_keeping_spaces(self.export_screenshot()), encoding="utf-8")
        except OSError as error:
            self.notify(f"screenshot not saved: {folder}: {error.strerror or error}", severity="error")
            return
        self.notify(f"screenshot saved: {saved}", title="screenshot")

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

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """A toast whose text is never read as markup, whoever asks (screens pass ``markup=True``):
        messages carry names, briefings, plan and server text, and a ``[/x]`` in them must show as
        typed, not end the console with a MarkupError."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    # --- sampling --------------------------------------------------------------------------------

    @property
    def paced(self) -> PacedBackend | None:
        return self.backend if isinstance(self.backend, PacedBackend) else None

    @property
    def history(self) -> SignalHistory:
        return self.frames.history

    def viewpoint(self) -> Viewpoint:
        """What the operator looks at: the top non-modal screen's kind, selection, context and filter."""
        screen = self._base_screen()
        if not isinstance(screen, ConsoleScreen):
            return Viewpoint(context=self.scope.context)
        row_filter = screen.row_filter
        return Viewpoint(
            where=screen.where,
            context=screen.context_in_view() or self.scope.context,
            selected=screen.selected_ref(),
            filter=row_filter.text if row_filter else "",
        )

    def refresh_view(self) -> None:
        """Sample one snapshot into a frame, let the autopilot look if due; draw unless a modal covers the screen."""
        if not self._started or not self.is_running:
            return  # before start-up, or mid-shutdown while screens are being torn down
        state = self.backend.snapshot()
        self.frame = self.frames.build(state, self.viewpoint(), self.scope)
        stopped = self.frame.status.stopped
        if stopped and stopped != self._stopped_told:
            self._stopped_told = stopped
            self.notify(f"simulator stopped: {stopped}", title="simulator", severity="error", timeout=30)
        if self.schedule.start():
            self._autopilot_look()
        self.set_class(state.simulated, "-sim")
        self._refresh_locks(self.frame)
        screen = self.screen
        if isinstance(screen, ConfirmModal):
            self._show_under_modal(screen, self.frame)
            return
        if screen.is_modal or not isinstance(screen, ConsoleScreen):
            return
        with self.batch_update():
            screen.show(self.frame)

    def _show_under_modal(self, modal: ConfirmModal, frame: Frame) -> None:
        """A decision is being made: the screen under the dialog keeps moving, and the dialog shows
        its target live and whether its plan still holds (the engine's own review, as at execute)."""
        base = self._base_screen()
        stale = self.operator.review(modal.plan)[1] if modal.plan is not None else None
        with self.batch_update():
            if isinstance(base, ConsoleScreen):
                base.show(frame)
            modal.show_live(frame, stale)

    def _refresh_locks(self, frame: Frame) -> None:
        # check_action depends on the viewpoint: re-check the footer only when the verbs' states change.
        locks = tuple(verb.availability for verb in frame.verbs.values())
        if locks != self._locks:
            self._locks = locks
            self.refresh_bindings()

    def on_console_screen_shown(self, _: ConsoleScreen.Shown) -> None:
        # A screen that comes back from under a modal, or is opened, draws at once, not at the next tick.
        self.refresh_view()

    def on_console_screen_run_line(self, message: ConsoleScreen.RunLine) -> None:
        self.run_line(message.line)

    # --- the autopilot ------------------------------------------------------------------------------

    @work(group="autopilot", exit_on_error=False)
    async def _autopilot_look(self) -> None:
        assert self.autopilot is not None
        try:
            events = await self.autopilot.look()
        except Exception as error:  # an engine bug must not take the console down mid-incident
            self.notify(f"autopilot failed: {type(error).__name__}: {error}", severity="error")
            return
        finally:
            self.schedule.finish()
        for event in events:
            self.notify_event(event)

    def notify_event(self, event: AutopilotEvent) -> None:
        severity = _SEVERITIES.get(event.severity, "information")
        self.notify(f"{event.release}: {event.message}", title=f"autopilot {event.kind}", severity=severity)

    # --- which verbs are available -----------------------------------------------------------------

    def _base_screen(self) -> Screen[object] | None:
        """The top non-modal screen: what verbs target even while the palette or help is open."""
        return next((s for s in reversed(self.screen_stack) if not s.is_modal), None)

    def verb_views(self) -> dict[str, VerbView]:
        """Every catalogue command against the current viewpoint (the frame builder's rules, asked
        now: the cursor may have moved since the last frame)."""
        return self.rules.verbs(self.backend.snapshot(), self.viewpoint())

    def verb_view(self, command: ConsoleCommand) -> VerbView:
        viewpoint = self.viewpoint()
        state = self.backend.snapshot()
        release = state.release(viewpoint.selected) if viewpoint.selected is not None else None
        return self.rules.verb(command, state, viewpoint, release)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        command = COMMANDS_BY_ACTION.get(action)
        if command is None:
            return True  # Textual's own actions (the palette, focus…)
        if action in PROMPT_ACTIONS and not self._prompt_can_open():
            return False  # a priority key: let ':' and '/' through to whatever text field has focus
        return self.verb_view(command).textual_state

    def locked_actions(self) -> frozenset[str]:
        views = self.verb_views()
        return frozenset(
            c.action
            for c in COMMANDS_BY_ACTION.values()
            if c.action in MUTATING_ACTIONS | SIM_ACTIONS and views[c.id].availability is Availability.LOCKED
        )

    def selected_flag(self) -> str | None:
        screen = self._base_screen()
        return screen.selected_flag() if isinstance(screen, ConsoleScreen) else None

    def flag_in_focus(self) -> str | None:
        screen = self._base_screen()
        return screen.flag_in_focus() if isinstance(screen, ConsoleScreen) else None

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
        slo_percent = round((1.0 - self.judge_config.error_budget) * 100, 6)  # the success chart sits on it
        self.push_screen(ReleaseScreen(release, clock=self.ui_clock, flag=self.selected_flag(), slo_percent=slo_percent))

    async def action_back(self) -> None:
        screen = self.screen
        if not isinstance(screen, ConsoleScreen):
            return
        if isinstance(screen, FleetScreen):
            screen.set_filter(None)
        elif len(self.screen_stack) > 1:
            self.pop_screen()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.locked_actions(), self.config.keys))

    def action_briefing(self) -> None:
        if not self.briefing:
            self.notify("this console has no briefing (scenarios carry one: rolldeck sim NAME)", severity="warning")
        elif not isinstance(self.screen, BriefingScreen):
            self.show_briefing(first=False)

    def show_briefing(self, *, first: bool) -> None:
        """The briefing panel; the first time, a running simulation waits until it is closed."""
        paced = self.paced
        hold = first and paced is not None and not paced.paused
        if hold:
            assert paced is not None
            paced.set_paused(True)

        def closed(_: None) -> None:
            if hold and paced is not None and paced.paused:
                paced.set_paused(False)  # unless the operator paused it meanwhile (:sim pause keeps it)
            self.refresh_view()

        self.push_screen(BriefingScreen(self.briefing, clock_held=hold), closed)

    def action_widen(self) -> None:
        """Back to everything: no :ctx, no :ns, no / filter — the scoped view hid something."""
        screen = self._base_screen()
        if isinstance(screen, ConsoleScreen):
            screen.set_filter(None)
        if self.scope != ViewScope():
            self.scope = ViewScope()
        self.notify("showing everything: ctx all · ns all, no filter", severity="information")
        self.refresh_view()

    def action_command_line(self) -> None:
        self._open_prompt(COMMAND)

    def action_filter(self) -> None:
        self._open_prompt(FILTER)

    def _prompt_can_open(self) -> bool:
        screen = self.screen
        return isinstance(screen, ConsoleScreen) and not screen.prompt_open and not isinstance(self.focused, Input)

    def _open_prompt(self, mode: str) -> None:
        screen = self.screen
        if isinstance(screen, ConsoleScreen) and not screen.prompt_open:
            screen.open_prompt(mode, self.histories[mode])

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
                self._set_scope(replace(self.scope, context=context))
            case SetNamespace(namespace):
                self._set_scope(replace(self.scope, namespace=namespace))
            case SimSpeed(speed):
                self._pace(speed=speed)
            case SimPause(paused):
                self._pace(paused=paused)
            case SetAutopilot(enabled):
                self.propose_autopilot(enabled)
            case RunAction(verb):
                self.run_command(verb)
            case ShowHelp():
                self.action_help()
            case Quit():
                self.exit()

    def run_command(self, command: ConsoleCommand) -> None:
        """A key command by id (``:abort``, the palette), through the same Textual action as its key.
        Unlike a key, a locked verb still runs: its plan reaches the engine, which refuses it with
        the reason — silence would look like a bug."""
        if self.verb_view(command).availability is Availability.NOT_HERE:
            self.notify(f"{command.id.replace('-', ' ')} does nothing in this view", severity="warning")
            return
        # The handler itself: Textual's run_action would drop a dimmed verb silently (check_action).
        self.call_later(self.command_handlers()[command.id])

    def command_handlers(self) -> dict[str, Callable[[], object]]:
        """Catalogue id → what it does; a key reaches the same method through its Textual action."""
        return {
            "open-release": self.action_open_release,
            "back": self.action_back,
            "help": self.action_help,
            "briefing": self.action_briefing,
            "command-line": self.action_command_line,
            "filter": self.action_filter,
            "widen": self.action_widen,
            "step-down": self.action_step_down,
            "step-up": self.action_step_up,
            "promote": self.action_promote,
            "pause-resume": self.action_pause_resume,
            "abort": self.action_abort,
            "switch-slot": self.action_switch_slot,
            "retry": self.action_retry,
            "undo": self.action_undo,
            "mirror": self.action_mirror,
            "kill-flag": self.action_kill_flag,
            "autopilot": self.action_toggle_autopilot,
            "sim-slower": self.action_sim_slower,
            "sim-faster": self.action_sim_faster,
            "sim-pause": self.action_sim_pause,
            "quit": self.exit,
        }

    def _set_scope(self, scope: ViewScope) -> None:
        """Apply a new ``:ctx`` / ``:ns`` scope: an unknown context is refused, an empty namespace warned of."""
        state = self.backend.snapshot()
        context, namespace = scope.context, scope.namespace
        if context is not None and context != self.scope.context and state.cluster(context) is None:
            known = ", ".join(c.name for c in state.clusters())
            self.notify(f"no context {context!r} (known: {known})", severity="error")
            return
        if namespace is not None and namespace != self.scope.namespace and namespace not in {r.namespace for r in state.releases()}:
            self.notify(f"no releases in namespace {namespace!r}", severity="warning")
        self.scope = scope
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
