"""Kubeconfig files and contexts, read the way kubectl reads them.

* ``KUBECONFIG`` is a ``:``-separated list (``;`` on Windows); otherwise ``~/.kube/config``. Files
  that do not exist are skipped. For clusters, users and contexts the **first** file to define a
  name wins, and so does the first ``current-context`` (kubectl's merge rules, which
  kubernetes-asyncio's own merger does not follow for ``current-context``).
* Relative file references (certificates, keys, token files, exec commands with a path) resolve
  against the file that holds them.
* A broken file or context is one line in ``problems`` / a ``KubeconfigError``; never a traceback,
  never a token or key.

Credentials (``client_configuration``) are loaded per context into its own ``Configuration``:
never the process-global default (pitfall 10), never written back (pitfall 11). Key material the
library must hand to OpenSSL as files goes to a private 0700 directory and is deleted as soon as the
``ApiClient``'s TLS context has read it. Exec credential plugins run non-interactively here (the
library's runner lets them inherit the TUI's stdin and says ``interactive: true``) and are re-run
before their token expires (pitfall 12).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubernetes_asyncio.client import ApiClient, Configuration
from kubernetes_asyncio.config import kube_config
from kubernetes_asyncio.config.config_exception import ConfigException

from rolldeck.engine import documents
from rolldeck.engine.documents import DocumentError, Problem
from rolldeck.engine.kube.errors import one_line
from rolldeck.engine.kube.redaction import SECRETS
from rolldeck.engine.kube.kubeconfig_schema import KubeconfigFile

REGION_EXTENSION = "rolldeck"  # extensions: [{name: rolldeck, extension: {region: eu-west-1}}]
EXEC_TIMEOUT_S = 60.0
EXPIRY_SKEW = dt.timedelta(minutes=5)  # refresh this long before a token expires, as client-go does
_PATH_FIELDS = {
    "clusters": ("cluster", ("certificate-authority",)),
    "users": ("user", ("client-certificate", "client-key", "tokenFile")),
}


class KubeconfigError(Exception):
    """A kubeconfig or context we cannot use; ``str()`` is one line naming what and where."""


@dataclass(frozen=True, slots=True)
class ContextInfo:
    name: str
    cluster: str
    user: str
    server: str
    namespace: str | None
    region: str | None  # from a ``rolldeck`` extension on the context or its cluster
    insecure: bool  # insecure-skip-tls-verify
    source: str  # the file that defined the context


@dataclass
class Kubeconfig:
    """The merged view of every kubeconfig file, with paths made absolute."""

    paths: tuple[str, ...]
    data: dict[str, Any]
    current: str | None
    problems: list[str] = field(default_factory=list)  # files skipped, one line each

    @classmethod
    def load(cls, explicit: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Kubeconfig:
        env = os.environ if env is None else env
        if explicit is not None:
            paths = [os.fspath(explicit)]
            if not Path(paths[0]).is_file():
                raise KubeconfigError(f"kubeconfig {paths[0]}: file not found")
        elif env.get("KUBECONFIG"):
            paths = [p for p in env["KUBECONFIG"].split(os.pathsep) if p]
        else:
            paths = [str(Path(env.get("HOME", str(Path.home()))) / ".kube" / "config")]
        merged: dict[str, Any] = {"clusters": [], "users": [], "contexts": []}
        seen: dict[str, set[str]] = {key: set() for key in merged}
        current: str | None = None
        used: list[str] = []
        problems: list[str] = []
        for raw in paths:
            path = Path(raw).expanduser()
            if not path.is_file():
                continue  # kubectl skips missing entries of KUBECONFIG
            try:
                document = _read_file(path)
            except KubeconfigError as error:
                problems.append(str(error))
                continue
            used.append(str(path))
            for section in merged:
                for entry in document.get(section) or []:
                    name = entry.get("name") if isinstance(entry, dict) else None
                    if not isinstance(name, str) or name in seen[section]:
                        continue
                    seen[section].add(name)
                    merged[section].append(_absolutize(section, entry, path.parent, str(path)))
            if current is None and document.get("current-context"):
                current = str(document["current-context"])
        if not used:
            where = ", ".join(paths) or "(empty KUBECONFIG)"
            detail = f" ({problems[0]})" if problems else ""
            raise KubeconfigError(f"no usable kubeconfig: looked in {where}{detail}")
        merged["current-context"] = current or ""
        return cls(tuple(used), merged, current, problems)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<dict>") -> Kubeconfig:
        """For tests and embedders: one already-parsed config, paths taken as they are."""
        copy = json.loads(json.dumps(data))
        for section in ("clusters", "users", "contexts"):
            copy[section] = [{**e, "_source": source} for e in copy.get(section) or []]
        return cls((source,), copy, copy.get("current-context") or None)

    # --- contexts ----------------------------------------------------------------------------

    def context_names(self) -> list[str]:
        return [c["name"] for c in self.data["contexts"]]

    def select(self, spec: str | None) -> tuple[list[str], list[str]]:
        """Resolve ``--context``: None → current-context, ``all`` → every context, ``A,B`` → those.

        Returns (known names, unknown names); unknown ones become unreachable clusters in the fleet
        so the others keep working.
        """
        names = self.context_names()
        if spec is None or spec == "":
            if not self.current:
                raise KubeconfigError(f"no current-context in {self.paths[0]}: pass --context NAME or --context all")
            wanted = [self.current]
        elif spec.strip() == "all":
            if not names:
                raise KubeconfigError(f"no contexts in {', '.join(self.paths)}")
            return names, []
        else:
            wanted = [n.strip() for n in spec.split(",") if n.strip()]
        known = [n for n in wanted if n in names]
        unknown = [n for n in wanted if n not in names]
        return known, unknown

    def context(self, name: str) -> ContextInfo:
        entry = _named(self.data["contexts"], name)
        if entry is None:
            raise KubeconfigError(f"context {name}: not found in {', '.join(self.paths)}")
        body = entry.get("context") or {}
        cluster_name = str(body.get("cluster") or "")
        cluster_entry = _named(self.data["clusters"], cluster_name)
        if cluster_entry is None:
            raise KubeconfigError(f"context {name}: cluster {cluster_name or '(none)'} not defined in {entry['_source']}")
        cluster = cluster_entry.get("cluster") or {}
        server = str(cluster.get("server") or "")
        if not server:
            raise KubeconfigError(f"context {name}: cluster {cluster_name} has no server in {cluster_entry['_source']}")
        region = _region(body) or _region(cluster)
        return ContextInfo(
            name=name,
            cluster=cluster_name,
            user=str(body.get("user") or ""),
            server=server,
            namespace=body.get("namespace") or None,
            region=region,
            insecure=bool(cluster.get("insecure-skip-tls-verify")),
            source=str(entry["_source"]),
        )

    def user(self, name: str) -> dict[str, Any]:
        info = self.context(name)
        entry = _named(self.data["users"], info.user) if info.user else None
        return dict(entry.get("user") or {}) if entry else {}

    def loader_dict(self, context: str, *, without_exec: bool) -> dict[str, Any]:
        """The merged config in kubernetes-asyncio's shape, for one context (exec handled by us)."""
        def strip(entry: Mapping[str, Any]) -> dict[str, Any]:
            return {k: v for k, v in entry.items() if k != "_source"}

        users = []
        info = self.context(context)
        for entry in self.data["users"]:
            entry = strip(entry)
            if without_exec and entry["name"] == info.user:
                entry = {**entry, "user": {k: v for k, v in (entry.get("user") or {}).items() if k != "exec"}}
            users.append(entry)
        return {
            "clusters": [strip(e) for e in self.data["clusters"]],
            "users": users,
            "contexts": [strip(e) for e in self.data["contexts"]],
            "current-context": context,
        }


