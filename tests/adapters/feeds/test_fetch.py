"""The fetcher against a hostile local server: conditional GET, limits, deadlines, sizes."""

from __future__ import annotations

import asyncio
import itertools
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from adapters.feeds.fetch import FetchConfig, HostLimiter, HttpFeedFetcher
from bot.core.domain import FetchRequest
from bot.core.errors import FetchError
from bot.feeds.schedule import RetryLaterError
from tests.fakes.feed_server import FeedServer, Route, gzip_bomb, rss

FEED = rss([("One", "https://example.com/1"), ("Two", "https://example.com/2")])


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as running:
        yield running


@pytest.fixture
async def fetcher() -> AsyncIterator[HttpFeedFetcher]:
    client = HttpFeedFetcher(FetchConfig(timeout_s=3, per_host_gap_s=0, max_bytes=1_000_000))
    yield client
    await client.close()


def local(url: str, **fields: str) -> FetchRequest:
    return FetchRequest(url=url, allow_private=True, **fields)


async def test_conditional_get_echoes_validators_verbatim(
    server: FeedServer, fetcher: HttpFeedFetcher
) -> None:
    url = server.add(
        "/feed", Route(FEED, etag='W/"abc-1"', last_modified="Mon, 05 Jan 2026 10:00:00 GMT")
    )
    first = await fetcher.fetch(local(url))
    assert first.status == 200
    assert first.body == FEED
    assert first.etag == 'W/"abc-1"'
    assert first.last_modified == "Mon, 05 Jan 2026 10:00:00 GMT"
    second = await fetcher.fetch(
        local(url, etag=first.etag or "", last_modified=first.last_modified or "")
    )
    assert second.not_modified
    assert second.body is None
    sent = server.request_headers["/feed"][1]
    assert sent["If-None-Match"] == 'W/"abc-1"'
    assert sent["If-Modified-Since"] == "Mon, 05 Jan 2026 10:00:00 GMT"
    assert "newsbot" in sent["User-Agent"]
    assert "https://" in sent["User-Agent"]


async def test_gzip_body_is_decompressed(server: FeedServer, fetcher: HttpFeedFetcher) -> None:
    url = server.add("/gz", Route(FEED, gzip=True))
    result = await fetcher.fetch(local(url))
    assert result.body == FEED


async def test_gzip_bomb_is_cut_at_the_cap_without_memory_growth(server: FeedServer) -> None:
    bomb = gzip_bomb(500 * 1024 * 1024)
    assert len(bomb) < 600 * 1024
    url = server.add("/bomb", Route(bomb, gzip=True))
    client = HttpFeedFetcher(FetchConfig(timeout_s=10, max_bytes=5 * 1024 * 1024))
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match="larger than"):
            await client.fetch(local(url))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        await client.close()
    assert peak < 40 * 1024 * 1024


async def test_a_trickling_server_is_cut_off_by_the_overall_deadline(server: FeedServer) -> None:
    url = server.add("/slow", Route(FEED, trickle_s=0.05))
    client = HttpFeedFetcher(FetchConfig(timeout_s=0.5))
    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match="within") as caught:
            await client.fetch(local(url))
    finally:
        await client.close()
    assert caught.value.transient
    assert time.monotonic() - started < 2


async def test_redirects_are_followed_and_limited(
    server: FeedServer, fetcher: HttpFeedFetcher
) -> None:
    target = server.add("/final", Route(FEED))
    server.add("/hop", Route(redirect_to=target, status=301))
    result = await fetcher.fetch(local(server.url("/hop")))
    assert result.url == target
    assert result.body == FEED
    for index in range(10):
        server.add(f"/loop{index}", Route(redirect_to=f"/loop{index + 1}", status=302))
    with pytest.raises(FetchError, match="redirects"):
        await fetcher.fetch(local(server.url("/loop0")))


async def test_statuses_become_errors_with_words(
    server: FeedServer, fetcher: HttpFeedFetcher
) -> None:
    gone = server.add("/gone", Route(status=410))
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(local(gone))
    assert caught.value.status == 410
    assert not caught.value.transient
    busy = server.add("/busy", Route(status=503, headers={"Retry-After": "120"}))
    with pytest.raises(RetryLaterError) as retry:
        await fetcher.fetch(local(busy))
    assert retry.value.retry_after == "120"
    assert retry.value.transient
    broken = server.add("/broken", Route(status=500))
    with pytest.raises(FetchError) as server_error:
        await fetcher.fetch(local(broken))
    assert server_error.value.transient
    with pytest.raises(FetchError, match="404") as missing:
        await fetcher.fetch(local(server.url("/nothing")))
    assert not missing.value.transient


async def test_connection_refused_is_transient(fetcher: HttpFeedFetcher) -> None:
    async with FeedServer() as gone:
        url = gone.url("/feed")
    with pytest.raises(FetchError, match="could not connect") as caught:
        await fetcher.fetch(local(url))
    assert caught.value.transient


async def test_per_host_concurrency_and_gap(server: FeedServer) -> None:
    for index in range(6):
        server.add(f"/f{index}", Route(FEED, delay_s=0.05))
    client = HttpFeedFetcher(FetchConfig(per_host_concurrency=2, per_host_gap_s=0.05))
    started = time.monotonic()
    try:
        await asyncio.gather(*(client.fetch(local(server.url(f"/f{i}"))) for i in range(6)))
    finally:
        await client.close()
    assert server.max_active <= 2
    # Six starts at least 50 ms apart cannot all begin within 0.25 s.
    assert time.monotonic() - started >= 0.25


def start_recorder() -> tuple[list[float], Callable[[], Awaitable[None]]]:
    """A request that records when it started (loop time), and the list it records in."""
    loop = asyncio.get_running_loop()
    starts: list[float] = []

    async def call() -> None:
        starts.append(loop.time())

    return starts, call


async def test_a_turn_waited_for_is_the_requests_own_not_a_second_gap() -> None:
    limiter = HostLimiter(concurrency=2, gap_s=0.2)
    loop = asyncio.get_running_loop()
    starts, call = start_recorder()
    await limiter.run("a.example", call)
    await limiter.wait_turn("a.example")  # the gap is waited here, holding nothing
    waited = loop.time()
    await limiter.run("a.example", call)
    assert starts[1] - starts[0] >= 0.2
    assert starts[1] - waited < 0.2  # the turn was used, not a new one reserved
    assert not limiter._slots["a.example"].turns


async def test_turns_of_one_host_stay_a_gap_apart_whoever_asks_first() -> None:
    limiter = HostLimiter(concurrency=2, gap_s=0.1)
    starts, call = start_recorder()

    async def poll() -> None:
        await limiter.wait_turn("b.example")
        await asyncio.sleep(0.05)  # waiting for a poll slot
        await limiter.run("b.example", call)

    await asyncio.gather(poll(), poll(), limiter.run("b.example", call))
    starts.sort()
    assert all(later - earlier >= 0.1 - 1e-3 for earlier, later in itertools.pairwise(starts))
