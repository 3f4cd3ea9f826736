"""Flags from the Unleash admin API (httpx, async): one project, one environment.

Reads ``GET /api/admin/projects/{project}/features`` and each feature's detail; the kill switch is the
environment's ``…/environments/{env}/off`` (restore: ``…/on``); a rollout share is the gradual-rollout
strategy's (``flexibleRollout``) ``rollout`` parameter, edited with a JSON patch whose ``test`` op
carries the share the operator saw, so Unleash itself refuses a concurrent edit. Shapes checked
against Unleash 7.4's own OpenAPI (``/docs/openapi.json``).

Unleash has no precondition on ``on``/``off``: the flag is read fresh just before and the write is
refused when it no longer matches what the operator saw (a gap of one request; both verbs are
idempotent, so a kill racing another kill is harmless).

A flag maps onto ``Flag`` as two variants, ``on`` (the treatment) and ``off`` (the default): Unleash
SDKs evaluate a flag enabled in the environment with no strategies as on for everyone, and the first
active gradual rollout gives the on share. The admin token goes only into the request header.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx

from rolldeck.engine.changes import FlagChange, KillFlag, RestoreFlag, SetFlagRollout, describe_flag_state
from rolldeck.engine.flags import FlagConflict, FlagError
from rolldeck.engine.model import Flag, FlagSource, FlagState

ON, OFF = "on", "off"
GRADUAL = "flexibleRollout"
_MAX_REASON = 160

JsonObject = Mapping[str, object]


@dataclass(frozen=True, slots=True)
class UnleashTarget:
    url: str  # the server's root, e.g. https://unleash.example.com (no credentials)
    token: str = field(repr=False)  # an admin API token
    project: str = "default"
    environment: str = "production"


@dataclass(frozen=True, slots=True)
class _Strategy:
    id: str
    name: str
    disabled: bool
    rollout: str | None  # flexibleRollout's parameter, as Unleash stores it (a string)
    constraints: int
    stickiness: str


class UnleashFlags:
    """``FlagSource`` over one Unleash project and environment."""

    def __init__(self, target: UnleashTarget, *, timeout_s: float = 10.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.target = target
        self._client = httpx.AsyncClient(
            base_url=target.url.rstrip("/"),
            headers={"Authorization": target.token, "Accept": "application/json"},
            timeout=timeout_s,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    # --- reading ----------------------------------------------------------------------------------
    def _features(self, *rest: str) -> str:
        parts = "/".join(quote(p, safe="") for p in rest)
        return f"/api/admin/projects/{quote(self.target.project, safe='')}/features" + (f"/{parts}" if parts else "")

    async def list_flags(self) -> tuple[Flag, ...]:
        listing = await self._get(self._features())
        names = [str(f.get("name")) for f in _objects(listing.get("features")) if not f.get("archived")]
        return tuple([await self.flag(name) for name in names])

    async def flag(self, key: str) -> Flag:
        return (await self._read(key))[0]

    async def _read(self, key: str) -> tuple[Flag, list[_Strategy]]:
        """The flag and its strategies from one read, so a write's guard is exactly what was read."""
        detail = await self._get(self._features(key))
        environment = self._environment(detail, key)
        strategies = _strategies(environment)
        flag = Flag(
            key=key,
            state=FlagState.ENABLED if environment.get("enabled") is True else FlagState.DISABLED,
            variants=(ON, OFF),
            default_variant=OFF,
            shares=_shares(strategies),
            environment=self.target.environment,
            targeting=_targeting(strategies),
            last_changed_by=await self._last_changed_by(key),
            source=FlagSource.UNLEASH,
        )
        return flag, strategies

    def _environment(self, detail: JsonObject, key: str) -> JsonObject:
        for environment in _objects(detail.get("environments")):
            if environment.get("name") == self.target.environment:
                return environment
        raise FlagError(f"Unleash flag {key} has no environment {self.target.environment} in project {self.target.project}")

    async def _last_changed_by(self, key: str) -> str:
        events = await self._get(f"/api/admin/events/{quote(key, safe='')}")
        for event in _objects(events.get("events")):
            if event.get("environment") in (self.target.environment, None):
                return str(event.get("createdBy") or "")
        return ""

    # --- writing ----------------------------------------------------------------------------------
    async def apply(self, change: FlagChange) -> str:
        now, strategies = await self._read(change.key)
        where = f"{change.key} in {self.target.environment}"
        match change:
            case KillFlag(expect=seen):
                self._still(now, seen, shares_matter=False)
                await self._post(self._features(change.key, "environments", self.target.environment, "off"))
                return f"Unleash: {where} off"
            case RestoreFlag(expect=seen):
                self._still(now, seen, shares_matter=True)
                await self._post(self._features(change.key, "environments", self.target.environment, "on"))
                return f"Unleash: {where} on"
            case SetFlagRollout(shares=shares, expect=seen):
                self._still(now, seen, shares_matter=True)
                return await self._set_rollout(change.key, dict(shares).get(ON, 0.0), seen, strategies)

    def _still(self, now: Flag, seen: Flag, *, shares_matter: bool) -> None:
        if now.state is not seen.state:
            raise FlagConflict(
                f"flag {now.key} now {describe_flag_state(now.state)} in Unleash (you saw {describe_flag_state(seen.state)})"
            )
        if shares_matter and not now.same_shares(seen):
            raise FlagConflict(f"flag {now.key} now {now.describe_shares()} in Unleash (you saw {seen.describe_shares()})")

    async def _set_rollout(self, key: str, percent: float, seen: Flag, strategies: list[_Strategy]) -> str:
        if percent != int(percent):
            raise FlagError(f"Unleash rollouts are whole percents (not {percent:g}%)")
        gradual = [s for s in strategies if s.name == GRADUAL and not s.disabled]
        if len(gradual) != 1:
            raise FlagError(f"flag {key} in {self.target.environment} needs exactly one active gradual rollout to edit (has {len(gradual)})")
        strategy = gradual[0]
        seen_rollout = seen.share(ON)
        patch = [
            # Unleash stores parameters as strings; it answers a failed test with TEST_OPERATION_FAILED
            {"op": "test", "path": "/parameters/rollout", "value": strategy.rollout},
            {"op": "replace", "path": "/parameters/rollout", "value": str(int(percent))},
        ]
        if strategy.rollout is None or float(strategy.rollout) != seen_rollout:
            raise FlagConflict(f"flag {key} now on {strategy.rollout}% in Unleash (you saw on {seen_rollout:g}%)")
        path = self._features(key, "environments", self.target.environment, "strategies", strategy.id)
        response = await self._request("PATCH", path, json_body=patch)
        if response.status_code >= 400 and b"TEST_OPERATION_FAILED" in response.content:
            raise FlagConflict(f"flag {key} changed in Unleash since you looked (its rollout moved); review the new plan")
        self._check(response, "PATCH", path)
        return f"Unleash: {key} in {self.target.environment} gradual rollout {seen_rollout:g}% → {int(percent)}%"

    # --- HTTP -------------------------------------------------------------------------------------
    async def _request(self, method: str, path: str, *, json_body: object = None) -> httpx.Response:
        try:
            return await self._client.request(method, path, json=json_body)
        except httpx.TimeoutException:
            raise FlagError(f"Unleash at {self.target.url}: {method} timed out") from None
        except httpx.HTTPError as error:
            raise FlagError(f"Unleash at {self.target.url}: {type(error).__name__}") from None

    def _check(self, response: httpx.Response, method: str, path: str) -> None:
        if response.status_code < 400:
            return
        reason = _message(response) or response.reason_phrase
        raise FlagError(_one_line(f"Unleash {method} {path}: {response.status_code} {reason}"))

    async def _get(self, path: str) -> JsonObject:
        response = await self._request("GET", path)
        self._check(response, "GET", path)
        try:
            document = response.json()
        except ValueError:
            raise FlagError(f"Unleash GET {path}: the answer is not JSON") from None
        if not isinstance(document, dict):
            raise FlagError(f"Unleash GET {path}: the answer is not a JSON object")
        return document

    async def _post(self, path: str) -> None:
        response = await self._request("POST", path)
        self._check(response, "POST", path)


