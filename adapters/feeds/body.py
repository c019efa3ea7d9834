"""Reading a response body under a byte cap that applies after decompression.

aiohttp's own decompression would hand over whole expanded chunks before we can count
them; a 500 KiB gzip bomb expands to hundreds of MiB. Here the compressed stream is read in
small chunks and inflated with ``max_length`` so memory never exceeds the cap plus a chunk.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from typing import Protocol

from bot.core.errors import FetchError

_CHUNK = 64 * 1024


class _Inflater(Protocol):
    def feed(self, data: bytes, limit: int) -> bytes: ...


class _Identity:
    def feed(self, data: bytes, limit: int) -> bytes:
        return data[:limit]


class _Zlib:
    def __init__(self, wbits: int) -> None:
        self._obj = zlib.decompressobj(wbits)
        self._raw_fallback = wbits == zlib.MAX_WBITS

    def feed(self, data: bytes, limit: int) -> bytes:
        try:
            return self._obj.decompress(data, limit)
        except zlib.error:
            # "deflate" is sent both with and without the zlib header in the wild.
            if not self._raw_fallback:
                raise
            self._raw_fallback = False
            self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
            return self._obj.decompress(data, limit)

    @property
    def pending(self) -> bytes:
        return self._obj.unconsumed_tail


def _inflater(content_encoding: str) -> _Inflater:
    encoding = content_encoding.strip().lower()
    if encoding in ("", "identity"):
        return _Identity()
    if encoding in ("gzip", "x-gzip"):
        return _Zlib(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return _Zlib(zlib.MAX_WBITS)
    raise FetchError(f"the server used an unsupported compression ({encoding})", transient=False)


async def read_capped(
    chunks: AsyncIterator[bytes], content_encoding: str, max_bytes: int
) -> tuple[bytes, int]:
    """The decompressed body and the number of bytes that came over the wire.

    Raises FetchError when the decompressed size passes ``max_bytes``."""
    inflater = _inflater(content_encoding)
    out = bytearray()
    wire = 0
    too_big = FetchError(f"the response is larger than {max_bytes} bytes", transient=False)
    try:
        async for chunk in chunks:
            wire += len(chunk)
            if wire > max_bytes:
                raise too_big
            data = chunk
            while data:
                room = max_bytes - len(out) + 1
                out += inflater.feed(data, room)
                if len(out) > max_bytes:
                    raise too_big
                data = inflater.pending if isinstance(inflater, _Zlib) else b""
    except zlib.error as err:
        raise FetchError("the compressed response is corrupt", transient=True) from err
    return bytes(out), wire


def chunk_size() -> int:
    return _CHUNK
