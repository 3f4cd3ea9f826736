"""The console's pure formatting rules, on hand-built releases (no app, no simulator)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.widgets import DataTable

from rolldeck.console import format as fmt
from rolldeck.console.commands import CATALOGUE, Scope
from rolldeck.console.screens.release import release_heading
from rolldeck.console.widgets.split_bar import BAR_WIDTH, block_widths
from rolldeck.engine.model import ReleaseState, Split, Strategy
from rolldeck.engine.steps import WeightStep

from .fake_backend import default_fleet


def canary() -> ReleaseState:
    return next(r for r in default_fleet() if r.strategy is Strategy.CANARY)


def blue_green() -> ReleaseState:
    return next(r for r in default_fleet() if r.strategy is Strategy.BLUE_GREEN)


NINE_STEPS = tuple(WeightStep(w) for w in (5, 10, 20, 30, 40, 50, 60, 80, 90))


class TestStepPosition:
    def test_counts_from_one_and_a_finished_rollout_reads_its_last_step(self) -> None:
        stepped = replace(canary(), step=2, steps=NINE_STEPS)
        assert fmt.step_position(stepped) == "3/9"
        finished = replace(stepped, step=9)  # Argo's currentStepIndex == len(steps) once it is done
        assert fmt.step_position(finished) == "9/9"  # the trial saw 'Healthy (step 10/9)'
        assert fmt.step_position(replace(stepped, step=None)) == ""

    def test_release_heading_uses_it(self) -> None:
        finished = replace(canary(), step=9, steps=NINE_STEPS)
        assert "step 9/9" in release_heading(finished, "eu").plain and "10/9" not in release_heading(finished, "eu").plain


class TestTraffic:
    def test_canary_shows_one_number_when_settled(self) -> None:
        assert fmt.traffic(canary()) == "5%"

    def test_canary_shows_desired_then_observed_while_lagging(self) -> None:
        lagging = replace(canary(), desired=Split.of(stable=90, canary=10))
        assert fmt.traffic(lagging) == "10→5%"

    def test_blue_green_shows_the_active_slot(self) -> None:
        assert fmt.traffic(blue_green()) == "blue"

    def test_blue_green_shows_desired_then_observed_slot_while_lagging(self) -> None:
        switching = replace(blue_green(), active_slot="green", desired=Split.of(blue=0, green=100))
        assert fmt.traffic(switching) == "green→blue"


class TestCells:
    def test_ready_pods_stable_first(self) -> None:
        assert fmt.ready_pods(canary()) == "4/4 · 2/2"

    @pytest.mark.parametrize(
        ("ratio", "text"), [(None, "—"), (1.0, "100.0%"), (0.99874, "99.9%"), (0.0, "0.0%")]
    )
    def test_percent_never_turns_no_data_into_success(self, ratio: float | None, text: str) -> None:
        assert fmt.percent(ratio) == text

    @pytest.mark.parametrize(("seconds", "text"), [(0, "00:00:00"), (120, "00:02:00"), (90061, "25:01:01")])
    def test_clock(self, seconds: float, text: str) -> None:
        assert fmt.clock(seconds) == text

    @pytest.mark.parametrize(("rps", "text"), [(8.44, "8.4"), (120.4, "120"), (1234, "1.2k"), (25_000, "25k")])
    def test_rate(self, rps: float, text: str) -> None:
        assert fmt.rate(rps) == text

    def test_millis(self) -> None:
        assert fmt.millis(0.2484) == "248"
        assert fmt.millis(None) == "—"


class TestSplitBar:
    def test_bar_is_always_full_and_a_one_percent_canary_is_visible(self) -> None:
        widths = dict(block_widths(Split.of(stable=99, canary=1)))
        assert widths["canary"] == 1
        assert sum(widths.values()) == BAR_WIDTH

    def test_empty_split_draws_nothing(self) -> None:
        assert block_widths(Split()) == []


def test_catalogue_ids_and_keys_are_unique() -> None:
    ids = [command.id for command in CATALOGUE]
    keys = [key for command in CATALOGUE for key in command.keys.split(",")]
    assert len(ids) == len(set(ids))
    assert len(keys) == len(set(keys))


def test_app_keys_leave_the_data_tables_navigation_alone() -> None:
    table_keys = {key for binding in DataTable.BINDINGS for key in binding.key.split(",")}  # type: ignore[union-attr]
    ours = {key for command in CATALOGUE if command.scope is Scope.APP for key in command.keys.split(",")}
    assert not ours & table_keys


def test_unwrap_reflows_lines_but_keeps_paragraphs() -> None:
    assert fmt.unwrap("a normal\nTuesday.\n\nWatch\n  splits.\n") == "a normal Tuesday.\n\nWatch splits."


@pytest.mark.parametrize(
    ("seconds", "text"), [(None, "—"), (0, "0s"), (45, "45s"), (90, "1m30s"), (600, "10m"), (7200, "2h"), (7260, "2h01m")]
)
def test_duration(seconds: float | None, text: str) -> None:
    assert fmt.duration(seconds) == text


def test_meter_fills_to_the_evidence_gate_and_no_further() -> None:
    assert fmt.meter(0, 1000, 10) == "░" * 10
    assert fmt.meter(600, 1000, 10) == "██████░░░░"
    assert fmt.meter(5000, 1000, 10) == "█" * 10
