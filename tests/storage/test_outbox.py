"""Outbox leases, order per chat, crash recovery and living-story edits, on every backend."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.core.domain import Destination
from storage import SqlStorage
from tests.factories import seed_story

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
TG = Destination("telegram", "-1001")
DC = Destination("discord", "555")


async def _claim(store: SqlStorage, when: datetime, owner: str = "a") -> list[int]:
    rows = await store.claim_deliveries(
        when, 100, owner=owner, lease_s=60, idempotent_platforms=("discord",)
    )
    return [r.id for r in rows]


async def test_claimed_rows_are_not_claimed_twice(store: SqlStorage) -> None:
    story, _ = await seed_story(store, NOW)
    sub, _ = await store.add_subscription(TG, "x", breaking_only=False, min_outlets=2)
    await store.enqueue_deliveries(story, [sub], now=NOW)
    assert await _claim(store, NOW) == [1]
    assert await _claim(store, NOW, owner="b") == []


async def test_a_chats_later_rows_go_to_the_owner_of_its_row_in_flight(
    store: SqlStorage,
) -> None:
    first, _ = await seed_story(store, NOW, "aa22")
    second, _ = await seed_story(store, NOW, "bb33")
    sub, _ = await store.add_subscription(TG, "x", breaking_only=False, min_outlets=2)
    await store.enqueue_deliveries(first, [sub], now=NOW)
    assert len(await store.claim_deliveries(NOW, 1, owner="a", lease_s=60)) == 1
    await store.enqueue_deliveries(second, [sub], now=NOW)
    # Another sender could overtake the row in flight: it gets nothing of this chat. The
    # owner keeps the chat's order itself, so it may take the next row now.
    assert await store.claim_deliveries(NOW, 10, owner="b", lease_s=60) == []
    (later,) = await store.claim_deliveries(NOW, 10, owner="a", lease_s=60)
    assert later.story_id == "bb33"


async def test_a_claim_can_be_limited_to_some_platforms(store: SqlStorage) -> None:
    story, _ = await seed_story(store, NOW)
    tg, _ = await store.add_subscription(TG, "x", breaking_only=False, min_outlets=2)
    dc, _ = await store.add_subscription(DC, "x", breaking_only=False, min_outlets=2)
    await store.enqueue_deliveries(story, [tg, dc], now=NOW)
    only = await store.claim_deliveries(NOW, 10, owner="a", lease_s=60, platforms=("discord",))
    assert [r.destination for r in only] == [DC]
    assert await store.claim_deliveries(NOW, 10, owner="a", lease_s=60, platforms=()) == []
    rest = await store.claim_deliveries(NOW, 10, owner="a", lease_s=60)
    assert [r.destination for r in rest] == [TG]


async def test_an_expired_claim_returns_to_the_queue(store: SqlStorage) -> None:
    story, _ = await seed_story(store, NOW)
    sub, _ = await store.add_subscription(TG, "x", breaking_only=False, min_outlets=2)
    await store.enqueue_deliveries(story, [sub], now=NOW)
    assert await _claim(store, NOW) == [1]
    assert await _claim(store, NOW + timedelta(seconds=61), owner="b") == [1]


async def test_a_crash_while_sending_is_resent_only_where_a_nonce_dedupes(
    store: SqlStorage,
) -> None:
    story, _ = await seed_story(store, NOW)
    tg, _ = await store.add_subscription(TG, "x", breaking_only=False, min_outlets=2)
    dc, _ = await store.add_subscription(DC, "x", breaking_only=False, min_outlets=2)
    await store.enqueue_deliveries(story, [tg, dc], now=NOW)
    for row_id in await _claim(store, NOW):
        await store.mark_sending(row_id, now=NOW, lease_s=30)
    # Still within the send lease: nobody takes them.
    assert await _claim(store, NOW + timedelta(seconds=29), owner="b") == []
    # The process died; after the send lease the Discord row is sent again (the dispatcher
    # checks its nonce still dedupes: the first request's time comes with the row), the
    # Telegram row is recorded as unconfirmed and never resent.
    again = await store.claim_deliveries(
        NOW + timedelta(seconds=31), 100, owner="b", lease_s=60, idempotent_platforms=("discord",)
    )
    assert [r.destination for r in again] == [DC]
    assert again[0].send_started_at == NOW
    counts = await store.count_deliveries()
    assert counts == {"unconfirmed": 1, "claimed": 1}
    # A resend keeps the first request's time; delivery clears it.
    await store.mark_sending(again[0].id, now=NOW + timedelta(seconds=40), lease_s=30)
    await store.mark_delivered(again[0].id, "m1")
    (sent,) = [r for r in await store.failed_deliveries(statuses=("sent",)) if r.id == again[0].id]
    assert sent.send_started_at is None


async def test_a_chat_keeps_its_order_behind_a_row_waiting_to_retry(store: SqlStorage) -> None:
    first, _ = await seed_story(store, NOW, "aa22")
    second, _ = await seed_story(store, NOW, "bb33")
    sub, _ = await store.add_subscription(TG, "x", breaking_only=False, min_outlets=2)
    other, _ = await store.add_subscription(DC, "x", breaking_only=False, min_outlets=2)
    await store.enqueue_deliveries(first, [sub, other], now=NOW)
    await store.enqueue_deliveries(second, [sub], now=NOW)
    claimed = await store.claim_deliveries(NOW, 1, owner="a", lease_s=60)
    (head,) = claimed
    await store.mark_failed(head.id, "429", retry_at=NOW + timedelta(seconds=30))
    # The chat's second story must not overtake the first; the other chat proceeds.
    rows = await store.claim_deliveries(NOW + timedelta(seconds=1), 100, owner="a", lease_s=60)
    assert [r.destination for r in rows] == [DC]
    later = await store.claim_deliveries(NOW + timedelta(seconds=31), 100, owner="a", lease_s=60)
    assert [(r.destination, r.story_id) for r in later] == [(TG, "aa22"), (TG, "bb33")]


async def test_a_new_version_turns_shown_posts_into_debounced_edits(store: SqlStorage) -> None:
    story, _ = await seed_story(store, NOW)
    sub, _ = await store.add_subscription(TG, "x", breaking_only=False, min_outlets=2)
    muted_sub, _ = await store.add_subscription(DC, "x", breaking_only=False, min_outlets=2)
    await store.enqueue_deliveries(story, [sub, muted_sub], now=NOW)
    for row in await store.claim_deliveries(NOW, 10, owner="a", lease_s=60):
        await store.mark_delivered(row.id, f"m{row.id}", version=1)
    assert await store.mute(DC, story.id, now=NOW)
    assert not await store.mute(DC, story.id, now=NOW)
    newer = replace(story, version=2)
    assert await store.enqueue_updates(newer, now=NOW, debounce_s=60) == 1
    assert (
        await store.claim_deliveries(NOW + timedelta(seconds=30), 10, owner="a", lease_s=60) == []
    )
    (edit,) = await store.claim_deliveries(NOW + timedelta(seconds=61), 10, owner="a", lease_s=60)
    assert (edit.kind, edit.story_version, edit.message_id) == ("edit", 2, "m1")
    await store.mark_delivered(edit.id, "m1", version=2)
    assert await store.enqueue_updates(newer, now=NOW, debounce_s=60) == 0


async def test_a_version_that_arrives_mid_send_is_edited_in_after_it(store: SqlStorage) -> None:
    # Version 2 is being posted when version 3 is stored: the post that lands shows 2, so
    # the row must come back as an edit to 3, not rest as "sent" until a fourth version.
    story, _ = await seed_story(store, NOW)
    sub, _ = await store.add_subscription(TG, "x", breaking_only=False, min_outlets=2)
    await store.enqueue_deliveries(replace(story, version=2), [sub], now=NOW)
    (row,) = await store.claim_deliveries(NOW, 10, owner="a", lease_s=60)
    assert row.story_version == 2
    assert await store.enqueue_updates(replace(story, version=3), now=NOW, debounce_s=60) == 0
    await store.mark_delivered(row.id, "m1", version=row.story_version)
    assert await store.count_deliveries() == {"pending": 1}
    (edit,) = await store.claim_deliveries(NOW + timedelta(seconds=1), 10, owner="a", lease_s=60)
    assert (edit.kind, edit.story_version, edit.message_id) == ("edit", 3, "m1")
    await store.mark_delivered(edit.id, "m1", version=3)
    assert await store.count_deliveries() == {"sent": 1}


async def test_dead_letters_can_be_listed_and_retried(store: SqlStorage) -> None:
    story, _ = await seed_story(store, NOW)
    sub, _ = await store.add_subscription(TG, "x", breaking_only=False, min_outlets=2)
    await store.enqueue_deliveries(story, [sub], now=NOW)
    (row,) = await store.claim_deliveries(NOW, 10, owner="a", lease_s=60)
    await store.mark_failed(row.id, "gave up: 502", retry_at=None)
    (dead,) = await store.failed_deliveries()
    assert dead.last_error == "gave up: 502"
    assert await store.retry_failed(None, now=NOW) == 1
    assert [r.id for r in await store.claim_deliveries(NOW, 10, owner="a", lease_s=60)] == [row.id]
    assert await store.oldest_pending() is not None


async def test_a_story_fans_out_to_thousands_of_chats_in_one_enqueue(store: SqlStorage) -> None:
    # One statement per row batch: PostgreSQL refuses more than 32,767 parameters.
    story, _ = await seed_story(store, NOW)
    subs = [
        (
            await store.add_subscription(
                Destination("discord", str(n)), "x", breaking_only=False, min_outlets=2
            )
        )[0]
        for n in range(3500)
    ]
    assert await store.enqueue_deliveries(story, subs, now=NOW) == 3500
    assert await store.count_deliveries() == {"pending": 3500}
