"""The deliver stage: every outcome of a send is recorded, nothing is lost or doubled."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.core.cards import Card
from bot.core.clock import FixedClock
from bot.core.domain import Destination, MessageRef
from bot.core.errors import (
    AmbiguousDeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from bot.delivery.config import DeliveryConfig
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.outcomes import backoff_s
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
    assert await store.enqueue_deliveries(story, [sub], now=clock.now()) == 1


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
    # The message id is kept: the story's next version edits that message.
    story = await sqlite_store.get_story("k7q2")
    assert story is not None
    newer = replace(story, version=2)
    assert await sqlite_store.enqueue_updates(newer, now=clock.now(), debounce_s=0) == 1
    (edit,) = await sqlite_store.claim_deliveries(clock.now(), 10, owner="t", lease_s=60.0)
    assert (edit.kind, edit.message_id) == ("edit", "1")


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


async def test_an_edit_whose_sender_died_is_made_again_not_given_up(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    # A post is at most once on Telegram (no nonce), but an edit can be repeated safely:
    # one in flight when its sender died goes back to the queue, not to "unconfirmed".
    messenger = RecordingMessenger()
    dying = await _sent_and_updated(sqlite_store, clock, messenger)
    editing = asyncio.Event()

    async def hang(ref: MessageRef, card: Card) -> None:
        editing.set()
        await asyncio.Event().wait()

    dying.messengers = {"telegram": type("Hung", (), {"edit": staticmethod(hang)})()}
    clock.advance(11)
    doomed = asyncio.create_task(dying.dispatch_once())
    await asyncio.wait_for(editing.wait(), timeout=5)
    doomed.cancel()  # the process died mid-edit: nothing after this point ran
    with contextlib.suppress(asyncio.CancelledError):
        await doomed
    clock.advance(DeliveryConfig().lease_s + 1)
    again = Dispatcher(storage=sqlite_store, messengers={"telegram": messenger}, clock=clock)
    assert (await again.dispatch_once()).sent == 1
    assert len(messenger.edited) == 1
    assert await sqlite_store.count_deliveries() == {"sent": 1}


async def test_an_unconfirmed_edit_is_tried_again(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    messenger = RecordingMessenger(edit_failures=[AmbiguousDeliveryError("timed out")])
    dispatcher = await _sent_and_updated(sqlite_store, clock, messenger)
    clock.advance(11)
    report = await dispatcher.dispatch_once()
    assert (report.retried, report.unconfirmed) == (1, 0)
    clock.advance(60)
    assert (await dispatcher.dispatch_once()).sent == 1
    assert len(messenger.edited) == 1


async def test_a_post_whose_update_reply_is_unconfirmed_still_gets_later_edits(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    messenger = RecordingMessenger(edit_failures=[PermanentDeliveryError("too old to edit")])
    dispatcher = await _sent_and_updated(sqlite_store, clock, messenger)

    async def unconfirmed_reply(ref: MessageRef, card: Card, *, nonce: str) -> MessageRef:
        raise AmbiguousDeliveryError("connection reset")

    messenger.reply = unconfirmed_reply  # type: ignore[method-assign]
    clock.advance(11)
    assert (await dispatcher.dispatch_once()).unconfirmed == 1
    story = await sqlite_store.get_story("k7q2")
    assert story is not None
    newest = replace(story, version=3)
    await sqlite_store.save_story(newest)
    assert await sqlite_store.enqueue_updates(newest, now=clock.now(), debounce_s=0) == 1
    clock.advance(1)
    assert (await dispatcher.dispatch_once()).sent == 1
    ((ref, _),) = messenger.edited
    assert ref.message_id == "1", "the post people saw is the one updated"


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
    # Both first sends start together; which answer is recorded first is up to the loop.
    assert sorted(order[:2]) == [("1", "aa22"), ("2", "aa22")], (
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


class StoppingMessenger(RecordingMessenger):
    """Asks the dispatcher to stop as it sends its ``after``-th message."""

    def __init__(self, stop: Callable[[], None], after: int) -> None:
        super().__init__()
        self.stop, self.after = stop, after

    async def send(self, destination: Destination, card: Card, *, nonce: str) -> MessageRef:
        if len(self.sent) + 1 == self.after:
            self.stop()
        return await super().send(destination, card, nonce=nonce)


async def fan_out(store: SqlStorage, clock: FixedClock, chats: int) -> None:
    story, _ = await seed_story(store, clock.now())
    subs = [
        (await store.add_subscription(Destination("telegram", str(100 + n)), "x",
                                      breaking_only=False, min_outlets=2))[0]
        for n in range(chats)
    ]  # fmt: skip
    assert await store.enqueue_deliveries(story, subs, now=clock.now()) == chats


async def test_a_stop_ends_a_long_pass_and_hands_the_rest_back(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    await fan_out(sqlite_store, clock, 120)  # at 29 a second: a pass of about 4 seconds
    dispatcher = Dispatcher(storage=sqlite_store, messengers={}, clock=clock)
    messenger = StoppingMessenger(dispatcher.stopping.set, after=10)
    dispatcher.messengers = {"telegram": messenger}
    clock.advance(1)
    started = time.monotonic()
    report = await dispatcher.dispatch_once()
    assert time.monotonic() - started < 2
    # What was in flight finished and was recorded; nothing is ambiguous or lost.
    assert report.sent == len(messenger.sent) < 120
    assert report.unconfirmed == report.failed == 0
    counts = await sqlite_store.count_deliveries()
    assert counts.get("pending", 0) == 120 - report.sent
    assert (await dispatcher.dispatch_once()).sent == 0, "a stopped dispatcher sends nothing"
    # The next process sends the rest, each chat once.
    after = RecordingMessenger()
    rest = Dispatcher(storage=sqlite_store, messengers={"telegram": after}, clock=clock)
    while (await sqlite_store.count_deliveries()).get("pending"):
        await rest.dispatch_once()
    chats = [d.chat_id for d, _, _ in messenger.sent + after.sent]
    assert sorted(chats) == sorted(str(100 + n) for n in range(120))


async def test_the_runner_stops_during_a_fan_out_without_waiting_for_it(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    from bot.app.runner import Runner  # noqa: PLC0415
    from bot.feeds.watcher import PollReport  # noqa: PLC0415
    from tests.bot.stories.test_pipeline import pipeline_for  # noqa: PLC0415

    await fan_out(sqlite_store, clock, 120)
    stop = asyncio.Event()

    class NoFeeds:
        async def poll_due(self) -> PollReport:
            return PollReport()

        async def next_due_in(self) -> float:
            return 60.0

    messenger = StoppingMessenger(stop.set, after=5)
    runner = Runner(
        watcher=NoFeeds(),
        pipeline=pipeline_for(sqlite_store, clock),
        dispatcher=Dispatcher(
            storage=sqlite_store, messengers={"telegram": messenger}, clock=clock
        ),
        outbox=sqlite_store,
    )
    clock.advance(1)
    started = time.monotonic()
    await asyncio.wait_for(runner.run(stop), timeout=10)
    assert time.monotonic() - started < 2
    assert 5 <= len(messenger.sent) < 120
    assert (await sqlite_store.count_deliveries()).get("pending") == 120 - len(messenger.sent)


async def test_a_pass_past_half_its_lease_hands_back_what_is_left_and_ends(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    # 120 chats at 29 a second need about 4 s; the lease (2 s) ends the pass after 1 s.
    # What is left goes back to the outbox, and the pass ends instead of claiming and
    # handing back rows for ever.
    await fan_out(sqlite_store, clock, 120)
    fake_time = [0.0]

    async def sleep(seconds: float) -> None:
        fake_time[0] += max(seconds, 0.001)

    messenger = RecordingMessenger()
    dispatcher = Dispatcher(
        storage=sqlite_store,
        messengers={"telegram": messenger},
        clock=clock,
        config=DeliveryConfig(lease_s=2.0, batch_size=50),
        monotonic=lambda: fake_time[0],
        sleep=sleep,
    )
    clock.advance(1)
    report = await asyncio.wait_for(dispatcher.dispatch_once(), timeout=20)
    assert 0 < report.sent < 120
    counts = await sqlite_store.count_deliveries()
    assert counts == {"sent": report.sent, "pending": 120 - report.sent}
