"""One-line, credential-free descriptions of API and transport failures.

``ApiException.__str__`` includes response headers and body, and request objects carry the bearer
token, so nothing here ever formats an exception object directly: only status, reason and the
``Status.message`` the API server wrote for humans. Every line passes ``one_line``, which also
scrubs the credentials registered in ``redaction`` (a server may echo the request's headers).
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp

from rolldeck.engine.kube.redaction import scrub

MAX_LINE = 200


@dataclass(eq=False)
class HttpError(Exception):
    """A non-2xx answer from the API server, already reduced to what an operator may read."""

    status: int
    reason: str  # Status.reason ("Conflict", "Forbidden") or the HTTP reason phrase
    message: str  # Status.message, or a trimmed first line of a non-JSON body
    retry_after: float | None = None
    cause: str = ""  # Status.details.causes[0].message, e.g. "testing value /spec/x failed: test failed"

    def __str__(self) -> str:
        text = f"{self.status} {self.reason}".strip()
        text = f"{text}: {self.message}" if self.message else text
        return f"{text} ({self.cause})" if self.cause else text

    @property
    def is_conflict(self) -> bool:
        """409 (stale resourceVersion) or 422 from a failed JSON-patch ``test`` (not a validation 422)."""
        return self.status == 409 or (self.status == 422 and "test failed" in f"{self.message} {self.cause}".lower())


class AnswerTooLarge(Exception):
    """A Kubernetes answer past the byte cap (``resources.MAX_BODY_BYTES``): one line naming where."""


def one_line(text: str, limit: int = MAX_LINE) -> str:
    """One line, at most ``limit`` characters, with every registered credential scrubbed first."""
    line = " ".join(scrub(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # HTTP-date form: rare from API servers; fall back to our own back-off


def http_error(status: int, reason: str, body: bytes | str | None, headers: Mapping[str, str] | None = None) -> HttpError:
    """Build an ``HttpError`` from a response, reading only the Status fields meant for humans."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    message = cause = ""
    try:
        data = json.loads(text) if text else None
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("kind") == "Status":
        message = str(data.get("message") or "")
        reason = str(data.get("reason") or reason or "")
        causes = (data.get("details") or {}).get("causes") or []
        if causes and isinstance(causes[0], dict):
            cause = str(causes[0].get("message") or "")
    elif text:
        message = text.strip().splitlines()[0] if text.strip() else ""
    retry_after = parse_retry_after(headers.get("Retry-After")) if headers is not None else None
    return HttpError(status, reason or "", one_line(message), retry_after, one_line(cause))


def describe(error: BaseException) -> str:
    """One safe line for any failure we expect from talking to an API server."""
    if isinstance(error, HttpError):
        return one_line(str(error))
    # kubernetes_asyncio's ApiException: status and reason only (its str() carries headers and body)
    status = getattr(error, "status", None)
    if status is not None and hasattr(error, "reason") and hasattr(error, "body"):
        body = getattr(error, "body", None)
        return one_line(str(http_error(int(status or 0), str(error.reason or ""), body)))
    if isinstance(error, aiohttp.ClientConnectorCertificateError):
        return "TLS certificate not trusted (check certificate-authority in kubeconfig)"
    if isinstance(error, aiohttp.ClientConnectorError):
        return f"cannot connect to {error.host}:{error.port} ({one_line(str(error.os_error.strerror or error.os_error), 80)})"
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return "server closed the connection"
    if isinstance(error, aiohttp.ClientPayloadError):
        return "connection dropped mid-stream"
    if isinstance(error, (asyncio.TimeoutError, TimeoutError)):
        return "timed out waiting for the API server"
    if isinstance(error, ssl.SSLError):
        return f"TLS error: {one_line(error.reason or 'handshake failed', 80)}"
    if isinstance(error, aiohttp.ClientError):
        return f"connection error ({type(error).__name__})"
    if isinstance(error, AnswerTooLarge):  # its line says what and where
        return one_line(str(error))
    if isinstance(error, ValueError) and "AUTHORIZATION" in str(error):
        return "a ~/.netrc entry for this API server clashes with the bearer token; remove it"  # pitfall 18
    return f"{type(error).__name__}: {one_line(str(error), 120)}"
