"""``FlagSource`` over one OpenFeature ``FeatureFlag`` object, through kubernetes-asyncio.

Reads the object fresh for every change (flags are changed rarely and must never be written from a
stale cache), builds the guarded JSON patch (``verbs.featureflags``) and sends it with
``fieldManager=rolldeck``, an explicit content type and a timeout (``verbs.write.send``); dry run
is the API server's ``dryRun=All``. So kubectl, flagd and a GitOps controller see the same object.
"""

from __future__ import annotations

from typing import Any

from kubernetes_asyncio.client import ApiClient

from rolldeck.engine.changes import FlagChange
from rolldeck.engine.flags import FlagConflict, FlagError
from rolldeck.engine.kube.errors import HttpError, describe
from rolldeck.engine.kube.mapping.featureflags import FEATURE_FLAGS, flags_of
from rolldeck.engine.kube.resources import get_call, read_json
from rolldeck.engine.kube.verbs import featureflags as verbs
from rolldeck.engine.kube.verbs.write import StateChanged, Write, send
from rolldeck.engine.model import Flag

READ_TIMEOUT = (5.0, 30.0)


class OpenFeatureFlags:
    def __init__(self, api: ApiClient, namespace: str, name: str, *, environment: str = "") -> None:
        self.api = api
        self.namespace = namespace
        self.name = name
        self.environment = environment

    @property
    def where(self) -> str:
        return f"FeatureFlag {self.namespace}/{self.name}"

    async def read(self) -> dict[str, Any]:
        try:
            obj: dict[str, Any] = await read_json(
                await get_call(self.api, FEATURE_FLAGS, self.namespace, self.name)(_preload_content=False, _request_timeout=READ_TIMEOUT)
            )
        except Exception as error:  # one safe line whatever failed: API answer, transport, timeout
            raise FlagError(f"{self.where}: {describe(error)}") from None
        return obj

    async def list_flags(self) -> tuple[Flag, ...]:
        return flags_of(await self.read(), environment=self.environment)

    async def plan_write(self, change: FlagChange) -> Write:
        try:
            return verbs.build(change, await self.read())
        except StateChanged as error:
            raise FlagConflict(f"{self.where}: {error}") from None

    async def apply(self, change: FlagChange, *, dry_run: bool = False) -> str:
        write = await self.plan_write(change)
        try:
            await send(self.api, write, rv=None, dry_run=dry_run)
        except HttpError as error:
            if error.is_conflict:
                raise FlagConflict(f"{self.where}: flag {change.key} changed since you looked; review the new plan") from None
            raise FlagError(f"{self.where}: {describe(error)}") from None
        except Exception as error:
            raise FlagError(f"{self.where}: {describe(error)}") from None
        return f"{'dry run: ' if dry_run else ''}{write.note} ({self.where})"


__all__ = ["OpenFeatureFlags"]
