"""Kubernetes `Status` error bodies and the exception that carries them to the HTTP layer."""

from __future__ import annotations

from typing import Any

REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
}


def status_body(code: int, message: str, reason: str | None = None,
                details: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success" if code < 400 else "Failure",
        "message": message,
        "reason": reason if reason is not None else REASONS.get(code, ""),
        "code": code,
    }
    if details:
        body["details"] = details
    return body


class ApiError(Exception):
    """Raised anywhere below the HTTP layer; the server turns it into a Status response."""

    def __init__(self, code: int, message: str, reason: str | None = None,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.body = status_body(code, message, reason, details)


def not_found(qualified: str, name: str) -> ApiError:
    resource, _, grp = qualified.partition(".")
    return ApiError(404, f'{qualified} "{name}" not found',
                    details={"name": name, "group": grp, "kind": resource})


def not_found_path() -> ApiError:
    return ApiError(404, "the server could not find the requested resource", details={})


def already_exists(qualified: str, name: str) -> ApiError:
    resource, _, grp = qualified.partition(".")
    return ApiError(409, f'{qualified} "{name}" already exists', reason="AlreadyExists",
                    details={"name": name, "group": grp, "kind": resource})


def conflict(qualified: str, name: str) -> ApiError:
    resource, _, grp = qualified.partition(".")
    return ApiError(
        409,
        f'Operation cannot be fulfilled on {qualified} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again",
        details={"name": name, "group": grp, "kind": resource},
    )


def invalid(kind_qualified: str, name: str, field: str, detail: str) -> ApiError:
    """422 like the validation layer: `Kind.group "name" is invalid: field: detail`."""
    return ApiError(422, f'{kind_qualified} "{name}" is invalid: {field}: {detail}',
                    details={"name": name, "kind": kind_qualified.partition(".")[0],
                             "group": kind_qualified.partition(".")[2],
                             "causes": [{"reason": "FieldValueInvalid", "message": detail, "field": field}]})
