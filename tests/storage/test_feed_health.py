"""Feed health in storage: notices reach the chats a feed served and the chat that added
it, once; they go out through the outbox like posts; a dead feed added again is retried."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from adapters.catalogs import load_word_book
from bot.core.clock import FixedClock
from bot.core.domain import Destination
from bot.core.words import FSI, PDI
from bot.delivery.dispatcher import Dispatcher
from bot.feeds.health import HealthPolicy, notice_key, notice_of
from storage import SqlStorage
from tests.bot.delivery.test_delivery import RecordingMessenger
from tests.factories import seed_story

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SERVED = Destination("telegram", "-1001")
ADDER = Destination("telegram", "42")
OTHER = Destination("telegram", "-1002")


async def test_a_notice_goes_once_to_the_served_chats_and_the_adder(store: SqlStorage) -> None:
    story, _ = await seed_story(store, NOW)
    served, _ = await store.add_subscription(SERVED, "x", breaking_only=False, min_outlets=2)
    await store.add_subscription(ADDER, "y", breaking_only=False, min_outlets=2)
    await store.add_subscription(OTHER, "z", breaking_only=False, min_outlets=2)
    await store.enqueue_deliveries(story, [served], now=NOW)
    article = (await store.get_articles([story.article_ids[0]]))[0]
    feed = next(f for f in await store.list_feeds() if f.id == article.feed_id)
    feed = replace(feed, added_by=ADDER.key)
    key = notice_key(feed, "unhealthy", NOW)
    assert await store.enqueue_feed_notice(feed, key, "The feed is failing.", now=NOW) == 2
    assert await store.enqueue_feed_notice(feed, key, "The feed is failing.", now=NOW) == 0
    messenger = RecordingMessenger()
    clock = FixedClock(NOW + timedelta(seconds=1))
    dispatcher = Dispatcher(storage=store, messengers={"telegram": messenger}, clock=clock)
    report = await dispatcher.dispatch_once()
    assert report.sent == 3  # the story's post and two notices
    notices = [(d, c) for d, c, n in messenger.sent if c.story_id is None]
    assert sorted(d.chat_id for d, _ in notices) == ["-1001", "42"]
    # A row stored as plain text (before notices were stored as messages) goes as it is.
    assert all("The feed is failing." in str(c.body) for _, c in notices)


async def test_a_notice_is_said_in_each_chats_language(store: SqlStorage) -> None:
    await store.add_subscription(ADDER, "y", breaking_only=False, min_outlets=2)
    await store.add_subscription(OTHER, "z", breaking_only=False, min_outlets=2)
    await store.set_language(ADDER, "de")
    await store.set_language(OTHER, "ar")
    since = NOW - timedelta(days=1)
    feeds = []
    for chat in (ADDER, OTHER):
        feed = await store.upsert_feed(f"https://{chat.chat_id}.example/rss", "Down",
                                       added_by=chat.key)  # fmt: skip
        feeds.append(feed)
        notice = notice_of(feed, "unhealthy", since, HealthPolicy(), "HTTP 503")
        key = notice_key(feed, "unhealthy", since)
        assert await store.enqueue_feed_notice(feed, key, notice.encode(), now=NOW) == 1
    messenger = RecordingMessenger()
    clock = FixedClock(NOW + timedelta(seconds=1))
    dispatcher = Dispatcher(
        storage=store, messengers={"telegram": messenger}, clock=clock, words=load_word_book()
    )
    assert (await dispatcher.dispatch_once()).sent == 2
    said = {d: c.plain_text() for d, c, _ in messenger.sent}
    german = said[ADDER]
    assert german.startswith("Der Newsfeed „Down“ (https://42.example/rss) schlägt seit 23. Nov.")
    assert "HTTP 503" in german
    assert "/addfeed" in german
    # In the right-to-left chat the name, the address and the error keep their direction.
    arabic = said[OTHER]
    assert f"{FSI}Down{PDI}" in arabic
    assert f"{FSI}https://-1002.example/rss{PDI}" in arabic
    assert f"{FSI}HTTP 503{PDI}" in arabic


async def test_a_dead_feed_added_again_is_tried_at_once(store: SqlStorage) -> None:
    feed = await store.upsert_feed("https://down.example/rss", "Down", added_by=ADDER.key)
    dead = replace(
        feed,
        health="dead",
        failing_since=NOW - timedelta(days=8),
        consecutive_failures=40,
        next_check_at=NOW + timedelta(days=1),
    )
    await store.save_feed_state(dead)
    (loaded,) = await store.list_feeds()
    assert (loaded.health, loaded.failing_since) == ("dead", NOW - timedelta(days=8))
    again = await store.upsert_feed("https://down.example/rss", "Down", added_by=ADDER.key)
    assert (again.health, again.next_check_at) == ("ok", None)
    assert [f.id for f in await store.claim_due_feeds(NOW, 10, 60)] == [feed.id]


async def test_a_dead_feed_added_again_in_chat_is_tried_at_once(store: SqlStorage) -> None:
    # /addfeed goes through the scoped path, which must revive a dead feed too.
    scope = {"scope": ADDER.key, "added_by": ADDER.key}
    feed, linked = await store.add_scoped_feed("https://gone.example/rss", "Gone", **scope)
    assert linked
    await store.save_feed_state(replace(feed, health="dead", next_check_at=NOW + timedelta(days=1)))
    again, linked_again = await store.add_scoped_feed("https://gone.example/rss", "Gone", **scope)
    assert not linked_again  # the chat already had it
    assert (again.health, again.next_check_at) == ("ok", None)
