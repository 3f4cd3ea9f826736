"""Each fault type does to the world what its real counterpart does (scenario-catalogue.md)."""

from __future__ import annotations

import pytest

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.model import Phase, ReleaseRef
from rolldeck.engine.operator import Operator
from rolldeck.engine.port import ApplyError
from rolldeck.simulator.backend import SimulatorBackend
from rolldeck.simulator.drill import run_drill
from rolldeck.simulator.library import list_scenarios, load_scenario
from rolldeck.simulator.pods import PodState
from rolldeck.simulator.state import ERRORS, REQUESTS, SHADOW, USER_BAD


def backend(name: str, **changes) -> SimulatorBackend:
    scenario = load_scenario(name)
    if changes:
        scenario = scenario.model_copy(update=changes)
    return SimulatorBackend(scenario, paused=True)


def release_at(b: SimulatorBackend, cluster: str, name: str, t: float):
    b.run_until(t)
    return b.snapshot().release(ReleaseRef(cluster, name))


@pytest.mark.parametrize("entry", list_scenarios(), ids=lambda e: e.name)
def test_every_library_scenario_runs_headless_for_its_full_length(entry):
    import time

    scenario = load_scenario(entry.name)
    report = run_drill(scenario, until=scenario.duration, actions=[], wall_clock=time.time).report
    assert report["sim_time_s"] == scenario.duration
    assert scenario.briefing.strip() and scenario.expected_action.strip()
    for release in report["releases"]:
        assert sum(release["observed"].values()) == 100


def test_memory_leak_ooms_the_canary_in_a_sawtooth():
    b = backend("canary-memory-leak")
    canary = release_at(b, "prod-eu-west-1", "checkout", 60).version("canary")
    assert canary.restarts == 0
    # 200 → 512 MB at 60 MB/min: the first OOM kills come at ~5.2 min, then every ~5.5 min
    counts = [release_at(b, "prod-eu-west-1", "checkout", t).version("canary").restarts for t in (330, 700, 1050)]
    assert 0 < counts[0] < counts[1] < counts[2]
    stable = b.snapshot().release(ReleaseRef("prod-eu-west-1", "checkout")).version("stable")
    assert stable.restarts == 0


def test_crash_loop_backs_off_and_stalls_the_rolling_update_until_its_deadline():
    b = backend("rolling-crash-loop")
    release = release_at(b, "prod-us-east-1", "orders", 120)
    new, old = release.version("new"), release.version("old")
    assert new.replicas.ready == 0 and new.replicas.desired > 0 and new.restarts > 0
    assert old.replicas.ready >= 6  # maxUnavailable 25 % of 8 holds
    assert release.phase is Phase.PROGRESSING and release.observed.weight("new") == 0
    pods = b.world.release(release.ref).version("new").pods
    assert any(p.state is PodState.BACKOFF for p in pods)
    restarts_2m = new.restarts
    # Back-off doubles (10, 20, 40 … s, capped at 5 min): far fewer restarts in the next 4 minutes
    restarts_6m = release_at(b, "prod-us-east-1", "orders", 360).version("new").restarts
    assert restarts_6m - restarts_2m < restarts_2m * 2
    late = release_at(b, "prod-us-east-1", "orders", 400)
    assert late.phase is Phase.DEGRADED and "ProgressDeadlineExceeded" in late.message


@pytest.mark.asyncio
async def test_aborting_a_stalled_rolling_update_rolls_back():
    b = backend("rolling-crash-loop")
    operator = Operator(b, AuditLog(None, wall_clock=lambda: 0.0))
    b.run_until(120)
    ref = ReleaseRef("prod-us-east-1", "orders")
    assert (await operator.execute(operator.plan(Action(ActionKind.ABORT, ref)), actor="t")).ok
    release = release_at(b, "prod-us-east-1", "orders", 200)
    assert release.version("old").replicas.ready == 8 and release.version("new").replicas.desired == 0


def test_a_healthy_rolling_update_completes_with_max_surge():
    b = backend("rolling-crash-loop", faults=[])
    for t in range(1, 120):
        release = release_at(b, "prod-us-east-1", "orders", t)
        old, new = release.version("old").replicas, release.version("new").replicas
        assert old.desired + new.desired <= 8 + 2  # maxSurge 25 % of 8, rounded up
        assert old.ready + new.ready >= 8 - 2  # maxUnavailable 25 % of 8, rounded down
    done = release_at(b, "prod-us-east-1", "orders", 300)
    assert done.phase is Phase.HEALTHY and done.stable.revision == "v4.3.0"


