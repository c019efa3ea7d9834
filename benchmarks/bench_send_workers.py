"""One fan-out delivered by 3 processes on one PostgreSQL, against the fake platforms.

Each process runs the real Dispatcher with the real Discord and Telegram messengers and
``storage.leader.PlatformSenders``: one process is elected sender per platform, so the
platforms' global limits hold for the bot as a whole. The fakes (``bench_delivery``'s,
with the platforms' real limits, and a Discord that forgets nonces after a few minutes)
count what they accepted. Mid-fan-out, the process sending to Discord is killed (SIGKILL):
the standby process takes the role (and the dead one's leases) over, the fan-out still
completes, and the nonces dedupe what the dead one may have sent.

Printed, one JSON line: ``workers_send_ratio_max`` (the most sends a platform accepted in
any window of its global limit, divided by that limit: at most 1.0),
``workers_global_429``, ``workers_duplicates`` and ``workers_lost`` (all 0). Without
PostgreSQL (``NEWSBOT_TEST_DATABASE_URL``) it prints ``{"skipped": ...}``.
Run: ``python benchmarks/bench_send_workers.py [--chats N] [--workers N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import os
import signal
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import discord
import telegram
from telegram.request import HTTPXRequest

from adapters.discord.messenger import DiscordMessenger
from adapters.telegram.messenger import TelegramMessenger
from benchmarks.bench_delivery import DISCORD_TOKEN, TELEGRAM_TOKEN, _postgres, seed, serve
from bot.core.clock import SystemClock
from bot.core.ports import Messenger
from bot.delivery.config import DeliveryConfig
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.ratelimit import RateLimitConfig
from storage import open_storage
from storage.leader import PlatformSenders

UNFINISHED = ("pending", "claimed", "sending")


async def _work(
    port: int, url: str, conn: Connection, deadline_s: float, platforms: tuple[str, ...]
) -> None:
    store = await open_storage(url, upgrade=False)
    discord.http.Route.BASE = f"http://127.0.0.1:{port}/api/v10"
    client = discord.Client(intents=discord.Intents.none())
    await client.login(DISCORD_TOKEN)
    request = HTTPXRequest(connection_pool_size=64, connect_timeout=5.0, read_timeout=10.0)
    bot = telegram.Bot(TELEGRAM_TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
    await bot.initialize()
    senders = PlatformSenders(store.engine)
    messengers: dict[str, Messenger] = {
        "discord": DiscordMessenger(client),
        "telegram": TelegramMessenger(bot),
    }
    dispatcher = Dispatcher(
        storage=store,
        messengers={p: m for p, m in messengers.items() if p in platforms},
        clock=SystemClock(),
        config=DeliveryConfig(),
        rate_limits=RateLimitConfig(),
        senders=senders,
    )
    told: set[str] = set()

    async def announce() -> None:
        # Which platforms this process sends to, as soon as it does (a pass is long).
        while True:
            for platform in dispatcher._sending_for - told:
                told.add(platform)
                conn.send(("sender", platform))
            await asyncio.sleep(0.1)

    announcing = asyncio.create_task(announce())
    ends = time.monotonic() + deadline_s
    while time.monotonic() < ends:
        report = await dispatcher.dispatch_once()
        counts = await store.count_deliveries()
        if not any(counts.get(s) for s in UNFINISHED):
            break
        if not report.sent:
            await asyncio.sleep(0.5)
    announcing.cancel()
    await senders.release()
    await client.close()
    await bot.shutdown()
    await store.close()
    conn.send(("done", ""))


def work(
    port: int, url: str, conn: Connection, deadline_s: float, platforms: tuple[str, ...]
) -> None:
    logging.basicConfig(level=logging.ERROR)
    # The fake platforms share this machine's cores; a real platform does not slow down
    # when the bot is busy. Yielding to them keeps the fakes counting requests as they
    # arrive instead of in bursts after a stall (which would read as the bot's excess).
    os.nice(5)
    asyncio.run(_work(port, url, conn, deadline_s, platforms))


async def _seeded(url: str, chats: int) -> None:
    store = await open_storage(url)
    try:
        await seed(store, chats)
    finally:
        await store.close()


async def _counts(url: str) -> dict[str, int]:
    store = await open_storage(url, upgrade=False)
    try:
        return await store.count_deliveries()
    finally:
        await store.close()


def run(
    admin_url: str, chats: int, workers: int, deadline_s: float, *, kill: bool = True
) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    server = ctx.Process(target=serve, args=(1.0, theirs, chats), daemon=True)
    server.start()
    port = ours.recv()
    name = f"newsbot_send_workers_{os.getpid()}"
    url = asyncio.run(_postgres(admin_url, name, create=True))
    try:
        asyncio.run(_seeded(url, chats))
        # Worker 0 sends to Discord only and is the one killed: a Telegram row in flight
        # at a kill is unconfirmed by design (at most once), which would read as lost.
        # Worker 1 sends to Telegram; the rest stand by for either and start last.
        roles = [("discord",), ("telegram",)] + [("discord", "telegram")] * (workers - 2)
        pipes, procs = [], []
        for i, platforms in enumerate(roles[:workers]):
            mine, child = ctx.Pipe()
            args = (port, url, child, deadline_s, platforms)
            proc = ctx.Process(target=work, args=args, daemon=True)
            proc.start()
            pipes.append(mine)
            procs.append(proc)
            if i == 1:
                time.sleep(10)  # let the first two take their roles before the standby starts
        started = time.monotonic()
        killed = ""
        killed_at = 0.0
        senders: dict[str, int] = {}
        running = set(range(workers))
        while running and time.monotonic() - started < deadline_s + 30:
            for i in list(running):
                while pipes[i].poll():
                    what, platform = pipes[i].recv()
                    if what == "done":
                        running.discard(i)
                    else:
                        senders[platform] = i
            # Kill Discord's sender mid-fan-out, once: the role must pass on cleanly.
            if (
                kill
                and not killed
                and senders.get("discord") == 0
                and time.monotonic() - started > 8
            ):
                victim = senders["discord"]
                os.kill(procs[victim].pid or 0, signal.SIGKILL)
                running.discard(victim)
                killed = f"worker {victim}"
                killed_at = time.monotonic()
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        for proc in procs:
            proc.join(5)
        rows = asyncio.run(_counts(url))
    finally:
        asyncio.run(_postgres(admin_url, name, create=False))
    ours.send("results")
    fakes: dict[str, Any] = ours.recv()
    server.join(10)
    return {
        "bench": "send_workers",
        "workers": workers,
        "chats_per_platform": chats,
        "killed_sender": killed or None,
        "seconds": round(elapsed, 1),
        "workers_send_ratio_max": max(
            fakes["discord_window_ratio_max"], fakes["telegram_window_ratio_max"]
        ),
        "workers_global_429": fakes["global_429"],
        "global_429_at": fakes["global_429_at"],
        "killed_at_s": round(killed_at - fakes["first_accepted"], 2) if killed else None,
        "workers_duplicates": fakes["duplicates"],
        "workers_lost": fakes["lost"],
        "order_violations": fakes["order_violations"],
        "chat_429": fakes["chat_429"],
        "discord_window_ratio_max": fakes["discord_window_ratio_max"],
        "telegram_window_ratio_max": fakes["telegram_window_ratio_max"],
        "discord_rate_ratio": fakes["discord_rate_ratio"],
        "telegram_rate_ratio": fakes["telegram_rate_ratio"],
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--chats", type=int, default=500, help="chats per platform")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--deadline", type=float, default=180.0)
    parser.add_argument("--no-kill", action="store_true", help="keep every worker alive")
    args = parser.parse_args()
    url = os.environ.get("NEWSBOT_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        print(json.dumps({"bench": "send_workers", "skipped": "NEWSBOT_TEST_DATABASE_URL is "
                          "not set: several processes need PostgreSQL"}))  # fmt: skip
        return
    print(
        json.dumps(run(url, args.chats, args.workers, args.deadline, kill=not args.no_kill)),
        flush=True,
    )


if __name__ == "__main__":
    main()