# A kubeconfig with embedded certificates for many clusters is larger than our own files.
MAX_KUBECONFIG_BYTES = 16 << 20


class _FileProblem(DocumentError):
    pass


def _read_file(path: Path) -> dict[str, Any]:
    """One file, read as the other documents are (size, encoding, nesting and alias caps) and its
    types checked; duplicate keys are left to kubectl's rule (the last wins), as kubectl reads them."""
    try:
        document = documents.load(path, error=_FileProblem, max_bytes=MAX_KUBECONFIG_BYTES, unique_keys=False)
        if document.data is None:
            return {}
        if not isinstance(document.data, dict):
            document.fail([Problem((), "expected a mapping at the top level")])
        document.validate(KubeconfigFile)
    except _FileProblem as problem:
        raise KubeconfigError(f"kubeconfig {problem.one_line()}") from None
    return document.data


def _absolutize(section: str, entry: dict[str, Any], base: Path, source: str) -> dict[str, Any]:
    entry = json.loads(json.dumps(entry, default=str))
    entry["_source"] = source
    inner_key, fields = _PATH_FIELDS.get(section, ("", ()))
    inner = entry.get(inner_key) if inner_key else None
    if isinstance(inner, dict):
        for name in fields:
            value = inner.get(name)
            if isinstance(value, str) and value and not os.path.isabs(value):
                inner[name] = str((base / os.path.expanduser(value)).resolve())
        command = (inner.get("exec") or {}).get("command") if section == "users" else None
        if isinstance(command, str) and os.sep in command and not os.path.isabs(command):
            inner["exec"]["command"] = str((base / command).resolve())
    return entry


