"""Autopilot drills on the scenario library: abort what the release broke, hold on what it didn't."""

from __future__ import annotations

import time

import pytest

from rolldeck.simulator.drill import run_drill
from rolldeck.simulator.library import load_scenario


def drill(name: str, until: float | None = None) -> dict:
    scenario = load_scenario(name)
    return run_drill(scenario, until=until or scenario.duration, actions=[], wall_clock=time.time, autopilot=True).report


def kinds(report: dict, release: str | None = None) -> list[str]:
    return [e["kind"] for e in report["autopilot"] if release is None or e["release"] == release]


def final(report: dict, release: str) -> dict:
    return next(r for r in report["releases"] if r["release"] == release)


@pytest.mark.parametrize("name", ["canary-5xx", "canary-latency-regression", "canary-region-failure"])
def test_the_autopilot_aborts_bad_canaries(name):
    report = drill(name)
    assert "abort" in kinds(report) and "promote" not in kinds(report)
    for release in report["releases"]:
        assert release["aborted"] and release["observed"]["canary"] == 0
    aborts = [r for r in report["audit"] if r["action"] == "abort"]
    assert aborts and all(r["actor"] == "autopilot" and r["result"] == "applied" for r in aborts)
    assert all("canary" in r["evidence"] and "requests" in r["evidence"] for r in aborts)


def test_canary_5xx_is_caught_within_four_minutes_of_the_fault():
    report = drill("canary-5xx")
    abort = next(e for e in report["autopilot"] if e["kind"] == "abort")
    # The error rate jumps at 4m. A Fail needs evidence from several one-minute intervals, and the
    # healthy minutes before the jump count against it (docs/judge.md): about three minutes here.
    assert 240 <= abort["time"] <= 480


def test_a_region_specific_failure_aborts_every_region():
    report = drill("canary-region-failure")
    aborted = {e["release"] for e in report["autopilot"] if e["kind"] == "abort"}
    assert aborted == {"prod-eu-west-1/checkout", "prod-us-east-1/checkout", "prod-ap-southeast-1/checkout"}
    assert all(e["message"].startswith("aborted: eu-west-1:") for e in report["autopilot"] if e["kind"] == "abort")
    # α (1 %) is shared over 4 tests × the rollout's 3 regions × its 2 analysed steps: fail at e ≥ 2,400.
    assert all("≥ 2,400 over" in e["message"] for e in report["autopilot"] if e["kind"] == "abort")


@pytest.mark.parametrize("name", ["dependency-slowdown", "traffic-spike", "region-outage"])
def test_the_autopilot_holds_when_the_fault_is_not_the_release(name):
    report = drill(name)
    assert "abort" not in kinds(report)
    hold = next(e for e in report["autopilot"] if e["kind"] == "hold")
    assert "not the release" in hold["message"]
    held = final(report, hold["release"])
    assert held["paused"] and not held["aborted"] and held["observed"]["canary"] > 0


def test_the_autopilot_freezes_on_a_metrics_outage_and_never_promotes_blind():
    report = drill("metrics-outage")
    assert kinds(report) == ["step", "freeze"]
    freeze = report["autopilot"][1]
    assert "no data" in freeze["message"]
    release = final(report, "prod-eu-west-1/checkout")
    assert release["paused"] and release["observed"]["canary"] == 10


def test_the_autopilot_holds_on_the_low_traffic_noise_trap():
    report = drill("low-traffic-noise")
    assert kinds(report) == ["step", "hold"]
    assert "not enough evidence" in report["autopilot"][1]["message"]
    assert not final(report, "prod-eu-west-1/inventory")["aborted"]


def test_a_healthy_canary_walks_its_regions_in_phases_and_is_promoted():
    report = drill("canary-healthy")
    events = [(e["release"], e["kind"]) for e in report["autopilot"]]
    eu_promoted = events.index(("prod-eu-west-1/checkout", "promote"))
    us_first_step = events.index(("prod-us-east-1/checkout", "step"))
    assert eu_promoted < us_first_step  # the canary region first, then the rest after a soak
    soak_gap = report["autopilot"][us_first_step]["time"] - report["autopilot"][eu_promoted]["time"]
    assert soak_gap >= 120
    assert "abort" not in kinds(report) and "hold" not in kinds(report)
    for release in report["releases"]:
        assert release["phase"] == "Healthy" and release["versions"][0]["revision"] == "v2.8.0"


def test_blue_green_autopilot_switches_and_watches():
    report = drill("blue-green-cutover")
    assert kinds(report) == ["step", "done"]
    assert final(report, "prod-us-east-1/search")["active_slot"] == "green"


def test_autopilot_drills_replay_exactly():
    assert drill("canary-region-failure", until=600) == drill("canary-region-failure", until=600)
