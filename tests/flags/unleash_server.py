"""A real Unleash server for the tests: PostgreSQL 15 (Debian's) in a private cluster under a temp
folder, and the npm package ``unleash-server`` (installed by ``.ci/run`` into ``.cache/unleash``),
both on free ports of 127.0.0.1. See /work/shared/reference/unleash-notes.md for the recipe.

PostgreSQL refuses to run as root, so as root its commands run as the ``postgres`` user
(``subprocess``'s ``user=``/``group=``) in a folder that user owns; as anyone else they run as is.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.waiting import poll_until
from tests.child_processes import die_with_parent, free_port

REPO = Path(__file__).resolve().parents[2]
UNLEASH_PACKAGE = REPO / ".cache" / "unleash" / "node_modules" / "unleash-server"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
# .ci/run sets this: there the binaries are installed, so a missing one is a failure, not a skip.
REQUIRED = os.environ.get("ROLLDECK_REQUIRE_UNLEASH") == "1"

START_SCRIPT = """
const unleash = require('unleash-server');  // found through NODE_PATH
unleash.start({
  db: {host: '127.0.0.1', port: Number(process.env.PG_PORT), user: 'unleash', password: '', database: 'unleash', ssl: false},
  server: {host: '127.0.0.1', port: Number(process.env.UNLEASH_PORT)},
  authentication: {initApiTokens: [{environment: '*', project: '*', secret: process.env.UNLEASH_ADMIN_TOKEN, type: 'admin', tokenName: 'rolldeck-tests'}]},
  logLevel: 'warn',
  versionCheck: {enable: false},
  sendTelemetry: false,
}).then(() => console.log('UNLEASH READY'), (error) => { console.error(error); process.exit(1); });
"""


@dataclass(frozen=True)
class UnleashServer:
    url: str
    token: str  # the admin token the server was started with


def missing() -> str | None:
    """Why a real Unleash cannot start here, or None."""
    if shutil.which("node") is None:
        return "node not installed (.ci/run needs Node 20)"
    if not (PG_BIN / "pg_ctl").exists():
        return f"PostgreSQL 15 binaries not found in {PG_BIN} (.ci/run installs Debian's postgresql)"
    if not UNLEASH_PACKAGE.is_dir():
        return f"unleash-server not installed in {UNLEASH_PACKAGE.parent} (.ci/run runs npm install)"
    return None




def _as_postgres() -> dict[str, object]:
    if os.geteuid() != 0:
        return {}
    entry = pwd.getpwnam("postgres")
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _run(args: list[str], log: Path, **kw: object) -> None:
    with log.open("ab") as out:
        result = subprocess.run(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=120, **kw)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise RuntimeError(f"{Path(args[0]).name} failed ({result.returncode}); log tail:\n{log.read_text()[-2000:]}")


@contextmanager
def running(tmp: Path) -> Iterator[UnleashServer]:
    # pytest's temp folders are root's and private: the cluster lives in its own folder postgres owns
    pg_dir = Path(tempfile.mkdtemp(prefix="rolldeck-pg-"))
    as_postgres = _as_postgres()
    if as_postgres:
        os.chown(pg_dir, int(as_postgres["user"]), int(as_postgres["group"]))  # type: ignore[call-overload]
    data, log = pg_dir / "data", tmp / "postgres.log"
    pg_port, port = free_port(), free_port()
    _run([str(PG_BIN / "initdb"), "-D", str(data), "-U", "unleash", "--auth=trust", "--no-sync"], log, **as_postgres)
    options = f"-p {pg_port} -k {pg_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
    _run([str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(pg_dir / "server.log"), "-w", "start"], log, **as_postgres)
    node = None
    try:
        _run([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(pg_port), "-U", "unleash", "unleash"], log)
        token = f"*:*.{secrets.token_hex(16)}"
        script = tmp / "start-unleash.js"
        script.write_text(START_SCRIPT)
        node_log = tmp / "unleash.log"
        env = {
            **os.environ,
            "NODE_PATH": str(UNLEASH_PACKAGE.parent),
            "PG_PORT": str(pg_port),
            "UNLEASH_PORT": str(port),
            "UNLEASH_ADMIN_TOKEN": token,
        }
        with node_log.open("wb") as out:
            node = subprocess.Popen(
                ["node", str(script)], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                start_new_session=True, preexec_fn=die_with_parent if sys.platform == "linux" else None,
            )
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=url, headers={"Authorization": token}, timeout=5.0) as client:
            try:
                # migrations run first: on a loaded 2-core machine that can take a minute or two
                poll_until(
                    lambda: client.get("/api/admin/projects").status_code == 200,
                    "Unleash answering its admin API",
                    polls=1_500,
                    alive=lambda: node is not None and node.poll() is None,
                    ignore=(httpx.HTTPError,),
                )
            except AssertionError as error:
                raise RuntimeError(f"{error}; Unleash log tail:\n{node_log.read_text()[-2000:]}") from None
            if node.poll() is not None:
                raise RuntimeError(f"Unleash exited ({node.returncode}); log tail:\n{node_log.read_text()[-2000:]}")
        yield UnleashServer(url, token)
    finally:
        if node is not None:
            node.terminate()
            try:
                node.wait(timeout=30)
            except subprocess.TimeoutExpired:
                node.kill()
                node.wait(timeout=30)
        try:
            _run([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], log, **as_postgres)
        finally:
            shutil.copy(pg_dir / "server.log", tmp / "postgres-server.log")
            shutil.rmtree(pg_dir, ignore_errors=True)
