"""Kubeconfig as kubectl reads it, credentials per context, and what never leaks: tokens in errors,
private keys left on disk, an exec plugin reading the TUI's terminal."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import sys
from pathlib import Path

import pytest
import yaml

import rolldeck.engine.kube.kubeconfig as kubeconfig_module
from rolldeck.engine.kube import KubeBackend, KubeconfigError
from rolldeck.engine.kube.kubeconfig import Kubeconfig
from tests.adapter.helpers import cluster_health, running_backend, wait_release
from tests.waiting import wait_until
from tests.fakekube import ClusterSpec
from tests.fakekube import objects as ko


def write(path: Path, document: dict) -> Path:
    path.write_text(yaml.safe_dump(document))
    return path


def config(*contexts: str, server: str = "https://a.example", current: str | None = None, **user) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": f"{c}-cluster", "cluster": {"server": server, "certificate-authority": "certs/ca.pem"}} for c in contexts],
        "users": [{"name": f"{c}-user", "user": user or {"token": f"secret-{c}"}} for c in contexts],
        "contexts": [{"name": c, "context": {"cluster": f"{c}-cluster", "user": f"{c}-user"}} for c in contexts],
        **({"current-context": current} if current else {}),
    }


def test_kubeconfig_merges_like_kubectl(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write(tmp_path / "a" / "config", config("prod", "shared", current="prod"))
    second = config("staging", "shared", current="staging", server="https://b.example")
    second["contexts"].append({"name": "eu", "context": {"cluster": "eu-cluster", "user": "staging-user"}})
    second["clusters"].append({"name": "eu-cluster", "cluster": {"server": "https://eu.example", "extensions": [{"name": "rolldeck", "extension": {"region": "eu-west-1"}}]}})
    second_path = write(tmp_path / "b" / "config", second)
    merged = Kubeconfig.load(env={"KUBECONFIG": f"{first}{os.pathsep}{tmp_path / 'missing'}{os.pathsep}{second_path}"})
    assert merged.context_names() == ["prod", "shared", "staging", "eu"]
    assert merged.current == "prod"  # the first file to set it wins (kubernetes-asyncio's merger: the last)
    assert merged.context("shared").server == "https://a.example"  # first definition wins
    cluster = next(c for c in merged.data["clusters"] if c["name"] == "staging-cluster")
    assert cluster["cluster"]["certificate-authority"] == str(tmp_path / "b" / "certs" / "ca.pem")  # relative to its file
    assert merged.context("eu").region == "eu-west-1" and merged.context("prod").region is None
    assert merged.select(None) == (["prod"], [])
    assert merged.select("all") == (["prod", "shared", "staging", "eu"], [])
    assert merged.select("staging, nope") == (["staging"], ["nope"])


def test_broken_files_are_one_line_each(tmp_path):
    broken = tmp_path / "broken"
    broken.write_text("clusters:\n  - name: x\n   bad: [\n")
    good = write(tmp_path / "good", config("prod", current="prod"))
    merged = Kubeconfig.load(env={"KUBECONFIG": f"{broken}{os.pathsep}{good}"})
    assert merged.context_names() == ["prod"]
    assert len(merged.problems) == 1 and merged.problems[0].startswith(f"kubeconfig {broken}:3:") and "YAML syntax" in merged.problems[0]
    with pytest.raises(KubeconfigError, match=r"^no usable kubeconfig: looked in .*broken .*YAML syntax"):
        Kubeconfig.load(env={"KUBECONFIG": str(broken)})
    with pytest.raises(KubeconfigError, match=r"^kubeconfig /nope: file not found$"):
        Kubeconfig.load("/nope")
    with pytest.raises(KubeconfigError, match="context nope: not found"):
        KubeBackend.from_kubeconfig("nope", kubeconfig=good)
    dangling = config("prod", current="prod")
    dangling["clusters"] = []
    with pytest.raises(KubeconfigError, match=r"^context prod: cluster prod-cluster not defined in .*dangling$"):
        Kubeconfig.load(write(tmp_path / "dangling", dangling)).context("prod")


def test_missing_certificate_file_is_that_clusters_error_only(tmp_path):
    pytest.importorskip("aiohttp")
    document = config("prod", current="prod")
    path = write(tmp_path / "config", document)

    async def scenario():
        async with running_backend(path, "prod", key_dir=tmp_path / "keys") as backend:
            health = await wait_until(lambda: (h := cluster_health(backend.snapshot(), "prod")) and "certs/ca.pem" in h.error and h, "the CA path in the health error")
            assert "secret-prod" not in health.error
            return health.error

    import asyncio

    error = asyncio.run(scenario())
    assert error.startswith("context prod: File does not exists") and error.endswith(f"({path})")


PLUGIN = r'''#!{python}
import json, os, sys, datetime
state = {state!r}
runs = int(open(state).read()) + 1 if os.path.exists(state) else 1
with open(state + ".tmp", "w") as tmp:  # atomic: the test reads the count while plugins run
    tmp.write(str(runs))
os.replace(state + ".tmp", state)
info = json.loads(os.environ["KUBERNETES_EXEC_INFO"])
with open(state + ".log", "a") as log:
    log.write(json.dumps({{"tty": os.isatty(0), "interactive": info["spec"]["interactive"], "extra": os.environ.get("EXTRA")}}) + "\n")
if os.environ.get("FAIL"):
    print("error: login required; run `aws sso login`\nsecond line", file=sys.stderr)
    sys.exit(3)
expiry = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds={ttl})
print(json.dumps({{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                  "status": {{"token": "exec-token-%d" % runs, "expirationTimestamp": expiry.strftime("%Y-%m-%dT%H:%M:%SZ")}}}}))
'''


def exec_kubeconfig(cluster, tmp_path: Path, ttl: float, fail: bool = False) -> tuple[Path, Path]:
    state = tmp_path / "runs"
    plugin = tmp_path / "bin" / "fake-login"
    plugin.parent.mkdir()
    plugin.write_text(PLUGIN.format(python=sys.executable, state=str(state), ttl=ttl))
    plugin.chmod(0o700)
    document = cluster.kubeconfig_dict()
    env = [{"name": "EXTRA", "value": "1"}] + ([{"name": "FAIL", "value": "1"}] if fail else [])
    document["users"][0]["user"] = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "bin/fake-login", "env": env, "interactiveMode": "IfAvailable"}}
    return write(tmp_path / "config", document), state


@pytest.mark.asyncio
async def test_exec_plugin_runs_without_the_terminal_and_refreshes_before_expiry(fake_cluster, tmp_path):
    for n in range(1, 400):  # one plugin run a second or so: tokens for however long the test takes
        fake_cluster.tokens.add(f"exec-token-{n}", f"sso-user-{n}")
    # 5 min skew + 1 s: the token is due for refresh a second after it is issued
    path, state = exec_kubeconfig(fake_cluster, tmp_path, ttl=301)
    fake_cluster.store.put(ko.deployment("api", "shop"))
    async with running_backend(path, fake_cluster.context, key_dir=tmp_path / "keys") as backend:
        await wait_release(backend, fake_cluster.context, "api")
        first_runs = int(state.read_text())
        fake_cluster.drop_watches()  # new requests after expiry get a fresh token
        await wait_until(lambda: int(state.read_text()) > first_runs, "a refresh")
        await wait_until(lambda: {r.user for r in list(fake_cluster.requests)[-5:]} - {f"sso-user-{first_runs}"}, "requests with the new token")
    calls = [json.loads(line) for line in (tmp_path / "runs.log").read_text().splitlines()]
    assert all(c == {"tty": False, "interactive": False, "extra": "1"} for c in calls)


@pytest.mark.asyncio
async def test_exec_plugin_without_near_expiry_runs_once_and_again_after_a_401(fake_cluster, tmp_path):
    for n in range(1, 10):
        fake_cluster.tokens.add(f"exec-token-{n}", f"sso-user-{n}")
    path, state = exec_kubeconfig(fake_cluster, tmp_path, ttl=3600)
    fake_cluster.store.put(ko.deployment("api", "shop"))
    async with running_backend(path, fake_cluster.context, key_dir=tmp_path / "keys") as backend:
        await wait_release(backend, fake_cluster.context, "api")
        assert state.read_text() == "1"  # dozens of requests, one plugin run
        fake_cluster.tokens.revoke("exec-token-1")
        fake_cluster.drop_watches()
        await wait_until(lambda: state.read_text() == "2", "re-login after 401")
        await wait_until(lambda: cluster_health(backend.snapshot(), fake_cluster.context).reachable, "recovered")


@pytest.mark.asyncio
async def test_failing_exec_plugin_is_one_line(fake_cluster, tmp_path):
    path, _ = exec_kubeconfig(fake_cluster, tmp_path, ttl=3600, fail=True)
    async with running_backend(path, fake_cluster.context, key_dir=tmp_path / "keys") as backend:
        health = await wait_until(lambda: (h := cluster_health(backend.snapshot(), fake_cluster.context)) and "exec" in h.error and h, "the exec plugin error")
    assert health.error == f"context {fake_cluster.context}: exec plugin fake-login failed (exit 3): error: login required; run `aws sso login`"


def test_interactive_only_plugins_are_refused(tmp_path):
    document = config("prod", current="prod")
    document["users"][0]["user"] = {"exec": {"command": "kubelogin", "apiVersion": "client.authentication.k8s.io/v1", "interactiveMode": "Always"}}
    with pytest.raises(KubeconfigError, match="needs an interactive terminal"):
        kubeconfig_module.ExecCredential("prod", document["users"][0]["user"]["exec"], "https://x")


@pytest.mark.asyncio
@pytest.mark.fakekube(ClusterSpec("m", mtls=True))
async def test_client_certificate_keys_are_0600_and_deleted_once_loaded(fake_clusters, tmp_path, monkeypatch):
    cluster = fake_clusters["kind-m"]
    seen: list[tuple[str, int]] = []
    shred = kubeconfig_module.shred_key_files

    def recording_shred(directory):
        seen.extend((p.name, stat.S_IMODE(p.stat().st_mode)) for p in directory.iterdir())
        shred(directory)

    monkeypatch.setattr(kubeconfig_module, "shred_key_files", recording_shred)
    # The library caches decoded files by content for the whole process: another test's CA, still
    # cached, would be reused instead of written here. Start from an empty cache.
    monkeypatch.setattr(kubeconfig_module.kube_config, "_temp_files", {})
    keys = tmp_path / "keys"
    cluster.store.put(ko.deployment("api", "shop"))
    async with running_backend(cluster.kubeconfig_path, "kind-m", key_dir=keys) as backend:
        await wait_release(backend, "kind-m", "api")  # mTLS handshake worked
        assert len(seen) == 3 and {mode for _, mode in seen} == {0o600}  # CA, client cert, client key
        assert list(keys.iterdir()) == []
        assert stat.S_IMODE(keys.stat().st_mode) == 0o700
        assert not any(str(keys) in name for name in kubeconfig_module.kube_config._temp_files.values())
    assert not keys.exists()


@pytest.mark.asyncio
async def test_impersonation_is_sent_not_ignored(fake_cluster, tmp_path):
    document = fake_cluster.kubeconfig_dict()
    document["users"][0]["user"].update({"as": "bob", "as-groups": ["oncall"]})
    path = write(tmp_path / "config", document)
    def apps_request():
        return next((r for r in list(fake_cluster.requests) if r.path.startswith("/apis/apps")), None)

    async with running_backend(path, fake_cluster.context, key_dir=tmp_path / "keys"):
        request = await wait_until(apps_request, "a request to /apis/apps")
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["impersonate-user"] == "bob" and headers["impersonate-group"] == "oncall"
    document["users"][0]["user"]["as-groups"] = ["a", "b"]
    with pytest.raises(KubeconfigError, match="several groups"):
        kubeconfig_module._impersonation_headers("x", document["users"][0]["user"])


@pytest.mark.asyncio
async def test_insecure_skip_tls_verify_is_a_visible_warning(fake_clusters, tmp_path):
    document = fake_clusters["kind-us"].kubeconfig_dict()
    document["clusters"][0]["cluster"].pop("certificate-authority-data")
    document["clusters"][0]["cluster"]["insecure-skip-tls-verify"] = True
    path = write(tmp_path / "config", document)
    async with running_backend(path, "kind-us", key_dir=tmp_path / "keys") as backend:
        health = await wait_until(lambda: (h := cluster_health(backend.snapshot(), "kind-us")) and h.reachable and h, "kind-us reachable")
    assert "TLS verification is off (insecure-skip-tls-verify)" in health.warnings


def test_token_free_error_text():
    """Nothing in an ApiException's str() (headers, body) reaches our one-liners."""
    from kubernetes_asyncio.client.exceptions import ApiException

    from rolldeck.engine.kube.errors import describe

    class Response:
        status, reason = 401, "Unauthorized"
        data = b'{"kind":"Status","code":401,"reason":"Unauthorized","message":"Unauthorized"}'

        def getheaders(self):
            return {"Authorization": "Bearer super-secret", "Www-Authenticate": "Bearer"}

    error = ApiException(http_resp=Response())
    assert "super-secret" in str(error)  # the library's own text would leak it
    assert describe(error) == "401 Unauthorized: Unauthorized"


