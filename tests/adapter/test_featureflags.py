"""OpenFeature ``FeatureFlag`` objects (core.openfeature.dev) on the fake API server: mapped into
flags, changed by guarded JSON patches, read back by kubectl, evaluated by flagd's own evaluator.

Objects: tests/data/openfeature (the operator's sample, flagd's sample flags, and rolldeck's own).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from kubernetes_asyncio import config

from rolldeck.engine.changes import KillFlag, RestoreFlag, SetFlagRollout
from rolldeck.engine.flags import FlagConflict, FlagSource
from rolldeck.engine.kube.featureflags import OpenFeatureFlags
from rolldeck.engine.kube.mapping.featureflags import flags_of
from rolldeck.engine.model import FlagState
from tests.fakekube import ClusterSpec, FakeCluster
from tests.fakekube.kubectl import require_kubectl, run_kubectl

DATA = Path(__file__).resolve().parents[1] / "data" / "openfeature"
SPEC = ClusterSpec("of", crds={"openfeature"}, tls=True)  # kubectl sends its token over TLS only


def load(name: str) -> dict:
    return yaml.safe_load((DATA / name).read_text())


def by_key(obj: dict) -> dict:
    return {f.key: f for f in flags_of(obj, environment="prod")}


def test_upstream_samples_map_with_flagd_semantics():
    sample = by_key(load("featureflag-sample.yaml"))["simple-flag"]
    assert sample.state is FlagState.ENABLED and sample.variants == ("on", "off") and sample.default_variant == "on"
    assert sample.shares == (("on", 100.0), ("off", 0.0))  # no targeting: the default for everyone
    assert sample.treatment == "on"  # the variant whose value is true, whatever the default
    assert sample.targeting == "none: the default variant for everyone"

    flags = by_key(load("flagd-example-flags.yaml"))
    assert set(flags) == {"myBoolFlag", "myStringFlag", "myFloatFlag", "myIntFlag", "myObjectFlag", "isColorYellow", "fibAlgo", "headerColor"}
    header = flags["headerColor"]
    assert header.shares == (("red", 25.0), ("blue", 25.0), ("green", 25.0), ("yellow", 25.0))
    assert header.targeting == 'rules, then fractional by {"var":["email"]}: red 25%, blue 25%, green 25%, yellow 25%'
    assert header.treatment is None  # four variants: nothing to step
    yellow = flags["isColorYellow"]
    assert yellow.targeting.startswith('rules: {"if":[{"==":[{"var":["color"]},"yellow"]},"on","off"]}')
    assert yellow.shares == (("on", 0.0), ("off", 100.0))

    checkout = by_key(load("new-checkout.yaml"))["new-checkout"]
    assert checkout.shares == (("on", 5.0), ("off", 95.0)) and checkout.exposure == 5.0
    assert checkout.targeting == "fractional by targetingKey: on 5%, off 95%"


def flagd_users(definitions: dict, key: str, variant: str, users: int = 20_000) -> set[int]:
    """Which of ``users`` targeting keys flagd's own evaluator (openfeature-flagd-core) puts on ``variant``."""
    from openfeature.contrib.tools.flagd.core import FlagdCore
    from openfeature.evaluation_context import EvaluationContext

    core = FlagdCore()
    core.set_flags(json.dumps({"flags": definitions}))
    return {
        user for user in range(users)
        if core.resolve_boolean_value(key, False, EvaluationContext(targeting_key=f"user-{user}")).variant == variant
    }


def flagd_share(definitions: dict, key: str, variant: str, users: int = 20_000) -> float:
    return 100.0 * len(flagd_users(definitions, key, variant, users)) / users


async def kubectl_flag(cluster: FakeCluster, tmp_path: Path, name: str = "checkout-flags") -> dict:
    result = await run_kubectl(cluster.kubeconfig_path, "-n", "shop", "get", "featureflags.core.openfeature.dev", name, "-o", "json", home=tmp_path / "home")
    assert result.ok, result
    return json.loads(result.stdout)


class Session:
    def __init__(self, cluster: FakeCluster, tmp_path: Path) -> None:
        self.cluster, self.tmp_path = cluster, tmp_path

    async def __aenter__(self) -> OpenFeatureFlags:
        self.api = await config.new_client_from_config_dict(
            self.cluster.kubeconfig_dict(), context=self.cluster.context, temp_file_path=str(self.tmp_path)
        )
        return OpenFeatureFlags(self.api, "shop", "checkout-flags", environment="prod")

    async def __aexit__(self, *exc: object) -> None:
        await self.api.close()


