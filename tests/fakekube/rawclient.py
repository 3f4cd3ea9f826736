"""A thin aiohttp client for tests that talk to a fake cluster without kubernetes-asyncio."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from tests.waiting import HANG_GUARD_S

from .cluster import FakeCluster


class RawClient:
    """`async with RawClient(cluster) as api: status, body = await api.get("/api/v1/pods")`."""

    def __init__(self, cluster: FakeCluster, token: str | None = "default") -> None:
        self.cluster = cluster
        self.token = cluster.token if token == "default" else token
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> "RawClient":
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        ssl = self.cluster.tls.client_context() if self.cluster.tls else None
        connector = aiohttp.TCPConnector(ssl=ssl) if ssl else aiohttp.TCPConnector()
        self._session = aiohttp.ClientSession(headers=headers, connector=connector,
                                              timeout=aiohttp.ClientTimeout(total=10))
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._session is not None
        await self._session.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        assert self._session is not None, "use `async with RawClient(...)`"
        return self._session

    async def request(self, method: str, path: str, body: Any = None, content_type: str = "application/json",
                      params: dict[str, str] | None = None) -> tuple[int, Any]:
        data = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
        headers = {"Content-Type": content_type} if body is not None else {}
        async with self.session.request(method, self.cluster.url + path, data=data, headers=headers,
                                        params=params) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text)
            except ValueError:
                return resp.status, text

    async def get(self, path: str, **params: str) -> tuple[int, Any]:
        return await self.request("GET", path, params=params or None)

    async def post(self, path: str, body: Any, **params: str) -> tuple[int, Any]:
        return await self.request("POST", path, body, params=params or None)

    async def put(self, path: str, body: Any, **params: str) -> tuple[int, Any]:
        return await self.request("PUT", path, body, params=params or None)

    async def patch(self, path: str, body: Any, content_type: str = "application/merge-patch+json",
                    **params: str) -> tuple[int, Any]:
        return await self.request("PATCH", path, body, content_type, params=params or None)

    async def delete(self, path: str, body: Any = None, **params: str) -> tuple[int, Any]:
        return await self.request("DELETE", path, body, params=params or None)

    async def watch(self, path: str, *, timeout: float = HANG_GUARD_S, **params: str) -> AsyncIterator[dict[str, Any]]:
        """Yield decoded watch events until the server ends the stream (``timeout`` only guards
        against a hung server: tests wait on events and counters, never on it)."""
        query = {"watch": "true", **params}
        async with self.session.get(self.cluster.url + path, params=query,
                                    timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
            async for line in resp.content:
                if line.strip():
                    yield json.loads(line)
