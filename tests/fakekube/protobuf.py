"""Just enough protobuf to read the self-subject reviews kubectl sends.

kubectl's typed clients POST `SelfSubjectAccessReview` / `SelfSubjectRulesReview` as
`application/vnd.kubernetes.protobuf` (with JSON also in Accept, so answering JSON is fine).
Wire format: the `k8s\\0` magic, then `runtime.Unknown{typeMeta=1{apiVersion=1, kind=2}, raw=2}`;
`raw` is the review message. Field numbers are from k8s.io/api/authorization/v1/generated.proto.
"""

from __future__ import annotations

from typing import Any

from .errors import ApiError

MEDIA_TYPE = "application/vnd.kubernetes.protobuf"
_MAGIC = b"k8s\x00"


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def fields(data: bytes) -> dict[int, list[bytes | int]]:
    """Field number → values (bytes for length-delimited fields, int for varints)."""
    out: dict[int, list[bytes | int]] = {}
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            out.setdefault(number, []).append(value)
        elif wire == 2:
            length, pos = _varint(data, pos)
            out.setdefault(number, []).append(data[pos:pos + length])
            pos += length
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
    return out


def _bytes(parsed: dict[int, list[bytes | int]], number: int) -> bytes | None:
    """The first length-delimited value of a field (an embedded message or a string), if any."""
    value = parsed.get(number, [None])[0]
    return value if isinstance(value, bytes) else None


def _strings(message: bytes, names: dict[int, str]) -> dict[str, str]:
    parsed = fields(message)
    return {name: value.decode() for n, name in names.items() if (value := _bytes(parsed, n)) is not None}


_RESOURCE_ATTRIBUTES = {1: "namespace", 2: "verb", 3: "group", 4: "version", 5: "resource", 6: "subresource",
                        7: "name"}
_NON_RESOURCE_ATTRIBUTES = {1: "path", 2: "verb"}


def decode_review(raw: bytes) -> dict[str, Any]:
    """The review as the JSON dict the JSON path would have received."""
    try:
        if not raw.startswith(_MAGIC):
            raise ValueError("missing k8s protobuf magic")
        unknown = fields(raw[len(_MAGIC):])
        type_meta = _strings(_bytes(unknown, 1) or b"", {1: "apiVersion", 2: "kind"})
        spec_bytes = _bytes(fields(_bytes(unknown, 2) or b""), 2) or b""
        spec: dict[str, Any] = {}
        if type_meta.get("kind") == "SelfSubjectRulesReview":
            spec = _strings(spec_bytes, {1: "namespace"})
        else:
            spec_fields = fields(spec_bytes)
            if (attrs := _bytes(spec_fields, 1)) is not None:
                spec["resourceAttributes"] = _strings(attrs, _RESOURCE_ATTRIBUTES)
            if (non := _bytes(spec_fields, 2)) is not None:
                spec["nonResourceAttributes"] = _strings(non, _NON_RESOURCE_ATTRIBUTES)
        return {**type_meta, "metadata": {}, "spec": spec}
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"unable to decode protobuf review: {exc}") from exc
