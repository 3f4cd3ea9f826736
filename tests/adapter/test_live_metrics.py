"""`rolldeck live` with a Prometheus in the config: live releases get real signals, the judge sees them."""

from __future__ import annotations

import pytest
import pytest_asyncio

from rolldeck.console.cli import live_signals
from rolldeck.console.config import parse_config
from tests.adapter import scenes
from tests.adapter.helpers import running_backend, wait_release
from tests.metrics.stub_prometheus import StubPrometheus, buckets, scalar

CONTEXT = "kind-test"
LE = {"0.005": 10, "0.01": 50, "0.025": 200, "0.05": 600, "0.1": 900, "0.25": 980, "0.5": 995, "1": 999, "2.5": 1000,
      "5": 1000, "10": 1000, "+Inf": 1000}


@pytest_asyncio.fixture
async def prometheus():
    async with StubPrometheus() as server:
        yield server


def config_for(url: str, extra: str = ""):
    return parse_config(
        f"metrics:\n  prometheus: {url}\n  default:\n    templates: app\n    selector: {{app: '{{name}}', version: '{{revision}}'}}\n{extra}",
        "config.yaml",
    )


@pytest.mark.asyncio
async def test_live_releases_get_signals_from_prometheus(fake_cluster, prometheus, tmp_path):
    for revision, requests, errors in (("v1", 10000, 10), ("v2", 1000, 40)):
        needle = f'version="{revision}"'
        prometheus.on("requests", needle, scalar(requests))
        prometheus.on("errors", needle, scalar(errors))
        prometheus.on("buckets", needle, buckets({k: v * requests / 1000 for k, v in LE.items()}))
    signals, problem = live_signals(config_for(prometheus.url))
    assert problem == "" and signals is not None
    scenes.argo_canary(fake_cluster.store)
    async with running_backend(fake_cluster.kubeconfig_path, context=fake_cluster.context, key_dir=tmp_path / "k",
                               signals=signals) as backend:
        release = await wait_release(backend, CONTEXT, "checkout", lambda r: r.version("canary") is not None
                                     and r.version("canary").signals.requests > 0)
    canary, stable = release.version("canary").signals, release.version("stable").signals
    assert (canary.requests, canary.errors) == (1000, 40) and (stable.requests, stable.errors) == (10000, 10)
    assert canary.slow == 5  # above the 0.5 s bucket
    queries = [seen.params["query"] for seen in prometheus.seen]
    assert any('app="checkout"' in q and 'version="v2"' in q for q in queries)


def test_a_missing_token_variable_is_one_line_and_no_source():
    config = config_for("http://127.0.0.1:9", "  token_env: ROLLDECK_TEST_TOKEN\n")
    signals, problem = live_signals(config, env={})
    assert signals is None
    assert problem == "config metrics.token_env: environment variable ROLLDECK_TEST_TOKEN is not set"


def test_credentials_in_the_prometheus_url_are_refused_without_echoing_them():
    signals, problem = live_signals(config_for("http://user:hunter2@127.0.0.1:9"))
    assert signals is None and problem.startswith("config metrics.prometheus:")
    assert "hunter2" not in problem


def test_no_prometheus_means_no_source():
    assert live_signals(parse_config("{}", "config.yaml")) == (None, "")


def test_running_totals_add_each_window_scaled_to_the_time_since_the_last_poll():
    from rolldeck.engine.kube.signals import RunningTotals
    from rolldeck.engine.model import Signals

    window = Signals(window_s=60.0, requests=600, errors=6, slow=12, bounds=(0.5,), cumulative=(588.0, 600.0))
    totals = RunningTotals()
    totals.add("c/app", {"canary": window}, now=100.0)
    first = totals.get("c/app", "canary")
    assert (first.requests, first.errors, first.slow) == (600, 6, 12)
    totals.add("c/app", {"canary": window}, now=115.0)  # 15 s later: a quarter of the window is new
    second = totals.get("c/app", "canary")
    assert (second.requests, second.errors, second.slow) == (750, 8, 15)
    assert second.cumulative == (735.0, 750.0) and second.window_s == 75.0
    assert totals.get("c/app", "stable") is None  # never answered: no data, not zeros