def patches(cluster: FakeCluster) -> list:
    return [r for r in cluster.requests.writes() if "featureflags" in r.path]


@pytest.mark.asyncio
async def test_rollout_step_is_a_guarded_json_patch_kubectl_and_flagd_read_back(tmp_path):
    require_kubectl()
    async with FakeCluster(SPEC, workdir=tmp_path / "fake") as cluster:
        cluster.store.seed(load("new-checkout.yaml"))
        async with Session(cluster, tmp_path) as source:
            assert isinstance(source, FlagSource)
            seen = by_key(await source.read())["new-checkout"]
            detail = await source.apply(SetFlagRollout("new-checkout", (("on", 25.0), ("off", 75.0)), expect=seen))
        assert detail == "flag new-checkout fractional: on 25%, off 75% (FeatureFlag shop/checkout-flags)"
        (request,) = patches(cluster)
        assert request.method == "PATCH" and request.content_type == "application/json-patch+json"
        assert request.param("fieldManager") == "rolldeck"
        test, change = request.json
        assert test["op"] == "test" and test["path"] == "/spec/flagSpec/flags/new-checkout"
        assert change == {"op": "add", "path": "/spec/flagSpec/flags/new-checkout/targeting", "value": {"fractional": [["on", 25], ["off", 75]]}}

        back = await kubectl_flag(cluster, tmp_path)
    flags = back["spec"]["flagSpec"]["flags"]
    assert by_key(back)["new-checkout"].shares == (("on", 25.0), ("off", 75.0))
    assert flags["dark-mode"] == load("new-checkout.yaml")["spec"]["flagSpec"]["flags"]["dark-mode"]  # the other flag untouched
    # flagd itself, on the object kubectl read back: about a quarter of users on the new path, and
    # every user who was on it at 5 % still is (the fractional's order is kept)
    on_now = flagd_users(flags, "new-checkout", "on")
    assert 100.0 * len(on_now) / 20_000 == pytest.approx(25.0, abs=1.5)
    on_before = flagd_users(load("new-checkout.yaml")["spec"]["flagSpec"]["flags"], "new-checkout", "on")
    assert 100.0 * len(on_before) / 20_000 == pytest.approx(5.0, abs=1.0)
    assert on_before <= on_now


@pytest.mark.asyncio
async def test_kill_switch_disables_the_flag_so_flagd_serves_the_code_default(tmp_path):
    require_kubectl()
    async with FakeCluster(SPEC, workdir=tmp_path / "fake") as cluster:
        cluster.store.seed(load("new-checkout.yaml"))
        async with Session(cluster, tmp_path) as source:
            seen = by_key(await source.read())["new-checkout"]
            await source.apply(KillFlag("new-checkout", expect=seen))
            killed = by_key(await source.read())["new-checkout"]
            back = await kubectl_flag(cluster, tmp_path)
            assert back["spec"]["flagSpec"]["flags"]["new-checkout"]["state"] == "DISABLED"
            assert killed.state is FlagState.DISABLED and killed.exposure == 0.0
            assert flagd_share(back["spec"]["flagSpec"]["flags"], "new-checkout", "on", users=500) == 0.0
            await source.apply(RestoreFlag("new-checkout", expect=killed))
            restored = by_key(await source.read())["new-checkout"]
        assert restored.state is FlagState.ENABLED and restored.shares == (("on", 5.0), ("off", 95.0))
        kill, restore = patches(cluster)
        assert kill.json == [
            {"op": "test", "path": "/spec/flagSpec/flags/new-checkout/state", "value": "ENABLED"},
            {"op": "replace", "path": "/spec/flagSpec/flags/new-checkout/state", "value": "DISABLED"},
        ]


class ColleagueAfterRead(OpenFeatureFlags):
    """Reads, then lets a colleague's edit land before our patch: the race only the server's test ops catch."""

    def __init__(self, inner: OpenFeatureFlags, cluster: FakeCluster, edit) -> None:
        super().__init__(inner.api, inner.namespace, inner.name, environment=inner.environment)
        self.cluster, self.edit, self.done = cluster, edit, False

    async def read(self) -> dict:
        obj = await super().read()
        if not self.done:
            self.done = True
            self.cluster.store.modify("featureflags", "shop", "checkout-flags", self.edit)
        return obj


def set_share(on: int):
    def edit(obj: dict) -> None:
        obj["spec"]["flagSpec"]["flags"]["new-checkout"]["targeting"] = {"fractional": [["on", on], ["off", 100 - on]]}
    return edit


