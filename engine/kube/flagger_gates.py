"""Flagger's gate webhooks, served by rolldeck so the console's verbs answer Flagger.

Point a Canary's webhooks at ``http://HOST:PORT/<cluster>/rolldeck/gate/<type>`` with ``type`` one of
``confirm-rollout``, ``confirm-traffic-increase``, ``confirm-promotion`` or ``rollback``. Flagger
POSTs ``{name, namespace, phase, checksum, metadata}`` and gates on a 2xx:

* confirm-* answer **200 once** after an operator approved that step in the console, then close
  again (flagger#1017, #1814, #724: loadtester gates stay open until closed); otherwise 403, and
  the refusal tells the console what Flagger is waiting for.
* rollback answers 200 once after an operator aborted (2xx *triggers* the rollback), else 403.

Approvals are in memory and lost on restart, like flagger-loadtester's; each approval and each time
Flagger passes a gate is recorded with the approving operator. The server binds 127.0.0.1 by
default: a Flagger running in a cluster reaches it only through a tunnel or a port-forward.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from rolldeck.engine.kube.mapping.flagger import GATE_PATH, GATE_TYPES

WAIT_MEMORY_S = 120.0  # a refusal older than this no longer says what Flagger waits for


@dataclass(frozen=True, slots=True)
class GateEvent:
    time: float
    cluster: str
    namespace: str
    canary: str
    gate: str
    actor: str  # the approving operator ("" for a refusal)
    outcome: str  # "approved" (console), "passed" (Flagger used it), "refused" (Flagger was told to wait)


class FlaggerGates:
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, clock: Callable[[], float] = time.time, on_event: Callable[[GateEvent], None] | None = None) -> None:
        self.host, self.port = host, port
        self._clock = clock
        self.on_event = on_event
        self._open: dict[tuple[str, str, str, str], str] = {}  # (cluster, ns, canary, gate) → approver
        self._refused: dict[tuple[str, str, str], tuple[str, float]] = {}  # (cluster, ns, canary) → (gate, when)
        self.events: list[GateEvent] = []
        self.version = 0  # bumped on every change the snapshot shows
        self._runner: web.AppRunner | None = None

    # --- operator side ---------------------------------------------------------------------------

    def url(self, cluster: str, gate: str) -> str:
        return f"http://{self.host}:{self.port}/{cluster}{GATE_PATH}{gate}"

    def approve(self, cluster: str, namespace: str, canary: str, gate: str, actor: str) -> None:
        if gate not in GATE_TYPES:
            raise ValueError(f"unknown gate {gate}")
        self._open[(cluster, namespace, canary, gate)] = actor
        self._record(GateEvent(self._clock(), cluster, namespace, canary, gate, actor, "approved"))

    def is_open(self, cluster: str, namespace: str, canary: str, gate: str) -> bool:
        return (cluster, namespace, canary, gate) in self._open

    def waiting(self, cluster: str) -> dict[str, str]:
        """``namespace/canary`` → the gate Flagger was last refused at, for recent refusals."""
        now = self._clock()
        return {
            f"{ns}/{canary}": gate
            for (c, ns, canary), (gate, when) in self._refused.items()
            if c == cluster and now - when <= WAIT_MEMORY_S and not self.is_open(c, ns, canary, gate)
        }

    def _record(self, event: GateEvent) -> None:
        self.events.append(event)
        del self.events[:-500]
        self.version += 1
        if self.on_event is not None:
            self.on_event(event)

    # --- Flagger side ------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._runner is not None:
            return
        app = web.Application()
        app.router.add_post("/{prefix:.*}", self._webhook)
        app.router.add_get("/healthz", _healthz)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = site._server.sockets if site._server is not None else []  # type: ignore[attr-defined]  # aiohttp keeps the bound server private; the port is read from it
        if sockets:
            self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _webhook(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["prefix"].strip("/")
        if GATE_PATH not in path + "/":
            return web.Response(status=404, text="not a rolldeck gate")
        cluster, _, gate = path.partition(GATE_PATH)
        cluster, gate = cluster.strip("/"), gate.strip("/")
        if gate not in GATE_TYPES:
            return web.Response(status=404, text=f"unknown gate {gate}")
        try:
            payload = await request.json()
            name, namespace = str(payload["name"]), str(payload["namespace"])
        except Exception:
            return web.Response(status=400, text="expected Flagger's JSON payload with name and namespace")
        key = self._match(cluster, namespace, name, gate)
        if key is not None:
            actor = self._open.pop(key)  # one use: the next call waits for a new decision
            self._refused.pop((key[0], namespace, name), None)
            self._record(GateEvent(self._clock(), key[0], namespace, name, gate, actor, "passed"))
            return web.json_response({"gate": gate, "approved_by": actor})
        previous = self._refused.get((cluster, namespace, name))
        self._refused[(cluster, namespace, name)] = (gate, self._clock())
        if previous is None or previous[0] != gate:
            self._record(GateEvent(self._clock(), cluster, namespace, name, gate, "", "refused"))
        what = "rollback not requested" if gate == "rollback" else f"{gate} waits for an operator in rolldeck"
        return web.Response(status=403, text=what)

    def _match(self, cluster: str, namespace: str, name: str, gate: str) -> tuple[str, str, str, str] | None:
        if cluster:
            key = (cluster, namespace, name, gate)
            return key if key in self._open else None
        # no cluster in the URL: only an unambiguous approval counts
        keys = [k for k in self._open if k[1:] == (namespace, name, gate)]
        return keys[0] if len(keys) == 1 else None


async def _healthz(_: web.Request) -> web.Response:
    return web.Response(text="ok")
