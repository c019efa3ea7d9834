"""Three real ``newsbot run`` processes share one PostgreSQL database; one is SIGKILLed.

Afterwards: every feed was polled on schedule, no story version was summarised twice,
every Discord delivery arrived exactly once and Telegram ones at most once (unconfirmed
counted), and exactly one process long-polled Telegram at a time.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.core.domain import Destination
from storage import SqlStorage, open_storage
from tests.conftest import IN_CI, PG_URL, drop_postgres, fresh_postgres_url
from tests.fakes.fake_discord import APP_ID, TOKEN, FakeDiscord
from tests.fakes.fake_telegram import FakeTelegram, Limits
from tests.scale.farm import NewsFarm, spawn_worker, stop_workers, summarised, worker_config

INTERVAL_S = 2.0
LEASE_S = 5.0
TELEGRAM_CHAT = 4242


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    if not PG_URL:
        if IN_CI:
            pytest.fail(
                "CI=true but NEWSBOT_TEST_DATABASE_URL is not set: PostgreSQL must be tested"
            )
        pytest.skip("NEWSBOT_TEST_DATABASE_URL is not set")
    url, name = await fresh_postgres_url()
    try:
        yield url
    finally:
        await drop_postgres(name)


async def count_rows(store: SqlStorage, sql: str) -> dict[str, int]:
    async with store.engine.connect() as conn:
        return {str(row[0]): int(row[1]) for row in await conn.execute(text(sql))}


BY_STATUS = (
    "SELECT s.platform || ':' || d.status, count(*) FROM deliveries d "
    "JOIN subscriptions s ON s.id = d.subscription_id GROUP BY 1"
)


async def wait_for_drain(store: SqlStorage, seconds: float) -> dict[str, int]:
    """Until nothing is left to cluster and Discord is owed nothing (Telegram is sent by
    its one polling process only, so its tail may still be queued: see DEPLOY.md)."""
    deadline = time.monotonic() + seconds
    while True:
        counts = await count_rows(store, BY_STATUS)
        waiting = sum(counts.get(f"discord:{s}", 0) for s in ("pending", "claimed", "sending"))
        unclustered = await store.unclustered_articles(1)
        if (not waiting and not unclustered) or time.monotonic() > deadline:
            return counts
        await asyncio.sleep(0.5)


async def test_three_workers_share_the_work_and_survive_a_sigkill(
    pg_url: str, tmp_path: Path
) -> None:
    farm = NewsFarm(groups=10, outlets=3, round_s=5.0, rounds=4)
    discord = FakeDiscord(channel_window_s=0.2)
    telegram = FakeTelegram(limits=Limits(per_chat_s=0.0, per_group_per_min=10_000))
    await farm.start()
    await discord.start()
    await telegram.start()
    telegram.add_chat(TELEGRAM_CHAT, "private")
    guild = discord.add_guild()
    channel = discord.add_channel(guild, "news")
    store = await open_storage(pg_url)
    workers = []
    try:
        await store.add_subscription(
            Destination("discord", str(channel)), "*", breaking_only=False, min_outlets=2
        )
        await store.add_subscription(
            Destination("telegram", str(TELEGRAM_CHAT)), "*", breaking_only=False, min_outlets=2
        )
        extra = (
            f"[discord]\nenabled = true\napplication_id = {APP_ID}\n"
            f'api_base_url = "{discord.api_base_url}"\ngateway_url = "{discord.gateway_url}"\n'
            "guild_ready_timeout_s = 0.2\n"
            f'[telegram]\nenabled = true\nbase_url = "{telegram.base_url}"\n'
            "poll_timeout_s = 1\n"
        )
        config = tmp_path / "worker.toml"
        config.write_text(worker_config(pg_url, farm, interval_s=INTERVAL_S, lease_s=LEASE_S,
                                        extra=extra))  # fmt: skip
        env = {"NEWSBOT_DISCORD_TOKEN": TOKEN, "NEWSBOT_TELEGRAM_TOKEN": telegram.token}
        workers = [await spawn_worker(config, tmp_path / f"worker{i}.log", env) for i in range(3)]
        # Every worker has started once each logged its first cycle's feed poll.
        deadline = time.monotonic() + 40
        while not all("feed.poll" in w.log() or not w.alive for w in workers):
            assert time.monotonic() < deadline, [w.log()[-2000:] for w in workers]
            await asyncio.sleep(0.25)
        started = time.monotonic()
        await asyncio.sleep(6)
        victim = next((w for w in workers if "leader.acquired" in w.log()), workers[0])
        # The logs' own clock (local time, as logging's asctime), for the victim's last
        # period: taken before the kill, to the millisecond, as no later moment is sure to
        # precede the next leader's start.
        now = datetime.now()  # noqa: DTZ005 - logging's asctime is local time
        killed_stamp = now.strftime("%Y-%m-%d %H:%M:%S,") + f"{now.microsecond // 1000:03d}"
        victim.process.send_signal(signal.SIGKILL)
        await victim.process.wait()
        killed_at = time.monotonic()
        # On until the farm's last round is out, and one more poll of every feed.
        await asyncio.sleep(max(0.0, farm.round_s * farm.rounds - (killed_at - farm.started_at)))
        await asyncio.sleep(2 * INTERVAL_S)
        observed_until = time.monotonic()
        # One elected sender per platform sends the whole fan-out (it was three before the
        # senders were elected), so the tail takes longer to drain; the wait ends early.
        counts = await wait_for_drain(store, 60)
        survivors = [w for w in workers if w is not victim]
        assert all(w.alive for w in survivors), [w.log()[-3000:] for w in survivors]
        await stop_workers(survivors)
        logs = [w.log() for w in workers]
        for worker in survivors:
            assert worker.process.returncode == 0, worker.log()[-3000:]
            assert "Traceback" not in worker.log(), worker.log()[-3000:]
    finally:
        await stop_workers(workers)
        await store.close()
        await telegram.close()
        await discord.close()
        await farm.close()

    # Polled on schedule: never longer than two intervals plus a lease (a killed worker's
    # claimed feeds come back when the lease ends), with a little slack for start-up.
    gaps = farm.longest_gaps(started, observed_until)
    assert max(gaps.values()) <= 2 * INTERVAL_S * 1.5 + LEASE_S + 2.0, sorted(gaps.values())[-5:]
    polled_by = [sum("feed.poll" in line for line in log.splitlines()) for log in logs]
    assert sum(1 for n in polled_by if n > 0) >= 2, polled_by  # the work really was shared

    # No story version summarised twice, by any process, across the leader change.
    done = summarised(logs)
    assert done, "no story was summarised"
    twice = [key for key, n in Counter(done).items() if n > 1]
    assert not twice, twice
    assert sum("leader.acquired" in log for log in logs) >= 2  # leadership failed over

    # Every Discord delivery arrived exactly once; Telegram at most once.
    owed = {k: n for k, n in counts.items() if k.startswith("discord:") and k != "discord:sent"}
    assert not owed, counts
    store = await open_storage(pg_url)
    try:
        by_platform = await count_rows(store, BY_STATUS)
        stories = await count_rows(
            store, "SELECT 'posted', count(DISTINCT story_id) FROM deliveries"
        )
    finally:
        await store.close()
    messages = discord.messages[channel]
    nonces = Counter(str(m.get("nonce")) for m in messages)
    assert all(n == 1 for n in nonces.values()), nonces.most_common(3)
    assert len(messages) == by_platform.get("discord:sent", 0) == stories["posted"], by_platform
    telegram_sent = len(telegram.sent_to(TELEGRAM_CHAT))
    sent_rows = by_platform.get("telegram:sent", 0)
    unconfirmed = by_platform.get("telegram:unconfirmed", 0)
    assert sent_rows <= telegram_sent <= sent_rows + unconfirmed, (telegram_sent, by_platform)
    assert sent_rows > 0, by_platform  # the process that polls Telegram also sends
    # One process at a time ran Telegram's long polling (one process may overlap its own
    # requests while stopping, so the periods are taken from the workers' logs).
    periods = sorted(p for log in logs for p in telegram_periods(log, killed_stamp))
    assert periods, "no process polled Telegram"
    for (_, end), (start, _) in itertools.pairwise(periods):
        assert start >= end, periods


STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) .*service\.(started|stopped) "
                   r"name=telegram-polling", re.MULTILINE)  # fmt: skip


def telegram_periods(log: str, killed: str) -> list[tuple[str, str]]:
    """When this worker ran Telegram: from each start to its stop, or to ``killed`` for a
    period that never stopped (the log's own timestamps, which sort as text)."""
    found: list[tuple[str, str]] = []
    began: str | None = None
    for moment, event in STAMP.findall(log):
        if event == "started":
            began = moment
        elif began is not None:
            found.append((began, moment))
            began = None
    if began is not None:
        found.append((began, killed))
    return found