def test_node_drain_dips_capacity_and_self_heals():
    b = backend("node-drain-mid-rollout")
    before = release_at(b, "prod-us-east-1", "search", 239)
    during = release_at(b, "prod-us-east-1", "search", 242)
    ready = lambda r: sum(v.replicas.ready for v in r.versions)  # noqa: E731
    assert ready(during) < ready(before)
    after = release_at(b, "prod-us-east-1", "search", 300)
    assert ready(after) == ready(before)


def test_shadow_errors_load_the_canary_but_never_count_against_users():
    b = backend("shadow-traffic")
    b.run_until(300)
    canary = b.world.release(ReleaseRef("prod-eu-west-1", "recommendations")).version("canary")
    assert canary.totals[REQUESTS] > 0 and canary.totals[SHADOW] == canary.totals[REQUESTS]
    assert canary.totals[ERRORS] / canary.totals[REQUESTS] == pytest.approx(0.10, abs=0.01)
    assert canary.totals[USER_BAD] == 0


@pytest.mark.asyncio
async def test_set_mirror_zero_stops_the_copies():
    b = backend("shadow-traffic")
    operator = Operator(b, AuditLog(None, wall_clock=lambda: 0.0))
    ref = ReleaseRef("prod-eu-west-1", "recommendations")
    b.run_until(60)
    plan = operator.plan(Action(ActionKind.SET_MIRROR, ref, percent=0))
    assert plan.ok, plan.refusal
    assert (await operator.execute(plan, actor="t")).ok
    b.run_until(90)
    assert b.snapshot().release(ref).mirror is None
    assert b.snapshot().release(ref).version("canary").signals.requests == 0


def test_region_outage_with_failover_moves_users_to_the_survivors():
    from rolldeck.simulator.scenario import RegionOutageFault

    scenario = load_scenario("region-outage")
    fault = RegionOutageFault(type="region_outage", at=180, target={"region": "eu-west-1"}, params={"failover": True})
    b = SimulatorBackend(scenario.model_copy(update={"faults": [fault]}), paused=True)
    us_before = release_at(b, "prod-us-east-1", "checkout", 170)
    rps_before = sum(v.signals.rps for v in us_before.versions)
    eu = release_at(b, "prod-eu-west-1", "checkout", 260)
    us = b.snapshot().release(ReleaseRef("prod-us-east-1", "checkout"))
    assert sum(v.signals.requests for v in eu.versions) == 0
    assert sum(v.signals.rps for v in us.versions) == pytest.approx(2 * rps_before, rel=0.1)


@pytest.mark.asyncio
async def test_api_server_outage_freezes_the_cluster_view_and_refuses_commands():
    b = backend("control-plane-degraded")
    operator = Operator(b, AuditLog(None, wall_clock=lambda: 0.0))
    ref = ReleaseRef("prod-eu-west-1", "checkout")
    b.run_until(420)
    cluster = b.snapshot().cluster("prod-eu-west-1")
    assert not cluster.health.reachable and cluster.health.last_update_age_s == pytest.approx(60, abs=1)
    assert b.snapshot().cluster("prod-us-east-1").health.reachable
    outcome = await operator.execute(operator.plan(Action(ActionKind.PAUSE, ref)), actor="t")
    assert not outcome.ok and "reachable" in outcome.message
    b.run_until(700)
    assert b.snapshot().cluster("prod-eu-west-1").health.reachable


def test_propagation_delay_spike_keeps_desired_and_observed_apart():
    b = backend("control-plane-degraded")
    release = release_at(b, "prod-us-east-1", "checkout", 185)  # the 25 % step starts at 180 s
    assert release.desired.weight("canary") == 25 and release.observed.weight("canary") == 5
    assert release_at(b, "prod-us-east-1", "checkout", 215).observed.weight("canary") == 5
    assert release_at(b, "prod-us-east-1", "checkout", 240).observed.weight("canary") == 25


def test_cold_start_spikes_latency_after_the_switch_then_decays():
    b = backend("blue-green-cold-start")
    ref = ReleaseRef("prod-us-east-1", "search")
    b.run_until(200)
    switched = b.snapshot().release(ref)
    assert switched.active_slot == "green"
    p99_early = b.snapshot().release(ref).version("green").signals.p99
    later = release_at(b, "prod-us-east-1", "search", 600).version("green").signals.p99
    assert p99_early > 1.5 * later


def test_noisy_neighbour_slows_only_the_pods_on_its_node():
    b = backend("noisy-neighbour")
    healthy = release_at(b, "prod-eu-west-1", "checkout", 110).version("canary").signals.p99
    noisy = release_at(b, "prod-eu-west-1", "checkout", 400)
    assert noisy.version("canary").signals.p99 > healthy
    assert noisy.version("stable").signals.success_ratio > 0.99


