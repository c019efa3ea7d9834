"""Feed scopes in the pipeline: a subscription sees the operator's feeds and its own
community's; a story told by one server's own feeds never reaches another server."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from datetime import timedelta
from typing import cast

from bot.core.clock import FixedClock
from bot.core.domain import Article, Destination, Feed
from bot.stories.feed_book import FeedBook
from bot.stories.pipeline import Pipeline
from bot.stories.ports import PipelineStore
from bot.summaries.extractive import ExtractiveSummarizer
from storage import SqlStorage
from tests.factories import FLOOD, new_article

SERVER_A = "discord:guild:1"
SERVER_B = "discord:guild:2"
A_CHANNEL = Destination("discord", "11")
B_CHANNEL = Destination("discord", "21")


async def scoped_articles(
    store: SqlStorage, clock: FixedClock, scopes: Sequence[str | None]
) -> list[Article]:
    """FLOOD's reports, report i from a feed of ``scopes[i]`` (None: the operator's)."""
    stored: list[Article] = []
    for i, ((outlet, title, text), scope) in enumerate(zip(FLOOD, scopes, strict=False)):
        url = f"https://{i}.example/feed"
        if scope is None:
            feed = await store.upsert_feed(url, outlet)
        else:
            feed, _ = await store.add_scoped_feed(url, outlet, scope=scope, added_by="t")
        when = clock.now() - timedelta(minutes=30 - 5 * i)
        stored += await store.add_articles(
            [new_article(feed.id, outlet, title, text, when, slug=f"s{i}")]
        )
    return stored


async def subscribe(
    store: SqlStorage,
    dest: Destination,
    scope: str,
    *,
    min_outlets: int = 2,
    only_ours: bool = False,
) -> None:
    await store.add_subscription(
        dest,
        "marrowby",
        breaking_only=False,
        min_outlets=min_outlets,
        scope=scope,
        only_ours=only_ours,
    )


async def queued_for(store: SqlStorage, clock: FixedClock) -> set[Destination]:
    rows = await store.claim_deliveries(clock.now() + timedelta(days=1), 50, owner="t", lease_s=60)
    return {row.destination for row in rows}


def pipeline_for(store: SqlStorage, clock: FixedClock) -> Pipeline:
    return Pipeline(storage=store, summarizer=ExtractiveSummarizer(), clock=clock)


async def test_a_story_from_one_servers_own_feeds_never_reaches_another_server(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    await subscribe(sqlite_store, A_CHANNEL, SERVER_A)
    await subscribe(sqlite_store, B_CHANNEL, SERVER_B)
    articles = await scoped_articles(sqlite_store, clock, [SERVER_A, SERVER_A, SERVER_A])
    report = await pipeline_for(sqlite_store, clock).process(articles)
    assert report.stories_summarised == 1
    assert await queued_for(sqlite_store, clock) == {A_CHANNEL}


async def test_a_subscription_counts_only_the_outlets_its_scope_sees(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    await subscribe(sqlite_store, A_CHANNEL, SERVER_A, min_outlets=3)
    await subscribe(sqlite_store, B_CHANNEL, SERVER_B, min_outlets=3)
    elsewhere = Destination("discord", "22")
    await sqlite_store.add_subscription(
        elsewhere, "marrowby", breaking_only=False, min_outlets=2, scope=SERVER_B
    )
    # Two operator feeds and one of server A's.
    articles = await scoped_articles(sqlite_store, clock, [None, None, SERVER_A])
    await pipeline_for(sqlite_store, clock).process(articles)
    # A sees three outlets; B sees two: enough for "2 outlets", not for "3".
    assert await queued_for(sqlite_store, clock) == {A_CHANNEL, elsewhere}


async def test_only_ours_leaves_the_operators_feeds_out(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    await subscribe(sqlite_store, A_CHANNEL, SERVER_A, only_ours=True)
    await subscribe(sqlite_store, B_CHANNEL, SERVER_B)
    articles = await scoped_articles(sqlite_store, clock, [None, None, None])
    await pipeline_for(sqlite_store, clock).process(articles)
    assert await queued_for(sqlite_store, clock) == {B_CHANNEL}


async def test_one_feed_added_by_two_servers_is_polled_once_and_serves_both(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    one, new_a = await sqlite_store.add_scoped_feed(
        "https://x.example/rss", "X", scope=SERVER_A, added_by="a"
    )
    two, new_b = await sqlite_store.add_scoped_feed(
        "https://x.example/rss", "X", scope=SERVER_B, added_by="b"
    )
    assert one.id == two.id
    assert (new_a, new_b) == (True, True)
    (feed,) = await sqlite_store.list_feeds()
    assert feed.scopes == {SERVER_A, SERVER_B}
    assert await sqlite_store.unlink_feed(feed.id, SERVER_A)
    assert not await sqlite_store.unlink_feed(feed.id, SERVER_A)
    (feed,) = await sqlite_store.list_feeds()
    assert feed.scopes == {SERVER_B}
    assert await sqlite_store.unlink_feed(feed.id, SERVER_B)
    assert await sqlite_store.list_feeds() == [], "a feed nobody uses is gone"


async def test_feeds_dropped_from_the_config_are_disabled_at_start(
    sqlite_store: SqlStorage,
) -> None:
    kept = await sqlite_store.upsert_feed("https://kept.example/rss", "Kept")
    dropped = await sqlite_store.upsert_feed("https://dropped.example/rss", "Dropped")
    shared = await sqlite_store.upsert_feed("https://shared.example/rss", "Shared")
    await sqlite_store.add_scoped_feed(shared.url, "Shared", scope=SERVER_A, added_by="a")
    cli, _ = await sqlite_store.add_scoped_feed(
        "https://cli.example/rss", "Cli", scope="operator", added_by="cli"
    )
    retired = await sqlite_store.retire_config_feeds([kept.url])
    assert {f.url for f in retired} == {dropped.url, shared.url}
    feeds = {f.url: f for f in await sqlite_store.list_feeds()}
    assert feeds[kept.url].enabled
    assert not feeds[dropped.url].enabled
    assert feeds[dropped.url].disabled_by == "config"
    assert feeds[shared.url].enabled, "server A still uses it"
    assert feeds[shared.url].scopes == {SERVER_A}
    assert feeds[cli.url].enabled, "feeds the operator added with the CLI stay"
    # Listed again: the config's once more, and on.
    await sqlite_store.upsert_feed(dropped.url, "Dropped")
    assert (await sqlite_store.list_feeds())[1].enabled


async def test_an_operator_disable_outlasts_the_config(sqlite_store: SqlStorage) -> None:
    feed = await sqlite_store.upsert_feed("https://a.example/rss", "A")
    assert await sqlite_store.set_feed_enabled(feed.id, False)
    await sqlite_store.upsert_feed(feed.url, "A")  # the next start lists it again
    (again,) = await sqlite_store.list_feeds()
    assert (again.enabled, again.disabled_by) == (False, "operator")
    await sqlite_store.set_feed_enabled(feed.id, True)
    (again,) = await sqlite_store.list_feeds()
    assert again.enabled


class FeedReads(SqlStorage):
    """The real storage, remembering which feeds the pipeline read."""

    asked: list[set[int]]
    listed: int

    async def get_feeds(self, ids: Collection[int]) -> dict[int, Feed]:
        self.asked.append(set(ids))
        return await super().get_feeds(ids)

    async def list_feeds(self) -> list[Feed]:
        self.listed += 1
        return await super().list_feeds()


async def test_a_batch_reads_only_the_feeds_its_stories_cite(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    # A deployment of many feeds: publishing a story must not read all of them.
    for n in range(300):
        await sqlite_store.upsert_feed(f"https://quiet{n}.example/feed", f"Quiet {n}")
    await subscribe(sqlite_store, A_CHANNEL, SERVER_A)
    articles = await scoped_articles(sqlite_store, clock, [None, SERVER_A, None])
    sqlite_store.__class__ = FeedReads
    reads = cast(FeedReads, sqlite_store)
    reads.asked, reads.listed = [], 0
    await pipeline_for(sqlite_store, clock).process(articles)
    assert reads.listed == 0
    assert set().union(*reads.asked) == {a.feed_id for a in articles}
    # Scopes still decide: server A's subscription saw its own feed and the operator's.
    assert await queued_for(sqlite_store, clock) == {A_CHANNEL}


class CountingFeeds:
    """Just the one read a FeedBook makes, counted."""

    def __init__(self, feeds: Sequence[Feed]) -> None:
        self.feeds = {f.id: f for f in feeds}
        self.calls: list[set[int]] = []

    async def get_feeds(self, ids: Collection[int]) -> dict[int, Feed]:
        self.calls.append(set(ids))
        await asyncio.sleep(0.01)
        return {i: self.feeds[i] for i in ids if i in self.feeds}


async def test_the_stories_of_a_batch_read_their_feeds_in_one_go(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    articles = await scoped_articles(sqlite_store, clock, [None, SERVER_A, None])
    store = CountingFeeds(await sqlite_store.list_feeds())
    book = FeedBook(cast(PipelineStore, store))
    # Three stories asking at once, each for some of the feeds: one read.
    seen = await asyncio.gather(*(book.cover([a]) for a in articles))
    assert store.calls == [{a.feed_id for a in articles}]
    assert all(len(feeds) == 3 for feeds in seen)
    assert book.scopes[articles[1].feed_id] == {SERVER_A}
    # Feeds already read are not read again; a story that is cancelled while it waits
    # does not cancel the read the others wait for.
    await book.cover(articles)
    assert len(store.calls) == 1
    book.feeds.clear()
    first = asyncio.create_task(book.cover(articles[:1]))
    second = asyncio.create_task(book.cover(articles[1:]))
    await asyncio.sleep(0)
    first.cancel()
    assert len(await second) == 3
    assert len(store.calls) == 2
