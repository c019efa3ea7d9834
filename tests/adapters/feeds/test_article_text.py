"""Article text against a local server: extraction, refusals, caps and the per-URL cache."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from adapters.feeds.article_text import (
    ArticleTextConfig,
    ArticleTextFetcher,
    cut_text,
    extract_main_text,
)
from adapters.feeds.fetch import FetchConfig, HttpFeedFetcher
from adapters.feeds.pool import ParsePool, PoolConfig
from tests.fakes.feed_server import FeedServer, Route

FACTS = [
    "The harbour authority approved a new ferry terminal on Tuesday after two years of debate.",
    "Construction will begin in March and is expected to cost 48 million euros in total.",
    "Mayor Ilse Brandt said the terminal would cut crossing times to the island by a third.",
    "Residents of the old quarter had objected to the noise of building work near their homes.",
    "The council promised a fund for insulation and a ban on night work during the summer.",
    "Fishermen welcomed the plan because the new quay leaves their moorings where they are.",
]
NAV = "".join(f"<li><a href='/section/{n}'>Section link {n}</a></li>" for n in range(25))
NEWS_PAGE = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Ferry terminal approved</title>"
    f"</head><body><header><nav><ul>{NAV}</ul></nav></header>"
    "<main><article><h1>Ferry terminal approved</h1>"
    + "".join(
        f"<p>{fact} {fact.split()[1].capitalize()} officials confirmed it.</p>" for fact in FACTS
    )
    + "</article></main><aside><h3>Most read</h3><ul><li><a href='/x'>Celebrity gossip"
    "</a></li></ul></aside><footer><p>Copyright 2026 Harbour Daily. Cookie settings. "
    "Privacy policy. Subscribe to our newsletter.</p></footer></body></html>"
).encode()


@pytest.fixture(scope="module")
def pool() -> Iterator[ParsePool]:
    """One worker for the whole module: starting one and importing trafilatura takes a second."""
    shared = ParsePool(PoolConfig(workers=1, timeout_s=20))
    yield shared
    asyncio.run(shared.close())


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as running:
        yield running


@pytest.fixture
async def fetcher() -> AsyncIterator[HttpFeedFetcher]:
    client = HttpFeedFetcher(FetchConfig(timeout_s=5, per_host_gap_s=0, max_bytes=4_000_000))
    yield client
    await client.close()


def html(body: bytes) -> Route:
    return Route(body=body, content_type="text/html; charset=utf-8")


def articles(fetcher: HttpFeedFetcher, pool: ParsePool, **fields: object) -> ArticleTextFetcher:
    return ArticleTextFetcher(ArticleTextConfig(**fields), fetcher, extract_pool=pool)  # type: ignore[arg-type]


async def test_main_text_is_extracted_without_navigation_or_footer(
    server: FeedServer, fetcher: HttpFeedFetcher, pool: ParsePool
) -> None:
    url = server.add("/news/ferry", html(NEWS_PAGE))
    text = await articles(fetcher, pool).article_text(url, allow_private=True)
    assert text is not None
    for fact in FACTS:
        assert fact in text
    for boilerplate in ("Section link", "Copyright", "Cookie settings", "Celebrity gossip"):
        assert boilerplate not in text


async def test_gzip_page_is_extracted(
    server: FeedServer, fetcher: HttpFeedFetcher, pool: ParsePool
) -> None:
    route = html(NEWS_PAGE)
    route.gzip = True
    url = server.add("/news/gz", route)
    text = await articles(fetcher, pool).article_text(url, allow_private=True)
    assert text is not None
    assert FACTS[0] in text


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/pdf", b"%PDF-1.7\n" + NEWS_PAGE),
        ("application/json", b'{"title": "Ferry terminal approved"}'),
        ("image/png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20),
    ],
)
async def test_a_body_that_is_not_html_gives_none(
    server: FeedServer, fetcher: HttpFeedFetcher, pool: ParsePool, content_type: str, body: bytes
) -> None:
    url = server.add("/file", Route(body=body, content_type=content_type))
    assert await articles(fetcher, pool).article_text(url, allow_private=True) is None
    assert server.requests["/file"] == 1


async def test_http_errors_give_none(
    server: FeedServer, fetcher: HttpFeedFetcher, pool: ParsePool
) -> None:
    gone = server.add("/gone", Route(status=500, body=b"oops", content_type="text/html"))
    reader = articles(fetcher, pool)
    assert await reader.article_text(server.url("/missing"), allow_private=True) is None
    assert await reader.article_text(gone, allow_private=True) is None
    assert server.requests["/missing"] == 1


async def test_a_private_address_is_refused_before_any_request(
    server: FeedServer, fetcher: HttpFeedFetcher, pool: ParsePool
) -> None:
    url = server.add("/news/ferry", html(NEWS_PAGE))
    reader = articles(fetcher, pool)
    assert await reader.article_text(url) is None
    assert await reader.article_text("http://169.254.169.254/latest/meta-data/") is None
    assert await reader.article_text("file:///etc/passwd") is None
    assert await reader.article_text("not a url at all") is None
    assert server.requests["/news/ferry"] == 0


async def test_the_page_is_fetched_once_per_url(
    server: FeedServer, fetcher: HttpFeedFetcher, pool: ParsePool
) -> None:
    url = server.add("/news/ferry", html(NEWS_PAGE))
    reader = articles(fetcher, pool)
    first = await asyncio.gather(*(reader.article_text(url, allow_private=True) for _ in range(3)))
    again = await reader.article_text(url, allow_private=True)
    assert server.requests["/news/ferry"] == 1
    assert first[0] is not None
    assert first == [first[0]] * 3
    assert again == first[0]


async def test_a_failure_is_cached_for_a_while_then_retried(
    server: FeedServer, fetcher: HttpFeedFetcher, pool: ParsePool
) -> None:
    now = [1000.0]
    reader = ArticleTextFetcher(
        ArticleTextConfig(negative_ttl_s=60), fetcher, extract_pool=pool, monotonic=lambda: now[0]
    )
    url = server.url("/later")
    assert await reader.article_text(url, allow_private=True) is None
    now[0] += 30
    assert await reader.article_text(url, allow_private=True) is None
    assert server.requests["/later"] == 1
    server.add("/later", html(NEWS_PAGE))
    now[0] += 31
    text = await reader.article_text(url, allow_private=True)
    assert text is not None
    assert FACTS[1] in text
    assert server.requests["/later"] == 2


async def test_the_cache_forgets_the_least_recently_used_page(
    server: FeedServer, fetcher: HttpFeedFetcher, pool: ParsePool
) -> None:
    urls = [server.add(f"/p{n}", html(NEWS_PAGE)) for n in range(3)]
    reader = articles(fetcher, pool, cache_size=2)
    for url in urls:
        await reader.article_text(url, allow_private=True)
    await reader.article_text(urls[2], allow_private=True)
    await reader.article_text(urls[0], allow_private=True)
    assert [server.requests[f"/p{n}"] for n in range(3)] == [2, 1, 1]


async def test_disabled_fetches_nothing(
    server: FeedServer, fetcher: HttpFeedFetcher, pool: ParsePool
) -> None:
    url = server.add("/news/ferry", html(NEWS_PAGE))
    reader = articles(fetcher, pool, enabled=False)
    assert await reader.article_text(url, allow_private=True) is None
    assert not reader.needs_article_text("two words")
    assert server.requests["/news/ferry"] == 0


async def test_a_page_over_the_size_cap_gives_none(
    server: FeedServer, fetcher: HttpFeedFetcher, pool: ParsePool
) -> None:
    big = NEWS_PAGE.replace(b"</article>", b"<p>" + b"filler words " * 20_000 + b"</p></article>")
    url = server.add("/big", html(big))
    assert (
        await articles(fetcher, pool, max_page_bytes=100_000).article_text(url, allow_private=True)
        is None
    )


async def test_a_deeply_nested_page_is_refused_quickly(
    server: FeedServer, fetcher: HttpFeedFetcher, pool: ParsePool
) -> None:
    nested = b"<html><body>" + b"<div><span>" * 100_000 + b"deep</span></div></body></html>"
    many = b"<html><body><article>" + b"<p><b>a</b> b</p>" * 40_000 + b"</article></body></html>"
    reader = articles(fetcher, pool, max_elements=20_000)
    started = time.perf_counter()
    for path, body in (("/nested", nested), ("/many", many)):
        url = server.add(path, html(body))
        assert await reader.article_text(url, allow_private=True) is None
    assert time.perf_counter() - started < 5


async def test_a_hung_extraction_is_stopped_by_the_pool_deadline(
    server: FeedServer, fetcher: HttpFeedFetcher
) -> None:
    slow_pool = ParsePool(PoolConfig(workers=1, timeout_s=3))
    try:
        # Warm the worker so the deadline is spent on extraction, not on importing trafilatura.
        assert await slow_pool.run(extract_main_text, NEWS_PAGE, "", 1000, 100) is not None
        many = b"<html><body><article>" + b"<p><b>a</b> b c</p>" * 80_000 + b"</article></body>"
        url = server.add("/slow", html(many))
        reader = ArticleTextFetcher(
            ArticleTextConfig(max_elements=1_000_000), fetcher, extract_pool=slow_pool
        )
        started = time.perf_counter()
        assert await reader.article_text(url, allow_private=True) is None
        assert time.perf_counter() - started < 10
    finally:
        await slow_pool.close()


def test_long_text_is_cut_at_a_word_boundary() -> None:
    text = "alpha beta gamma " * 100
    cut = cut_text(text, 50)
    assert len(cut) <= 50
    assert text.startswith(cut)
    assert cut.endswith(("alpha", "beta", "gamma"))
    assert cut_text("short", 50) == "short"


def test_extraction_caps_the_text_and_finds_nothing_in_an_empty_page() -> None:
    text = extract_main_text(NEWS_PAGE, "https://example.com/a", 30_000, 120)
    assert text is not None
    assert len(text) <= 120
    assert text.startswith("Ferry terminal approved\nThe harbour authority")
    menu = b"<html><body><nav><a href='/'>Home</a></nav><p>Sign in to read.</p></body></html>"
    assert extract_main_text(menu, "", 30_000, 1000, min_chars=100) is None
    assert extract_main_text(b"<html><body><div></div></body></html>", "", 30_000, 100) is None


def test_only_short_feed_text_needs_the_page() -> None:
    reader = ArticleTextFetcher(
        ArticleTextConfig(min_feed_words=5), HttpFeedFetcher(FetchConfig()), extract_pool=None
    )
    assert reader.needs_article_text("four words are here")
    assert not reader.needs_article_text("five words are right here")
