"""The storage contract, run on every backend (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.core.domain import Delivery, Destination, Story
from bot.core.errors import StorageError
from storage import SqlStorage, open_storage
from tests.factories import new_article, next_version, seed_story

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
CHAT = Destination("telegram", "-100123", None)
THREAD = Destination("discord", "555", "777")


async def test_upsert_feed_returns_the_same_feed_for_the_same_url(store: SqlStorage) -> None:
    first = await store.upsert_feed("https://a.example/rss", "A")
    again = await store.upsert_feed("https://a.example/rss", "A renamed")
    assert again.id == first.id
    assert again.name == "A renamed"
    assert [f.url for f in await store.list_feeds()] == ["https://a.example/rss"]


async def test_get_feeds_reads_only_the_feeds_asked_for_with_their_scopes(
    store: SqlStorage,
) -> None:
    ours, _ = await store.add_scoped_feed(
        "https://ours.example/rss", "Ours", scope="discord:1", added_by="7", category="World"
    )
    feeds = [await store.upsert_feed(f"https://f{n}.example/rss", f"F{n}") for n in range(1200)]
    # More ids than one statement's bounded IN list, one that does not exist, and repeats.
    asked = [f.id for f in feeds[::2]] + [ours.id, ours.id, 999_999]
    found = await store.get_feeds(asked)
    assert set(found) == {f.id for f in feeds[::2]} | {ours.id}
    assert found[ours.id].scopes == frozenset({"discord:1"})
    assert found[ours.id].category_in("discord:1") == "World"
    listed = {f.id: f for f in await store.list_feeds()}
    assert all(found[i] == listed[i] for i in found)
    assert await store.get_feeds([]) == {}


async def test_claim_due_feeds_honours_next_check_and_enabled(store: SqlStorage) -> None:
    a = await store.upsert_feed("https://a.example/rss", "A")
    b = await store.upsert_feed("https://b.example/rss", "B")
    c = await store.upsert_feed("https://c.example/rss", "C")
    await store.save_feed_state(replace(a, next_check_at=NOW + timedelta(minutes=5)))
    await store.save_feed_state(replace(b, next_check_at=NOW - timedelta(minutes=5)))
    await store.save_feed_state(replace(c, enabled=False))
    due = await store.claim_due_feeds(NOW, 10, 60.0)
    assert [f.name for f in due] == ["B"]


async def test_feed_state_round_trips_with_aware_utc_datetimes(store: SqlStorage) -> None:
    feed = await store.upsert_feed("https://a.example/rss", "A")
    saved = replace(
        feed,
        etag='W/"abc"',
        last_modified="Tue, 24 Nov 2026 10:00:00 GMT",
        last_success_at=NOW,
        last_error="timed out after 30 s",
        consecutive_failures=2,
        items_seen=14,
    )
    await store.save_feed_state(saved)
    (loaded,) = await store.list_feeds()
    assert loaded.etag == 'W/"abc"'
    assert loaded.last_success_at == NOW
    assert loaded.last_success_at is not None
    assert loaded.last_success_at.tzinfo is not None
    assert (loaded.consecutive_failures, loaded.items_seen) == (2, 14)


async def test_naive_datetimes_are_refused(store: SqlStorage) -> None:
    feed = await store.upsert_feed("https://a.example/rss", "A")
    with pytest.raises(StorageError, match="naive"):
        await store.save_feed_state(replace(feed, last_success_at=datetime(2026, 1, 1)))  # noqa: DTZ001


async def test_add_articles_drops_duplicate_urls_and_guids(store: SqlStorage) -> None:
    feed = await store.upsert_feed("https://a.example/rss", "A")
    first = new_article(feed.id, "A", "Title", "Text", NOW, slug="one")
    same_url = replace(first, title="Other title")
    same_guid_a = replace(new_article(feed.id, "A", "T2", "X", NOW, slug="two"), guid="g-1")
    same_guid_b = replace(new_article(feed.id, "A", "T3", "Y", NOW, slug="three"), guid="g-1")
    stored = await store.add_articles([first, same_url, same_guid_a])
    assert [a.title for a in stored] == ["Title", "T2"]
    assert await store.add_articles([same_guid_b, first]) == []


async def test_add_articles_stores_a_large_batch_in_the_given_order(store: SqlStorage) -> None:
    # More rows than one INSERT takes, given out of URL order: all stored, ids in order.
    feed = await store.upsert_feed("https://a.example/rss", "A")
    batch = [
        replace(new_article(feed.id, "A", f"T{i}", "X", NOW, slug=f"{(i * 7919) % 1201}"))
        for i in range(1201)
    ]
    stored = await store.add_articles(batch)
    assert [a.title for a in stored] == [a.title for a in batch]
    assert len({a.id for a in stored}) == len(batch)
    assert await store.add_articles(batch[::-1]) == []


async def test_stored_articles_are_what_a_read_gives_back(store: SqlStorage) -> None:
    # add_articles builds its result from what it sent (only ids come back): every field
    # must equal the stored row, a guid, a language, a publisher and an hour offset too.
    feed = await store.upsert_feed("https://a.example/rss", "A")
    article = replace(
        new_article(feed.id, "A", "Título", "Texto del artículo.", NOW, slug="uno"),
        guid="g-uno",
        language="es",
        publisher="a.example",
        published=NOW.astimezone(timezone(timedelta(hours=-5))),
    )
    stored = await store.add_articles([article])
    assert stored == await store.get_articles([stored[0].id])
    assert stored[0].story_id is None


async def test_two_workers_storing_one_feed_at_once_store_each_article_once(
    database_url: str,
) -> None:
    # Two processes can poll one feed at once; the second must neither crash nor duplicate.
    first, second = await open_storage(database_url), await open_storage(database_url)
    try:
        feed = await first.upsert_feed("https://a.example/rss", "A")
        batch = [
            replace(new_article(feed.id, "A", f"T{i}", "X", NOW, slug=f"s{i}"), guid=f"g-{i}")
            for i in range(20)
        ]
        results = await asyncio.gather(
            *(store.add_articles(batch) for store in (first, second, first, second))
        )
        titles = [a.title for stored in results for a in stored]
        assert sorted(titles) == sorted(a.title for a in batch)
    finally:
        await first.close()
        await second.close()


async def test_stories_keep_members_and_follow_merges(store: SqlStorage) -> None:
    story, _summary = await seed_story(store, NOW, "k7q2")
    loaded = await store.get_story("K7Q2 ")
    assert loaded is not None
    assert loaded.article_ids == story.article_ids
    assert loaded.outlets == story.outlets
    await store.save_story(
        Story(
            id="zz22",
            created_at=NOW,
            updated_at=NOW,
            article_ids=(),
            outlets=("X",),
            merged_into="k7q2",
        )
    )
    followed = await store.get_story("zz22")
    assert followed is not None
    assert followed.id == "k7q2"
    assert [s.id for s in await store.recent_stories(10)] == ["k7q2"]
    assert await store.story_ids(NOW - timedelta(days=30)) == {"k7q2", "zz22"}
    assert await store.story_ids(NOW + timedelta(days=30)) == set()
    assert await store.taken_story_ids(["k7q2", "ab34", "zz22"]) == {"k7q2", "zz22"}


async def test_summary_round_trips(store: SqlStorage) -> None:
    _story, summary = await seed_story(store, NOW)
    loaded = await store.get_summary(summary.story_id)
    assert loaded == summary
    assert await store.get_summary("nope") is None


async def test_every_summary_version_stays_readable(store: SqlStorage) -> None:
    _story, first = await seed_story(store, NOW)
    _story, second = await next_version(store, "k7q2", NOW)
    assert await store.get_summary("k7q2") == second
    assert await store.get_summary_version("k7q2", 1) == first
    assert await store.get_summary_version("k7q2", 2) == second
    assert await store.get_summary_version("k7q2", 3) is None
    assert await store.get_summary_version("nope", 1) is None


async def test_subscriptions_are_unique_per_destination_and_topic(store: SqlStorage) -> None:
    sub, created = await store.add_subscription(CHAT, "Iraq", breaking_only=False, min_outlets=2)
    again, created_again = await store.add_subscription(
        CHAT, "iraq", breaking_only=True, min_outlets=3
    )
    assert created
    assert not created_again
    assert again.id == sub.id
    assert again.breaking_only
    assert again.min_outlets == 3
    await store.add_subscription(THREAD, "iraq", breaking_only=False, min_outlets=2)
    assert [s.topic for s in await store.subscriptions_for(CHAT)] == ["iraq"]
    assert [s.destination for s in await store.subscriptions_for(THREAD)] == [THREAD]
    assert await store.remove_subscription(CHAT, "IRAQ")
    assert not await store.remove_subscription(CHAT, "iraq")


async def test_pause_and_move_destination(store: SqlStorage) -> None:
    await store.add_subscription(CHAT, "iraq", breaking_only=False, min_outlets=2)
    await store.add_subscription(CHAT, "floods", breaking_only=False, min_outlets=2)
    assert await store.set_paused(CHAT, True) == 2
    assert await store.active_subscriptions() == []
    moved = Destination("telegram", "-100999", None)
    assert await store.move_destination(CHAT, moved) == 2
    assert await store.set_paused(moved, False) == 2
    assert {s.destination for s in await store.active_subscriptions()} == {moved}


async def due(store: SqlStorage, now: datetime) -> list[Delivery]:
    """The rows a dispatcher would take at ``now`` (claimed, as the dispatcher does)."""
    return await store.claim_deliveries(now, 10, owner="contract", lease_s=60.0)


async def test_outbox_rows_are_unique_per_subscription_and_story(store: SqlStorage) -> None:
    story, _ = await seed_story(store, NOW)
    sub, _ = await store.add_subscription(CHAT, "flood", breaking_only=False, min_outlets=2)
    assert await store.enqueue_deliveries(story, [sub], now=NOW) == 1
    assert await store.enqueue_deliveries(story, [sub], now=NOW) == 0
    (pending,) = await due(store, NOW + timedelta(seconds=1))
    assert pending.destination == CHAT
    assert pending.story_id == story.id
    await store.mark_failed(pending.id, "429", retry_at=NOW + timedelta(hours=1))
    assert await due(store, NOW + timedelta(seconds=1)) == []
    (retry,) = await due(store, NOW + timedelta(hours=2))
    assert retry.attempts == 1
    assert retry.last_error == "429"
    await store.mark_delivered(retry.id, "42")
    assert await due(store, NOW + timedelta(hours=3)) == []
    assert await store.count_deliveries() == {"sent": 1}
    # The message id is kept: a new version of the story edits that message.
    newer = replace(story, version=2)
    assert await store.enqueue_updates(newer, now=NOW + timedelta(hours=3), debounce_s=0) == 1
    (edit,) = await due(store, NOW + timedelta(hours=3))
    assert (edit.kind, edit.message_id, edit.destination) == ("edit", "42", CHAT)


async def test_paused_subscriptions_hold_their_deliveries(store: SqlStorage) -> None:
    story, _ = await seed_story(store, NOW)
    sub, _ = await store.add_subscription(CHAT, "flood", breaking_only=False, min_outlets=2)
    await store.enqueue_deliveries(story, [sub], now=NOW)
    await store.set_paused(CHAT, True)
    assert await due(store, NOW + timedelta(hours=1)) == []


async def test_unconfirmed_and_failed_deliveries_are_not_resent(store: SqlStorage) -> None:
    story, _ = await seed_story(store, NOW)
    a, _ = await store.add_subscription(CHAT, "flood", breaking_only=False, min_outlets=2)
    b, _ = await store.add_subscription(THREAD, "flood", breaking_only=False, min_outlets=2)
    await store.enqueue_deliveries(story, [a, b], now=NOW)
    first, second = await due(store, NOW + timedelta(seconds=1))
    await store.mark_unconfirmed(first.id, "timed out after sending")
    await store.mark_failed(second.id, "bot was blocked", retry_at=None)
    assert await due(store, NOW + timedelta(days=1)) == []
    assert await store.count_deliveries() == {"unconfirmed": 1, "failed": 1}


async def test_earliest_next_check(store: SqlStorage) -> None:
    assert await store.earliest_next_check() == (False, None)
    a = await store.upsert_feed("https://a.example/rss", "A")
    b = await store.upsert_feed("https://b.example/rss", "B")
    assert await store.earliest_next_check() == (True, None)
    await store.save_feed_state(replace(a, next_check_at=NOW + timedelta(minutes=9)))
    await store.save_feed_state(replace(b, next_check_at=NOW + timedelta(minutes=3)))
    assert await store.earliest_next_check() == (True, NOW + timedelta(minutes=3))


async def test_sqlite_transactions_of_one_process_queue_instead_of_meeting_the_lock(
    sqlite_store: SqlStorage,
) -> None:
    # SQLite writes one at a time; a transaction that finds it locked sleeps in the busy
    # handler. This process's transactions therefore run one after another, and one run
    # inside another (same task) joins it instead of waiting for itself.
    inside = 0
    most = 0

    async def work(_session: object) -> None:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        await asyncio.sleep(0.01)
        inside -= 1

    async def nested(_session: object) -> int:
        feed = await sqlite_store.upsert_feed("https://nested.example/rss", "N")
        return feed.id

    await asyncio.gather(*(sqlite_store.run(work) for _ in range(5)))
    assert most == 1
    assert await sqlite_store.run(nested) > 0
