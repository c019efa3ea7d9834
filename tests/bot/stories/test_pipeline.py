"""The pipeline from stored articles to outbox rows, on real storage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.core.clock import FixedClock
from bot.core.domain import Article, Destination, Story, Summary
from bot.core.errors import StorageError
from bot.stories.clustering_config import ClusterConfig
from bot.stories.pipeline import Pipeline
from bot.summaries.extractive import ExtractiveSummarizer
from bot.text.urls import publisher_of
from storage import SqlStorage
from tests.factories import FLOOD, new_article, seed_articles

CHAT = Destination("discord", "10")
OTHER = Destination("discord", "20")


def pipeline_for(store: SqlStorage, clock: FixedClock) -> Pipeline:
    return Pipeline(storage=store, summarizer=ExtractiveSummarizer(), clock=clock)


async def store_third_report(store: SqlStorage, clock: FixedClock, slug: str) -> list[Article]:
    """FLOOD's third report, from its own feed, stored now (after the first two)."""
    outlet, title, text = FLOOD[2]
    feed = await store.upsert_feed(f"https://{slug}.example/feed", outlet)
    return await store.add_articles(
        [new_article(feed.id, outlet, title, text, clock.now(), slug=slug)]
    )


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
    (delivery,) = await sqlite_store.claim_deliveries(
        clock.now() + timedelta(days=1), 10, owner="t", lease_s=60.0
    )
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
    late = await store_third_report(sqlite_store, clock, "late")
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


