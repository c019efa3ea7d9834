"""The deliver stage: every outcome of a send is recorded, nothing is lost or doubled."""

from __future__ import annotations

import random
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

    def __init__(self, failures: list[Exception] | None = None) -> None:
        self.failures = list(failures or [])
        self.sent: list[tuple[Destination, Card, str]] = []

    async def send(self, destination: Destination, card: Card, *, nonce: str) -> MessageRef:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((destination, card, nonce))
        return MessageRef(destination, str(len(self.sent)))

    async def edit(self, ref: MessageRef, card: Card) -> None:
        raise AssertionError("not used here")

    async def reply(self, ref: MessageRef, card: Card, *, nonce: str) -> MessageRef:
        raise AssertionError("not used here")


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
    dispatcher = Dispatcher(storage=sqlite_store, messengers={"telegram": messenger}, clock=clock)
    clock.advance(1)
    assert (await dispatcher.dispatch_once()).retried == 1
    clock.advance(29)
    assert (await dispatcher.dispatch_once()).sent == 0
    clock.advance(2)
    assert (await dispatcher.dispatch_once()).sent == 1


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
