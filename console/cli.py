"""The ``rolldeck`` command line (see the contract in DESIGN.md).

Textual is imported only by the commands that open the TUI, so ``check``, ``scenarios`` and
headless drills start fast and work without a terminal.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rolldeck.console.config import ConfigChecks, ConsoleConfig, MetricsRuleConfig
    from rolldeck.engine.documents import Problem
    from rolldeck.engine.kube.signals import TargetedSignals
    from rolldeck.engine.metrics import MetricsTarget


def default_audit_path() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "rolldeck" / "audit.jsonl"


def audit_for_console(path: Path, read_only: bool) -> tuple[Path | None, bool]:
    """(the audit path to use, whether to start): a console that may mutate never starts without a
    writable audit file; a read-only one keeps its audit (refusals) in memory, after one line."""
    from rolldeck.engine.audit import AuditLog

    problem = AuditLog(path, time.time).check()
    if not problem:
        return path, True
    if read_only:
        print(f"rolldeck: {problem}; read-only, so this console's audit stays in memory", file=sys.stderr)
        return None, True
    print(f"rolldeck: {problem}; nothing may change without a record: pass --audit FILE, or --readonly", file=sys.stderr)
    return None, False


def _operator_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "operator"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rolldeck",
        description="Terminal operations console for progressive delivery on Kubernetes.",
    )
    sub = parser.add_subparsers(dest="command")

    sim = sub.add_parser("sim", help="open the console on a simulated scenario")
    sim.add_argument("scenario", help="a library name (see `rolldeck scenarios`) or a YAML file")
    _tui_options(sim)

    live = sub.add_parser("live", help="open the console on real clusters from kubeconfig")
    live.add_argument("--context", default=None, help="contexts A,B or 'all'")
    live.add_argument("--namespace", default=None)
    live.add_argument("--readonly", action="store_true")
    live.add_argument("--audit", type=Path, default=None, help=f"audit log (default {default_audit_path()})")
    live.add_argument(
        "--default-config", action="store_true", help="start with the default config when the config file is invalid"
    )

    drill = sub.add_parser("drill", help="run a scenario headless and write a report")
    drill.add_argument("scenario")
    drill.add_argument("--headless", action="store_true", required=True, help="run with no UI, as fast as possible")
    drill.add_argument("--until", default=None, help="simulated time to stop at, e.g. 30m (default: the scenario's duration)")
    drill.add_argument("--actions", type=Path, default=None, help="YAML list of timed operator actions")
    drill.add_argument("--report", type=Path, default=None, help="write the JSON report here")
    drill.add_argument("--audit", type=Path, default=None, help="also append audit records to this JSON Lines file")
    drill.add_argument("--autopilot", action="store_true", help="run the scenario's autopilot plan")

    check = sub.add_parser("check", help="validate scenario files")
    check.add_argument("files", nargs="+", type=Path)

    sub.add_parser("scenarios", help="list the scenario library")

    config = sub.add_parser("config", help="the console's config file")
    config.add_argument("config_action", choices=("path", "check"), help="path: print where it is; check: validate it")

    _tui_options(parser)
    return parser


def _tui_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--speed", type=float, default=1.0, help="initial simulation speed, 1–1000 (default 1)")
    parser.add_argument("--audit", type=Path, default=None, help=f"audit log (default {default_audit_path()})")
    parser.add_argument("--readonly", action="store_true", help="refuse every mutating action")
    parser.add_argument("--autopilot", action="store_true", help="let the scenario's autopilot plan drive (toggle it with A)")
    parser.add_argument(
        "--default-config", action="store_true", help="start with the default config when the config file is invalid"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = _dispatch(args)
        sys.stdout.flush()  # here, not at exit: a closed pipe (`| head -1`) is caught below
        return code
    except BrokenPipeError:
        # The reader went away: stop quietly, as `cat` does. Python would flush stdout again at exit
        # and print a traceback-like warning; point it at /dev/null first.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a writer killed by the pipe


def _dispatch(args: argparse.Namespace) -> int:
    # Imported here, not at the top: `rolldeck --help` should not pay for building the scenario models.
    from rolldeck.simulator.scenario import ScenarioError

    try:
        if args.command is None:
            from rolldeck.simulator.library import DEFAULT_SCENARIO

            return _run_tui(DEFAULT_SCENARIO, args)
        if args.command == "sim":
            return _run_tui(args.scenario, args)
        if args.command == "check":
            return _check(args.files)
        if args.command == "scenarios":
            return _list_scenarios()
        if args.command == "drill":
            return _drill(args)
        if args.command == "config":
            return _config_command(args.config_action)
        if args.command == "live":
            return _run_live(args)
    except ScenarioError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


def tui_config(args: argparse.Namespace, checks: ConfigChecks | None = None) -> ConsoleConfig | None:
    """The console config for a TUI command; None (after one line on stderr) when it is invalid.

    With ``--default-config`` an invalid file is reported and the defaults are used instead.
    """
    from rolldeck.console.config import ConfigError, config_path, load_config

    path = config_path()
    try:
        return load_config(path, checks)
    except ConfigError as error:
        print(error.one_line(), file=sys.stderr)
        if getattr(args, "default_config", False):
            from rolldeck.console.config import ConsoleConfig

            print(f"rolldeck: starting with the default config (--default-config); {path} was not used", file=sys.stderr)
            return ConsoleConfig()
        print("rolldeck: fix the config, or pass --default-config to start with the defaults", file=sys.stderr)
        return None


def _config_command(action: str) -> int:
    from rolldeck.console.config import ConfigError, config_path, load_config

    path = config_path()
    if action == "path":
        print(path)
        return 0
    try:
        load_config(path, live_config_problems)  # `check` refuses what `live` would refuse
    except ConfigError as error:
        print(error.one_line(), file=sys.stderr)
        return 1
    print(f"{path}: ok" if path.exists() else f"{path}: not found (the defaults apply)")
    return 0


def _run_tui(scenario_name: str, args: argparse.Namespace) -> int:
    from rolldeck.simulator.library import load_scenario

    config = tui_config(args)
    if config is None:
        return 1
    scenario = load_scenario(scenario_name)
    if args.autopilot and scenario.autopilot is None:
        print(f"rolldeck: {scenario.scenario} declares no autopilot plan; open it without --autopilot", file=sys.stderr)
        return 2
    audit_path, start = audit_for_console(args.audit or default_audit_path(), args.readonly)
    if not start:
        return 2

    from rolldeck.console.compose import simulated_console, simulator  # Textual only when a TUI opens

    backend = simulator(scenario, speed=args.speed, autopilot=args.autopilot, read_only=args.readonly)
    app = simulated_console(
        backend,
        audit_path=audit_path,
        actor=_operator_name(),
        read_only=args.readonly,
        wall_clock=time.time,
        config=config,
    )
    app.run()
    return app.return_code or 0


def _run_live(args: argparse.Namespace) -> int:
    """``rolldeck live``: the console on kubeconfig contexts (KUBECONFIG or ~/.kube/config, as kubectl)."""
    from rolldeck.engine.kube import KubeBackend, KubeconfigError
    from rolldeck.engine.kube.flagger_gates import FlaggerGates

    config = tui_config(args, live_config_problems)  # `sim`'s config, plus what live metrics need
    if config is None:
        return 1
    signals, problem = live_signals(config)
    if problem:
        print(f"rolldeck: {problem}", file=sys.stderr)
        return 2
    # Flagger's gate webhooks: ROLLDECK_GATES=host:port (default 127.0.0.1:8797; port 0 picks a free one)
    host, _, port = os.environ.get("ROLLDECK_GATES", "127.0.0.1:8797").rpartition(":")
    audit_path, start = audit_for_console(args.audit or default_audit_path(), args.readonly)
    if not start:
        return 2
    actor = _operator_name()
    try:
        gates = FlaggerGates(host=host or "127.0.0.1", port=int(port or 0))
        backend = KubeBackend.from_kubeconfig(
            args.context,
            namespace=args.namespace,
            read_only=args.readonly,
            gates=gates,
            actor=actor,
            signals=signals,
        )
    except KubeconfigError as error:
        print(f"rolldeck: {error}", file=sys.stderr)
        return 2
    except ValueError:
        print(f"rolldeck: ROLLDECK_GATES must be host:port, not {os.environ.get('ROLLDECK_GATES')!r}", file=sys.stderr)
        return 2
    for problem in backend.problems:  # the other contexts keep working; say what was skipped
        print(f"rolldeck: {problem}", file=sys.stderr)

    from rolldeck.console.app import make_app  # Textual only when a TUI opens

    app = make_app(backend, audit_path=audit_path, actor=actor, read_only=args.readonly, wall_clock=time.time, briefing="", config=config)
    app.run()
    return app.return_code or 0


def live_config_problems(config: ConsoleConfig, env: Mapping[str, str] | None = None) -> list[Problem]:
    """What ``live`` refuses in a config that parses — a Prometheus URL that is not http(s), or carries
    credentials; a ``token_env`` that is unset — located in the file: the one check ``live`` and
    ``config check`` share."""
    from rolldeck.engine.documents import Problem
    from rolldeck.engine.metrics import prometheus_endpoint

    metrics = config.metrics
    if metrics.prometheus is None:
        return []
    problems: list[Problem] = []
    try:
        prometheus_endpoint(metrics.prometheus)
    except ValueError as error:  # the message never repeats the URL (it may hold a password)
        problems.append(Problem(("metrics", "prometheus"), f"metrics.prometheus: {error}"))
    environ: Mapping[str, str] = os.environ if env is None else env
    if metrics.token_env and not environ.get(metrics.token_env):
        problems.append(Problem(("metrics", "token_env"), f"metrics.token_env: environment variable {metrics.token_env} is not set"))
    return problems


def live_signals(config: ConsoleConfig, env: Mapping[str, str] | None = None) -> tuple[TargetedSignals[MetricsTarget] | None, str]:
    """The live metrics source from the config's ``metrics`` section: (source or None, problem or "")."""
    metrics = config.metrics
    if metrics.prometheus is None:
        return None, ""
    from rolldeck.engine.kube.metrics_targets import APP_SELECTOR, ISTIO_SELECTOR, MetricsRule, MetricsTargets
    from rolldeck.engine.kube.signals import TargetedSignals
    from rolldeck.engine.metrics import BearerToken, PrometheusSource

    environ: Mapping[str, str] = os.environ if env is None else env
    problems = live_config_problems(config, environ)
    if problems:
        return None, f"config {problems[0].message}"
    auth = BearerToken(environ[metrics.token_env]) if metrics.token_env else None
    slo_s = config.slo.latency_ms / 1000.0

    def rule(spec: MetricsRuleConfig) -> MetricsRule:
        default = ISTIO_SELECTOR if spec.templates == "istio" else APP_SELECTOR
        return MetricsRule(spec.templates, dict(spec.selector or default), spec.window_s, slo_s, dict(spec.params))

    try:
        source = PrometheusSource(metrics.prometheus, auth=auth, timeout_s=metrics.timeout_s)
    except ValueError as error:
        return None, f"config metrics.prometheus: {error}"
    targets = MetricsTargets(rule(metrics.default), {name: rule(spec) for name, spec in metrics.releases.items()})
    return TargetedSignals(source, targets.target_for), ""


