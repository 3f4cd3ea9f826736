"""Response bodies read with a byte cap: on the wire and after decompression.

A server's answer is read chunk by chunk and refused the moment it passes the cap, before anything
parses it: a 300 MB answer costs at most the cap, and a gzip bomb (a few KB that inflate to
gigabytes) is inflated with zlib's ``max_length``, so it stops at the cap too instead of expanding a
whole chunk first. Only the encodings the caller asked for are decoded here (``gzip``, ``deflate``);
an HTTP client that decodes on its own (aiohttp, in bounded steps) passes ``identity``.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterable

MiB = 1024 * 1024


class BodyTooLarge(Exception):
    """More than ``cap`` bytes; ``wire`` and ``decoded`` are what was read before stopping."""

    def __init__(self, cap: int, wire: int, decoded: int) -> None:
        super().__init__(cap, wire, decoded)
        self.cap, self.wire, self.decoded = cap, wire, decoded

    def __str__(self) -> str:
        return f"exceeds {size(self.cap)} (stopped after {self.decoded:,} bytes, {self.wire:,} on the wire)"


class UnsupportedEncoding(ValueError):
    """A ``Content-Encoding`` we did not ask for."""


def size(n: int) -> str:
    return f"{n // MiB} MiB" if n % MiB == 0 else f"{n:,} bytes"


def _decoder(encoding: str) -> zlib._Decompress | None:
    name = encoding.strip().lower()
    if name in ("", "identity"):
        return None
    if name == "gzip":
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if name == "deflate":
        return zlib.decompressobj()
    raise UnsupportedEncoding(f"unsupported Content-Encoding {name[:20]!r}")


async def read_capped(chunks: AsyncIterable[bytes], cap: int, *, encoding: str = "identity", declared: str | None = None) -> bytes:
    """The whole body, at most ``cap`` bytes once decoded; ``BodyTooLarge`` as soon as it is more.

    ``declared`` is the Content-Length header, if any: a body that says it is too large is refused
    before one byte is read. ``chunks`` are the bytes as they came off the wire (still encoded).
    """
    if declared is not None and declared.strip().isdigit() and int(declared) > cap:
        raise BodyTooLarge(cap, 0, 0)
    decoder = _decoder(encoding)
    body = bytearray()
    wire = 0
    async for chunk in chunks:
        wire += len(chunk)
        if decoder is None:
            body += chunk
        else:
            try:
                # never more than one byte past the cap, however well the chunk compresses
                body += decoder.decompress(chunk, cap + 1 - len(body))
            except zlib.error:
                raise UnsupportedEncoding(f"the {encoding} body is corrupt") from None
        if len(body) > cap or wire > cap:
            raise BodyTooLarge(cap, wire, len(body))
        if decoder is not None and decoder.eof:
            break  # one member: what follows (junk, another member) is not read at all
    return bytes(body)