def test_dns_failure_on_the_canary_gives_fast_503s_only_there():
    b = backend("dns-failure-canary")
    release = release_at(b, "prod-eu-west-1", "catalog", 400)
    canary, stable = release.version("canary").signals, release.version("stable").signals
    assert canary.errors / canary.requests == pytest.approx(0.2, abs=0.05)
    assert stable.errors / stable.requests < 0.01
    fast = canary.cumulative[0]  # le=5 ms: the failed lookups answer in ~2 ms
    assert fast >= canary.errors * 0.9


def test_dependency_loss_gives_errors_and_a_latency_plateau_at_its_timeout():
    b = backend("dependency-network-loss")
    release = release_at(b, "prod-eu-west-1", "payments", 600)
    for version in release.versions:
        s = version.signals
        assert s.errors / s.requests == pytest.approx(0.3, abs=0.05)
        assert 2.0 <= s.p99 <= 2.5  # the le bucket holding the 2 s hang


def test_certificate_expiry_fails_every_version_at_once():
    b = backend("dependency-cert-expiry")
    release = release_at(b, "prod-us-east-1", "orders", 500)
    assert all(v.signals.success_ratio < 0.05 for v in release.versions if v.signals.requests)
    recovered = release_at(b, "prod-us-east-1", "orders", 1000)
    assert all(v.signals.success_ratio > 0.99 for v in recovered.versions if v.signals.requests)


def test_the_library_covers_the_catalogue():
    names = {e.name for e in list_scenarios()}
    assert len(names) >= 12
    types = {f.type for name in names for f in load_scenario(name).faults}
    assert {
        "error_rate", "latency", "memory_leak", "crash_loop", "region_outage", "dependency_slowdown",
        "dependency_loss", "traffic_spike", "metrics_outage", "pod_kill", "node_drain", "dns_failure",
        "noisy_neighbour", "cold_start", "certificate_expiry", "propagation_delay", "api_unavailable",
    } <= types


@pytest.mark.asyncio
async def test_shadow_traffic_loads_the_shared_dependency_and_slows_stable_until_the_mirror_stops():
    b = backend("shadow-traffic")
    operator = Operator(b, AuditLog(None, wall_clock=lambda: 0.0))
    ref = ReleaseRef("prod-eu-west-1", "recommendations")
    mirrored = release_at(b, "prod-eu-west-1", "recommendations", 120).version("stable").signals
    assert (await operator.execute(operator.plan(Action(ActionKind.SET_MIRROR, ref, percent=0)), actor="t")).ok
    alone = release_at(b, "prod-eu-west-1", "recommendations", 240).version("stable").signals
    # 600 rps on a dependency of 800 (ρ 0.75: 32 ms a call) vs 300 rps (ρ 0.375: 13 ms)
    assert mirrored.quantile(0.5) > alone.quantile(0.5) + 0.012


# Every condition a version-level fault switches on goes back when the fault ends (``until``).
_ENDING_FAULTS = {
    "latency": {"add_ms": 80, "factor": 4.0},
    "dependency_loss": {"failure_rate": 0.5, "timeout_ms": 900},
    "cold_start": {"factor": 5.0, "decay": "30s"},
    "error_rate": {"error_rate": 0.2},
    "dns_failure": {"error_rate": 0.5},
    "memory_leak": {"mb_per_min": 30},
    "crash_loop": {},
}
_CONDITIONS = (
    "error_rate_override", "latency_add_s", "latency_factor", "fast_error_rate", "timeout_rate",
    "dependency_timeout_s", "crash_looping", "leak_mb_per_s", "cold_factor", "cold_decay_s",
)


@pytest.mark.parametrize("fault_type", sorted(_ENDING_FAULTS))
def test_a_fault_with_until_switches_every_condition_it_set_back_off(fault_type):
    import dataclasses

    from pydantic import TypeAdapter

    from rolldeck.simulator.scenario import Fault
    from rolldeck.simulator.state import VersionSim

    target = {"release": "checkout", "version": "candidate"}
    fault = {"at": "1m", "until": "3m", "type": fault_type, "target": target, "params": _ENDING_FAULTS[fault_type]}
    b = backend("canary-5xx", faults=[TypeAdapter(Fault).validate_python(fault)])
    defaults = {f.name: f.default for f in dataclasses.fields(VersionSim) if f.name in _CONDITIONS}
    canary = b.world.release(ReleaseRef("prod-eu-west-1", "checkout")).version("canary")
    b.run_until(120)
    assert {k: getattr(canary, k) for k in _CONDITIONS} != defaults  # the fault is on
    b.run_until(240)
    assert {k: getattr(canary, k) for k in _CONDITIONS} == defaults
