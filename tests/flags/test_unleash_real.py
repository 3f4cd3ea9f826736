"""The Unleash flag source against a real Unleash 7.4 server (and its PostgreSQL) on 127.0.0.1.

Each test creates its own flag through the admin API (as a colleague in the Unleash UI would), then
lists, kills, restores and re-shares it through ``UnleashFlags`` and reads the result back from
Unleash: the admin API, and the client API an SDK polls.
"""

from __future__ import annotations


import httpx
import pytest
import pytest_asyncio

from rolldeck.engine.changes import KillFlag, RestoreFlag, SetFlagRollout
from rolldeck.engine.flags import FlagConflict, FlagError, FlagSource
from rolldeck.engine.flags.unleash import UnleashFlags, UnleashTarget
from rolldeck.engine.model import FlagSource as Provider, FlagState

ENV = "production"


@pytest.fixture
def admin(unleash):
    with httpx.Client(base_url=unleash.url, headers={"Authorization": unleash.token}, timeout=30.0) as client:
        yield client


def features(key: str = "") -> str:
    return "/api/admin/projects/default/features" + (f"/{key}" if key else "")


def make_flag(admin: httpx.Client, key: str, *, rollout: int | None = 5, enabled: bool = True) -> None:
    admin.post(features(), json={"name": key, "type": "release"}).raise_for_status()
    if rollout is not None:
        strategy = {"name": "flexibleRollout", "parameters": {"rollout": str(rollout), "stickiness": "default", "groupId": key}}
        admin.post(features(f"{key}/environments/{ENV}/strategies"), json=strategy).raise_for_status()
    if enabled:
        admin.post(features(f"{key}/environments/{ENV}/on")).raise_for_status()


def environment(admin: httpx.Client, key: str) -> dict:
    detail = admin.get(features(key)).json()
    return next(e for e in detail["environments"] if e["name"] == ENV)


@pytest_asyncio.fixture
async def source(unleash):
    flags = UnleashFlags(UnleashTarget(unleash.url, unleash.token, environment=ENV))
    yield flags
    await flags.aclose()


@pytest.mark.asyncio
async def test_lists_a_gradual_rollout_as_shares_with_who_changed_it(admin, source):
    make_flag(admin, "list-me", rollout=5)
    assert isinstance(source, FlagSource)
    flag = next(f for f in await source.list_flags() if f.key == "list-me")
    assert flag.state is FlagState.ENABLED
    assert flag.shares == (("on", 5.0), ("off", 95.0)) and flag.exposure == 5.0
    assert flag.environment == ENV and flag.source is Provider.UNLEASH
    assert flag.targeting == "gradual rollout 5% by default"
    assert flag.last_changed_by == "rolldeck-tests"  # the admin token's name: who enabled it


@pytest.mark.asyncio
async def test_kill_switch_turns_the_environment_off_and_restore_turns_it_on(admin, source, unleash):
    make_flag(admin, "kill-me", rollout=25)
    seen = await source.flag("kill-me")
    detail = await source.apply(KillFlag("kill-me", expect=seen))
    assert detail == "Unleash: kill-me in production off"
    assert environment(admin, "kill-me")["enabled"] is False
    killed = await source.flag("kill-me")
    assert killed.state is FlagState.DISABLED and killed.exposure == 0.0
    await source.apply(RestoreFlag("kill-me", expect=killed))
    assert environment(admin, "kill-me")["enabled"] is True
    assert (await source.flag("kill-me")).shares == (("on", 25.0), ("off", 75.0))  # the strategy kept its share


@pytest.mark.asyncio
async def test_rollout_edit_reaches_the_strategy_the_sdks_poll(admin, source):
    make_flag(admin, "step-me", rollout=5)
    seen = await source.flag("step-me")
    detail = await source.apply(SetFlagRollout("step-me", (("on", 25.0), ("off", 75.0)), expect=seen))
    assert detail == "Unleash: step-me in production gradual rollout 5% → 25%"
    (strategy,) = environment(admin, "step-me")["strategies"]
    assert strategy["name"] == "flexibleRollout" and strategy["parameters"]["rollout"] == "25"
    assert strategy["parameters"]["groupId"] == "step-me"  # stickiness kept: users stay in their bucket


