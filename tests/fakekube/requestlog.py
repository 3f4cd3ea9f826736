"""The request log tests assert on: method, path+query, content type, body, and the answer's status."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs


@dataclass
class RequestRecord:
    method: str
    path: str
    query: str  # raw query string
    content_type: str
    body: str  # decoded text ("" when none)
    user: str | None = None  # the authenticated user, once known
    status: int | None = None  # the HTTP status answered, once known
    headers: dict[str, str] = field(default_factory=dict)  # Authorization redacted
    raw: bytes = b""  # the body as received (protobuf reviews from kubectl are not text)

    @property
    def path_qs(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path

    @property
    def params(self) -> dict[str, list[str]]:
        return parse_qs(self.query, keep_blank_values=True)

    def param(self, name: str) -> str | None:
        values = self.params.get(name)
        return values[0] if values else None

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or None if it is not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    def __str__(self) -> str:
        return f"{self.method} {self.path_qs} [{self.content_type}] -> {self.status}"


class RequestLog(list[RequestRecord]):
    """A plain list of records plus a few filters; safe to append from the server thread."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def record(self, entry: RequestRecord) -> None:
        with self._lock:
            self.append(entry)

    def matching(self, method: str | None = None, path_contains: str | None = None,
                 param: tuple[str, str] | None = None) -> list[RequestRecord]:
        with self._lock:
            items = list(self)
        return [r for r in items
                if (method is None or r.method == method.upper())
                and (path_contains is None or path_contains in r.path_qs)
                and (param is None or r.param(param[0]) == param[1])]

    def writes(self) -> list[RequestRecord]:
        return [r for r in list(self) if r.method in ("POST", "PUT", "PATCH", "DELETE")]
