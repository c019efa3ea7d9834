"""The shared-work primitives on each backend: feed claims with leases, the clustering
queue of stored articles, resumable summaries and LISTEN/NOTIFY wake-ups."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.clock import FixedClock
from bot.stories.pipeline import Pipeline
from bot.summaries.extractive import ExtractiveSummarizer
from storage import SqlStorage, open_storage
from storage.notify import WorkListener, connect_kwargs
from tests.factories import seed_articles, seed_story

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


async def test_claimed_feeds_are_hidden_until_the_lease_ends(store: SqlStorage) -> None:
    feeds = [await store.upsert_feed(f"https://f{i}.example/rss", f"F{i}") for i in range(5)]
    first = await store.claim_due_feeds(NOW, 3, 30.0)
    second = await store.claim_due_feeds(NOW, 10, 30.0)
    assert len(first) == 3
    assert {f.id for f in first} | {f.id for f in second} == {f.id for f in feeds}
    assert not {f.id for f in first} & {f.id for f in second}
    assert await store.claim_due_feeds(NOW + timedelta(seconds=29), 10, 30.0) == []
    # A worker that died never saved a next check: its feeds come back after the lease.
    again = await store.claim_due_feeds(NOW + timedelta(seconds=31), 10, 30.0)
    assert len(again) == 5
    assert await store.claim_due_feeds(NOW, 0, 30.0) == []


async def test_a_claim_spreads_over_the_hosts_of_the_feeds_due(store: SqlStorage) -> None:
    # Added host by host, as an import adds them: a claim in id order would hold one
    # host's feeds only, polled a politeness gap apart while other hosts wait.
    for host in ("a", "b", "c"):
        for i in range(10):
            await store.upsert_feed(f"https://{host}.example/f{i}.xml", f"{host}{i}")
    first = await store.claim_due_feeds(NOW, 6, 30.0)
    assert (
        sorted(f.url.split("/")[2] for f in first)
        == ["a.example"] * 2 + ["b.example"] * 2 + ["c.example"] * 2
    )
    # Claim after claim, every due feed is taken once.
    taken = [f.id for f in first]
    while claimed := await store.claim_due_feeds(NOW, 7, 30.0):
        taken += [f.id for f in claimed]
    assert len(taken) == len(set(taken)) == 30


async def test_concurrent_claims_from_two_processes_never_overlap(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("one process per SQLite file: the instance guard refuses a second")
    stores = [await open_storage(database_url) for _ in range(2)]
    try:
        for i in range(40):
            await stores[0].upsert_feed(f"https://c{i}.example/rss", f"C{i}")
        ids: list[int] = []
        # Claims at the same moment take disjoint feeds; one may take fewer than it asked
        # for while the others hold their windows (see ``claim_due_feeds``). Claiming
        # on, the processes share every feed out, each once.
        while results := await asyncio.gather(
            *(s.claim_due_feeds(NOW, 4, 60.0) for s in stores for _ in range(5))
        ):
            if not any(results):
                break
            ids += [f.id for claimed in results for f in claimed]
        assert len(ids) == len(set(ids)) == 40
    finally:
        for s in stores:
            await s.close()


async def test_the_leader_clusters_what_any_process_stored(
    store: SqlStorage, clock: FixedClock
) -> None:
    articles = await seed_articles(store, clock.now())
    assert [a.id for a in await store.unclustered_articles(10)] == sorted(a.id for a in articles)
    assert [a.id for a in await store.unclustered_articles(10, after_id=articles[0].id)] == [
        a.id for a in articles[1:]
    ]
    pipeline = Pipeline(storage=store, summarizer=ExtractiveSummarizer(), clock=clock)
    report = await pipeline.process_stored(batch=2)  # two batches: the cursor moves on
    assert report.new_articles == len(articles)
    # One story; its second batch made it a new version, summarised once more.
    assert set(report.changed) == {report.changed[0]}
    assert report.stories_summarised == 2
    assert await store.unclustered_articles(10) == []
    assert (await pipeline.process_stored()).new_articles == 0


async def test_a_new_leader_summarises_what_the_dead_one_only_clustered(
    store: SqlStorage, clock: FixedClock
) -> None:
    articles = await seed_articles(store, clock.now())
    dead = Pipeline(storage=store, summarizer=ExtractiveSummarizer(), clock=clock)
    (story,) = await dead.cluster(articles)  # then it died before summarising
    assert [s.id for s in await store.unsummarised_stories(2, 10)] == [story.id]
    successor = Pipeline(storage=store, summarizer=ExtractiveSummarizer(), clock=clock)
    await successor.restore()
    summary = await store.get_summary(story.id)
    assert summary is not None
    assert summary.story_version == story.version
    assert await store.unsummarised_stories(2, 10) == []


async def test_unsummarised_stories_come_newest_first(store: SqlStorage, clock: FixedClock) -> None:
    # After a crash on a first start, thousands of old stories may lack a summary; the
    # new leader's one page of them must hold the news, which is the most recent.
    stories = []
    for age_h, story_id in ((48, "old1"), (1, "news"), (24, "old2")):
        story, _ = await seed_story(store, clock.now() - timedelta(hours=age_h), story_id)
        stories.append(replace(story, version=2))
    for story in stories:
        await store.save_story(story)  # version 2 has no summary yet
    assert [s.id for s in await store.unsummarised_stories(2, 2)] == ["news", "old2"]


async def test_new_articles_wake_a_listener_on_postgresql(database_url: str) -> None:
    store = await open_storage(database_url)
    listener = WorkListener(database_url)
    try:
        if not listener.enabled:  # SQLite: one process, nothing to wake
            assert connect_kwargs(database_url) is None
            assert await listener.start() is False
            assert await listener.wait(0.05) is False
            return
        assert await listener.start()
        assert await listener.wait(0.1)  # the start itself asks for one look
        assert await listener.wait(0.1) is False
        await seed_articles(store, NOW)
        assert await listener.wait(5.0)
        assert listener.received >= 1
    finally:
        await listener.close()
        await store.close()


def test_connect_arguments_leave_unset_parts_to_libpq() -> None:
    assert connect_kwargs("postgresql+asyncpg://bot@db.internal/news") == {
        "user": "bot",
        "host": "db.internal",
        "database": "news",
    }
    assert connect_kwargs("sqlite+aiosqlite:///x.db") is None
    assert connect_kwargs("not a url") is None
