"""The watcher through the real fetcher, parser pool and SQLite storage, against a local server:
first poll, then 304, unchanged body, a failing feed, and a real change."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from adapters.feeds.fetch import FetchConfig, HttpFeedFetcher
from adapters.feeds.parse import FeedparserParser
from adapters.feeds.pool import PoolConfig
from bot.core.clock import FixedClock
from bot.feeds.watcher import Watcher, WatcherConfig
from storage import SqlStorage
from tests.fakes.feed_server import FeedServer, Route, rss

START = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
ETAG_FEED = rss([("Quay vote", "https://a.example/1"), ("Budget", "https://a.example/2")])
PLAIN_FEED = rss([("Storm", "https://b.example/1"), ("Tide", "https://b.example/2")])


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as running:
        yield running


@pytest.fixture
async def parts() -> AsyncIterator[tuple[HttpFeedFetcher, FeedparserParser]]:
    fetcher = HttpFeedFetcher(FetchConfig(timeout_s=5, per_host_gap_s=0))
    parser = FeedparserParser(PoolConfig(workers=1, timeout_s=20))
    yield fetcher, parser
    await fetcher.close()
    await parser.close()


async def test_304_unchanged_and_error_paths_end_to_end(
    server: FeedServer,
    parts: tuple[HttpFeedFetcher, FeedparserParser],
    sqlite_store: SqlStorage,
) -> None:
    fetcher, parser = parts
    server.add("/etag", Route(body=ETAG_FEED, etag='"v1"', gzip=True))
    server.add("/plain", Route(body=PLAIN_FEED))
    server.add("/broken", Route(status=503, body=b"down", content_type="text/plain"))
    for path in ("/etag", "/plain", "/broken"):
        await sqlite_store.upsert_feed(server.url(path), path.strip("/"), allow_private=True)
    clock = FixedClock(START)
    watcher = Watcher(sqlite_store, fetcher, parser, clock, WatcherConfig(interval_s=60))

    first = await watcher.poll_due()
    assert (first.polled, first.failed) == (2, 1)
    assert first.new_articles == 4
    assert sorted(a.url for a in await sqlite_store.unclustered_articles(100)) == [
        "https://a.example/1", "https://a.example/2", "https://b.example/1", "https://b.example/2",
    ]  # fmt: skip

    clock.advance(3600)
    second = await watcher.poll_due()
    assert (second.not_modified, second.unchanged, second.failed) == (1, 1, 1)
    assert second.new_articles == 0
    assert server.request_headers["/etag"][-1].get("If-None-Match") == '"v1"'
    feeds = {f.name: f for f in await sqlite_store.list_feeds()}
    assert feeds["broken"].consecutive_failures == 2
    assert "503" in (feeds["broken"].last_error or "")
    assert feeds["plain"].body_hash is not None
    assert feeds["etag"].etag == '"v1"'
    assert feeds["plain"].items_seen == 2
    for name in ("etag", "plain"):
        assert feeds[name].last_success_at == clock.now()
        next_check = feeds[name].next_check_at
        assert next_check is not None
        assert next_check > clock.now()

    server.routes["/plain"] = Route(
        body=rss([("Flood", "https://b.example/3"), ("Storm", "https://b.example/1")])
    )
    clock.advance(3600)
    third = await watcher.poll_due()
    assert third.new_articles == 1
    stored = await sqlite_store.unclustered_articles(100)
    assert {a.url for a in stored} - {"https://a.example/1", "https://a.example/2"} == {
        "https://b.example/1", "https://b.example/2", "https://b.example/3",
    }  # fmt: skip
    assert server.requests["/etag"] == 3
    assert server.requests["/plain"] == 3
