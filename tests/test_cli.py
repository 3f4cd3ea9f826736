"""The command line as users run it: real subprocesses, exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def rolldeck(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rolldeck.console", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_scenarios_lists_the_library():
    result = rolldeck("scenarios")
    assert result.returncode == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert {"canary-healthy", "canary-5xx", "blue-green-cutover", "fleet-default"} <= set(names)
    assert "(default)" in result.stdout


def test_check_accepts_the_library_files():
    files = sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml"))
    result = rolldeck("check", *files)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(": ok") == len(files)


def test_check_reports_each_problem_on_one_line_and_exits_1(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((ROOT / "scenarios" / "canary-5xx.yaml").read_text().replace("rps: 800", "rps: 800\n    colour: red"))
    broken = tmp_path / "broken.yaml"
    broken.write_text("scenario: [unclosed\n")
    result = rolldeck("check", str(bad), str(broken))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0] == f"{bad}:21:5: releases.0.colour: unknown key"
    assert lines[1].startswith(f"{broken}:2:1: YAML syntax")
    assert len(lines) == 2 and "Traceback" not in result.stderr


def test_the_headless_summary_is_the_debrief_timeline_with_flag_changes_and_the_grade(tmp_path):
    actions = tmp_path / "actions.yaml"
    actions.write_text(
        "- {at: 10, release: search, action: flag-step-up, flag: new-ranking}\n"
        "- {at: 180, release: search, action: kill-flag, flag: new-ranking}\n"
    )
    result = rolldeck("drill", "flag-rollout-bad-path", "--headless", "--until", "5m", "--actions", str(actions))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[2].startswith("    flag new-ranking killed at 1%: its path served ")
    assert lines[3].split()[:5] == ["drill", "10s", "prod-eu-west-1/search", "flag-step-up", "applied:"]
    assert lines[3].endswith("flag new-ranking (prod-eu-west-1): on 0% → 1% in prod-eu-west-1/search")
    assert lines[4].split()[:5] == ["drill", "180s", "prod-eu-west-1/search", "kill-flag", "applied:"]
    assert lines[-1] == "  graded: correct kill-flag (drill, 180s)"


def test_unknown_scenario_name_is_one_line():
    result = rolldeck("drill", "no-such-thing", "--headless")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "no such scenario" in result.stderr


def test_headless_drill_writes_a_report(tmp_path):
    report = tmp_path / "out.json"
    audit = tmp_path / "audit.jsonl"
    result = rolldeck(
        "drill", "canary-5xx", "--headless", "--until", "8m",
        "--actions", str(ROOT / "docs/examples/canary-5xx-abort.actions.yaml"),
        "--report", str(report), "--audit", str(audit),
    )
    assert result.returncode == 0, result.stderr
    assert "prod-eu-west-1/checkout" in result.stdout and "Degraded" in result.stdout
    data = json.loads(report.read_text())
    assert data["sim_time_s"] == 480 and data["releases"][0]["aborted"] is True
    intent, record = [json.loads(line) for line in audit.read_text().splitlines()]  # before and after applying
    assert intent["result"] == "intent" and intent["entry"] == record["entry"]
    assert record["actor"] == "drill" and record["wall_time"] > 1.7e9


def test_bad_until_is_one_line():
    result = rolldeck("drill", "canary-5xx", "--headless", "--until", "soon")
    assert result.returncode == 2 and "--until" in result.stderr and "Traceback" not in result.stderr


def test_a_console_that_may_mutate_does_not_start_without_a_writable_audit_log(tmp_path):
    folder = tmp_path / "audit-folder"
    folder.mkdir()
    for args in (("sim", "canary-5xx", "--audit", str(folder)), ("drill", "canary-5xx", "--headless", "--until", "1m", "--audit", str(folder))):
        result = rolldeck(*args)
        assert result.returncode == 2, result.stderr
        (line,) = result.stderr.splitlines()
        assert f"audit log {folder}: is a folder, not a file" in line and "Traceback" not in result.stderr
    assert list(folder.iterdir()) == []


def test_until_past_the_duration_limit_is_one_line():
    result = rolldeck("drill", "canary-5xx", "--headless", "--until", "99999999999d")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr == "rolldeck: --until: duration '99999999999d' is longer than the limit of 7 days\n"


def test_a_report_into_a_missing_folder_is_refused_before_the_drill_runs(tmp_path):
    report = tmp_path / "no-such-folder" / "out.json"
    result = rolldeck("drill", "canary-5xx", "--headless", "--until", "1m", "--report", str(report))
    assert result.returncode == 2 and result.stdout == ""  # refused before anything ran
    assert result.stderr == f"rolldeck: --report {report}: folder {report.parent} does not exist\n"


def test_a_closed_pipe_ends_quietly(tmp_path):
    """`rolldeck drill … | head -1`: the reader closes its end; the writer stops without a traceback.
    The read end is closed before the child writes anything, so this never races the child."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    with os.fdopen(write_end, "wb") as stdout:
        result = subprocess.run(
            [sys.executable, "-m", "rolldeck.console", "drill", "canary-5xx", "--headless", "--until", "1m"],
            stdout=stdout, stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=120,
        )
    assert result.stderr == "" and result.returncode == 141


def test_help_loads_no_models_ui_or_numerics():
    """`rolldeck --help` answers from argparse alone: the heavy imports wait for a command that needs them."""
    probe = (
        "import sys\n"
        "from rolldeck.console.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = ('pydantic', 'numpy', 'scipy', 'simpy', 'textual', 'yaml', 'kubernetes_asyncio', 'httpx')\n"
        "print(' '.join(sorted(m for m in heavy if m in sys.modules)) or 'none', file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "usage: rolldeck" in result.stdout
    assert result.stderr.strip() == "none"