def test_exec_expiry_parsing():
    credential = kubeconfig_module.ExecCredential("c", {"command": "x"}, "https://s")
    credential.token = "t"
    credential.expiry = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=4)
    assert credential.needs_refresh()
    credential.expiry = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=6)
    assert not credential.needs_refresh()
    credential.expiry = None
    assert not credential.needs_refresh()  # no expiry: until the server says 401


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("clusters: 5\n", "1:11", "clusters: Input should be a valid list"),
        ("users:\n  - name: u\n    user:\n      exec: str\n", "4:13", "users.0.user.exec: Input should be a valid dictionary or instance of ExecSpec"),
        ("users:\n  - name: u\n    user: {exec: {args: [x]}}\n", "3:18", "users.0.user.exec.command: required key missing"),
        ("contexts:\n  - context: {cluster: c}\n", "2:5", "contexts.0.name: required key missing"),
        ("- 1\n", "1:1", "expected a mapping at the top level"),
    ],
)
def test_a_kubeconfig_type_error_is_a_kubeconfig_error_with_where(tmp_path, text, where, message):
    path = tmp_path / "config"
    path.write_text(text)
    with pytest.raises(KubeconfigError) as caught:
        Kubeconfig.load(path)
    assert str(caught.value) == f"no usable kubeconfig: looked in {path} (kubeconfig {path}:{where}: {message})"


def test_a_hostile_kubeconfig_file_is_one_line(tmp_path):
    not_utf8 = tmp_path / "latin1"
    not_utf8.write_bytes(b"current-context: caf\xe9\n")
    bomb = tmp_path / "bomb"
    bomb.write_text("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{this}: &{this} [{', '.join([f'*{previous}'] * 10)}]\n" for this, previous in zip("bcdefghi", "abcdefgh")
    ))
    for path, expected in (
        (not_utf8, f"kubeconfig {not_utf8}:1:21: not UTF-8 text (byte 0xe9): save it as UTF-8"),
        (bomb, f"kubeconfig {bomb}:1:1: YAML aliases expand this document to 1,234,567,909 values (at most 10,000 more than are written)"),
    ):
        with pytest.raises(KubeconfigError) as caught:
            Kubeconfig.load(path)
        assert str(caught.value) == f"no usable kubeconfig: looked in {path} ({expected})"


def test_kubeconfig_duplicate_keys_are_read_as_kubectl_reads_them(tmp_path):
    path = write(tmp_path / "config", config("prod", current="prod"))
    path.write_text(path.read_text() + "current-context: prod\n")  # written twice: kubectl keeps the last
    assert Kubeconfig.load(path).current == "prod"
