"""The runner's three loops on real parts: a dead host's feeds do not delay a post, a
stop during processing ends the run within seconds, and the loops stay responsive."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from adapters.feeds.fetch import FetchConfig, HttpFeedFetcher
from adapters.feeds.parse import FeedparserParser
from adapters.feeds.pool import PoolConfig
from bot.app.runner import Runner, steady_heap
from bot.core.clock import FixedClock, SystemClock
from bot.core.domain import Destination, NewArticle
from bot.delivery.dispatcher import Dispatcher
from bot.feeds.watcher import Watcher, WatcherConfig
from bot.stories.pipeline import Pipeline
from bot.stories.publishing import StoriesConfig
from bot.summaries.extractive import ExtractiveSummarizer
from storage import SqlStorage
from tests.bot.delivery.test_delivery import RecordingMessenger
from tests.factories import FLOOD
from tests.fakes.feed_server import FeedServer, Route

CHAT = Destination("telegram", "-1001")


def flood_feed(index: int) -> bytes:
    """One outlet's report of the FLOOD story, as RSS, published just now."""
    outlet, title, text = FLOOD[index]
    when = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    link = f"https://outlet{index}.example/flood"
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{outlet}</title><link>https://outlet{index}.example/</link>"
        f"<item><title>{title}</title><link>{link}</link><description>{text}</description>"
        f"<pubDate>{when}</pubDate><guid>{link}</guid></item></channel></rss>"
    ).encode()