def test_running_totals_keep_every_error_at_one_request_per_second():
    """At 1 rps and 1 % errors a 60 s window holds 0–2 errors; a quarter of it is never a whole error."""
    import numpy as np

    from rolldeck.engine.kube.signals import RunningTotals
    from rolldeck.engine.model import Signals

    rng = np.random.default_rng(2024)
    hour, window, poll = 3600, 60, 15
    requests = rng.poisson(1.0, hour)  # per second
    errors = rng.binomial(requests, 0.01)
    totals = RunningTotals()
    for now in range(poll, hour + 1, poll):
        seen = slice(max(0, now - window), now)  # what increase(...[60s]) reports at this poll
        n, e = int(requests[seen].sum()), int(errors[seen].sum())
        answer = Signals(window_s=float(window), requests=n, errors=e, slow=0, bounds=(0.5,), cumulative=(float(n), float(n)))
        totals.add("c/app", {"canary": answer}, now=float(now))
    kept = totals.get("c/app", "canary")
    # Each poll estimates its 15 s from the window's rate, so only the edges can differ: the first poll
    # adds a whole window, and the last minute is still partly unseen.
    edges = int(errors[:window].sum() + errors[-window:].sum()) + 1
    assert errors.sum() >= 25  # the hour has enough errors for a loss to show
    assert abs(kept.errors - int(errors.sum())) <= edges
    assert abs(kept.requests - int(requests.sum())) <= int(requests[:window].sum() + requests[-window:].sum()) + 1


@pytest.mark.asyncio
async def test_live_releases_carry_totals_the_judge_can_use(fake_cluster, prometheus, tmp_path):
    from rolldeck.engine.judge import Counts, JudgeConfig, ReleaseEvidence, Verdict, observed_versions

    for revision, requests, errors in (("v1", 10000, 10), ("v2", 1000, 40)):
        needle = f'version="{revision}"'
        prometheus.on("requests", needle, scalar(requests))
        prometheus.on("errors", needle, scalar(errors))
        prometheus.on("buckets", needle, buckets({k: v * requests / 1000 for k, v in LE.items()}))
    signals, _ = live_signals(config_for(prometheus.url))
    scenes.argo_canary(fake_cluster.store)
    async with running_backend(fake_cluster.kubeconfig_path, context=fake_cluster.context, key_dir=tmp_path / "k",
                               signals=signals) as backend:
        release = await wait_release(backend, CONTEXT, "checkout", lambda r: r.version("canary") is not None
                                     and r.version("canary").totals is not None)
    canary, stable = observed_versions(release)  # what the judge is handed from a live release
    assert isinstance(canary, Counts) and isinstance(stable, Counts)
    assert (canary.requests, canary.errors, canary.slow) == (1000, 40, 5) and (stable.requests, stable.errors) == (10000, 10)
    # The sequential judge gathers evidence per minute: four more minutes like this one fail the canary.
    def times(counts: Counts, k: int) -> Counts:
        return Counts(*(float(v or 0) * k for v in (counts.requests, counts.errors, counts.slow)))

    judge = ReleaseEvidence(JudgeConfig())
    looks = [judge.observe(60.0 * minute, {release.region: (times(canary, minute + 1), times(stable, minute + 1))})
             for minute in range(5)]
    assert [j.verdict for j in looks[:3]] == [Verdict.INCONCLUSIVE] * 3  # fewer than three closed minutes
    assert looks[-1].verdict is Verdict.FAIL  # 4 % canary errors vs 0.1 % stable
    assert "canary 160 errors in 4,000 requests vs stable 40 in 40,000" in looks[-1].evidence
