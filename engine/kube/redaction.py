"""Credentials never come back as text: the one place that scrubs what servers and plugins say.

Every credential a context authenticates with — a bearer token (from the kubeconfig, a token file
or an exec plugin), a basic-auth password and the ``Authorization`` header value built from it — is
registered here when it is loaded or fetched. ``errors.one_line``, through which every line made
from an API server's answer or an exec plugin's output passes (error texts, Status messages and
causes, plain-text bodies, exec stderr, connection errors), and the dry run's lines replace each
registered value with ``REDACTED`` before the text reaches a model field, an audit record, a
notification or a log. A server that echoes the request's headers back therefore shows nothing.

Objects are scrubbed too, as they enter the adapter (``resources.read_json`` for every answer read
whole — lists, GETs, patch answers — and the reflector for every watch event): a string inside one
that repeats a credential (an annotation, a condition's message) is stored scrubbed, so no mapped
model field can carry it.
A guarded patch that tests such a string then fails its ``test`` and is refused, never misapplied.
"""

from __future__ import annotations

import base64
import re
import threading
from typing import Any

REDACTED = "‹redacted›"
MIN_LENGTH = 4  # shorter values would scrub ordinary words; no real credential is this short


class Secrets:
    def __init__(self) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, *values: str | None) -> None:
        fresh = {v.strip() for v in values if v and len(v.strip()) >= MIN_LENGTH} - self._values
        if not fresh:
            return
        with self._lock:
            self._values |= fresh
            # longest first: a header value ("Basic …") goes before any shorter value inside it
            alternatives = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in alternatives))

    def add_basic_auth(self, username: str | None, password: str | None) -> None:
        if not password:
            return
        encoded = base64.b64encode(f"{username or ''}:{password}".encode()).decode()
        self.add(password, encoded)

    def scrub(self, text: str) -> str:
        pattern = self._pattern
        return pattern.sub(REDACTED, text) if pattern is not None and text else text

    def scrub_object(self, value: Any) -> Any:
        """The same scrub over every string inside a decoded API object (annotations, conditions'
        messages, status text), in place; returns it. Nothing to do until a credential is known."""
        pattern = self._pattern
        if pattern is not None:
            _scrub_tree(value, pattern)
        return value


def _scrub_tree(value: Any, pattern: re.Pattern[str]) -> None:
    stack = [value]
    while stack:  # iterative: an object nested deep cannot exhaust the stack
        node = stack.pop()
        if isinstance(node, dict):
            for key, item in node.items():
                if isinstance(item, str):
                    if pattern.search(item):
                        node[key] = pattern.sub(REDACTED, item)
                elif isinstance(item, (dict, list)):
                    stack.append(item)
        elif isinstance(node, list):
            for index, item in enumerate(node):
                if isinstance(item, str):
                    if pattern.search(item):
                        node[index] = pattern.sub(REDACTED, item)
                elif isinstance(item, (dict, list)):
                    stack.append(item)


SECRETS = Secrets()  # process-wide: a line from one context's server never shows another's credential


def scrub(text: str) -> str:
    return SECRETS.scrub(text)


def scrub_object(value: Any) -> Any:
    return SECRETS.scrub_object(value)
