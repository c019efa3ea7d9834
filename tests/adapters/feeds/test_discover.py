"""Autodiscovery: a site URL that returns HTML leads to its advertised feed, guarded."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import pytest

from adapters.feeds import netguard
from adapters.feeds.discover import discover_feed, feed_links
from adapters.feeds.fetch import FetchConfig, HttpFeedFetcher
from adapters.feeds.parse import parse_feed_bytes
from bot.core.domain import ParsedFeed
from bot.core.errors import FeedParseError, UnsafeURLError
from tests.fakes.feed_server import FeedServer, Route, rss

FEED = rss([("One", "https://example.com/1")], title="Site News")


class InlineParser:
    async def parse(self, body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed:
        return parse_feed_bytes(body, headers, url)


def page(head: str) -> bytes:
    return f"<!DOCTYPE html><html><head>{head}</head><body>Hello</body></html>".encode()


def test_links_are_found_resolved_and_ordered() -> None:
    html = (
        '<base href="https://cdn.example.com/blog/">'
        '<link rel="stylesheet" href="/style.css">'
        '<link rel="alternate" type="application/atom+xml" href="atom.xml">'
        '<LINK REL="Alternate" TYPE="application/rss+xml" HREF="/rss.xml" title="RSS">'
        '<link rel="alternate" type="text/html" href="/other">'
        '<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">'
    )
    assert feed_links(html, "https://example.com/") == [
        "https://cdn.example.com/rss.xml",
        "https://cdn.example.com/blog/atom.xml",
    ]


@pytest.fixture
async def setup() -> AsyncIterator[tuple[FeedServer, HttpFeedFetcher]]:
    async with FeedServer() as server:
        client = HttpFeedFetcher(FetchConfig(per_host_gap_s=0))
        yield server, client
        await client.close()


async def test_a_site_url_leads_to_its_feed(setup: tuple[FeedServer, HttpFeedFetcher]) -> None:
    server, client = setup
    server.add("/feeds/main.xml", Route(FEED))
    home = server.add(
        "/",
        Route(
            page('<link rel="alternate" type="application/rss+xml" href="feeds/main.xml">'),
            content_type="text/html; charset=utf-8",
        ),
    )
    found = await discover_feed(client, InlineParser(), home, allow_private=True)
    assert found.url == server.url("/feeds/main.xml")
    assert found.title == "Site News"
    assert found.entries == 1


async def test_a_feed_url_is_taken_as_it_is(setup: tuple[FeedServer, HttpFeedFetcher]) -> None:
    server, client = setup
    url = server.add("/rss", Route(FEED))
    found = await discover_feed(client, InlineParser(), url, allow_private=True)
    assert found.url == url
    assert server.requests["/rss"] == 1


async def test_a_page_without_a_feed_is_explained(
    setup: tuple[FeedServer, HttpFeedFetcher],
) -> None:
    server, client = setup
    url = server.add("/plain", Route(page("<title>x</title>"), content_type="text/html"))
    with pytest.raises(FeedParseError, match="does not advertise a feed"):
        await discover_feed(client, InlineParser(), url, allow_private=True)


async def test_an_advertised_private_address_is_refused(
    setup: tuple[FeedServer, HttpFeedFetcher], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, client = setup
    table = ((netguard._v4("127.0.0.2/32"), "a private address"),)
    monkeypatch.setattr(netguard, "_V4_REFUSED", table)
    async with FeedServer("127.0.0.2") as private:
        private.add("/secret.xml", Route(FEED))
        home = server.add(
            "/",
            Route(
                page(
                    '<link rel="alternate" type="application/rss+xml" '
                    f'href="{private.url("/secret.xml")}">'
                ),
                content_type="text/html",
            ),
        )
        with pytest.raises(FeedParseError, match="private"):
            await discover_feed(client, InlineParser(), home)
        assert private.requests["/secret.xml"] == 0
    with pytest.raises(UnsafeURLError):
        await discover_feed(client, InlineParser(), "http://localhost/")
