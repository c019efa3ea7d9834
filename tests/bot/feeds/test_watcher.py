"""The polling stage with an in-memory store and scripted fetcher and parser."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.clock import FixedClock
from bot.core.domain import (
    Article,
    Feed,
    FetchRequest,
    FetchResult,
    NewArticle,
    ParsedEntry,
    ParsedFeed,
)
from bot.core.errors import FeedParseError, FetchError
from bot.core.notices import notice_words
from bot.feeds.schedule import RetryLaterError
from bot.feeds.watcher import Watcher, WatcherConfig

START = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


class MemoryStore:
    """The watcher's storage port (``bot.feeds.ports.WatcherStore``) in memory, plus
    ``upsert_feed`` to set the feeds up."""

    def __init__(self) -> None:
        self.feeds: dict[int, Feed] = {}
        self.articles: list[Article] = []
        self.notices: dict[str, str] = {}  # key -> text

    async def enqueue_feed_notice(self, feed: Feed, key: str, text: str, *, now: datetime) -> int:
        if key in self.notices:
            return 0
        self.notices[key] = text
        return 1

    async def upsert_feed(
        self, url: str, name: str, *, allow_private: bool = False, added_by: str | None = None
    ) -> Feed:
        for feed in self.feeds.values():
            if feed.url == url:
                return feed
        feed = Feed(
            id=len(self.feeds) + 1, url=url, name=name, allow_private=allow_private,
            added_by=added_by,
        )  # fmt: skip
        self.feeds[feed.id] = feed
        return feed

    async def claim_due_feeds(self, now: datetime, limit: int, lease_s: float) -> list[Feed]:
        due = [
            f
            for f in self.feeds.values()
            if f.enabled and (f.next_check_at is None or f.next_check_at <= now)
        ]
        claimed = due[:limit]
        for feed in claimed:
            self.feeds[feed.id] = dataclasses.replace(
                feed, next_check_at=now + timedelta(seconds=lease_s)
            )
        return claimed

    async def earliest_next_check(self) -> tuple[bool, datetime | None]:
        enabled = [f for f in self.feeds.values() if f.enabled]
        if not enabled:
            return False, None
        times = [f.next_check_at for f in enabled]
        if any(t is None for t in times):
            return True, None
        return True, min(t for t in times if t is not None)

    async def save_feed_state(self, feed: Feed) -> None:
        self.feeds[feed.id] = feed

    async def add_articles(self, articles: Sequence[NewArticle]) -> list[Article]:
        known = {a.url for a in self.articles}
        stored = []
        for new in articles:
            if new.url in known:
                continue
            known.add(new.url)
            article = Article(id=len(self.articles) + 1, **dataclasses.asdict(new))
            self.articles.append(article)
            stored.append(article)
        return stored


Answer = FetchResult | Exception


class ScriptedFetcher:
    """Answers per URL; the last answer repeats. Records every request."""

    def __init__(self) -> None:
        self.answers: dict[str, list[Answer]] = {}
        self.requests: list[FetchRequest] = []
        self.delay: dict[str, float] = {}
        self.finished: list[str] = []
        self.events: list[str] = []
        self.turns: dict[str, int] = {}
        self.turn_gap: dict[str, float] = {}

    def script(self, url: str, *answers: Answer) -> None:
        self.answers[url] = list(answers)

    async def fetch(self, request: FetchRequest) -> FetchResult:
        self.requests.append(request)
        self.events.append(f"fetch {request.url}")
        await asyncio.sleep(self.delay.get(request.url.split("/")[2], 0))
        queue = self.answers[request.url]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        self.finished.append(request.url)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def wait_turn(self, url: str) -> None:
        """Like a host's politeness gap: a host's second turn comes ``turn_gap`` later."""
        host = url.split("/")[2]
        self.events.append(f"turn {url}")
        waited = self.turns.get(host, 0)
        self.turns[host] = waited + 1
        if waited:
            await asyncio.sleep(self.turn_gap.get(host, 0.0))

    async def close(self) -> None:
        return None


class DictParser:
    """Bodies are keys into a table of parsed feeds; anything else is a parse error."""

    def __init__(self, table: Mapping[bytes, ParsedFeed]) -> None:
        self.table = table
        self.calls = 0

    async def parse(self, body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed:
        self.calls += 1
        if body not in self.table:
            raise FeedParseError("not a feed")
        return self.table[body]


def ok(url: str, body: bytes, **headers: str) -> FetchResult:
    return FetchResult(url=url, status=200, body=body, headers=headers, etag='"v1"',
                       last_modified="Mon, 05 Jan 2026 10:00:00 GMT")  # fmt: skip


def not_modified(url: str) -> FetchResult:
    return FetchResult(url=url, status=304, body=None, headers={})


def entry(n: int, published: datetime | None = None) -> ParsedEntry:
    return ParsedEntry(
        title=f"Story {n}", url=f"https://news.example.com/{n}?utm_source=rss#top",
        guid=f"g{n}", text=f"Text of story {n}.", published=published,
    )  # fmt: skip


PARSED = {
    b"v1": ParsedFeed(title="News", entries=(entry(1, START - timedelta(hours=1)), entry(2))),
    b"v2": ParsedFeed(title="News", entries=(entry(1), entry(2), entry(3))),
}


@pytest.fixture
def parts() -> tuple[MemoryStore, ScriptedFetcher, DictParser, FixedClock]:
    return MemoryStore(), ScriptedFetcher(), DictParser(PARSED), FixedClock(START)


def make(
    parts: tuple[MemoryStore, ScriptedFetcher, DictParser, FixedClock], **config: float
) -> Watcher:
    store, fetcher, parser, clock = parts
    return Watcher(store, fetcher, parser, clock, WatcherConfig(**config), rng=random.Random(0))  # type: ignore[arg-type]


async def test_new_articles_are_stored_and_state_saved(
    parts: tuple[MemoryStore, ScriptedFetcher, DictParser, FixedClock],
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, fetcher, _, _ = parts
    feed = await store.upsert_feed("https://news.example.com/rss", "Example News")
    fetcher.script(feed.url, ok(feed.url, b"v1"))
    with caplog.at_level(logging.INFO, logger="newsbot.watcher"):
        report = await make(parts).poll_due()
    assert report.polled == 1
    assert report.new_articles == 2
    assert [a.url for a in store.articles] == [
        "https://news.example.com/1",
        "https://news.example.com/2",
    ]
    first, second = store.articles
    assert first.outlet == "Example News"
    assert first.published == START - timedelta(hours=1)
    assert second.published == START  # no date in the feed: the fetch time
    assert len(first.content_hash) == 64
    saved = store.feeds[feed.id]
    assert saved.etag == '"v1"'
    assert saved.last_modified == "Mon, 05 Jan 2026 10:00:00 GMT"
    assert saved.body_hash is not None
    assert saved.last_success_at == START
    assert saved.items_seen == 2
    assert saved.next_check_at is not None
    assert timedelta(seconds=150) <= saved.next_check_at - START <= timedelta(seconds=1800)
    lines = [r.getMessage() for r in caplog.records if r.name == "newsbot.watcher"]
    assert len(lines) == 1
    assert lines[0].startswith(f"feed.poll feed={feed.id} status=200 new=2 ms=")


async def test_a_feed_nobody_named_is_shown_under_its_own_title() -> None:
    parser = DictParser(
        {
            b"named": ParsedFeed(title="World | Example News", entries=(entry(1),)),
            b"unnamed": ParsedFeed(title="World | Example News", entries=(entry(2),)),
            b"untitled": ParsedFeed(title="\u202e ", entries=(entry(3),)),
        }
    )
    store, fetcher = MemoryStore(), ScriptedFetcher()
    urls = {
        b"named": "https://news.example.com/rss",
        b"unnamed": "https://news.example.com/world",
        b"untitled": "https://news.example.com/blank",
    }
    feeds = {}
    for body, url in urls.items():
        # A configured name, or none: a feed nobody named is stored under its URL.
        feeds[body] = await store.upsert_feed(url, "Example Daily" if body == b"named" else url)
        fetcher.script(url, ok(url, body))
    await make((store, fetcher, parser, FixedClock(START))).poll_due()
    outlets = {a.feed_id: a.outlet for a in store.articles}
    assert outlets[feeds[b"named"].id] == "Example Daily"  # a configured name is kept
    assert outlets[feeds[b"unnamed"].id] == "Example News"  # a URL says nothing to a reader
    assert outlets[feeds[b"untitled"].id] == urls[b"untitled"]  # nothing better to show


async def test_304_and_unchanged_bodies_are_not_parsed(
    parts: tuple[MemoryStore, ScriptedFetcher, DictParser, FixedClock],
) -> None:
    store, fetcher, parser, clock = parts
    feed = await store.upsert_feed("https://a.example/rss", "A")
    other = await store.upsert_feed("https://b.example/rss", "B")
    fetcher.script(feed.url, ok(feed.url, b"v1"), not_modified(feed.url))
    fetcher.script(other.url, ok(other.url, b"v1"))
    watcher = make(parts)
    await watcher.poll_due()
    assert parser.calls == 2
    clock.advance(3600)
    report = await watcher.poll_due()
    assert (report.not_modified, report.unchanged, report.new_articles) == (1, 1, 0)
    assert parser.calls == 2
    assert fetcher.requests[-1].etag == '"v1"' or fetcher.requests[-2].etag == '"v1"'


async def test_each_unique_url_is_fetched_once_per_cycle(
    parts: tuple[MemoryStore, ScriptedFetcher, DictParser, FixedClock],
) -> None:
    store, fetcher, _, _ = parts
    one = await store.upsert_feed("https://News.example.com/rss?utm_source=x", "One")
    two = await store.upsert_feed("https://news.example.com/rss", "Two")
    fetcher.script(one.url, ok(one.url, b"v1"))
    fetcher.script(two.url, ok(two.url, b"v1"))
    report = await make(parts).poll_due()
    assert len(fetcher.requests) == 1
    assert report.polled == 2
    assert store.feeds[two.id].last_success_at == START


async def test_failures_back_off_to_the_ceiling_then_the_feed_is_told_unhealthy_and_dead(
    parts: tuple[MemoryStore, ScriptedFetcher, DictParser, FixedClock],
) -> None:
    store, fetcher, _, clock = parts
    feed = await store.upsert_feed("https://down.example/rss", "Down", added_by="console:1:")
    fetcher.script(feed.url, FetchError("could not connect (refused)"))
    watcher = make(parts, unhealthy_after_failures=3, dead_after_days=2, interval_s=60)
    started = clock.now()
    waits: list[float] = []
    healths: list[str] = []
    while clock.now() - started < timedelta(days=3):
        report = await watcher.poll_due()
        state = store.feeds[feed.id]
        if report.failed:
            healths.append(state.health)
            assert state.next_check_at is not None
            waits.append((state.next_check_at - clock.now()).total_seconds())
        clock.advance(60)
    # Backs off up to the 6 h ceiling and keeps trying there, never switched off.
    assert waits[1] > waits[0] * 1.2 or waits[1] >= 120
    assert max(waits[: healths.index("dead")]) <= 6 * 3600
    assert healths[:2] == ["ok", "ok"]
    assert healths[2] == "unhealthy"
    assert "dead" in healths
    state = store.feeds[feed.id]
    assert state.enabled
    assert state.health == "dead"
    assert state.failing_since == started
    # Dead: tried once a day.
    assert waits[-1] == 86400
    # Told once as unhealthy, once as dead, in plain words with what to do.
    unhealthy, dead = (notice_words(body) for body in store.notices.values())
    assert "failing since" in unhealthy
    assert "/addfeed" in unhealthy
    assert "once a day" in dead
    assert "/feeds" in dead
    # A dead feed that answers again is healthy again.
    fetcher.script(feed.url, ok(feed.url, b"v1"))
    clock.advance(86400)
    await watcher.poll_due()
    state = store.feeds[feed.id]
    assert (state.health, state.failing_since, state.consecutive_failures) == ("ok", None, 0)


async def test_410_marks_the_feed_dead_at_once(
    parts: tuple[MemoryStore, ScriptedFetcher, DictParser, FixedClock],
) -> None:
    store, fetcher, _, _ = parts
    feed = await store.upsert_feed("https://gone.example/rss", "Gone")
    fetcher.script(feed.url, FetchError("HTTP 410 Gone", status=410, transient=False))
    report = await make(parts).poll_due()
    assert [f.id for f in report.disabled] == [feed.id]
    assert store.feeds[feed.id].health == "dead"
    assert len(store.notices) == 1


async def test_retry_after_is_honoured(
    parts: tuple[MemoryStore, ScriptedFetcher, DictParser, FixedClock],
) -> None:
    store, fetcher, _, _ = parts
    feed = await store.upsert_feed("https://busy.example/rss", "Busy")
    fetcher.script(feed.url, RetryLaterError("HTTP 429", status=429, retry_after="5000"))
    await make(parts, interval_s=60).poll_due()
    state = store.feeds[feed.id]
    assert state.next_check_at == START + timedelta(seconds=5000)
    assert state.enabled


async def test_parse_errors_and_crashes_cost_only_their_feed(
    parts: tuple[MemoryStore, ScriptedFetcher, DictParser, FixedClock],
) -> None:
    store, fetcher, _, _ = parts
    bad = await store.upsert_feed("https://bad.example/rss", "Bad")
    crash = await store.upsert_feed("https://crash.example/rss", "Crash")
    good = await store.upsert_feed("https://good.example/rss", "Good")
    fetcher.script(bad.url, ok(bad.url, b"<html>"))
    fetcher.script(crash.url, RuntimeError("bug"))
    fetcher.script(good.url, ok(good.url, b"v2"))
    report = await make(parts).poll_due()
    assert report.new_articles == 3
    assert report.failed == 2
    assert store.feeds[bad.id].last_error == "not a feed"
    assert store.feeds[bad.id].consecutive_failures == 1


async def test_fast_configuration_rechecks_within_two_seconds(
    parts: tuple[MemoryStore, ScriptedFetcher, DictParser, FixedClock],
) -> None:
    store, fetcher, _, clock = parts
    feed = await store.upsert_feed("https://fast.example/rss", "Fast")
    fetcher.script(feed.url, ok(feed.url, b"v1"), not_modified(feed.url))
    watcher = make(parts, interval_s=1, max_interval_s=2)
    for _ in range(5):
        await watcher.poll_due()
        wait = await watcher.next_due_in()
        assert 1 <= wait <= 2
        clock.advance(wait)
    assert len(fetcher.requests) == 5


async def test_a_crowded_host_does_not_hold_up_other_hosts(
    parts: tuple[MemoryStore, ScriptedFetcher, DictParser, FixedClock],
) -> None:
    store, fetcher, _, _ = parts
    fetcher.delay["crowded.example"] = 0.01
    for n in range(60):
        feed = await store.upsert_feed(f"https://crowded.example/{n}", f"C{n}")
        fetcher.script(feed.url, not_modified(feed.url))
    quiet = await store.upsert_feed("https://quiet.example/rss", "Quiet")
    fetcher.script(quiet.url, not_modified(quiet.url))
    report = await make(parts, concurrency=8, per_host_concurrency=2).poll_due()
    assert report.not_modified == 61
    assert fetcher.finished.index(quiet.url) < 5
    hosts = Counter(url.split("/")[2] for url in fetcher.finished)
    assert hosts["crowded.example"] == 60


async def test_a_hosts_gap_is_waited_out_before_a_poll_slot_is_taken(
    parts: tuple[MemoryStore, ScriptedFetcher, DictParser, FixedClock],
) -> None:
    # One poll in flight. The slow host's second turn comes late; meanwhile the slot is
    # free, so the other host is polled, not kept waiting behind a sleeping poll.
    store, fetcher, _, _ = parts
    fetcher.turn_gap["slow.example"] = 0.2
    urls = ["https://slow.example/1", "https://slow.example/2", "https://fast.example/1"]
    for url in urls:
        feed = await store.upsert_feed(url, url)
        fetcher.script(feed.url, not_modified(feed.url))
    report = await make(parts, concurrency=1, per_host_concurrency=1).poll_due()
    assert report.not_modified == 3
    for url in urls:
        assert fetcher.events.index(f"turn {url}") < fetcher.events.index(f"fetch {url}")
    slow_second = next(u for u in fetcher.finished if "slow" in u and u != fetcher.finished[0])
    assert fetcher.finished.index("https://fast.example/1") < fetcher.finished.index(slow_second)
