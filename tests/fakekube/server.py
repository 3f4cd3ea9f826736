"""The aiohttp application: one catch-all route → faults → authentication → discovery or a resource verb."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from . import auth, discovery, protobuf, verbs
from .errors import ApiError, not_found_path, status_body
from .faults import Faults
from .patching import APPLY_PATCH
from .requestlog import RequestLog, RequestRecord
from .resources import ResourceType
from .selectors import Matcher, field_selector, label_selector
from .store import Store
from .watch import serve_watch

log = logging.getLogger(__name__)

_TRUE = {"1", "t", "T", "true", "True", "TRUE"}  # Go's strconv.ParseBool (kubernetes-asyncio sends "True")
_PUBLIC = {"/version", "/healthz", "/livez", "/readyz"}


@dataclass
class ServerOptions:
    """Knobs a test may flip while the server runs."""

    git_version: str = "v1.33.1"
    bookmark_interval: float = 60.0
    silent: bool = False
    # The watch timeouts' and bookmarks' clock (None: the event loop's); a test may set a manual one.
    clock: Callable[[], float] | None = None
    # Counters a test waits on instead of sleeping: watch-loop passes and bookmarks sent.
    watch_polls: int = 0
    bookmarks_sent: int = 0

    def version_info(self) -> dict[str, str]:
        m = re.match(r"v?(\d+)\.(\d+)", self.git_version)
        major, minor = (m.group(1), m.group(2)) if m else ("", "")
        # The gcloud kubectl dispatcher picks kubectl.1.<minor> from these two fields, not gitVersion.
        return {"major": major, "minor": minor, "gitVersion": self.git_version,
                "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
                "buildDate": "2025-01-01T00:00:00Z", "goVersion": "go1.24.0", "compiler": "gc",
                "platform": "linux/amd64"}


@dataclass
class Target:
    rt: ResourceType
    namespace: str | None  # None: all namespaces (collections) or cluster-scoped
    name: str | None
    subresource: str


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Go's encoder ends every document with a newline; watch consumers read error bodies as lines.
    return web.Response(status=status, text=json.dumps(body) + "\n", content_type="application/json",
                        headers=headers)


def is_true(value: str | None) -> bool:
    return value in _TRUE


class ApiServer:
    def __init__(self, store: Store, tokens: auth.TokenTable, faults: Faults, requests: RequestLog,
                 options: ServerOptions) -> None:
        self.store = store
        self.registry = store.registry
        self.tokens = tokens
        self.faults = faults
        self.requests = requests
        self.options = options
        self.address = "127.0.0.1"
        # Who a request without credentials is. None: 401 (kubectl over plain http sends no token,
        # because client-go applies kubeconfig credentials only to TLS transports).
        self.anonymous: auth.Identity | None = None

    def app(self) -> web.Application:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    # ---- entry point ------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        headers = {k: ("<redacted>" if k.lower() == "authorization" else v) for k, v in request.headers.items()}
        record = RequestRecord(request.method, request.path, request.query_string,
                               request.headers.get("Content-Type", ""), raw.decode("utf-8", "replace"),
                               headers=headers, raw=raw)
        self.requests.record(record)
        try:
            response = await self._dispatch(request, raw, record)
        except ApiError as exc:
            response = json_response(exc.body, exc.code)
        except Exception as exc:  # a bug in the fake: make it visible to the test, not a hang
            log.error("fake apiserver failure on %s %s\n%s", request.method, request.path_qs, traceback.format_exc())
            response = json_response(status_body(500, f"fake apiserver bug: {exc!r}"), 500)
        record.status = response.status
        return response

    async def _dispatch(self, request: web.Request, raw: bytes, record: RequestRecord) -> web.StreamResponse:
        method = request.method
        is_watch = method == "GET" and is_true(request.query.get("watch"))
        canned = await self.faults.apply(request, is_watch)
        if canned is not None:
            return canned

        identity = self._authenticate(request)
        record.user = identity.user if identity else None
        path = request.path.rstrip("/") or "/"
        if path in _PUBLIC:
            if path == "/version":
                return json_response(self.options.version_info())
            return web.Response(text="ok")
        if identity is None:
            raise auth.unauthorized()

        if method == "GET":
            doc = self._discovery(path)
            if doc is not None:
                return json_response(doc)
        target = self._parse(path)
        if target.rt.group == "authorization.k8s.io":
            return self._review(request, target, identity, raw)
        verb = self._verb(method, target, is_watch)
        if not identity.can(verb, target.rt.group, target.rt.plural, target.subresource, target.namespace):
            raise auth.forbidden(identity.user, verb, target.rt.group, target.rt.plural, target.subresource,
                                 target.namespace, target.name)
        return await self._serve(request, verb, target, raw)

    def _authenticate(self, request: web.Request) -> auth.Identity | None:
        header = request.headers.get("Authorization")
        if header is None:
            return self.anonymous  # None: public endpoints only
        scheme, _, token = header.partition(" ")
        identity = self.tokens.authenticate(token.strip()) if scheme.lower() == "bearer" else None
        if identity is None:
            raise auth.unauthorized()  # presented but unknown or revoked: 401 everywhere
        return identity

    # ---- discovery and routing --------------------------------------------------------------

    def _discovery(self, path: str) -> dict | None:
        parts = [p for p in path.split("/") if p]
        if parts and parts[0] == "openapi" or path in ("/swagger.json", "/swagger-2.0.0.pb-v1"):
            raise not_found_path()  # OpenAPI is out of scope; kubectl copes without it
        if parts == ["api"]:
            return discovery.api_versions(self.address)
        if parts == ["apis"]:
            return discovery.group_list(self.registry)
        if len(parts) == 2 and parts[0] == "api":
            return discovery.resource_list(self.registry, "", parts[1]) or _raise(not_found_path())
        if len(parts) == 2 and parts[0] == "apis":
            return discovery.group(self.registry, parts[1]) or _raise(not_found_path())
        if len(parts) == 3 and parts[0] == "apis":
            return discovery.resource_list(self.registry, parts[1], parts[2]) or _raise(not_found_path())
        return None

    def _parse(self, path: str) -> Target:
        parts = [p for p in path.split("/") if p]
        if len(parts) >= 3 and parts[0] == "api":
            group, version, rest = "", parts[1], parts[2:]
        elif len(parts) >= 4 and parts[0] == "apis":
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise not_found_path()
        namespace: str | None = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            scoped = self.registry.lookup(group, version, rest[2])
            if scoped is not None and scoped.namespaced:
                namespace, rest = rest[1], rest[2:]
        rt = self.registry.lookup(group, version, rest[0])
        if rt is None or len(rest) > 3:
            raise not_found_path()
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else ""
        if rt.namespaced and name is not None and namespace is None:
            raise not_found_path()
        return Target(rt, namespace, name, sub)

    @staticmethod
    def _verb(method: str, target: Target, is_watch: bool) -> str:
        if target.name is None:
            verb = {"GET": "watch" if is_watch else "list", "POST": "create", "DELETE": "deletecollection"}.get(method)
        else:
            # GET …/{name}?watch=true is the old single-object watch (served as a name field selector).
            verb = {"GET": "watch" if is_watch and not target.subresource else "get", "PUT": "update",
                    "PATCH": "patch", "DELETE": "delete"}.get(method)
        if verb is None or verb == "deletecollection":
            raise ApiError(405, f"the server does not allow this method on the requested resource ({method})",
                           reason="MethodNotAllowed")
        return verb

    def _review(self, request: web.Request, target: Target, identity: auth.Identity, raw: bytes) -> web.Response:
        if request.method != "POST" or target.name is not None:
            raise ApiError(405, "the server does not allow this method on the requested resource",
                           reason="MethodNotAllowed")
        if request.headers.get("Content-Type", "").startswith(protobuf.MEDIA_TYPE):
            body = protobuf.decode_review(raw)  # kubectl auth can-i; we answer JSON (it accepts both)
        else:
            body = _json_body(raw)
        if target.rt.plural == "selfsubjectaccessreviews":
            return json_response(auth.self_subject_access_review(identity, body), 201)
        return json_response(auth.self_subject_rules_review(identity, body), 201)

    # ---- watch clock and counters (test controls) ------------------------------------------------

    def _watch_clock(self) -> float:
        clock = self.options.clock
        return clock() if clock is not None else asyncio.get_running_loop().time()

    def _count_watch_poll(self) -> None:
        self.options.watch_polls += 1

    def _count_bookmark(self) -> None:
        self.options.bookmarks_sent += 1

    # ---- resource verbs ---------------------------------------------------------------------

    async def _serve(self, request: web.Request, verb: str, target: Target, raw: bytes) -> web.StreamResponse:
        q = request.query
        dry_run = _dry_run(q.getall("dryRun", []))
        rt, ns, name, sub = target.rt, target.namespace, target.name, target.subresource
        ns_key = (ns or "") if rt.namespaced else ""
        if verb in ("list", "watch"):
            labels, fields = label_selector(q.get("labelSelector")), field_selector(q.get("fieldSelector"))
            if name is not None:
                fields = _named(fields, name)
            if verb == "watch":
                timeout = _number(q.get("timeoutSeconds"), "timeoutSeconds")
                return await serve_watch(
                    request, self.store, rt, ns if rt.namespaced else None, labels, fields,
                    resource_version=q.get("resourceVersion"),
                    timeout_seconds=timeout or None,
                    bookmarks=is_true(q.get("allowWatchBookmarks")),
                    bookmark_interval=lambda: self.options.bookmark_interval,
                    silent=lambda: self.options.silent,
                    clock=self._watch_clock,
                    on_poll=self._count_watch_poll,
                    on_bookmark=self._count_bookmark)
            return json_response(self._list(rt, ns if rt.namespaced else None, labels, fields,
                                            q.get("limit"), q.get("continue")))
        if verb == "create":
            if rt.namespaced and ns is None:
                raise not_found_path()
            return json_response(verbs.create(self.store, rt, ns_key, _json_body(raw), dry_run=dry_run), 201)
        assert name is not None  # every other verb was routed from …/{name}
        if verb == "get":
            return json_response(verbs.get(self.store, rt, ns_key, name, sub))
        if verb == "update":
            return json_response(verbs.update(self.store, rt, ns_key, name, sub, _json_body(raw), dry_run=dry_run))
        if verb == "patch":
            content_type = request.headers.get("Content-Type", "")
            media = content_type.split(";")[0].strip().lower()
            body: Any = None
            if media != APPLY_PATCH:  # SSA bodies are YAML; refused later with a clear 415
                body = _json_body(raw) if media.endswith("json") else raw.decode("utf-8", "replace")
            return json_response(verbs.patch(self.store, rt, ns_key, name, sub, content_type, body,
                                             dry_run=dry_run))
        body = _json_body(raw) if raw.strip() else None  # delete: optional DeleteOptions
        return json_response(verbs.delete(self.store, rt, ns_key, name, body, dry_run=dry_run))

    def _list(self, rt: ResourceType, namespace: str | None, labels: Any, fields: Any,
              limit: str | None, continue_token: str | None) -> dict:
        n = int(_number(limit, "limit") or 0) or None
        items, rv, token, remaining = self.store.list_page(rt, namespace, labels, fields, n, continue_token)
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        if token:
            meta["continue"] = token
            meta["remainingItemCount"] = remaining
        # Typed (built-in) lists omit apiVersion/kind on items; custom resource lists keep them.
        rendered = [verbs.render(rt, o, with_type=not rt.builtin) for o in items]
        return {"apiVersion": rt.group_version, "kind": f"{rt.kind}List", "metadata": meta, "items": rendered}


def _number(value: str | None, name: str) -> float | None:
    if not value:
        return None
    try:
        return float(int(value))
    except ValueError as exc:
        raise ApiError(400, f'{name}: Invalid value: "{value}": must be an integer') from exc


def _named(fields: Matcher, name: str) -> Matcher:
    return lambda obj: fields(obj) and obj["metadata"].get("name") == name


def _raise(exc: Exception) -> Any:
    raise exc


def _json_body(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError as exc:
        raise ApiError(400, f"error decoding request body as JSON: {exc}") from exc


def _dry_run(values: list[str]) -> bool:
    for value in values:
        if value != "All":
            raise ApiError(400, f'dryRun: Unsupported value: "{value}": supported values: "All"')
    return bool(values)