def _named(entries: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((e for e in entries if e.get("name") == name), None)


def _region(body: Mapping[str, Any]) -> str | None:
    for extension in body.get("extensions") or []:
        if isinstance(extension, dict) and extension.get("name") == REGION_EXTENSION:
            value = (extension.get("extension") or {}).get("region")
            if value:
                return str(value)
    return None


# --- private key directory -------------------------------------------------------------------------


def private_key_dir() -> Path:
    """A 0700 directory of our own for decoded ``*-data`` files, cleaned of crashed runs' leftovers."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    root = Path(runtime) / "rolldeck" if runtime and os.path.isdir(runtime) else Path(tempfile.gettempdir()) / f"rolldeck-{os.getuid()}"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    stat = root.stat()
    if stat.st_uid != os.getuid() or stat.st_mode & 0o077:
        raise KubeconfigError(f"{root}: must be owned by you with mode 0700 (it holds private keys briefly)")
    for stale in root.glob("keys-*"):
        pid = stale.name.removeprefix("keys-")
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)  # a crash or SIGKILL left keys behind
    mine = root / f"keys-{os.getpid()}"
    mine.mkdir(mode=0o700, exist_ok=True)
    return mine


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def shred_key_files(directory: Path) -> None:
    """Delete decoded key material and make the library forget it cached those paths."""
    prefix = str(directory)
    for content, name in list(kube_config._temp_files.items()):
        if name.startswith(prefix):
            del kube_config._temp_files[content]
    if not directory.is_dir():
        return
    for child in directory.iterdir():
        with contextlib.suppress(OSError):
            child.unlink()


# --- exec credential plugins ------------------------------------------------------------------------


class ExecCredential:
    """An exec plugin's token, fetched non-interactively and refreshed before it expires."""

    def __init__(self, context: str, spec: Mapping[str, Any], server: str) -> None:
        self.context = context
        self.command = str(spec.get("command") or "")
        self.args = [str(a) for a in spec.get("args") or []]
        self.api_version = str(spec.get("apiVersion") or "client.authentication.k8s.io/v1")
        self.env = {str(e["name"]): str(e["value"]) for e in spec.get("env") or [] if "name" in e}
        self.install_hint = str(spec.get("installHint") or "")
        self.interactive_mode = str(spec.get("interactiveMode") or "IfAvailable")
        self.provide_cluster_info = bool(spec.get("provideClusterInfo"))
        self.server = server
        self.token: str | None = None
        self.expiry: dt.datetime | None = None
        self.cert_data: tuple[str, str] | None = None  # (certificate PEM, key PEM) when the plugin returns a client cert
        self.runs = 0
        self._lock = asyncio.Lock()
        if not self.command:
            raise KubeconfigError(f"context {context}: exec plugin has no command")
        if self.interactive_mode == "Always":
            raise KubeconfigError(
                f"context {context}: exec plugin {Path(self.command).name} needs an interactive terminal "
                "(interactiveMode: Always); log in with kubectl first or use a non-interactive credential"
            )

    def needs_refresh(self, now: dt.datetime | None = None) -> bool:
        if self.token is None and self.cert_data is None:
            return True
        if self.expiry is None:
            return False  # no expiry given: keep it until the server says 401 (as kubectl does)
        now = now or dt.datetime.now(dt.timezone.utc)
        return now >= self.expiry - EXPIRY_SKEW

    def invalidate(self) -> None:
        """After a 401: the next request runs the plugin again."""
        self.token = None
        self.expiry = None

    async def ensure(self) -> None:
        async with self._lock:  # concurrent requests share one plugin run
            if self.needs_refresh():
                await self._run()

    async def hook(self, configuration: Configuration) -> None:
        """``Configuration.refresh_api_key_hook``: runs before every request, re-runs the plugin only near expiry."""
        await self.ensure()
        if self.token is not None:
            configuration.api_key["BearerToken"] = f"Bearer {self.token}"

    async def _run(self) -> None:
        info: dict[str, Any] = {"apiVersion": self.api_version, "kind": "ExecCredential", "spec": {"interactive": False}}
        if self.provide_cluster_info:
            info["spec"]["cluster"] = {"server": self.server}
        env = {**os.environ, **self.env, "KUBERNETES_EXEC_INFO": json.dumps(info)}
        name = Path(self.command).name
        try:
            process = await asyncio.create_subprocess_exec(
                self.command,
                *self.args,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,  # never the TUI's terminal
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except FileNotFoundError:
            hint = f": {one_line(self.install_hint, 120)}" if self.install_hint else ""
            raise KubeconfigError(f"context {self.context}: exec plugin {name} not found{hint}") from None
        except OSError as error:
            raise KubeconfigError(f"context {self.context}: cannot run exec plugin {name} ({error.strerror})") from None
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(), EXEC_TIMEOUT_S)
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()
            raise KubeconfigError(f"context {self.context}: exec plugin {name} did not answer in {EXEC_TIMEOUT_S:.0f}s") from None
        self.runs += 1
        if process.returncode != 0:
            first = stderr.decode("utf-8", "replace").strip().splitlines()
            detail = f": {one_line(first[0], 120)}" if first else ""
            raise KubeconfigError(f"context {self.context}: exec plugin {name} failed (exit {process.returncode}){detail}")
        try:
            status = json.loads(stdout)["status"]
        except (ValueError, KeyError, TypeError):
            raise KubeconfigError(f"context {self.context}: exec plugin {name} printed no ExecCredential status") from None
        if status.get("token"):
            self.token = str(status["token"])
            SECRETS.add(self.token)  # before any server can echo it back
        elif status.get("clientCertificateData") and status.get("clientKeyData"):
            self.cert_data = (str(status["clientCertificateData"]), str(status["clientKeyData"]))
        else:
            raise KubeconfigError(f"context {self.context}: exec plugin {name} returned neither a token nor a client certificate")
        expiry = status.get("expirationTimestamp")
        self.expiry = _parse_time(expiry) if expiry else None


def _parse_time(value: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


# --- per-context client configuration ----------------------------------------------------------------


@dataclass
class ContextAuth:
    """Everything needed to talk to one context: the configuration and how to refresh it."""

    info: ContextInfo
    configuration: Configuration
    headers: dict[str, str]  # impersonation headers (the library ignores ``as:``, pitfall 13)
    exec_credential: ExecCredential | None = None
    warnings: tuple[str, ...] = ()

    def api_client(self) -> ApiClient:
        client = ApiClient(self.configuration)
        for name, value in self.headers.items():
            client.set_default_header(name, value)
        return client

    async def after_unauthorized(self) -> None:
        """A 401 means the token was revoked or expired early: fetch a fresh one if we can."""
        if self.exec_credential is not None:
            self.exec_credential.invalidate()
            await self.exec_credential.hook(self.configuration)


async def prepare_context(
    kubeconfig: Kubeconfig, name: str, key_dir: Path, make_clients: Callable[[ContextAuth], Any], lock: asyncio.Lock
) -> tuple[ContextAuth, Any]:
    """Load one context's credentials and build its clients while the decoded key files exist.

    ``make_clients(auth)`` must create every ``ApiClient`` it needs right away: their TLS contexts
    read the key files, which are shredded before this returns.
    """
    info = kubeconfig.context(name)
    user = kubeconfig.user(name)
    SECRETS.add(str(user.get("token") or ""))
    SECRETS.add_basic_auth(str(user.get("username") or ""), str(user.get("password") or ""))
    headers = _impersonation_headers(name, user)
    exec_credential = ExecCredential(name, user["exec"], info.server) if user.get("exec") else None
    if exec_credential is not None:
        await exec_credential.ensure()
    warnings = ["TLS verification is off (insecure-skip-tls-verify)"] if info.insecure else []
    async with lock:  # decoded key files are shared by content between contexts: one at a time
        configuration = Configuration()
        try:
            loader = kube_config.KubeConfigLoader(
                config_dict=kubeconfig.loader_dict(name, without_exec=exec_credential is not None),
                active_context=name,
                config_base_path="",
                temp_file_path=str(key_dir),
            )
            if exec_credential is not None and exec_credential.cert_data is not None:
                cert, key = exec_credential.cert_data
                # Untyped attributes the loader reads when it builds the TLS settings.
                loader.cert_file = _write_key_file(key_dir, cert)  # type: ignore[has-type]  # set in the loader's untyped methods
                loader.key_file = _write_key_file(key_dir, key)  # type: ignore[has-type]  # set in the loader's untyped methods
            await loader.load_and_set(configuration)
        except ConfigException as error:
            raise KubeconfigError(f"context {name}: {_config_problem(error)} ({info.source})") from None
        except (OSError, ValueError, TypeError, KeyError) as error:
            raise KubeconfigError(f"context {name}: unusable credentials ({type(error).__name__}) in {info.source}") from None
        # what the loader read (a tokenFile, an auth provider) is a credential too
        SECRETS.add(*(str(value).removeprefix("Bearer ") for value in configuration.api_key.values()))
        SECRETS.add_basic_auth(configuration.username, configuration.password)
        if exec_credential is not None:
            configuration.refresh_api_key_hook = exec_credential.hook
            if exec_credential.token is not None:
                configuration.api_key["BearerToken"] = f"Bearer {exec_credential.token}"
        auth = ContextAuth(info, configuration, headers, exec_credential, tuple(warnings))
        try:
            clients = make_clients(auth)
        except (OSError, ValueError) as error:  # ssl.SSLError is an OSError: a bad PEM
            raise KubeconfigError(f"context {name}: cannot load TLS material ({type(error).__name__}) from {info.source}") from None
        finally:
            shred_key_files(key_dir)
    return auth, clients


def _write_key_file(directory: Path, pem: str) -> str:
    fd, name = tempfile.mkstemp(dir=directory)  # mode 0600
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem.encode())
    return name


def _config_problem(error: ConfigException) -> str:
    text = one_line(str(error), 160)
    return text.replace("Invalid kube-config file. ", "")


def _impersonation_headers(context: str, user: Mapping[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = {}
    if user.get("as"):
        headers["Impersonate-User"] = str(user["as"])
    groups = user.get("as-groups") or []
    if len(groups) > 1:
        raise KubeconfigError(f"context {context}: impersonating several groups (as-groups) is not supported; use one")
    if groups:
        headers["Impersonate-Group"] = str(groups[0])
    if user.get("as-uid"):
        headers["Impersonate-Uid"] = str(user["as-uid"])
    for key, values in (user.get("as-user-extra") or {}).items():
        values = values if isinstance(values, list) else [values]
        if len(values) > 1:
            raise KubeconfigError(f"context {context}: several values for as-user-extra {key} are not supported")
        if values:
            headers[f"Impersonate-Extra-{key}"] = str(values[0])
    return headers

