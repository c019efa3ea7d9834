"""A configurable, hostile local HTTP server for feed tests (aiohttp, 127.0.0.1 only).

Each path is a ``Route``: a normal feed with ETag/Last-Modified, a trickle, a redirect, a
gzip bomb, an arbitrary status with headers. It counts requests and bytes per path so
tests can assert "fetched once" and "moved fewer bytes".
"""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Route:
    """What one path answers. Defaults: 200 with ``body`` and conditional GET support."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml"
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    gzip: bool = False
    redirect_to: str | None = None
    trickle_s: float | None = None  # seconds between single bytes
    delay_s: float = 0.0


def gzip_bomb(expanded_bytes: int) -> bytes:
    """A gzip stream of zeros that expands to ``expanded_bytes`` (about 1000:1)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (1024 * 1024)
    parts = []
    remaining = expanded_bytes
    while remaining > 0:
        take = min(remaining, len(block))
        parts.append(compressor.compress(block[:take]))
        remaining -= take
    parts.append(compressor.flush())
    return b"".join(parts)


class FeedServer:
    """``async with FeedServer(host) as server: server.url("/feed")``."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.routes: dict[str, Route] = {}
        self.handlers: dict[str, Handler] = {}
        self.requests: Counter[str] = Counter()
        self.bytes_sent: Counter[str] = Counter()
        self.request_headers: dict[str, list[dict[str, str]]] = {}
        self.active = 0
        self.max_active = 0
        self.port = 0
        self._runner: web.AppRunner | None = None

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def add(self, path: str, route: Route) -> str:
        self.routes[path] = route
        return self.url(path)

    async def __aenter__(self) -> FeedServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.requests[path] += 1
        self.request_headers.setdefault(path, []).append(dict(request.headers))
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            if path in self.handlers:
                return await self.handlers[path](request)
            route = self.routes.get(path)
            if route is None:
                return web.Response(status=404, text="not found")
            return await self._answer(request, route)
        finally:
            self.active -= 1

    async def _answer(self, request: web.Request, route: Route) -> web.StreamResponse:
        if route.delay_s:
            await asyncio.sleep(route.delay_s)
        headers = dict(route.headers)
        if route.redirect_to is not None:
            headers["Location"] = route.redirect_to
            return web.Response(status=route.status or 302, headers=headers)
        if route.etag:
            headers["ETag"] = route.etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        matches_etag = route.etag is not None and request.headers.get("If-None-Match") == route.etag
        matches_date = (
            route.last_modified is not None
            and request.headers.get("If-Modified-Since") == route.last_modified
        )
        if route.status == 200 and (matches_etag or matches_date):
            return web.Response(status=304, headers=headers)
        body = route.body
        if route.gzip:
            body = body if body.startswith(b"\x1f\x8b") else gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        headers["Content-Type"] = route.content_type
        if route.trickle_s is None:
            self.bytes_sent[request.path] += len(body)
            return web.Response(status=route.status, body=body, headers=headers)
        response = web.StreamResponse(status=route.status, headers=headers)
        response.content_length = len(body)
        await response.prepare(request)
        for index in range(len(body)):
            await response.write(body[index : index + 1])
            self.bytes_sent[request.path] += 1
            await asyncio.sleep(route.trickle_s)
        await response.write_eof()
        return response


def rss(items: list[tuple[str, str]], *, title: str = "Fake", ttl: int | None = None) -> bytes:
    """A small RSS 2.0 document of (title, link) items."""
    ttl_xml = f"<ttl>{ttl}</ttl>" if ttl is not None else ""
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><description>About {t}.</description>"
        f"<pubDate>Mon, 05 Jan 2026 10:0{i % 10}:00 GMT</pubDate><guid>{link}</guid></item>"
        for i, (t, link) in enumerate(items)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://example.com/</link>{ttl_xml}{entries}"
        f"</channel></rss>"
    ).encode()