async def test_two_stored_stories_of_one_event_merge_before_either_is_posted(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    # Stored as two stories (as an earlier process decided); the next batch touches one,
    # and the sweep after it finds the other is the same event: one story, one post.
    await sqlite_store.add_subscription(CHAT, "*", breaking_only=False, min_outlets=2)
    retold = (
        "Valley Courier",
        "River Tessel floods Marrowby as bridges close",
        "The River Tessel flooded Marrowby on Saturday after 140 millimetres of rain, and "
        "police closed the three road bridges into the town centre.",
    )
    first, second = await seed_articles(sqlite_store, clock.now(), (FLOOD[0], retold))
    for story_id, article in (("older", first), ("newer", second)):
        await sqlite_store.save_story(
            Story(story_id, article.published, article.published, (article.id,), (article.outlet,))
        )
    # One merge check on arrival: the story the article joins, so only the sweep can merge.
    pipeline = Pipeline(
        storage=sqlite_store,
        summarizer=ExtractiveSummarizer(),
        clock=clock,
        clustering=ClusterConfig(merge_checks=1),
    )
    await pipeline.restore()
    late = await store_third_report(sqlite_store, clock, "late")
    report = await pipeline.process(late)
    assert report.stories_summarised == 1
    (story,) = await sqlite_store.recent_stories(10)
    assert story.id == "older"
    assert set(story.article_ids) == {first.id, second.id, late[0].id}
    gone = await sqlite_store.get_story("newer")  # a merged story's id leads to its survivor
    assert gone is not None
    assert gone.id == "older"
    deliveries = await sqlite_store.claim_deliveries(
        clock.now() + timedelta(days=1), 10, owner="t", lease_s=60.0
    )
    assert [d.story_id for d in deliveries] == ["older"]


async def test_a_publisher_seen_under_a_second_feed_name_still_counts_once(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    # The story first sees the Guardian through its sport feed; a later report comes from
    # its world feed. One publisher, one outlet, shown by the name its feeds share.
    async def store(feed_name: str, report: tuple[str, str, str], url: str) -> list[Article]:
        feed = await sqlite_store.upsert_feed(f"{url}/feed", feed_name)
        _, title, text = report
        made = new_article(feed.id, feed_name, title, text, clock.now(), slug="x")
        link = f"{url}/{title[:12]}"
        return await sqlite_store.add_articles(
            [replace(made, url=link, publisher=publisher_of(link))]
        )

    pipeline = pipeline_for(sqlite_store, clock)
    first = await store("Sport | The Guardian", FLOOD[0], "https://www.theguardian.com/sport")
    first += await store("Valley Courier", FLOOD[1], "https://valleycourier.example")
    await pipeline.process(first)
    (story,) = await sqlite_store.recent_stories(10)
    assert story.outlets == ("Sport | The Guardian", "Valley Courier")
    late = await store("World news | The Guardian", FLOOD[2], "https://www.theguardian.com/world")
    await pipeline.process(late)
    grown = await sqlite_store.get_story(story.id)
    assert grown is not None
    assert set(grown.article_ids) == {a.id for a in (*first, *late)}
    assert grown.outlets == ("The Guardian", "Valley Courier")


class PageTexts:
    """An ArticleTextSource with canned pages; records which URLs were asked for."""

    def __init__(self, pages: dict[str, str]) -> None:
        self.pages = pages
        self.asked: list[tuple[str, bool]] = []

    def needs_article_text(self, feed_text: str) -> bool:
        return len(feed_text.split()) < 80

    async def article_text(self, url: str, *, allow_private: bool = False) -> str | None:
        self.asked.append((url, allow_private))
        return self.pages.get(url)


async def test_short_feed_texts_are_completed_from_the_article_page(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    articles = await seed_articles(sqlite_store, clock.now())
    page = (
        "The River Tessel burst its banks in Marrowby on Saturday. "
        "Volunteers from the Marrowby rowing club ferried 42 residents to safety in dinghies. "
        "Police closed all three road bridges into the town centre after 140 millimetres of "
        "rain, and emergency crews went door to door in the Eastbank district overnight."
    )
    pages = PageTexts({articles[0].url: page})
    pipeline = Pipeline(
        storage=sqlite_store, summarizer=ExtractiveSummarizer(), clock=clock, article_text=pages
    )
    await pipeline.process(articles)
    assert {url for url, _ in pages.asked} == {a.url for a in articles}
    (stored,) = await sqlite_store.get_articles([articles[0].id])
    assert stored.text == page
    (unchanged,) = await sqlite_store.get_articles([articles[1].id])
    assert unchanged.text == articles[1].text, "no page text: the feed text stays"


async def test_existing_items_of_a_new_feed_are_stored_but_not_posted(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    await sqlite_store.add_subscription(CHAT, "marrowby", breaking_only=False, min_outlets=2)
    # Every report was published before its feed was added (the factory adds feeds "now").
    articles = await seed_articles(sqlite_store, clock.now() - timedelta(days=1))
    report = await pipeline_for(sqlite_store, clock).process(articles)
    assert report.stories_summarised == 1, "the story exists for /latest"
    assert report.deliveries_enqueued == 0, "but old items are not posted as news"


class Recording(ExtractiveSummarizer):
    """The extractive summariser, remembering whether each summary was for a post."""

    def __init__(self) -> None:
        super().__init__()
        self.for_post: list[bool] = []

    async def summarize(
        self, story: Story, articles: Sequence[Article], *, for_post: bool = True
    ) -> Summary:
        self.for_post.append(for_post)
        return await super().summarize(story, articles, for_post=for_post)


async def test_a_backlog_story_is_summarised_in_turn_without_page_fetches(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    # A first poll's old items: summarised (for /latest and /search), but nobody waits
    # for the summary, so it takes no slot, asks no model and fetches no article page.
    # Feeds are added at the wall clock's now, an hour behind ``clock``: these predate them.
    articles = await seed_articles(sqlite_store, clock.now() - timedelta(hours=2), FLOOD[:2])
    pages, summarizer = PageTexts({}), Recording()
    pipeline = Pipeline(
        storage=sqlite_store, summarizer=summarizer, clock=clock, article_text=pages,
        summary_concurrency=1,
    )  # fmt: skip
    report = await pipeline.process(articles)
    assert report.stories_summarised == 1
    assert summarizer.for_post == [False]
    assert pages.asked == []
    # A third outlet's report, published after its feed was added, makes it news.
    fresh = await store_third_report(sqlite_store, clock, "fresh")
    await pipeline.process(fresh)
    assert summarizer.for_post == [False, True]
    assert fresh[0].url in {url for url, _ in pages.asked}


async def test_a_backlog_storys_new_version_is_summarised_once_the_backlog_is_processed(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    # Old items arrive batch after batch on a first start; their stories are summarised
    # again once the backlog is processed, not at every batch.
    old = clock.now() - timedelta(hours=2)  # before the feeds were added (see above)
    summarizer = Recording()
    pipeline = Pipeline(storage=sqlite_store, summarizer=summarizer, clock=clock)
    await pipeline.process(await seed_articles(sqlite_store, old, FLOOD[:2]))
    outlet, title, text = FLOOD[2]
    feed = await sqlite_store.upsert_feed("https://third.example/feed", outlet)
    third = await sqlite_store.add_articles(
        [new_article(feed.id, outlet, title, text, old, slug="third")]
    )
    report = await pipeline.process(third)
    (story,) = await sqlite_store.recent_stories(10)
    assert story.version == 2
    assert summarizer.for_post == [False], "the new version waits"
    assert report.summary_failures == 0
    summary = await sqlite_store.get_summary(story.id)
    assert summary is not None
    assert summary.story_version == 1
    await pipeline.process_stored()  # nothing left to cluster: the backlog is processed
    assert summarizer.for_post == [False, False]
    summary = await sqlite_store.get_summary(story.id)
    assert summary is not None
    assert summary.story_version == 2
    await pipeline.process_stored()
    assert len(summarizer.for_post) == 2, "summarised once"


async def test_in_a_burst_a_summarised_storys_new_versions_wait_for_its_end(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    # News stored faster than it is processed: the story's first summary goes at once
    # (its post waits for it); the versions that the burst's later batches make are
    # summarised once, when the burst is processed, not at every batch.
    await sqlite_store.add_subscription(CHAT, "marrowby", breaking_only=False, min_outlets=2)
    summarizer = Recording()
    pipeline = Pipeline(storage=sqlite_store, summarizer=summarizer, clock=clock)
    await seed_articles(sqlite_store, clock.now(), FLOOD[:2])
    await store_third_report(sqlite_store, clock, "third")
    await store_third_report(sqlite_store, clock, "fourth")
    report = await pipeline.process_stored(batch=1)  # four batches, each with more behind
    (story,) = await sqlite_store.recent_stories(10)
    assert len(story.article_ids) == 4
    assert summarizer.for_post == [True, True], "the first version, then the last one"
    assert report.deliveries_enqueued == 1
    summary = await sqlite_store.get_summary(story.id)
    assert summary is not None
    assert summary.story_version == story.version
    # With no backlog behind it, a new version is summarised in its own batch.
    _, title, text = FLOOD[2]
    feed = await sqlite_store.upsert_feed("https://gazette.example/feed", "Marrowby Gazette")
    await pipeline.process(
        await sqlite_store.add_articles(
            [new_article(feed.id, "Marrowby Gazette", title, text, clock.now(), slug="fifth")]
        )
    )
    assert len(summarizer.for_post) == 3


async def test_a_deferred_summary_survives_a_storage_error(
    sqlite_store: SqlStorage, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = clock.now() - timedelta(hours=2)  # before the feeds were added
    summarizer = Recording()
    pipeline = Pipeline(storage=sqlite_store, summarizer=summarizer, clock=clock)
    await pipeline.process(await seed_articles(sqlite_store, old, FLOOD[:2]))
    outlet, title, text = FLOOD[2]
    feed = await sqlite_store.upsert_feed("https://third.example/feed", outlet)
    await pipeline.process(
        await sqlite_store.add_articles(
            [new_article(feed.id, outlet, title, text, old, slug="third")]
        )
    )
    assert summarizer.for_post == [False]

    async def broken(story_id: str) -> Story | None:
        raise StorageError("database error: OperationalError: disk I/O error")

    with monkeypatch.context() as patch:
        patch.setattr(sqlite_store, "get_story", broken)
        with pytest.raises(StorageError):
            await pipeline.process_stored()
    await pipeline.process_stored()  # the next catch-up: still deferred, summarised now
    assert summarizer.for_post == [False, False]


async def test_a_story_that_gains_an_outlet_queues_an_edit_with_what_changed(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    sub_dest = CHAT
    await sqlite_store.add_subscription(sub_dest, "marrowby", breaking_only=False, min_outlets=2)
    pipeline = pipeline_for(sqlite_store, clock)
    first = await seed_articles(sqlite_store, clock.now(), FLOOD[:2])
    await pipeline.process(first)
    (row,) = await sqlite_store.claim_deliveries(clock.now(), 10, owner="t", lease_s=60)
    await sqlite_store.mark_delivered(row.id, "m1", version=1)
    late = await store_third_report(sqlite_store, clock, "third")
    report = await pipeline.process(late)
    assert report.updates_enqueued == 1
    summary = await sqlite_store.get_summary(row.story_id)
    assert summary is not None
    assert summary.story_version == 2
    assert summary.what_changed is not None
    new_source = next(r.number for r in summary.sources if r.article_id == late[0].id)
    assert new_source in summary.what_changed.cites


async def test_the_runner_records_polls_stories_and_the_outbox_in_metrics(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    from bot.app.runner import Runner  # noqa: PLC0415
    from bot.core.metrics import Metrics  # noqa: PLC0415
    from bot.delivery.dispatcher import Dispatcher  # noqa: PLC0415 - only this test runs a whole cycle
    from bot.feeds.watcher import PollReport  # noqa: PLC0415

    await sqlite_store.add_subscription(CHAT, "marrowby", breaking_only=False, min_outlets=2)
    articles: list[Article] = []

    class OnePoll:
        async def poll_due(self) -> PollReport:
            return PollReport(new_articles=len(articles), polled=5, not_modified=2, unchanged=1)

        async def next_due_in(self) -> float:
            return 1.0

    metrics = Metrics()
    runner = Runner(
        watcher=OnePoll(),
        pipeline=pipeline_for(sqlite_store, clock),
        dispatcher=Dispatcher(storage=sqlite_store, messengers={}, clock=clock),
        outbox=sqlite_store,
        metrics=metrics,
    )
    await runner.cycle()  # the first cycle restores the clusterer from storage
    articles.extend(await seed_articles(sqlite_store, clock.now()))
    await runner.cycle()
    assert metrics.value("feed_polls", outcome="not_modified") == 4
    assert metrics.value("feed_polls", outcome="changed") == 4
    assert metrics.value("stories", event="summarised") == 1
    assert metrics.value("stories", event="breaking") == 1
    assert metrics.value("outbox_rows", status="pending") == 1
