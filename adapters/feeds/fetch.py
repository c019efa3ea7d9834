"""HTTP fetching of feeds and pages: conditional, polite, bounded and address-checked.

Every fetch has one overall deadline (a server trickling a byte a second is cut off), a
decompressed-size cap, a redirect limit with each hop re-checked, per-host concurrency
and a minimum gap between requests to the same host. Addresses are checked at connect
time by ``netguard`` unless the feed was configured by the operator with allow_private.
"""

from __future__ import annotations

import asyncio
import math
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver
from multidict import CIMultiDictProxy
from yarl import URL

from adapters.feeds.body import chunk_size, read_capped
from adapters.feeds.netguard import check_url, find_refusal, make_connector
from bot.core.domain import FetchRequest, FetchResult
from bot.core.errors import FetchError, UnsafeURLError
from bot.feeds.schedule import RetryLaterError

PROJECT_URL = "https://github.com/newsbot/newsbot"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
_KEPT_HEADERS = (
    "content-type",
    "content-location",
    "content-language",
    "cache-control",
    "expires",
    "retry-after",
    "date",
    "etag",
    "last-modified",
)
_FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, "
    "application/feed+json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


@dataclass(frozen=True)
class FetchConfig:
    """TOML [fetch]."""

    timeout_s: float = 30.0
    connect_timeout_s: float = 10.0
    max_bytes: int = 8 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = f"newsbot/0.1 (+{PROJECT_URL}; RSS reader)"
    per_host_concurrency: int = 2
    per_host_gap_s: float = 0.25
    total_concurrency: int = 200


@dataclass(frozen=True)
class Page:
    """A fetched page (HTML for discovery or article text, or a feed found by discovery)."""

    url: str
    status: int
    body: bytes
    headers: Mapping[str, str]
    wire_bytes: int = 0


@dataclass
class _HostSlot:
    semaphore: asyncio.Semaphore
    next_start: float = 0.0  # the next free start time, reserved in order
    last_start: float = -math.inf  # when a request last went out
    # Start times reserved by ``wait_turn`` for each task's next request to the host.
    turns: weakref.WeakKeyDictionary[asyncio.Task[Any], float] = field(
        default_factory=weakref.WeakKeyDictionary
    )


@dataclass
class HostLimiter:
    """At most ``concurrency`` requests per host, started at least ``gap_s`` apart.

    A caller that holds a scarce resource while it fetches (the watcher's polls in
    flight) first waits its turn with ``wait_turn``, holding nothing: waiting for a
    host's gap inside that resource would let sleeping polls fill it.
    """

    concurrency: int
    gap_s: float
    _slots: dict[str, _HostSlot] = field(default_factory=dict)

    def _slot(self, host: str) -> _HostSlot:
        slot = self._slots.get(host)
        if slot is None:
            slot = self._slots[host] = _HostSlot(asyncio.Semaphore(max(1, self.concurrency)))
        return slot

    def _reserve(self, slot: _HostSlot, now: float) -> float:
        # Reserve a start time before sleeping so waiters queue in order, gap apart.
        start = max(now, slot.next_start, slot.last_start + self.gap_s)
        slot.next_start = start + self.gap_s
        return start

    async def wait_turn(self, host: str) -> None:
        """Sleep until ``host`` may be asked again; the turn is kept for this task's next
        request to it (made through ``run``)."""
        slot = self._slot(host)
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        start = self._reserve(slot, loop.time())
        if task is not None:
            slot.turns[task] = start
        delay = start - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)

    async def run(self, host: str, call: Any) -> Any:
        slot = self._slot(host)
        async with slot.semaphore:
            loop = asyncio.get_running_loop()
            task = asyncio.current_task()
            turn = slot.turns.pop(task, None) if task is not None else None
            start = self._reserve(slot, loop.time()) if turn is None else turn
            # Keep the gap to the latest request, which another turn may have made while
            # this one waited for a poll slot or slept.
            while (delay := max(start, slot.last_start + self.gap_s) - loop.time()) > 0:  # noqa: ASYNC110 - waits for a time, not an event
                await asyncio.sleep(delay)
            slot.last_start = loop.time()
            slot.next_start = max(slot.next_start, slot.last_start + self.gap_s)
            return await call()


def _kept_headers(headers: CIMultiDictProxy[str], status: int) -> dict[str, str]:
    kept = {name: headers[name] for name in _KEPT_HEADERS if name in headers}
    kept["status"] = str(status)
    return kept


