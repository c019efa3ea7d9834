"""Retention on every backend: old article text, superseded summaries and the finished
outbox rows of closed stories go, in bounded batches; the active window stays whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.clock import FixedClock
from bot.core.domain import Destination
from bot.stories.retention import Pruner, RetentionConfig
from storage import SqlStorage
from tests.factories import next_version, seed_story

REAL_NOW = datetime.now(UTC).replace(microsecond=0)
OLD = REAL_NOW - timedelta(days=40)
LIVE = REAL_NOW + timedelta(days=20)
PRUNE_AT = REAL_NOW + timedelta(days=31)  # the outbox rows were touched at REAL_NOW
CHAT = Destination("telegram", "-1001")


async def _seed(store: SqlStorage) -> None:
    old, _ = await seed_story(store, OLD, "k7q2")
    await next_version(store, "k7q2", OLD + timedelta(hours=1))
    live, _ = await seed_story(store, LIVE, "m3n4")
    sub, _ = await store.add_subscription(CHAT, "x", breaking_only=False, min_outlets=2)
    await store.enqueue_deliveries(old, [sub], now=OLD)
    await store.enqueue_deliveries(live, [sub], now=LIVE)
    for row in await store.claim_deliveries(LIVE, 10, owner="t", lease_s=60):
        await store.mark_delivered(row.id, f"m{row.id}")


async def test_the_prune_keeps_the_window_and_drops_the_rest(store: SqlStorage) -> None:
    await _seed(store)
    pruner = Pruner(store, FixedClock(PRUNE_AT), RetentionConfig(keep_days=30, outbox_days=30))
    pruned = await pruner.maybe_prune()
    assert pruned is not None
    old = await store.get_story("k7q2")
    live = await store.get_story("m3n4")
    assert old is not None
    assert live is not None
    old_articles = await store.get_articles(old.article_ids)
    assert [a.text for a in old_articles] == [""] * len(old_articles)
    assert all(a.title for a in old_articles)  # only the text goes
    assert all(a.text for a in await store.get_articles(live.article_ids))
    # The newest summary of the closed story stays, its superseded version goes.
    assert await store.get_summary_version("k7q2", 1) is None
    assert await store.get_summary_version("k7q2", 2) is not None
    assert await store.get_summary("m3n4") is not None
    # The closed story's sent row goes; the living story's stays (its post is edited).
    assert await store.count_deliveries() == {"sent": 1}
    assert pruned["deliveries"] == 1
    assert pruned["summaries"] == 1
    assert pruned["article_texts"] == len(old_articles)  # the late report is one of them
    # Not due again until prune_every_s has passed; then nothing is left to do.
    assert await pruner.maybe_prune() is None
    pruner.clock = FixedClock(PRUNE_AT + timedelta(hours=2))
    again = await pruner.maybe_prune()
    assert again is not None
    assert sum(again.values()) == 0


async def test_a_prune_run_is_bounded(store: SqlStorage) -> None:
    await _seed(store)
    config = RetentionConfig(keep_days=30, outbox_days=30, batch=1, max_batches=2)
    pruned = await Pruner(store, FixedClock(PRUNE_AT), config).prune(PRUNE_AT)
    assert pruned["article_texts"] == 2  # of more: the next run goes on
    later = await Pruner(store, FixedClock(PRUNE_AT), RetentionConfig()).prune(PRUNE_AT)
    assert later["article_texts"] > 0


async def test_restore_reads_only_the_active_window(store: SqlStorage) -> None:
    await _seed(store)
    assert await store.story_ids(REAL_NOW) == {"m3n4"}
    assert await store.taken_story_ids({"k7q2", "zz99"}) == {"k7q2"}
