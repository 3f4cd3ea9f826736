"""The console config: where it lives, what it may say, one-line errors with positions, and its effects."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from rolldeck.console.cli import tui_config
from rolldeck.console.config import ConfigError, ConsoleConfig, config_path, load_config, parse_config
from rolldeck.console.screens.confirm import ConfirmModal
from rolldeck.console.screens.fleet import FleetScreen, FleetTable
from rolldeck.simulator.backend import SimulatorBackend

from .helpers import console_app, first_release, is_canary_at, select_release

ROOT = Path(__file__).parents[2]
SIZE = (140, 40)

GOOD = """\
regions:
  prod-eu-west-1: europe
protected: ["prod-*"]
read_only: ["staging-*"]
slo: {success: 0.995, latency_ms: 300}
weight_steps: [0, 2, 20, 100]
keys:
  abort: x
theme: nord
"""


class TestPath:
    def test_env_override_wins(self) -> None:
        assert config_path({"ROLLDECK_CONFIG": "/etc/rd.yaml", "XDG_CONFIG_HOME": "/x"}) == Path("/etc/rd.yaml")

    def test_xdg_then_home(self) -> None:
        assert config_path({"XDG_CONFIG_HOME": "/x"}) == Path("/x/rolldeck/config.yaml")
        assert config_path({"HOME": "/home/op"}) == Path("/home/op/.config/rolldeck/config.yaml")


class TestParsing:
    def test_a_full_config(self) -> None:
        config = parse_config(GOOD, "c.yaml")
        assert config.region_of("prod-eu-west-1", "eu-west-1") == "europe"
        assert config.is_protected("prod-us-east-1") and not config.is_protected("staging-1")
        assert config.is_read_only("staging-1")
        judge = config.judge_config()
        assert judge.error_budget == pytest.approx(0.005) and judge.latency_label == "300 ms"
        assert config.weight_steps == [0, 2, 20, 100] and config.keys == {"abort": "x"} and config.theme == "nord"

    def test_missing_and_empty_files_mean_defaults(self, tmp_path: Path) -> None:
        assert load_config(tmp_path / "absent.yaml") == ConsoleConfig()
        empty = tmp_path / "empty.yaml"
        empty.write_text("")
        assert load_config(empty) == ConsoleConfig()
        assert ConsoleConfig().is_protected("prod-eu-west-1")  # safe by default

    @pytest.mark.parametrize(
        ("text", "line"),
        [
            ("protcted: [prod-*]\n", "c.yaml:1:1: protcted: unknown key"),
            ("slo:\n  success: 1.5\n", "c.yaml:2:12: slo.success: Input should be less than 1"),
            ("slo:\n  succes: 0.99\n", "c.yaml:2:3: slo.succes: unknown key"),
            ("weight_steps: [0, 50, 10]\n", "c.yaml:1:15: weight_steps: weight steps must be strictly increasing"),
            ("keys:\n  abort: x\n  explode: y\n", "c.yaml:3:3: keys.explode: unknown binding id (known: "),
            ("theme: neon\n", "c.yaml:1:8: theme: unknown theme 'neon' (known: "),
            ("read_only: prod\n", "c.yaml:1:12: read_only: Input should be a valid list"),
            ("protected: [prod-*\n", "c.yaml:2:1: YAML syntax: "),
            ("- a\n- b\n", "c.yaml:1:1: the config must be a mapping of keys to values"),
        ],
    )
    def test_errors_name_the_file_line_and_column(self, text: str, line: str) -> None:
        with pytest.raises(ConfigError) as caught:
            parse_config(text, "c.yaml")
        assert caught.value.one_line().startswith(line)
        assert "\n" not in caught.value.one_line()

    def test_an_unreadable_config_is_one_line(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError) as caught:
            load_config(tmp_path)  # a directory where the file should be
        assert caught.value.one_line() == f"{tmp_path}:1:1: cannot read: not a regular file (a directory)"

    def test_several_problems_are_counted_on_the_one_line(self) -> None:
        with pytest.raises(ConfigError) as caught:
            parse_config("colour: red\nstale_after_s: -1\n", "c.yaml")
        assert caught.value.one_line().startswith("c.yaml:1:1: colour: unknown key")
        assert caught.value.one_line().endswith("(and 1 more problem)")


class TestCli:
    def rolldeck(self, *args: str, config: Path) -> subprocess.CompletedProcess[str]:
        env = {"ROLLDECK_CONFIG": str(config), "PATH": "/usr/bin:/bin", "HOME": str(config.parent)}
        return subprocess.run(
            [sys.executable, "-m", "rolldeck.console", *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
        )

    def test_config_path_prints_the_path(self, tmp_path: Path) -> None:
        result = self.rolldeck("config", "path", config=tmp_path / "rd.yaml")
        assert result.returncode == 0 and result.stdout.strip() == str(tmp_path / "rd.yaml")

    def test_an_invalid_config_stops_the_console_with_one_line(self, tmp_path: Path) -> None:
        bad = tmp_path / "rd.yaml"
        bad.write_text("protected: [prod-*]\nreadonly: [staging-*]\n")
        for args in (("sim", "canary-5xx"), ()):
            result = self.rolldeck(*args, config=bad)
            assert result.returncode == 1
            lines = result.stderr.strip().splitlines()
            assert lines[0] == f"{bad}:2:1: readonly: unknown key"
            assert "--default-config" in lines[1] and "Traceback" not in result.stderr
        check = self.rolldeck("config", "check", config=bad)
        assert check.returncode == 1 and check.stderr.strip() == f"{bad}:2:1: readonly: unknown key"

    def test_config_check_accepts_a_good_file(self, tmp_path: Path) -> None:
        good = tmp_path / "rd.yaml"
        good.write_text(GOOD)
        result = self.rolldeck("config", "check", config=good)
        assert result.returncode == 0 and result.stdout.strip() == f"{good}: ok"

    @pytest.mark.parametrize(
        ("metrics", "line"),
        [
            ("  prometheus: http://ops:hunter2-pw@127.0.0.1:9090\n", "3:15: metrics.prometheus: credentials in the Prometheus URL are not supported"),
            ("  prometheus: file:///etc/passwd\n", "3:15: metrics.prometheus: Prometheus URL must be http(s)://host[:port][/path]"),
            ("  prometheus: http://127.0.0.1:9090\n  token_env: RD_UNSET_TOKEN\n", "4:14: metrics.token_env: environment variable RD_UNSET_TOKEN is not set"),
        ],
    )
    def test_config_check_refuses_what_live_refuses(self, tmp_path: Path, metrics: str, line: str) -> None:
        """One validator for both (issue 11, item 10): a file `check` passes, `live` takes."""
        config = tmp_path / "rd.yaml"
        config.write_text("theme: nord\nmetrics:\n" + metrics)
        check = self.rolldeck("config", "check", config=config)
        live = self.rolldeck("live", config=config)
        assert check.returncode == 1 and check.stderr.startswith(f"{config}:{line}")
        assert live.returncode == 1 and live.stderr.splitlines()[0] == check.stderr.strip()
        for result in (check, live):
            assert "hunter2" not in result.stderr + result.stdout and "Traceback" not in result.stderr

    def test_autopilot_needs_a_plan(self, tmp_path: Path) -> None:
        result = self.rolldeck("sim", "fleet-default", "--autopilot", config=tmp_path / "none.yaml")
        assert result.returncode == 2 and "declares no autopilot plan" in result.stderr

    def test_default_config_flag_starts_with_defaults_and_says_so(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        bad = tmp_path / "rd.yaml"
        bad.write_text("theme: neon\n")
        monkeypatch.setenv("ROLLDECK_CONFIG", str(bad))
        assert tui_config(argparse.Namespace(default_config=False)) is None
        assert tui_config(argparse.Namespace(default_config=True)) == ConsoleConfig()
        err = capsys.readouterr().err.splitlines()
        assert err[0].startswith(f"{bad}:1:8: theme: unknown theme 'neon'")
        assert err[-1] == f"rolldeck: starting with the default config (--default-config); {bad} was not used"


class TestEffects:
    @pytest.mark.asyncio
    async def test_keymap_theme_regions_and_weight_steps_apply(self, backend: SimulatorBackend) -> None:
        config = parse_config(GOOD.replace('protected: ["prod-*"]', "protected: []"), "c.yaml")
        app = console_app(backend, config=config)
        canary = first_release(backend.snapshot(), is_canary_at(5))
        manual = first_release(backend.snapshot(), is_canary_at(0))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert app.theme == "nord"
            table = app.screen.query_one(FleetTable)
            assert "region:europe" in table.row_keys
            assert table.rendered(str(manual.ref))[0] == "europe"  # type: ignore[index]

            await select_release(pilot, app, canary.ref)
            await pilot.press("a")  # remapped away
            await pilot.pause()
            assert isinstance(app.screen, FleetScreen)
            await pilot.press("x")
            await pilot.pause()
            modal = app.screen
            assert isinstance(modal, ConfirmModal) and modal.proposal.verb == "abort"
            await pilot.press("escape")

            await select_release(pilot, app, manual.ref)
            await pilot.press("right_square_bracket")  # the config's steps: 0 → 2 %, not the default 1 %
            await pilot.pause()
            modal = app.screen
            assert isinstance(modal, ConfirmModal) and modal.proposal.diff.startswith("canary 0% → 2%")