class HttpFeedFetcher:
    """The aiohttp implementation of ``bot.core.ports.FeedFetcher`` (plus page fetching)."""

    def __init__(
        self,
        config: FetchConfig,
        *,
        session: aiohttp.ClientSession | None = None,
        resolver: AbstractResolver | None = None,
    ) -> None:
        self._config = config
        self._given = session
        self._resolver = resolver
        self._sessions: dict[bool, aiohttp.ClientSession] = {}
        self._limiter = HostLimiter(config.per_host_concurrency, config.per_host_gap_s)

    def _session(self, allow_private: bool) -> aiohttp.ClientSession:
        if self._given is not None:
            return self._given
        session = self._sessions.get(allow_private)
        if session is None or session.closed:
            connector = make_connector(
                allow_private=allow_private,
                limit=self._config.total_concurrency,
                limit_per_host=self._config.per_host_concurrency,
                inner_resolver=self._resolver,
            )
            session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=False,
                trust_env=False,  # a proxy from the environment would bypass the address check
                cookie_jar=aiohttp.DummyCookieJar(),
                headers={"User-Agent": self._config.user_agent},
            )
            self._sessions[allow_private] = session
        return session

    async def fetch(self, request: FetchRequest) -> FetchResult:
        headers = {"Accept": _FEED_ACCEPT}
        if request.etag:
            headers["If-None-Match"] = request.etag
        if request.last_modified:
            headers["If-Modified-Since"] = request.last_modified
        page = await self._get(request.url, headers, allow_private=request.allow_private)
        if page.status == 304:
            return FetchResult(
                url=page.url,
                status=304,
                body=None,
                headers=page.headers,
                etag=page.headers.get("etag", request.etag),
                last_modified=page.headers.get("last-modified", request.last_modified),
            )
        return FetchResult(
            url=page.url,
            status=page.status,
            body=page.body,
            headers=page.headers,
            etag=page.headers.get("etag"),
            last_modified=page.headers.get("last-modified"),
        )

    async def wait_turn(self, url: str) -> None:
        """Wait, holding nothing, until the host of ``url`` may be asked again (the
        per-host gap); this task's next fetch of that host uses the turn."""
        try:
            host = URL(url.strip()).host or ""
        except ValueError:
            return  # the fetch refuses such a link in words
        await self._limiter.wait_turn(host)

    async def fetch_page(
        self, url: str, *, allow_private: bool = False, max_bytes: int | None = None
    ) -> Page:
        """GET a page (HTML or feed) under the same guards; 200 only.

        ``max_bytes`` lowers the decompressed-size cap for this page (never raises it)."""
        accept = "text/html, application/xhtml+xml, application/xml;q=0.9, */*;q=0.5"
        cap = (
            self._config.max_bytes if max_bytes is None else min(max_bytes, self._config.max_bytes)
        )
        return await self._get(url, {"Accept": accept}, allow_private=allow_private, max_bytes=cap)

    async def close(self) -> None:
        for session in self._sessions.values():
            await session.close()
        self._sessions.clear()

    async def _get(
        self,
        url: str,
        headers: dict[str, str],
        *,
        allow_private: bool,
        max_bytes: int | None = None,
    ) -> Page:
        cap = self._config.max_bytes if max_bytes is None else max_bytes
        try:
            async with asyncio.timeout(self._config.timeout_s):
                return await self._follow(url, headers, allow_private=allow_private, max_bytes=cap)
        except TimeoutError as err:
            raise FetchError(
                f"no complete answer within {self._config.timeout_s:g} s", transient=True
            ) from err
        except aiohttp.ClientError as err:
            refusal = find_refusal(err)
            if refusal is not None:
                raise UnsafeURLError(refusal) from err
            raise FetchError(_client_error_words(err), transient=True) from err

    async def _follow(
        self, url: str, headers: dict[str, str], *, allow_private: bool, max_bytes: int
    ) -> Page:
        current = url.strip()
        for _hop in range(self._config.max_redirects + 1):
            check_url(current, allow_private=allow_private)
            host = URL(current).host or ""
            page, location = await self._limiter.run(
                host, lambda u=current: self._request(u, headers, allow_private, max_bytes)
            )
            if location is None:
                return page  # type: ignore[no-any-return]
            current = str(URL(current).join(URL(location)))
        raise FetchError(
            f"more than {self._config.max_redirects} redirects", status=None, transient=False
        )

    async def _request(
        self, url: str, headers: dict[str, str], allow_private: bool, max_bytes: int
    ) -> tuple[Page | None, str | None]:
        session = self._session(allow_private)
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=self._config.connect_timeout_s, connect=None
        )
        # Only encodings read_capped can inflate under the cap (aiohttp would add br/zstd).
        headers = {**headers, "Accept-Encoding": "gzip, deflate"}
        async with session.get(
            URL(url, encoded=False),
            headers=headers,
            allow_redirects=False,
            timeout=timeout,
            auto_decompress=False,
        ) as resp:
            status = resp.status
            kept = _kept_headers(resp.headers, status)
            if status in _REDIRECTS:
                location = resp.headers.get("Location")
                if not location:
                    raise FetchError(f"HTTP {status} redirect without a Location", status=status)
                return None, location
            if status == 304:
                return Page(url, 304, b"", kept), None
            if status != 200:
                raise _status_error(status, resp.reason, kept)
            body, wire = await read_capped(
                resp.content.iter_chunked(chunk_size()),
                resp.headers.get("Content-Encoding", ""),
                max_bytes,
            )
            return Page(url, 200, body, kept, wire), None


def _status_error(status: int, reason: str | None, headers: Mapping[str, str]) -> FetchError:
    words = f"HTTP {status} {reason or ''}".strip()
    if status == 410:
        return FetchError(f"{words}: the feed is gone for good", status=status, transient=False)
    transient = status in _TRANSIENT_STATUSES or status >= 500
    retry_after = headers.get("retry-after")
    if retry_after:
        return RetryLaterError(words, status=status, retry_after=retry_after)
    return FetchError(words, status=status, transient=transient)


def _client_error_words(err: aiohttp.ClientError) -> str:
    if isinstance(err, aiohttp.ClientConnectorDNSError):
        return "the host name could not be resolved"
    if isinstance(err, aiohttp.ClientConnectorCertificateError):
        return "the TLS certificate is not valid"
    if isinstance(err, aiohttp.ClientSSLError):
        return "the TLS handshake failed"
    if isinstance(err, aiohttp.ClientConnectorError):
        return f"could not connect ({err.os_error.strerror or err.os_error})"
    if isinstance(err, aiohttp.ServerDisconnectedError):
        return "the server closed the connection"
    if isinstance(err, aiohttp.ClientPayloadError):
        return "the response body was cut short"
    if isinstance(err, aiohttp.ClientResponseError):
        return f"a malformed HTTP response ({err.message})"
    if isinstance(err, aiohttp.InvalidURL):
        return "the address is not a valid URL"
    return f"network error ({type(err).__name__})"