@pytest.mark.asyncio
async def test_a_concurrent_rollout_edit_is_refused_and_nothing_is_written(admin, source):
    make_flag(admin, "raced", rollout=5)
    seen = await source.flag("raced")
    (strategy,) = environment(admin, "raced")["strategies"]
    # a colleague moves it to 10 % in the Unleash UI while our confirm modal is open
    admin.put(
        features(f"raced/environments/{ENV}/strategies/{strategy['id']}"),
        json={"name": "flexibleRollout", "parameters": {**strategy["parameters"], "rollout": "10"}},
    ).raise_for_status()
    with pytest.raises(FlagConflict, match=r"flag raced now on 10%, off 90% in Unleash \(you saw on 5%, off 95%\)"):
        await source.apply(SetFlagRollout("raced", (("on", 25.0), ("off", 75.0)), expect=seen))
    assert environment(admin, "raced")["strategies"][0]["parameters"]["rollout"] == "10"


@pytest.mark.asyncio
async def test_unleash_itself_refuses_a_patch_whose_test_no_longer_holds(admin, source):
    """The guard is Unleash's, not only our read: the JSON patch's test op fails on the server."""
    make_flag(admin, "guarded", rollout=5)
    seen = await source.flag("guarded")
    (strategy,) = environment(admin, "guarded")["strategies"]
    original = source._get

    async def read_then_colleague(path: str):
        answer = await original(path)
        if path.endswith("/features/guarded") and not hasattr(read_then_colleague, "moved"):
            read_then_colleague.moved = True  # after our fresh read, before our patch
            admin.put(
                features(f"guarded/environments/{ENV}/strategies/{strategy['id']}"),
                json={"name": "flexibleRollout", "parameters": {**strategy["parameters"], "rollout": "50"}},
            ).raise_for_status()
        return answer

    source._get = read_then_colleague
    with pytest.raises(FlagConflict, match="changed in Unleash since you looked"):
        await source.apply(SetFlagRollout("guarded", (("on", 25.0), ("off", 75.0)), expect=seen))
    assert environment(admin, "guarded")["strategies"][0]["parameters"]["rollout"] == "50"


@pytest.mark.asyncio
async def test_kill_refused_when_a_colleague_already_killed_it(admin, source):
    make_flag(admin, "twice", rollout=5)
    seen = await source.flag("twice")
    admin.post(features(f"twice/environments/{ENV}/off")).raise_for_status()
    with pytest.raises(FlagConflict, match=r"flag twice now killed in Unleash \(you saw on\)"):
        await source.apply(KillFlag("twice", expect=seen))


@pytest.mark.asyncio
async def test_a_standard_strategy_is_on_for_everyone_and_has_no_rollout_to_edit(admin, source):
    make_flag(admin, "everyone", rollout=None, enabled=False)
    admin.post(features(f"everyone/environments/{ENV}/strategies"), json={"name": "default"}).raise_for_status()
    admin.post(features(f"everyone/environments/{ENV}/on")).raise_for_status()
    flag = await source.flag("everyone")
    assert flag.targeting == "default"
    assert flag.shares == (("on", 100.0), ("off", 0.0))
    with pytest.raises(FlagError, match="needs exactly one active gradual rollout to edit"):
        await source.apply(SetFlagRollout("everyone", (("on", 50.0), ("off", 50.0)), expect=flag))


@pytest.mark.asyncio
async def test_a_wrong_token_is_one_line_without_the_token(unleash):
    bad = UnleashFlags(UnleashTarget(unleash.url, "*:*.not-the-token", environment=ENV))
    try:
        with pytest.raises(FlagError) as raised:
            await bad.list_flags()
    finally:
        await bad.aclose()
    text = str(raised.value)
    assert "401" in text and "\n" not in text and "not-the-token" not in text
    assert "not-the-token" not in repr(bad.target)


@pytest.mark.asyncio
async def test_an_unknown_environment_is_named(admin, unleash):
    make_flag(admin, "nowhere", rollout=5)
    flags = UnleashFlags(UnleashTarget(unleash.url, unleash.token, environment="moon"))
    try:
        with pytest.raises(FlagError, match="Unleash flag nowhere has no environment moon in project default"):
            await flags.flag("nowhere")
    finally:
        await flags.aclose()
