"""Feed autodiscovery: from a site URL that returns HTML to the feed it advertises.

``/addfeed https://example.com`` should work as well as the feed URL itself. The page's
``<link rel="alternate" type="application/rss+xml" href=...>`` elements are followed, each
through the same guarded fetcher (so a page cannot point us at a private address).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Protocol
from urllib.parse import urljoin

from adapters.feeds.fetch import Page
from bot.core.domain import ParsedFeed
from bot.core.errors import FeedParseError, FetchError

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
)
_MAX_CANDIDATES = 3


class PageFetcher(Protocol):
    async def fetch_page(self, url: str, *, allow_private: bool = False) -> Page: ...


class Parser(Protocol):
    async def parse(self, body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed: ...


@dataclass(frozen=True)
class DiscoveredFeed:
    url: str  # the feed's own URL (after redirects)
    title: str | None
    entries: int


class _LinkFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.links: list[tuple[int, str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "") for name, value in attrs}
        if tag == "base" and values.get("href") and self.base is None:
            self.base = values["href"]
        if tag not in ("link", "a"):
            return
        rels = values.get("rel", "").lower().split()
        kind = values.get("type", "").lower().split(";")[0].strip()
        href = values.get("href", "").strip()
        if "alternate" in rels and kind in FEED_TYPES and href:
            self.links.append((FEED_TYPES.index(kind), href, values.get("title") or None))


def feed_links(html: str, page_url: str) -> list[str]:
    """Advertised feed URLs in preference order (RSS, Atom, JSON, then generic XML)."""
    finder = _LinkFinder()
    finder.feed(html[:2_000_000])
    finder.close()
    base = urljoin(page_url, finder.base) if finder.base else page_url
    seen: list[str] = []
    for _, href, _title in sorted(finder.links, key=lambda link: link[0]):
        absolute = urljoin(base, href)
        if absolute.lower().startswith(("http://", "https://")) and absolute not in seen:
            seen.append(absolute)
    return seen


def _decode(page: Page) -> str:
    content_type = page.headers.get("content-type", "")
    charset = "utf-8"
    if "charset=" in content_type:
        charset = content_type.split("charset=", 1)[1].split(";")[0].strip(" \"'") or "utf-8"
    try:
        return page.body.decode(charset, errors="replace")
    except LookupError:
        return page.body.decode("utf-8", errors="replace")


def _is_html(page: Page) -> bool:
    content_type = page.headers.get("content-type", "").lower()
    start = page.body.lstrip()[:512].lower()
    return "html" in content_type or start.startswith((b"<!doctype html", b"<html"))


async def discover_feed(
    fetcher: PageFetcher, parser: Parser, url: str, *, allow_private: bool = False
) -> DiscoveredFeed:
    """The feed at ``url``, or the feed its HTML page advertises.

    Raises UnsafeURLError/FetchError for the fetches and FeedParseError (in words) when
    neither the URL nor any advertised link is a usable feed."""
    page = await fetcher.fetch_page(url, allow_private=allow_private)
    if not _is_html(page):
        parsed = await parser.parse(page.body, page.headers, page.url)
        return DiscoveredFeed(page.url, parsed.title, len(parsed.entries))
    candidates = feed_links(_decode(page), page.url)
    if not candidates:
        raise FeedParseError("that page is a web page that does not advertise a feed")
    problems: list[str] = []
    for candidate in candidates[:_MAX_CANDIDATES]:
        try:
            found = await fetcher.fetch_page(candidate, allow_private=allow_private)
            parsed = await parser.parse(found.body, found.headers, found.url)
        except (FetchError, FeedParseError) as err:
            problems.append(f"{candidate}: {err}")
            continue
        return DiscoveredFeed(found.url, parsed.title, len(parsed.entries))
    raise FeedParseError("the page's advertised feeds did not work (" + "; ".join(problems) + ")")
