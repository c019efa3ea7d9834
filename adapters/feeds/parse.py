"""Feed bytes to ``ParsedFeed``: feedparser on memory only, entity bombs refused first.

feedparser is only ever handed ``io.BytesIO(body)``: given a ``str`` it would treat a body
that looks like a path or URL as something to open or download. External entities are off
in its SAX parser and it drops non-literal entity declarations, but a literal entity
referenced many times (quadratic blowup) would still expand, so entity expansion is
measured here before feedparser sees the body.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import feedparser

from adapters.feeds.jsonfeed import looks_like_json, parse_json_feed
from adapters.feeds.pool import ParsePool, PoolConfig
from adapters.feeds.text import html_to_text
from bot.core.domain import ParsedEntry, ParsedFeed
from bot.core.errors import FeedParseError
from bot.core.metrics import Metrics
from bot.text.language import detect_language

_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")
_ENTITY_DECL = re.compile(
    rb"<!ENTITY\s+(%\s+)?([A-Za-z_:][\w.:-]*)\s+(?:\"([^\"]*)\"|'([^']*)'|(SYSTEM|PUBLIC))"
)
_ENTITY_REF = re.compile(rb"&([A-Za-z_:][\w.:-]*);")
_MAX_EXPANSION = 2 * 1024 * 1024
_USABLE_BOZO = (
    "CharacterEncodingOverride",
    "CharacterEncodingUnknown",
    "NonXMLContentType",
)
_MAX_TEXT = 20_000
_MAX_TITLE = 500


def _entity_expansion(body: bytes) -> tuple[int, str | None]:
    """An upper bound of the text added by entity references, and a refusal if any."""
    first = _FIRST_ELEMENT.search(body)
    head = body[: first.start()] if first else body
    if b"<!ENTITY" not in head:
        return 0, None
    values: dict[bytes, bytes] = {}
    for match in _ENTITY_DECL.finditer(head):
        if match.group(1) or match.group(5):
            return 0, "the feed declares external or parameter XML entities"
        values[match.group(2)] = match.group(3) if match.group(3) is not None else match.group(4)
    sizes: dict[bytes, int] = {}

    def size(name: bytes, depth: int) -> int:
        if name in sizes:
            return sizes[name]
        if depth > 8:
            raise RecursionError
        value = values[name]
        total = len(value)
        for ref in _ENTITY_REF.findall(value):
            if ref in values:
                total += size(ref, depth + 1)
        sizes[name] = min(total, _MAX_EXPANSION + 1)
        return sizes[name]

    try:
        for name in values:
            if size(name, 0) > _MAX_EXPANSION:
                return 0, "an XML entity expands too far (a billion-laughs feed)"
    except RecursionError:
        return 0, "XML entities nest too deeply (a billion-laughs feed)"
    total = 0
    for ref in _ENTITY_REF.findall(body[len(head) :]):
        total += sizes.get(ref, 0)
        if total > _MAX_EXPANSION:
            return total, "XML entities expand the feed too much (a quadratic-blowup feed)"
    return total, None


def _text(value: Any, limit: int, *, body: bool = False) -> str:
    return html_to_text(value, drop_links=body)[:limit] if isinstance(value, str) else ""


def _when(entry: Mapping[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if isinstance(parsed, time.struct_time):
            try:
                when = datetime(*parsed[:6], tzinfo=UTC)
            except (ValueError, OverflowError):
                continue
            if 1990 <= when.year <= 2200:
                return when
    return None


def _http_link(value: Any) -> str | None:
    if isinstance(value, str) and value.strip().lower().startswith(("http://", "https://")):
        return value.strip()
    return None


def _entry(entry: Mapping[str, Any]) -> ParsedEntry | None:
    title = _text(entry.get("title"), _MAX_TITLE)
    summary = _text(entry.get("summary"), _MAX_TEXT, body=True)
    content = ""
    for part in entry.get("content") or ():
        candidate = _text(part.get("value"), _MAX_TEXT, body=True)
        if len(candidate) > len(content):
            content = candidate
    text = content if len(content) > len(summary) else summary
    url = _http_link(entry.get("link"))
    guid = entry.get("id") if isinstance(entry.get("id"), str) else None
    if not title and not text:
        return None
    if url is None and guid is None and not title:
        return None
    author = entry.get("author")
    return ParsedEntry(
        title=title or text[:120],
        url=url,
        guid=guid.strip()[:1000] if guid else None,
        text=text,
        published=_when(entry),
        author=author.strip()[:200] if isinstance(author, str) and author.strip() else None,
        # Detected here, in the parse worker, so the event loop never pays for it.
        language=detect_language(title, text),
    )


def _ttl_seconds(feed: Mapping[str, Any]) -> int | None:
    ttl = feed.get("ttl")
    if isinstance(ttl, str) and ttl.strip().isdigit():
        minutes = int(ttl.strip())
        return minutes * 60 if 0 < minutes <= 7 * 24 * 60 else None
    return None


def _bozo_words(exc: Any) -> str:
    name = type(exc).__name__
    if name == "SAXParseException":
        return f"the XML is not well-formed ({exc.getMessage()} at line {exc.getLineNumber()})"
    if name == "CharacterEncodingOverride":
        return "the declared character encoding was wrong and was overridden"
    if name == "CharacterEncodingUnknown":
        return "the character encoding is unknown"
    if name == "NonXMLContentType":
        return "the server did not label the feed as XML"
    text = str(exc).strip()
    return f"{name}: {text}"[:300] if text else name


def _looks_like(body: bytes) -> str:
    start = body.lstrip()[:512].lower()
    if start.startswith((b"<!doctype html", b"<html")) or b"<html" in start:
        return "an HTML page, not a feed"
    return "not a recognisable RSS or Atom feed"


def parse_feed_bytes(
    body: bytes, headers: Mapping[str, str], url: str, max_entries: int = 200
) -> ParsedFeed:
    """Parse a fetched body (pure and synchronous: the pool and eval call it directly)."""
    if not body.strip():
        raise FeedParseError("the response is empty")
    if looks_like_json(body):
        return parse_json_feed(body, url, max_entries)
    _, refusal = _entity_expansion(body)
    if refusal is not None:
        raise FeedParseError(refusal)
    response_headers = {k.lower(): v for k, v in headers.items() if isinstance(v, str)}
    response_headers.setdefault("content-location", url)
    # No Content-Type (a file, or a careless server) is not worth a warning: read it as XML.
    response_headers.setdefault("content-type", "application/xml")
    # Every text field goes through ``html_to_text``, which keeps no tag, attribute or
    # link and drops script-like bodies, so feedparser's HTML sanitiser and its rewriting
    # of links inside that HTML would only be thrown away: they cost a quarter of the
    # parse. Entry and feed links are resolved against the feed's URL either way.
    result = feedparser.parse(
        io.BytesIO(body),
        response_headers=response_headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    feed = result.get("feed") or {}
    entries: list[ParsedEntry] = []
    for raw in result.get("entries") or ():
        if len(entries) >= max_entries:
            break
        parsed = _entry(raw)
        if parsed is not None:
            entries.append(parsed)
    version = result.get("version") or ""
    warning = None
    if result.get("bozo"):
        exc = result.get("bozo_exception")
        warning = _bozo_words(exc)
        harmless = type(exc).__name__ in _USABLE_BOZO
        if not entries and not (harmless and version):
            raise FeedParseError(f"{_looks_like(body)}: {warning}" if not version else warning)
    elif not version and not entries:
        raise FeedParseError(_looks_like(body))
    title = _text(feed.get("title"), _MAX_TITLE) or None
    return ParsedFeed(
        title=title,
        entries=tuple(entries),
        ttl_s=_ttl_seconds(feed),
        warning=warning,
        site_url=_http_link(feed.get("link")),
    )


class FeedparserParser:
    """``bot.core.ports.FeedParser`` running ``parse_feed_bytes`` in a process pool.

    With ``metrics``, the time each parse took in its worker is observed as
    ``feed_parse_seconds{outcome=ok|rejected}`` (a wait for a free worker is not counted;
    a parse cut off by the pool's timeout or a crash is counted as ``failed`` polls by the
    watcher instead)."""

    def __init__(
        self, config: PoolConfig | None = None, *, max_entries: int = 200,
        metrics: Metrics | None = None,
    ) -> None:  # fmt: skip
        self._pool = ParsePool(config or PoolConfig())
        self._max_entries = max_entries
        self._metrics = metrics

    async def parse(self, body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed:
        try:
            result = await self._pool.run_batched(
                timed_parse, body, url, self._max_entries, dict(headers), size=len(body)
            )
        except FeedParseError:
            raise
        except Exception as err:
            # A library bug on odd input must cost one feed one poll, never the watcher.
            raise FeedParseError(f"the parser failed ({type(err).__name__}: {err})") from err
        ms: float
        feed: ParsedFeed | None
        reason: str | None
        ms, feed, reason = result
        if self._metrics is not None:
            self._metrics.observe(
                "feed_parse_seconds", ms / 1000, help="time feedparser took per feed",
                outcome="ok" if feed is not None else "rejected",
            )  # fmt: skip
        if feed is None:
            raise FeedParseError(reason or "the parser returned nothing usable")
        return feed

    @property
    def pool(self) -> ParsePool:
        """The worker pool, shared with article-text extraction (one set of processes)."""
        return self._pool

    async def close(self) -> None:
        await self._pool.close()


def timed_parse(
    body: bytes, url: str, max_entries: int = 200, headers: Mapping[str, str] | None = None
) -> tuple[float, ParsedFeed | None, str | None]:
    """(milliseconds, feed or None, rejection reason or None), run in a pool worker.

    Only FeedParseError is a rejection; anything else propagates as a crash."""
    started = time.perf_counter()
    try:
        feed = parse_feed_bytes(body, headers or {}, url, max_entries)
    except FeedParseError as err:
        return (time.perf_counter() - started) * 1000, None, err.reason
    return (time.perf_counter() - started) * 1000, feed, None


class EvalParser:
    """Runs ``timed_parse`` in the pool without turning crashes into rejections."""

    def __init__(self, config: PoolConfig | None = None) -> None:
        self._pool = ParsePool(config or PoolConfig(timeout_s=10))

    async def __call__(self, body: bytes, url: str) -> tuple[float, ParsedFeed | None, str | None]:
        result = await self._pool.run_raw(timed_parse, body, url)
        assert isinstance(result, tuple)  # noqa: S101 - timed_parse returns a tuple
        return result

    async def close(self) -> None:
        await self._pool.close()