@contextlib.asynccontextmanager
async def silent_host(host: str) -> AsyncIterator[int]:
    """A host that accepts connections and never answers; yields its port."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, host, 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for writer in held:
            writer.close()
        await server.wait_closed()


async def test_a_dead_hosts_feeds_do_not_delay_a_post(sqlite_store: SqlStorage) -> None:
    # 20 feeds on a host that never answers (20 s timeout, 2 at a time: 200 s to poll
    # them all) beside two live outlets reporting one story. Under the old single loop
    # the post waited for every dead feed; now it goes out within a few seconds.
    await sqlite_store.add_subscription(CHAT, "*", breaking_only=False, min_outlets=2)
    fetcher = HttpFeedFetcher(FetchConfig(timeout_s=20, per_host_gap_s=0))
    parser = FeedparserParser(PoolConfig(workers=1, timeout_s=20))
    messenger = RecordingMessenger()
    clock = SystemClock()
    stop = asyncio.Event()
    try:
        async with FeedServer() as live, silent_host("127.0.0.2") as dead_port:
            for n in range(20):
                url = f"http://127.0.0.2:{dead_port}/feed{n}"
                await sqlite_store.upsert_feed(url, f"dead {n}", allow_private=True)
            for n in range(2):
                url = live.add(f"/outlet{n}", Route(body=flood_feed(n)))
                await sqlite_store.upsert_feed(url, FLOOD[n][0], allow_private=True)
            runner = Runner(
                watcher=Watcher(sqlite_store, fetcher, parser, clock, WatcherConfig()),
                pipeline=Pipeline(
                    storage=sqlite_store,
                    summarizer=ExtractiveSummarizer(),
                    clock=clock,
                    stories=StoriesConfig(post_existing_items=True),
                ),
                dispatcher=Dispatcher(
                    storage=sqlite_store, messengers={"telegram": messenger}, clock=clock
                ),
                outbox=sqlite_store,
                tick_s=0.2,
                stop_grace_s=2.0,
            )
            started = time.monotonic()
            running = asyncio.create_task(runner.run(stop))
            while not messenger.sent and time.monotonic() - started < 15:  # noqa: ASYNC110 - polls a fake
                await asyncio.sleep(0.05)
            posted_after = time.monotonic() - started
            stop.set()
            await asyncio.wait_for(running, timeout=10)
            stopped_after = time.monotonic() - started - posted_after
    finally:
        await fetcher.close()
        await parser.close()
    assert [d for d, _, _ in messenger.sent] == [CHAT]
    assert posted_after < 8, f"the post waited {posted_after:.1f} s for the dead host"
    # The dead host's fetches were still hanging: the stop cut them after the grace.
    assert stopped_after < 5


async def test_a_stop_during_processing_ends_the_run_within_seconds(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    # 6,000 stored, unclustered articles of 600 small stories: minutes of work. A stop
    # in the middle ends the run between batches; what is left stays stored for later.
    await sqlite_store.add_subscription(CHAT, "*", breaking_only=False, min_outlets=2)
    feeds = [
        await sqlite_store.upsert_feed(f"https://f{n}.example/feed", f"F{n}") for n in range(10)
    ]
    now = clock.now()
    batch: list[NewArticle] = []
    for story in range(600):
        words = f"Topic{story} council vote harbour{story} bridge{story} repairs budget{story}"
        for feed in feeds:
            batch.append(
                NewArticle(
                    feed_id=feed.id,
                    outlet=feed.name,
                    url=f"https://f{feed.id}.example/{story}",
                    guid=None,
                    title=f"{words} decided",
                    text=f"{words} was decided on Monday by the council of {feed.name}. " * 3,
                    published=now,
                    fetched_at=now,
                    content_hash=f"{feed.id}-{story}",
                )
            )
    await sqlite_store.add_articles(batch)

    class NoFeeds:
        async def poll_due(self) -> object:
            from bot.feeds.watcher import PollReport  # noqa: PLC0415

            return PollReport()

        async def next_due_in(self) -> float:
            return 60.0

    runner = Runner(
        watcher=NoFeeds(),  # type: ignore[arg-type]
        pipeline=Pipeline(storage=sqlite_store, summarizer=ExtractiveSummarizer(), clock=clock),
        dispatcher=Dispatcher(storage=sqlite_store, messengers={}, clock=clock),
        outbox=sqlite_store,
        tick_s=0.2,
        cluster_batch=200,
    )
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))
    # Let the leader restore and start on the backlog (it clusters the unclustered ones).
    while not await sqlite_store.recent_stories(1):  # noqa: ASYNC110 - polls the database
        await asyncio.sleep(0.05)
    # The loop stays responsive while processing runs: measured from here.
    lags: list[float] = []
    for _ in range(20):
        asked = time.monotonic()
        await asyncio.sleep(0.01)
        lags.append(time.monotonic() - asked - 0.01)
    asked = time.monotonic()
    stop.set()
    await asyncio.wait_for(running, timeout=15)
    took = time.monotonic() - asked
    left = await sqlite_store.unclustered_articles(10_000)
    assert took < 5, f"stopping took {took:.1f} s"
    assert left, "the stop came after all the work: the test proves nothing"
    assert max(lags) < 1.0, f"the loop was held {max(lags):.2f} s"


@pytest.mark.parametrize("passes", [1, 4])
async def test_poll_passes_overlap_up_to_the_limit(passes: int) -> None:
    # A pass that never ends (a host that never answers) holds one slot; the loop keeps
    # starting passes in the others, up to ``poll_passes``.
    started: list[float] = []
    release = asyncio.Event()

    class SlowPoller:
        async def poll_due(self) -> object:
            from bot.feeds.watcher import PollReport  # noqa: PLC0415

            started.append(time.monotonic())
            await release.wait()
            return PollReport()

        async def next_due_in(self) -> float:
            return 0.0

    stop = asyncio.Event()
    runner = Runner(
        watcher=SlowPoller(),  # type: ignore[arg-type]
        pipeline=None,  # type: ignore[arg-type]  # only the poll loop runs here
        dispatcher=None,  # type: ignore[arg-type]
        outbox=None,  # type: ignore[arg-type]
        tick_s=0.05,
        poll_passes=passes,
    )
    loop = asyncio.create_task(runner._poll_loop(stop))
    await asyncio.sleep(0.5)
    assert len(started) == passes
    release.set()
    stop.set()
    await asyncio.wait_for(loop, timeout=5)


def test_a_run_freezes_its_starting_heap_and_gives_the_collector_back() -> None:
    before = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    with steady_heap():
        # What existed at the start is out of the collector's walks; young collections
        # run less often.
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] > before[0]
        assert gc.get_threshold()[1:] == before[1:]
        inner = steady_heap()
        inner.__enter__()
    # Two runs in one process, the first ending first: the second keeps the setting.
    assert gc.get_threshold()[0] > before[0]
    inner.__exit__(None, None, None)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
