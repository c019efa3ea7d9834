"""Digests on an injected clock: due at the chat's wall-clock time across a DST change,
sent once through the outbox, and after a restart over several missed days sent once,
late, covering the whole gap."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from adapters.console import ConsoleMessenger
from bot.commands.router import Commands, Invocation
from bot.core.clock import FixedClock
from bot.core.domain import Destination
from bot.core.errors import CommandError
from bot.delivery.digests import DigestScheduler
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.schedules import next_due, parse_schedule, take_digest
from bot.summaries.extractive import ExtractiveSummarizer
from storage import SqlStorage, open_storage
from tests.factories import seed_story

CHAT = Invocation(Destination("console", "c1"), user_id="u1", can_manage=True)
# Saturday 24 October 2026, noon; Berlin leaves summer time at 03:00 on Sunday the 25th.
START = datetime(2026, 10, 24, 12, 0, tzinfo=UTC)


class Bot:
    """The parts a restart rebuilds: storage, commands, scheduler, dispatcher, messenger."""

    def __init__(self, store: SqlStorage, clock: FixedClock) -> None:
        self.store = store
        self.messenger = ConsoleMessenger(io.StringIO())
        self.commands = Commands(storage=store, summarizer=ExtractiveSummarizer(), clock=clock)
        self.digests = DigestScheduler(store, clock)
        self.dispatcher = Dispatcher(
            storage=store, messengers={"console": self.messenger}, clock=clock
        )

    async def tick(self) -> int:
        issued = await self.digests.run_due()
        await self.dispatcher.dispatch_once()
        return issued


async def test_daily_digest_across_dst_and_a_restart(database_url: str) -> None:
    clock = FixedClock(START)
    bot = Bot(await open_storage(database_url), clock)
    try:
        await bot.commands.run(CHAT, "/settings timezone Europe/Berlin")
        answer = (
            await bot.commands.run(CHAT, "/subscribe marrowby --digest daily 08:00")
        ).plain_text()
        assert "Subscribed this chat to marrowby." in answer
        assert "Digest mode: one message daily 08:00 (Europe/Berlin)" in answer
        assert "the first on Sun 25 Oct 08:00" in answer
        listed = (await bot.commands.run(CHAT, "/subscriptions")).plain_text()
        assert "marrowby (digest daily 08:00, at least 2 outlets)" in listed
        assert await bot.store.active_subscriptions() == []  # no post per story
        await seed_story(bot.store, START + timedelta(hours=6), "k7q2")

        # 08:00 in Berlin is 06:00 UTC in summer but 07:00 UTC after the change.
        clock.current = datetime(2026, 10, 25, 6, 30, tzinfo=UTC)
        assert await bot.tick() == 0
        assert bot.messenger.sent == []
        clock.current = datetime(2026, 10, 25, 7, 0, tzinfo=UTC)
        assert await bot.tick() == 1
        assert await bot.tick() == 0  # not twice
        [(dest, digest)] = bot.messenger.sent
        assert dest == CHAT.destination
        assert digest.title == "Digest: marrowby — 1 story"
        assert "River Tessel bursts its banks in Marrowby" in digest.plain_text()
        assert "k7q2" in digest.plain_text()
        [state] = await bot.store.digests_for(CHAT.destination)
        assert state.next_due_at == datetime(2026, 10, 26, 7, 0, tzinfo=UTC)
    finally:
        await bot.store.close()

    # Down from Sunday until Wednesday 10:00: three due times missed (26, 27, 28 October).
    bot = Bot(await open_storage(database_url), clock)
    try:
        await seed_story(bot.store, datetime(2026, 10, 27, 12, 0, tzinfo=UTC), "n3w1")
        clock.current = datetime(2026, 10, 28, 10, 0, tzinfo=UTC)
        assert await bot.tick() == 1
        assert await bot.tick() == 0
        clock.advance(3600)
        assert await bot.tick() == 0
        [(_, late)] = bot.messenger.sent
        assert "n3w1" in late.plain_text()
        assert "k7q2" not in late.plain_text()  # in the earlier digest already
        assert "since 25 Oct 07:00 UTC" in late.plain_text()
        [state] = await bot.store.digests_for(CHAT.destination)
        assert state.next_due_at == datetime(2026, 10, 29, 7, 0, tzinfo=UTC)
        # Nothing new by the next due time: the schedule moves on and nothing is sent.
        clock.current = datetime(2026, 10, 29, 7, 0, tzinfo=UTC)
        assert await bot.tick() == 1
        assert len(bot.messenger.sent) == 1
        # Back to posts, and the time zone follows the chat.
        answer = (await bot.commands.run(CHAT, "/subscribe marrowby")).plain_text()
        assert "Digest mode is off" in answer
        assert len(await bot.store.active_subscriptions()) == 1
    finally:
        await bot.store.close()


async def test_a_time_zone_change_moves_the_digest(sqlite_store: SqlStorage) -> None:
    clock = FixedClock(START)
    bot = Bot(sqlite_store, clock)
    await bot.commands.run(CHAT, "/subscribe * --digest weekly mon 07:30")
    [state] = await bot.store.digests_for(CHAT.destination)
    assert state.next_due_at == datetime(2026, 10, 26, 7, 30, tzinfo=UTC)
    answer = (await bot.commands.run(CHAT, "/settings timezone America/New_York")).plain_text()
    assert "(1 digest rescheduled)" in answer
    [state] = await bot.store.digests_for(CHAT.destination)
    assert state.next_due_at == datetime(2026, 10, 26, 11, 30, tzinfo=UTC)  # EDT, UTC-4
    refused = (await bot.commands.run(CHAT, "/subscribe iraq --digest hourly")).plain_text()
    assert "couldn't read that digest schedule" in refused


def test_schedules() -> None:
    assert take_digest("iraq -football --digest weekly Monday 8:05") == (
        "iraq -football",
        parse_schedule("weekly mon 08:05"),
    )
    assert str(parse_schedule("weekly fri 18:00")) == "weekly fri 18:00"
    for bad in ("daily 25:00", "weekly 08:00", "weekly t 08:00", "daily mon 08:00"):
        with pytest.raises(CommandError):
            parse_schedule(bad)
    daily = parse_schedule("daily 02:30")
    # Spring forward in Berlin (29 March 2026): 02:30 does not exist; 03:30 CEST it is.
    spring = next_due(daily, datetime(2026, 3, 28, 12, 0, tzinfo=UTC), "Europe/Berlin")
    assert spring == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert next_due(daily, spring, "Europe/Berlin") == datetime(2026, 3, 30, 0, 30, tzinfo=UTC)