def _objects(value: object) -> list[JsonObject]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _strategies(environment: JsonObject) -> list[_Strategy]:
    out = []
    for raw in _objects(environment.get("strategies")):
        parameters = raw.get("parameters")
        params: JsonObject = parameters if isinstance(parameters, dict) else {}
        rollout = params.get("rollout")
        constraints = raw.get("constraints")
        out.append(
            _Strategy(
                id=str(raw.get("id") or ""),
                name=str(raw.get("name") or ""),
                disabled=raw.get("disabled") is True,
                rollout=str(rollout) if rollout is not None else None,
                constraints=len(constraints) if isinstance(constraints, list) else 0,
                stickiness=str(params.get("stickiness") or "default"),
            )
        )
    return out


def _shares(strategies: list[_Strategy]) -> tuple[tuple[str, float], ...]:
    active = [s for s in strategies if not s.disabled]
    on = 100.0  # enabled with no active strategy: on for everyone (the SDKs' rule)
    gradual = next((s for s in active if s.name == GRADUAL and s.rollout is not None), None)
    if gradual is not None and gradual.rollout is not None:
        try:
            on = min(100.0, max(0.0, float(gradual.rollout)))
        except ValueError:
            on = 0.0
    return ((ON, on), (OFF, 100.0 - on))


def _targeting(strategies: list[_Strategy]) -> str:
    parts = []
    for s in strategies:
        text = f"gradual rollout {s.rollout}% by {s.stickiness}" if s.name == GRADUAL else s.name
        if s.constraints:
            text += f" ({s.constraints} constraint{'s' if s.constraints > 1 else ''})"
        if s.disabled:
            text += " (disabled)"
        parts.append(text)
    return "; ".join(parts) or "no strategy: on for everyone when enabled"


def _message(response: httpx.Response) -> str:
    try:
        document = response.json()
    except ValueError:
        return ""
    if isinstance(document, dict):
        message = document.get("message")
        if isinstance(message, str):
            return message.split("\n")[0]  # Unleash's first line; the rest can carry the object
    return ""


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _MAX_REASON else flat[: _MAX_REASON - 1] + "…"


__all__ = ["UnleashFlags", "UnleashTarget"]
