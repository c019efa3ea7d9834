"""The pipeline from stored articles to outbox rows, on real storage."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FixedClock
from bot.domain import Destination
from bot.extractive import ExtractiveSummarizer
from bot.pipeline import Pipeline
from storage import SqlStorage
from tests.factories import FLOOD, new_article, seed_articles

CHAT = Destination("discord", "10")
OTHER = Destination("discord", "20")


def pipeline_for(store: SqlStorage, clock: FixedClock) -> Pipeline:
    return Pipeline(storage=store, summarizer=ExtractiveSummarizer(), clock=clock)


async def test_a_multi_outlet_story_is_summarised_and_queued_for_matching_chats(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    await sqlite_store.add_subscription(CHAT, "marrowby", breaking_only=False, min_outlets=2)
    await sqlite_store.add_subscription(OTHER, "cricket", breaking_only=False, min_outlets=2)
    articles = await seed_articles(sqlite_store, clock.now())
    report = await pipeline_for(sqlite_store, clock).process(articles)
    assert report.stories_changed == 1
    assert report.stories_summarised == 1
    assert report.deliveries_enqueued == 1
    (story,) = await sqlite_store.recent_stories(10)
    assert story.outlet_count == 3
    assert set(story.article_ids) == {a.id for a in articles}
    summary = await sqlite_store.get_summary(story.id)
    assert summary is not None
    assert summary.sources
    assert summary.sections
    (delivery,) = await sqlite_store.pending_deliveries(clock.now() + timedelta(days=1), 10)
    assert delivery.destination == CHAT


async def test_a_single_outlet_story_is_not_posted(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    await sqlite_store.add_subscription(CHAT, "*", breaking_only=False, min_outlets=1)
    articles = await seed_articles(sqlite_store, clock.now(), FLOOD[:1])
    report = await pipeline_for(sqlite_store, clock).process(articles)
    assert report.stories_changed == 1
    assert report.stories_summarised == 0
    assert report.deliveries_enqueued == 0


async def test_state_survives_a_restart(sqlite_store: SqlStorage, clock: FixedClock) -> None:
    first = await seed_articles(sqlite_store, clock.now(), FLOOD[:2])
    await pipeline_for(sqlite_store, clock).process(first)
    (story,) = await sqlite_store.recent_stories(10)
    restarted = pipeline_for(sqlite_store, clock)
    assert await restarted.restore() == 2
    outlet, title, text = FLOOD[2]
    feed = await sqlite_store.upsert_feed("https://late.example/feed", outlet)
    late = await sqlite_store.add_articles(
        [new_article(feed.id, outlet, title, text, clock.now(), slug="late")]
    )
    report = await restarted.process(late)
    assert report.changed == [story.id]
    grown = await sqlite_store.get_story(story.id)
    assert grown is not None
    assert (grown.outlet_count, grown.version) == (3, 2)


async def test_restore_clusters_articles_stored_before_a_crash(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    await seed_articles(sqlite_store, clock.now())  # stored, never clustered
    pipeline = pipeline_for(sqlite_store, clock)
    await pipeline.restore()
    (story,) = await sqlite_store.recent_stories(10)
    assert story.outlet_count == 3