def _check(files: list[Path]) -> int:
    from rolldeck.simulator.scenario import ScenarioError, load_scenario_file

    problems: list[str] = []
    for path in files:
        try:
            load_scenario_file(path)
        except ScenarioError as error:
            problems.extend(error.problems)
        else:
            print(f"{path}: ok")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


def _list_scenarios() -> int:
    from rolldeck.simulator.library import DEFAULT_SCENARIO, list_scenarios

    entries = list_scenarios()
    width = max(len(e.name) for e in entries)
    for entry in entries:
        marker = " (default)" if entry.name == DEFAULT_SCENARIO else ""
        print(f"{entry.name:<{width}}  {entry.title}{marker}")
    return 0


def report_problem(path: Path | None) -> str | None:
    """Why ``--report`` cannot be written, before the drill runs: one line, or None."""
    if path is None:
        return None
    if path.is_dir():
        return f"--report {path}: is a directory; name a file"
    if not path.parent.is_dir():
        return f"--report {path}: folder {path.parent} does not exist"
    return None


def _drill(args: argparse.Namespace) -> int:
    from rolldeck.simulator.drill import load_actions, run_drill, write_report
    from rolldeck.simulator.durations import parse_duration
    from rolldeck.simulator.library import load_scenario

    scenario = load_scenario(args.scenario)
    if args.autopilot and scenario.autopilot is None:
        print(f"rolldeck: {args.scenario} declares no autopilot plan; run it with --actions instead", file=sys.stderr)
        return 2
    try:
        until = parse_duration(args.until) if args.until is not None else scenario.duration
    except ValueError as error:
        print(f"rolldeck: --until: {error}", file=sys.stderr)
        return 2
    problem = report_problem(args.report)
    if problem:
        print(f"rolldeck: {problem}", file=sys.stderr)
        return 2
    actions = load_actions(args.actions) if args.actions else []
    if args.audit is not None:
        from rolldeck.engine.audit import AuditLog

        problem = AuditLog(args.audit, time.time).check()
        if problem:
            print(f"rolldeck: --audit: {problem}", file=sys.stderr)
            return 2
    result = run_drill(
        scenario, until=until, actions=actions, wall_clock=time.time, audit_path=args.audit, autopilot=args.autopilot
    )
    report = result.report
    if args.report:
        write_report(report, args.report)
    print(f"drill {report['scenario']} seed {report['seed']}: {report['sim_time_s']:.0f}s simulated, digest {report['digest'][:12]}")
    for release in report["releases"]:
        split = " / ".join(f"{k} {v}%" for k, v in release["observed"].items())
        print(f"  {release['release']:<32} {release['phase']:<11} {split}")
        for flag in release.get("flags", ()):
            state = "on" if flag["enabled"] else "killed"
            print(f"    flag {flag['key']} {state} at {flag['share']:g}%: its path served {flag['on_requests']:,} requests, {flag['on_errors']:,} errors")
    # the debrief's timeline: every applied or refused action, the autopilot's as its events
    for record in report["audit"]:
        if record["actor"] != "autopilot" and record["result"] in ("applied", "refused"):
            print(f"  {record['actor']:<9} {record['backend_time']:>6.0f}s {record['release']:<32} {record['action']:<9} {record['result']}: {record['diff'] or record['reason']}")
    for event in report["autopilot"] or []:
        print(f"  autopilot {event['time']:>6.0f}s {event['release']:<32} {event['kind']:<9} {event['message']}")
    grading = report["grading"]
    if any(grading.values()):
        graded = "; ".join(
            f"{verdict} " + ", ".join(f"{g['action']} ({g['actor']}, {g['at_s']:.0f}s)" for g in items)
            for verdict, items in grading.items()
            if items
        )
        print(f"  graded: {graded}")
    for failure in result.failures:
        print(f"  action refused: {failure}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