@pytest.mark.asyncio
async def test_a_concurrent_edit_of_the_flag_is_refused_by_the_api_server(tmp_path):
    async with FakeCluster(SPEC, workdir=tmp_path / "fake") as cluster:
        cluster.store.seed(load("new-checkout.yaml"))
        async with Session(cluster, tmp_path) as source:
            seen = by_key(await source.read())["new-checkout"]
            racing = ColleagueAfterRead(source, cluster, set_share(50))
            with pytest.raises(FlagConflict, match="flag new-checkout changed since you looked; review the new plan"):
                await racing.apply(SetFlagRollout("new-checkout", (("on", 25.0), ("off", 75.0)), expect=seen))
            (refused,) = patches(cluster)
            assert refused.status == 422
            # what the operator saw no longer holds: refused before any request
            with pytest.raises(FlagConflict, match=r"flag new-checkout now on 50%, off 50% \(you saw on 5%, off 95%\)"):
                await source.apply(SetFlagRollout("new-checkout", (("on", 25.0), ("off", 75.0)), expect=seen))
        assert len(patches(cluster)) == 1
        stored = cluster.store.get("featureflags", "shop", "checkout-flags")
        assert stored["spec"]["flagSpec"]["flags"]["new-checkout"]["targeting"] == {"fractional": [["on", 50], ["off", 50]]}


@pytest.mark.asyncio
async def test_a_kill_is_not_blocked_by_an_edit_of_another_flag_or_of_the_share(tmp_path):
    async with FakeCluster(SPEC, workdir=tmp_path / "fake") as cluster:
        cluster.store.seed(load("new-checkout.yaml"))
        async with Session(cluster, tmp_path) as source:
            seen = by_key(await source.read())["new-checkout"]

            def colleague(obj: dict) -> None:
                obj["spec"]["flagSpec"]["flags"]["dark-mode"]["state"] = "DISABLED"
                set_share(25)(obj)

            await ColleagueAfterRead(source, cluster, colleague).apply(KillFlag("new-checkout", expect=seen))
        stored = cluster.store.get("featureflags", "shop", "checkout-flags")["spec"]["flagSpec"]["flags"]
        assert stored["new-checkout"]["state"] == "DISABLED" and stored["dark-mode"]["state"] == "DISABLED"


@pytest.mark.asyncio
async def test_a_kill_of_a_flag_already_killed_is_refused_and_a_dry_run_stores_nothing(tmp_path):
    async with FakeCluster(SPEC, workdir=tmp_path / "fake") as cluster:
        cluster.store.seed(load("new-checkout.yaml"))
        async with Session(cluster, tmp_path) as source:
            seen = by_key(await source.read())["new-checkout"]
            preview = await source.apply(KillFlag("new-checkout", expect=seen), dry_run=True)
            assert preview.startswith("dry run: kill flag new-checkout: state ENABLED → DISABLED")
            (dry,) = patches(cluster)
            assert dry.param("dryRun") == "All"
            assert cluster.store.get("featureflags", "shop", "checkout-flags")["spec"]["flagSpec"]["flags"]["new-checkout"]["state"] == "ENABLED"
            cluster.store.modify("featureflags", "shop", "checkout-flags", lambda o: o["spec"]["flagSpec"]["flags"]["new-checkout"].update(state="DISABLED"))
            with pytest.raises(FlagConflict, match=r"flag new-checkout now killed \(you saw on\)"):
                await source.apply(KillFlag("new-checkout", expect=seen))
        assert len(patches(cluster)) == 1


@pytest.mark.asyncio
async def test_targeting_with_rules_is_not_rewritten_and_a_missing_object_is_one_line(tmp_path):
    async with FakeCluster(SPEC, workdir=tmp_path / "fake") as cluster:
        examples = copy.deepcopy(load("flagd-example-flags.yaml"))
        examples["metadata"].update(name="checkout-flags", namespace="shop")
        cluster.store.seed(examples)
        async with Session(cluster, tmp_path) as source:
            yellow = by_key(await source.read())["isColorYellow"]
            with pytest.raises(FlagConflict, match="targeting has rules besides fractional"):
                await source.apply(SetFlagRollout("isColorYellow", (("on", 50.0), ("off", 50.0)), expect=yellow))
            assert patches(cluster) == []
            cluster.store.delete("featureflags", "shop", "checkout-flags")
            with pytest.raises(Exception) as raised:
                await source.list_flags()
        text = str(raised.value)
        assert text.startswith("FeatureFlag shop/checkout-flags: 404") and "\n" not in text and cluster.token not in text
