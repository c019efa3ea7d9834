"""The deliver stage: every outcome of a send is recorded, nothing is lost or doubled."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.cards import Card
from bot.clock import FixedClock
from bot.delivery import DeliveryConfig, Dispatcher, backoff_s
from bot.domain import Destination, MessageRef
from bot.errors import (
    AmbiguousDeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from storage import SqlStorage
from tests.factories import seed_story

CHAT = Destination("telegram", "-1001")


class RecordingMessenger:
    """A Messenger that records what it was asked to send and fails as scripted."""

    platform = "telegram"

    def __init__(
        self, failures: list[Exception] | None = None, edit_failures: list[Exception] | None = None
    ) -> None:
        self.failures = list(failures or [])
        self.edit_failures = list(edit_failures or [])
        self.sent: list[tuple[Destination, Card, str]] = []
        self.edited: list[tuple[MessageRef, Card]] = []
        self.replied: list[tuple[MessageRef, Card, str]] = []

    async def send(self, destination: Destination, card: Card, *, nonce: str) -> MessageRef:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((destination, card, nonce))
        return MessageRef(destination, str(len(self.sent)))

    async def edit(self, ref: MessageRef, card: Card) -> None:
        if self.edit_failures:
            raise self.edit_failures.pop(0)
        self.edited.append((ref, card))

    async def reply(self, ref: MessageRef, card: Card, *, nonce: str) -> MessageRef:
        self.replied.append((ref, card, nonce))
        return MessageRef(ref.destination, f"r{len(self.replied)}")


async def queue_one(store: SqlStorage, clock: FixedClock) -> None:
    story, _ = await seed_story(store, clock.now())
    sub, _ = await store.add_subscription(CHAT, "marrowby", breaking_only=False, min_outlets=2)
    assert await store.enqueue_deliveries(story, [sub]) == 1


async def test_a_due_delivery_is_sent_once_with_a_deterministic_nonce(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    await queue_one(sqlite_store, clock)
    messenger = RecordingMessenger()
    dispatcher = Dispatcher(storage=sqlite_store, messengers={"telegram": messenger}, clock=clock)
    clock.advance(1)
    report = await dispatcher.dispatch_once()
    assert report.sent == 1
    assert (await dispatcher.dispatch_once()).sent == 0
    (destination, card, nonce) = messenger.sent[0]
    assert destination == CHAT
    assert card.story_id == "k7q2"
    assert card.buttons
    assert nonce == "nb1v1"
    assert [r.message_id for r in await sqlite_store.message_refs("k7q2")] == ["1"]


async def test_rate_limit_waits_for_retry_after_then_sends(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    await queue_one(sqlite_store, clock)
    messenger = RecordingMessenger(
        [TransientDeliveryError("429 too many requests", retry_after=30)]
    )
    elapsed = [0.0]  # the dispatcher's monotonic clock, kept in step with ``clock``

    def advance(seconds: float) -> None:
        clock.advance(seconds)
        elapsed[0] += seconds

    async def sleep(seconds: float) -> None:
        advance(seconds)

    dispatcher = Dispatcher(
        storage=sqlite_store,
        messengers={"telegram": messenger},
        clock=clock,
        monotonic=lambda: elapsed[0],
        sleep=sleep,
    )
    advance(1)
    assert (await dispatcher.dispatch_once()).retried == 1
    advance(29)
    assert (await dispatcher.dispatch_once()).sent == 0
    advance(2)
    assert (await dispatcher.dispatch_once()).sent == 1
    assert elapsed[0] < 33, "the chat's block had passed: nothing waited for it"


async def test_permanent_refusal_pauses_the_destination(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    await queue_one(sqlite_store, clock)
    messenger = RecordingMessenger([PermanentDeliveryError("bot was blocked by the user")])
    dispatcher = Dispatcher(storage=sqlite_store, messengers={"telegram": messenger}, clock=clock)
    clock.advance(1)
    assert (await dispatcher.dispatch_once()).failed == 1
    (sub,) = await sqlite_store.subscriptions_for(CHAT)
    assert sub.paused
    assert await sqlite_store.count_deliveries() == {"failed": 1}


async def test_ambiguous_failure_is_recorded_and_never_resent(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    await queue_one(sqlite_store, clock)
    messenger = RecordingMessenger([AmbiguousDeliveryError("timed out after the request was sent")])
    dispatcher = Dispatcher(storage=sqlite_store, messengers={"telegram": messenger}, clock=clock)
    clock.advance(1)
    assert (await dispatcher.dispatch_once()).unconfirmed == 1
    clock.advance(3600)
    assert (await dispatcher.dispatch_once()).sent == 0
    assert messenger.sent == []
    assert await sqlite_store.count_deliveries() == {"unconfirmed": 1}


async def test_transient_failures_back_off_and_end_in_a_dead_letter(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    await queue_one(sqlite_store, clock)
    messenger = RecordingMessenger([TransientDeliveryError("502 bad gateway")] * 3)
    config = DeliveryConfig(max_attempts=3, backoff_base_s=10, backoff_max_s=100)
    dispatcher = Dispatcher(
        storage=sqlite_store, messengers={"telegram": messenger}, clock=clock, config=config
    )
    clock.advance(1)
    assert (await dispatcher.dispatch_once()).retried == 1
    assert (await dispatcher.dispatch_once()).retried == 0, "a retry waits for its backoff"
    clock.advance(timedelta(hours=1).total_seconds())
    assert (await dispatcher.dispatch_once()).retried == 1
    clock.advance(timedelta(hours=1).total_seconds())
    assert (await dispatcher.dispatch_once()).failed == 1
    assert await sqlite_store.count_deliveries() == {"failed": 1}


async def test_a_disabled_platform_keeps_its_rows_waiting(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    await queue_one(sqlite_store, clock)
    dispatcher = Dispatcher(storage=sqlite_store, messengers={}, clock=clock)
    clock.advance(1)
    assert (await dispatcher.dispatch_once()).skipped == 1
    assert await sqlite_store.count_deliveries() == {"pending": 1}


@pytest.mark.parametrize("attempt", [1, 2, 5, 20])
def test_backoff_grows_and_stays_capped(attempt: int) -> None:
    config = DeliveryConfig(backoff_base_s=2, backoff_max_s=60)
    waits = [backoff_s(attempt, config, random.Random(seed)) for seed in range(20)]
    ceiling = min(60, 2 * 2 ** (attempt - 1))
    assert all(ceiling / 2 <= w <= ceiling for w in waits)


async def _sent_and_updated(
    store: SqlStorage, clock: FixedClock, messenger: RecordingMessenger
) -> Dispatcher:
    await queue_one(store, clock)
    dispatcher = Dispatcher(storage=store, messengers={"telegram": messenger}, clock=clock)
    clock.advance(1)
    assert (await dispatcher.dispatch_once()).sent == 1
    story = await store.get_story("k7q2")
    assert story is not None
    newer = replace(story, version=2)
    await store.save_story(newer)
    summary = await store.get_summary("k7q2")
    assert summary is not None
    news = summary.sections[0].sentences[0]
    await store.save_summary(replace(summary, story_version=2, what_changed=news))
    assert await store.enqueue_updates(newer, now=clock.now(), debounce_s=10) == 1
    return dispatcher


async def test_a_living_story_edits_its_post_in_place(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    messenger = RecordingMessenger()
    dispatcher = await _sent_and_updated(sqlite_store, clock, messenger)
    assert (await dispatcher.dispatch_once()).sent == 0, "edits wait for the debounce"
    clock.advance(11)
    assert (await dispatcher.dispatch_once()).sent == 1
    ((ref, card),) = messenger.edited
    assert ref.message_id == "1"
    assert "What changed:" in card.plain_text()
    assert any(b.action.kind == "mute" for b in card.buttons)
    assert messenger.replied == []


async def test_a_post_that_cannot_be_edited_gets_an_update_reply(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    messenger = RecordingMessenger(
        edit_failures=[PermanentDeliveryError("message to edit not found")]
    )
    dispatcher = await _sent_and_updated(sqlite_store, clock, messenger)
    clock.advance(11)
    assert (await dispatcher.dispatch_once()).sent == 1
    ((ref, card, nonce),) = messenger.replied
    assert ref.message_id == "1"
    assert card.title is not None
    assert card.title.startswith("Update on k7q2")
    assert nonce.endswith("u")
    (sub,) = await sqlite_store.subscriptions_for(CHAT)
    assert not sub.paused, "a message that can't be edited is no reason to pause the chat"


async def test_a_muted_story_is_not_updated(sqlite_store: SqlStorage, clock: FixedClock) -> None:
    messenger = RecordingMessenger()
    dispatcher = await _sent_and_updated(sqlite_store, clock, messenger)
    await sqlite_store.mute(CHAT, "k7q2", now=clock.now())
    clock.advance(11)
    assert (await dispatcher.dispatch_once()).skipped == 1
    assert messenger.edited == []


async def test_chats_are_served_in_turn_and_each_keeps_its_order(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    stories = [
        (await seed_story(sqlite_store, clock.now(), sid))[0] for sid in ("aa22", "bb33", "cc44")
    ]
    busy = Destination("telegram", "1")
    quiet = Destination("telegram", "2")
    subs = [
        (await sqlite_store.add_subscription(dest, "x", breaking_only=False, min_outlets=2))[0]
        for dest in (busy, quiet)
    ]
    for story in stories:
        await sqlite_store.enqueue_deliveries(story, [subs[0]], now=clock.now())
    await sqlite_store.enqueue_deliveries(stories[0], [subs[1]], now=clock.now())
    messenger = RecordingMessenger()
    sleeps: list[float] = []
    fake_time = [0.0]

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        fake_time[0] += seconds

    dispatcher = Dispatcher(
        storage=sqlite_store,
        messengers={"telegram": messenger},
        clock=clock,
        monotonic=lambda: fake_time[0],
        sleep=sleep,
    )
    clock.advance(1)
    assert (await dispatcher.dispatch_once()).sent == 4
    order = [(dest.chat_id, card.story_id) for dest, card, _ in messenger.sent]
    assert order[:2] == [("1", "aa22"), ("2", "aa22")], (
        "the quiet chat does not wait behind the busy one"
    )
    assert [s for chat, s in order if chat == "1"] == ["aa22", "bb33", "cc44"]
    assert sum(sleeps) >= 2.0, "one chat gets at most one message a second"


async def test_a_fan_out_looks_only_at_chats_that_can_send(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    # 300 chats, two stories each, at Telegram's limits: the scheduler must ask the rate
    # windows about a few chats per send, not about every chat it holds (the old scan
    # asked ~chats x sends times, which made it the busiest code of a large fan-out).
    chats = [Destination("telegram", str(1000 + n)) for n in range(300)]
    subs = [
        (await sqlite_store.add_subscription(dest, "x", breaking_only=False, min_outlets=2))[0]
        for dest in chats
    ]
    for sid in ("aa22", "bb33"):
        story, _ = await seed_story(sqlite_store, clock.now(), sid)
        await sqlite_store.enqueue_deliveries(story, subs, now=clock.now())
    messenger = RecordingMessenger()
    fake_time = [0.0]

    async def sleep(seconds: float) -> None:
        fake_time[0] += max(seconds, 0.001)

    dispatcher = Dispatcher(
        storage=sqlite_store,
        messengers={"telegram": messenger},
        clock=clock,
        config=DeliveryConfig(batch_size=1000),
        monotonic=lambda: fake_time[0],
        sleep=sleep,
    )
    asked = [0]
    real_wait_s = dispatcher.limiter.wait_s

    def counting_wait_s(destination: Destination, now: float) -> float:
        asked[0] += 1
        return real_wait_s(destination, now)

    dispatcher.limiter.wait_s = counting_wait_s  # type: ignore[method-assign]
    clock.advance(1)
    assert (await dispatcher.dispatch_once()).sent == 600
    by_chat: dict[str, list[str]] = {}
    for dest, card, _ in messenger.sent:
        by_chat.setdefault(dest.chat_id, []).append(card.story_id)
    assert all(stories == ["aa22", "bb33"] for stories in by_chat.values())
    assert len(by_chat) == 300
    assert asked[0] < 3 * 600
    # 29 a second overall: 600 sends take at least 600 / 29 seconds of the fake clock.
    assert fake_time[0] >= 600 / 29 - 1
