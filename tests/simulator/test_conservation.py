"""Conservation properties of the fluid data plane over random small scenarios (hypothesis).

Every tick, for every version: arrivals = served + shed + still queued (the fluid backlog; errors
and timeouts are among the served), the backlog is never negative and nothing is served back.
Every signal row has no negative count, no more errors (or slow, shed, shadow, user-bad requests)
than requests, and its le buckets add up to its requests. Route weights always sum to 100.
Scenarios mix the three strategies, overload (few slots, tight queue limits and client timeouts)
and faults: traffic spikes, crash loops, pod kills, node drains, region outages and more.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rolldeck.simulator.scenario import Scenario
from rolldeck.simulator.state import ERRORS, FIRST_LE, REQUESTS, SHADOW, SHED, SLOW, TIMEOUTS, USER_BAD
from rolldeck.simulator.world import World

TICKS = 60
TOLERANCE = 1e-6  # relative, on float totals


@st.composite
def service_times(draw) -> dict:
    dist = draw(st.sampled_from(["exponential", "lognormal", "mixture"]))
    mean = draw(st.floats(5.0, 300.0))
    if dist == "exponential":
        return {"dist": dist, "mean_ms": mean}
    if dist == "lognormal":
        return {"dist": dist, "mean_ms": mean, "cv": draw(st.floats(0.2, 3.0))}
    return {
        "dist": "mixture",
        "components": [
            {"weight": 0.9, "dist": "exponential", "mean_ms": mean / 4},
            {"weight": 0.1, "dist": "lognormal", "mean_ms": mean * 5, "cv": draw(st.floats(0.3, 2.0))},
        ],
    }


@st.composite
def faults(draw, two_regions: bool) -> list[dict]:
    kinds = ["traffic_spike", "crash_loop", "pod_kill", "error_rate", "latency", "dependency_loss",
             "dns_failure", "node_drain", "noisy_neighbour", "cold_start", "propagation_delay"]
    if two_regions:
        kinds.append("region_outage")
    out = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(kinds))
        at = draw(st.integers(0, 45))
        until = draw(st.one_of(st.none(), st.integers(at + 1, at + 40)))
        target: dict = {"version": draw(st.sampled_from(["stable", "candidate", "all"]))}
        params: dict = {}
        if kind == "traffic_spike":
            params = {"factor": draw(st.floats(0.2, 20.0))}
            target = {}
        elif kind == "pod_kill":
            params = {"count": draw(st.integers(1, 3))}
        elif kind == "error_rate":
            params = {"error_rate": draw(st.floats(0.0, 1.0))}
        elif kind == "latency":
            params = {"factor": draw(st.floats(0.5, 10.0)), "add_ms": draw(st.floats(0.0, 500.0))}
        elif kind == "dependency_loss":
            params = {"failure_rate": draw(st.floats(0.0, 1.0)), "timeout_ms": draw(st.floats(10.0, 3000.0))}
        elif kind == "dns_failure":
            params = {"error_rate": draw(st.floats(0.0, 1.0))}
        elif kind in ("node_drain", "noisy_neighbour"):
            target = {"node": draw(st.integers(0, 2))}
        elif kind == "cold_start":
            params = {"factor": draw(st.floats(1.0, 5.0)), "decay": draw(st.floats(1.0, 60.0))}
        elif kind == "propagation_delay":
            params = {"delay": draw(st.floats(0.0, 20.0))}
            target = {}
        elif kind == "region_outage":
            target = {"region": "r1"}
            params = {"failover": draw(st.booleans())}
        out.append({"type": kind, "at": at, "until": until, "target": target, "params": params})
    return out


@st.composite
def scenarios(draw) -> Scenario:
    two_regions = draw(st.booleans())
    regions = ["r1", "r2"] if two_regions else ["r1"]
    strategy = draw(st.sampled_from(["canary", "blue-green", "rolling"]))
    release = {
        "name": "api",
        "strategy": strategy,
        "rps": draw(st.floats(1.0, 3000.0)),
        "concurrency": draw(st.integers(1, 8)),
        "queue_limit": draw(st.integers(1, 200)),
        "timeout": draw(st.floats(0.2, 10.0)),
        "lb": draw(st.sampled_from(["random", "least_request"])),
        "propagation_delay": draw(st.floats(0.0, 5.0)),
        "readiness_delay": draw(st.floats(1.0, 10.0)),
        "stable": {"revision": "v1", "pods": draw(st.integers(1, 6)), "error_rate": draw(st.floats(0.0, 0.2)),
                   "service_time": draw(service_times())},
        "candidate": {"revision": "v2", "pods": draw(st.integers(0, 4)), "error_rate": draw(st.floats(0.0, 0.5)),
                      "service_time": draw(service_times())},
    }
    if strategy == "canary":
        weights = sorted(draw(st.lists(st.sampled_from([5, 10, 25, 50, 100]), max_size=3, unique=True)))
        release["steps"] = [{"weight": w, "bake": draw(st.integers(3, 15))} for w in weights]
        release["mirror"] = draw(st.sampled_from([0, 0, 20, 100]))
    elif strategy == "blue-green":
        release["auto_promote_after"] = draw(st.integers(1, 20))
        release["scale_down_delay"] = draw(st.integers(1, 20))
    return Scenario.model_validate(
        {
            "scenario": "conservation",
            "title": "conservation property",
            "briefing": "-",
            "seed": draw(st.integers(0, 2**31 - 1)),
            "duration": TICKS,
            "latency_samples": 64,
            "regions": {r: {"diurnal_amplitude": draw(st.floats(0.0, 0.5))} for r in regions},
            "clusters": [{"name": f"c-{r}", "region": r, "nodes": 3} for r in regions],
            "releases": [{**release, "cluster": f"c-{r}"} for r in regions],
            "faults": draw(faults(two_regions)),
        }
    )


def check_tick(world: World, served_before: dict[tuple, float]) -> None:
    tick = world.tick_count - 1
    for release in world.releases:
        assert sum(release.effective.values()) == 100, (tick, release.ref, release.effective)
        assert sum(release.desired.values()) == 100, (tick, release.ref, release.desired)
        for version in release.versions:
            where = (tick, str(release.ref), version.name)
            scale = max(1.0, version.arrivals_total)
            balance = version.arrivals_total - version.served_total - version.shed_total - version.backlog
            assert abs(balance) <= TOLERANCE * scale, (where, balance)
            assert version.backlog >= 0.0, where
            key = (release.ref, version.name)
            assert version.served_total >= served_before.get(key, 0.0) - TOLERANCE * scale, where
            served_before[key] = version.served_total
            row = version.ring[tick % version.window_ticks]
            slack = TOLERANCE * max(1.0, row[REQUESTS])
            assert (row >= -slack).all(), (where, row[:FIRST_LE])
            requests = row[REQUESTS]
            for column in (ERRORS, SLOW, SHED, TIMEOUTS, SHADOW):
                assert row[column] <= requests + slack, (where, column, row[:FIRST_LE])
            assert row[SHED] + row[TIMEOUTS] <= row[ERRORS] + slack, (where, row[:FIRST_LE])
            assert row[USER_BAD] <= requests - row[SHADOW] + slack, (where, row[:FIRST_LE])
            assert abs(row[FIRST_LE:].sum() - requests) <= slack, (where, row[FIRST_LE:].sum(), requests)


@settings(
    max_examples=30, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(scenarios())
def test_every_tick_conserves_requests_and_keeps_counts_sane(scenario: Scenario):
    world = World(scenario)
    served: dict[tuple, float] = {}
    for t in range(1, TICKS + 1):
        world.run_until(t)
        assert world.tick_count == t
        check_tick(world, served)
    arrivals = sum(v.arrivals_total for r in world.releases for v in r.versions)
    requests = sum(v.totals[REQUESTS] for r in world.releases for v in r.versions)
    assert np.isclose(arrivals, requests)  # every arrival is a request in some tick's row
