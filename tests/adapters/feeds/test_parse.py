"""The parse path on hostile and odd inputs: no file or network access, bombs refused."""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from adapters.feeds.parse import FeedparserParser, parse_feed_bytes
from adapters.feeds.pool import ParsePool, PoolConfig
from adapters.feeds.text import html_to_text
from bot.core.errors import FeedParseError
from bot.core.metrics import Metrics
from tests.fakes.feed_server import FeedServer, Route, rss

URL = "https://news.example.com/feed"
XML = {"content-type": "application/rss+xml; charset=utf-8"}


def test_plain_text_with_entities_unescaped_and_markup_removed() -> None:
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T &amp; Co</title>
    <ttl>15</ttl>
    <item><title>Caf&#233; &amp; bar</title><link>/story/1?utm_source=x</link>
    <description>&lt;p&gt;Hello &lt;b&gt;world&lt;/b&gt; &amp;amp; more&lt;/p&gt;
    &lt;script&gt;alert(1)&lt;/script&gt;</description>
    <pubDate>Tue, 06 Jan 2026 08:30:00 +0200</pubDate><author>ed@example.com (Ed)</author>
    </item></channel></rss>"""
    feed = parse_feed_bytes(body, XML, URL)
    assert feed.title == "T & Co"
    assert feed.ttl_s == 15 * 60
    assert feed.warning is None
    (entry,) = feed.entries
    assert entry.title == "Café & bar"
    assert entry.text == "Hello world & more"
    assert entry.url == "https://news.example.com/story/1?utm_source=x"
    assert entry.published is not None
    assert entry.published.isoformat() == "2026-01-06T06:30:00+00:00"
    assert entry.author is not None


def test_markup_of_every_kind_leaves_only_its_visible_text() -> None:
    # feedparser's sanitiser is off (the text is stripped of all markup here anyway).
    html = (
        "&lt;p onclick='steal()'&gt;Seen &lt;a href='/rel'&gt;link&lt;/a&gt;&lt;/p&gt;"
        "&lt;script&gt;evil()&lt;/script&gt;&lt;style&gt;p{}&lt;/style&gt;"
        "&lt;applet&gt;applet text&lt;/applet&gt;&lt;iframe&gt;frame&lt;/iframe&gt;"
        "&lt;svg&gt;&lt;text&gt;drawn&lt;/text&gt;&lt;/svg&gt;&lt;!-- note --&gt; end"
    )
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        f"<item><title>&lt;b&gt;Bold&lt;/b&gt; title</title><link>/a/1</link>"
        f"<description>{html}</description></item></channel></rss>"
    ).encode()
    (entry,) = parse_feed_bytes(body, XML, URL).entries
    assert entry.title == "Bold title"
    assert entry.text == "Seen link\nend"
    assert entry.url == "https://news.example.com/a/1"


def test_blocks_that_only_link_elsewhere_leave_the_body_but_not_the_title() -> None:
    # The Guardian's descriptions: bullet points, then links to other pieces as bullets,
    # a "Related:" line and "Continue reading...". The links are other pages' headlines.
    html = (
        "<ul><li>Omar Mateen was interviewed and placed under surveillance</li>"
        "<li><a href='/o'>Opinion: Gay men can't donate blood to victims. That's absurd</a>"
        "</li></ul><p>The <a href='/l'>mass slaughter at an LGBT nightclub</a> was performed"
        " by a man known to the FBI.</p><p> <span>Related: </span><a href='/r'>Florida"
        " nightclub shooting: latest updates</a> </p><a href='/c'>Continue reading...</a>"
    )
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        "<item><title>&lt;a href='/a/1'&gt;Orlando gunman known to FBI&lt;/a&gt;</title>"
        f"<link>/a/1</link><description>{escape(html)}</description></item></channel></rss>"
    ).encode()
    (entry,) = parse_feed_bytes(body, XML, URL).entries
    assert entry.title == "Orlando gunman known to FBI"
    assert entry.text == (
        "Omar Mateen was interviewed and placed under surveillance\n"
        "The mass slaughter at an LGBT nightclub was performed by a man known to the FBI."
    )
    # A short link inside a sentence's block is part of the sentence.
    assert html_to_text("<p>Seen <a href='/x'>link</a></p>", drop_links=True) == "Seen link"


def test_entries_are_capped() -> None:
    items = [(f"Item {i}", f"https://example.com/{i}") for i in range(50)]
    assert len(parse_feed_bytes(rss(items), XML, URL, max_entries=7).entries) == 7


def test_a_body_that_is_a_file_path_reads_nothing(tmp_path: Path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_bytes(rss([("Leaked", "https://example.com/leak")]))
    with pytest.raises(FeedParseError):
        parse_feed_bytes(str(secret).encode(), XML, URL)


async def test_a_body_that_is_a_url_fetches_nothing() -> None:
    async with FeedServer() as server:
        url = server.add("/feed", Route(rss([("Fetched", "https://example.com/f")])))
        with pytest.raises(FeedParseError):
            parse_feed_bytes(url.encode(), XML, URL)
        assert server.requests["/feed"] == 0


def test_external_entities_are_refused(tmp_path: Path) -> None:
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0")
    body = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY xxe SYSTEM "file://{secret}">\n]>\n'
        "<rss><channel><item><title>&xxe;</title><link>https://e.com/1</link></item>"
        "</channel></rss>"
    ).encode()
    with pytest.raises(FeedParseError, match="external"):
        parse_feed_bytes(body, XML, URL)


def test_billion_laughs_is_refused_fast() -> None:
    lines = ['<!ENTITY lol "lol">']
    for level in range(1, 10):
        previous = f"&lol{level - 1};" if level > 1 else "&lol;"
        lines.append(f'<!ENTITY lol{level} "{previous * 10}">')
    body = (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n' + "\n".join(lines) + "\n]>\n"
        "<rss><channel><item><title>&lol9;</title><link>https://e.com/1</link></item>"
        "</channel></rss>"
    ).encode()
    started = time.monotonic()
    with pytest.raises(FeedParseError, match="billion-laughs"):
        parse_feed_bytes(body, XML, URL)
    assert time.monotonic() - started < 1


def test_quadratic_blowup_is_refused_with_bounded_memory() -> None:
    blob = "A" * 50_000
    refs = "&a;" * 50_000
    body = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "{blob}">\n]>\n'
        f"<rss><channel><item><title>x</title><description>{refs}</description>"
        "<link>https://e.com/1</link></item></channel></rss>"
    ).encode()
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(FeedParseError, match="quadratic"):
            parse_feed_bytes(body, XML, URL)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 1
    assert peak < 20 * 1024 * 1024


def test_a_few_harmless_internal_entities_still_work() -> None:
    body = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY org "Example News">\n]>\n'
        b"<rss version='2.0'><channel><title>&org;</title><item><title>By &org;</title>"
        b"<link>https://e.com/1</link></item></channel></rss>"
    )
    feed = parse_feed_bytes(body, XML, URL)
    assert feed.entries[0].title == "By Example News"


def test_wrong_declared_charset_is_used_with_a_warning() -> None:
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>x</title>'
        "<item><title>Caf\u00e9</title><link>https://e.com/1</link></item></channel></rss>"
    ).encode("latin-1")
    feed = parse_feed_bytes(body, XML, URL)
    assert len(feed.entries) == 1
    assert feed.warning is not None


def test_non_xml_content_type_is_used_with_a_warning() -> None:
    feed = parse_feed_bytes(rss([("One", "https://e.com/1")]), {"content-type": "text/html"}, URL)
    assert len(feed.entries) == 1
    assert feed.warning == "the server did not label the feed as XML"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"<!DOCTYPE html><html><body><p>Welcome</p></body></html>", "HTML page"),
        (b'{"hello": "world"}', "JSON"),
        (b"\x00\x01\x02 binary junk \xff\xfe", "not a recognisable"),
    ],
)
def test_unusable_bodies_are_rejected_in_words(body: bytes, words: str) -> None:
    with pytest.raises(FeedParseError, match=words):
        parse_feed_bytes(body, XML, URL)


def test_javascript_links_are_dropped() -> None:
    feed = parse_feed_bytes(rss([("Bad", "javascript:alert(1)")]), XML, URL)
    assert feed.entries[0].url is None


async def test_parser_runs_in_the_pool_and_records_parse_time() -> None:
    metrics = Metrics()
    parser = FeedparserParser(PoolConfig(workers=1, timeout_s=30), metrics=metrics)
    try:
        feed = await parser.parse(rss([("One", "https://e.com/1")]), XML, URL)
        await parser.parse(rss([("Two", "https://e.com/2")]), XML, URL)
        with pytest.raises(FeedParseError, match="HTML"):
            await parser.parse(b"<html><body>hi</body></html>", XML, URL)
    finally:
        await parser.close()
    assert feed.entries[0].title == "One"
    samples = {s.labels: s for s in metrics.samples() if s.name == "feed_parse_seconds"}
    ok, rejected = samples[(("outcome", "ok"),)], samples[(("outcome", "rejected"),)]
    assert (ok.kind, ok.count, rejected.count) == ("summary", 2, 1)
    # Timed in the worker: positive, and far below the pool's timeout.
    assert 0 < ok.value < 5


async def test_a_hanging_parse_is_killed_and_the_pool_recovers() -> None:
    # The deadline also covers starting a worker, so it is generous for a loaded machine.
    pool = ParsePool(PoolConfig(workers=1, timeout_s=2))
    try:
        started = time.monotonic()
        with pytest.raises(FeedParseError, match="longer than"):
            await pool.run(time.sleep, 60)
        assert time.monotonic() - started < 10
        assert await pool.run(abs, -3) == 3
    finally:
        await pool.close()


async def test_a_runaway_allocation_hits_the_memory_limit() -> None:
    pool = ParsePool(PoolConfig(workers=1, timeout_s=30, memory_limit_mb=300))
    try:
        with pytest.raises(FeedParseError, match="memory"):
            await pool.run(bytearray, 2 * 1024 * 1024 * 1024)
        assert await pool.run(abs, -4) == 4
    finally:
        await pool.close()


async def test_the_deadline_counts_parse_time_not_time_queued_for_a_worker() -> None:
    # Three 1.5 s parses on one worker take 4.5 s in all; each is within its 3 s deadline.
    pool = ParsePool(PoolConfig(workers=1, timeout_s=3))
    try:
        await pool.run(abs, -1)  # the worker is started before the clock matters
        results = await asyncio.gather(*(pool.run(_sleep_then, 1.5, n) for n in range(3)))
        assert results == [0, 1, 2]
    finally:
        await pool.close()


async def test_a_call_caught_in_a_killed_pool_fails_as_a_parse_error() -> None:
    # One call hangs and is killed with its pool; the call beside it must come back as a
    # FeedParseError (a transient feed failure), never as CancelledError.
    pool = ParsePool(PoolConfig(workers=2, timeout_s=2))
    try:
        await asyncio.gather(pool.run(abs, -1), pool.run(abs, -2))
        hanging, beside = await asyncio.gather(
            pool.run(time.sleep, 60), pool.run(_sleep_then, 30, 1), return_exceptions=True
        )
        assert isinstance(hanging, FeedParseError)
        assert isinstance(beside, FeedParseError)
        assert await pool.run(abs, -5) == 5
    finally:
        await pool.close()


def _sleep_then(seconds: float, value: int) -> int:
    time.sleep(seconds)
    return value


def _value_or_hang(value: int) -> int:
    if value < 0:
        time.sleep(60)
    if value == 13:
        raise ValueError("unlucky")
    return value


class _Unpicklable(Exception):
    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("cannot travel")


def _odd_error(value: int) -> int:
    if value == 1:
        raise _Unpicklable(f"odd {value}")
    return value


async def test_small_parses_waiting_together_go_to_a_worker_together() -> None:
    pool = ParsePool(PoolConfig(workers=1, timeout_s=5))
    trips = 0
    run_raw = pool.run_raw

    async def counted(*args: object, **kwargs: bool) -> object:
        nonlocal trips
        trips += 1
        return await run_raw(*args, **kwargs)  # type: ignore[arg-type]

    pool.run_raw = counted  # type: ignore[method-assign]
    try:
        values = list(range(40))
        results = await asyncio.gather(*(pool.run_batched(abs, -v, size=10) for v in values))
        assert results == values  # each caller gets its own result
        assert trips < 20  # not one trip through the executor each
    finally:
        await pool.close()


async def test_a_call_that_hangs_or_fails_in_a_batch_fails_alone() -> None:
    pool = ParsePool(PoolConfig(workers=1, timeout_s=2))
    try:
        await pool.run(abs, -1)  # the worker is started before the clock matters
        started = time.monotonic()
        results = await asyncio.gather(
            *(pool.run_batched(_value_or_hang, v, size=10) for v in (1, 2, -1, 3, 13, 4)),
            return_exceptions=True,
        )
        assert time.monotonic() - started < 15
        assert [results[i] for i in (0, 1, 3, 5)] == [1, 2, 3, 4]
        assert isinstance(results[2], FeedParseError)
        assert "longer than" in str(results[2])
        assert isinstance(results[4], ValueError)
        assert await pool.run_batched(abs, -6, size=10) == 6
    finally:
        await pool.close()


async def test_an_error_that_cannot_travel_back_comes_back_in_words() -> None:
    pool = ParsePool(PoolConfig(workers=1, timeout_s=5))
    try:
        results = await asyncio.gather(
            pool.run_batched(_odd_error, 1, size=10),
            pool.run_batched(_odd_error, 2, size=10),
            return_exceptions=True,
        )
        assert results[1] == 2
        assert isinstance(results[0], Exception)
        assert "odd 1" in str(results[0])
    finally:
        await pool.close()
