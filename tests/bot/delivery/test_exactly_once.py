"""Discord posts exactly once across crashes: a row whose send may have happened is
resent only while the platform's nonce still dedupes it; past that it is unconfirmed."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import pytest

from bot.core.cards import Card
from bot.core.clock import FixedClock
from bot.core.domain import Destination, MessageRef
from bot.core.errors import AmbiguousDeliveryError, ConfigError
from bot.delivery.config import DeliveryConfig
from bot.delivery.dispatcher import Dispatcher
from storage import SqlStorage
from tests.bot.delivery.test_delivery import RecordingMessenger
from tests.factories import seed_story

CHANNEL = Destination("discord", "555")
CONFIG = DeliveryConfig(nonce_window_s=120.0, send_lease_s=30.0)


class DiscordRecorder(RecordingMessenger):
    platform = "discord"


async def _crash_mid_send(store: SqlStorage, clock: FixedClock) -> None:
    """Queue one Discord post and let a dispatcher die while its request is out."""
    story, _ = await seed_story(store, clock.now())
    sub, _ = await store.add_subscription(CHANNEL, "x", breaking_only=False, min_outlets=2)
    await store.enqueue_deliveries(story, [sub], now=clock.now())
    sending = asyncio.Event()

    class Hung(DiscordRecorder):
        async def send(self, destination: Destination, card: Card, *, nonce: str) -> MessageRef:
            sending.set()
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

    dying = Dispatcher(storage=store, messengers={"discord": Hung()}, clock=clock, config=CONFIG)
    doomed = asyncio.create_task(dying.dispatch_once())
    await asyncio.wait_for(sending.wait(), timeout=5)
    doomed.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await doomed


async def test_a_send_cut_short_is_resent_while_the_nonce_dedupes(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    await _crash_mid_send(sqlite_store, clock)
    messenger = DiscordRecorder()
    again = Dispatcher(
        storage=sqlite_store, messengers={"discord": messenger}, clock=clock, config=CONFIG
    )
    clock.advance(20)  # the send lease holds: nobody resends yet
    assert (await again.dispatch_once()).sent == 0
    clock.advance(20)  # 40 s after the first request: well inside the nonce window
    assert (await again.dispatch_once()).sent == 1
    assert [nonce for _, _, nonce in messenger.sent] == ["nb1v1"]  # the same nonce
    assert await sqlite_store.count_deliveries() == {"sent": 1}


async def test_past_the_nonce_window_a_send_cut_short_is_unconfirmed_not_resent(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    await _crash_mid_send(sqlite_store, clock)
    messenger = DiscordRecorder()
    again = Dispatcher(
        storage=sqlite_store, messengers={"discord": messenger}, clock=clock, config=CONFIG
    )
    clock.advance(100)  # the process was down longer than a resend can be deduped
    report = await again.dispatch_once()
    assert (report.sent, report.unconfirmed) == (0, 1)
    assert messenger.sent == []
    (row,) = await sqlite_store.failed_deliveries(statuses=("unconfirmed",))
    assert "not sent again" in (row.last_error or "")
    # The operator may queue it again, knowingly: it is then sent afresh.
    assert await sqlite_store.retry_failed(None, now=clock.now(), statuses=("unconfirmed",)) == 1
    assert (await again.dispatch_once()).sent == 1


async def test_a_lost_answer_on_discord_is_retried_under_the_same_nonce(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    story, _ = await seed_story(sqlite_store, clock.now())
    sub, _ = await sqlite_store.add_subscription(CHANNEL, "x", breaking_only=False, min_outlets=2)
    await sqlite_store.enqueue_deliveries(story, [sub], now=clock.now())
    messenger = DiscordRecorder(failures=[AmbiguousDeliveryError("timed out")])
    dispatcher = Dispatcher(
        storage=sqlite_store, messengers={"discord": messenger}, clock=clock, config=CONFIG
    )
    report = await dispatcher.dispatch_once()
    assert (report.retried, report.unconfirmed) == (1, 0)
    clock.advance(10)
    assert (await dispatcher.dispatch_once()).sent == 1
    assert [nonce for _, _, nonce in messenger.sent] == ["nb1v1"]


def test_the_send_lease_must_be_shorter_than_the_nonce_window() -> None:
    with pytest.raises(ConfigError, match="send_lease_s"):
        DeliveryConfig(nonce_window_s=60.0, send_lease_s=90.0)


async def test_a_lease_shorter_than_the_window_is_kept_on_the_row(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    await _crash_mid_send(sqlite_store, clock)
    rows = await sqlite_store.claim_deliveries(
        clock.now() + timedelta(seconds=31), 10, owner="x", lease_s=300,
        idempotent_platforms=("discord",),
    )  # fmt: skip
    assert [r.send_started_at for r in rows] == [clock.now()]
