"""The real dispatcher in its own process, for the crash test.

Run as ``python -m tests.delivery.dispatcher_process CONFIG_JSON`` from the repository root.
Importing discord.py, PTB and SQLAlchemy takes seconds, far too long to pay 50 times, so this
process imports once and then forks one dispatcher per command read on stdin::

    run MODE N      fork a dispatcher; it sends until the outbox is empty (exit 0), or
                    SIGKILLs itself at the N-th event of MODE
    quit

and answers ``pid PID`` when the child started and ``exit PID CODE`` when it ended (a
negative code is the signal that ended it). MODE is where the child dies:

    claim    right after a claim returned rows (the rows stay leased)
    sending  right after a row was marked ``sending``, before the request
    sent     right after the platform accepted a message, before it is recorded
    edited   right after the platform accepted an edit of a living story's post, before
             it is recorded
    mid      right after a row was recorded as sent, with the rest of the pass in flight
    none     never by itself (the test kills it from outside at a random moment)

Before a self-kill the child writes ``killed MODE PLATFORM ROW_ID`` so the test can check
what became of exactly that row. The child uses the real Dispatcher with the real Discord
and Telegram messengers, pointed at the fake servers the test runs.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import discord
import telegram
from telegram.request import HTTPXRequest

from adapters.discord.messenger import DiscordMessenger
from adapters.telegram.messenger import TelegramMessenger
from bot.core.cards import Card
from bot.core.clock import SystemClock
from bot.core.domain import Delivery, Destination, MessageRef
from bot.core.ports import Messenger
from bot.delivery.config import DeliveryConfig
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.ports import DispatcherStore
from bot.delivery.ratelimit import RateLimitConfig
from storage import SqlStorage, open_storage

MODES = ("claim", "sending", "sent", "edited", "mid", "none")
UNFINISHED = ("pending", "claimed", "sending")


@dataclass(frozen=True)
class ChildConfig:
    database_url: str
    discord_api: str
    discord_token: str
    telegram_base: str
    telegram_token: str
    lease_s: float
    batch_size: int
    max_in_flight: int
    scale: float
    deadline_s: float = 60.0


def say(line: str) -> None:
    # os.write: nothing may sit in a stdio buffer when the process is killed.
    os.write(1, (line + "\n").encode())


class Tripwire:
    """Counts events of one kind and SIGKILLs this process at the N-th."""

    def __init__(self, mode: str, n: int) -> None:
        self.mode, self.n, self.seen = mode, n, 0
        self.rows: dict[int, str] = {}  # row id -> platform, for the report line
        self.edits: dict[tuple[str, str], int] = {}  # (destination, message id) -> row id

    def hit(self, mode: str, row_id: int) -> None:
        if mode != self.mode:
            return
        self.seen += 1
        if self.seen >= self.n:
            say(f"killed {mode} {self.rows.get(row_id, '?')} {row_id}")
            os.kill(os.getpid(), signal.SIGKILL)


class TrippedStorage:
    """The real storage; the Tripwire fires between its calls."""

    def __init__(self, inner: SqlStorage, wire: Tripwire) -> None:
        self._inner, self._wire = inner, wire

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def claim_deliveries(self, *args: Any, **kwargs: Any) -> list[Delivery]:
        rows = await self._inner.claim_deliveries(*args, **kwargs)
        for row in rows:
            self._wire.rows[row.id] = row.destination.platform
            if row.kind == "edit" and row.message_id:
                self._wire.edits[(row.destination.key, row.message_id)] = row.id
        if rows:
            self._wire.hit("claim", rows[0].id)
        return rows

    async def mark_sending(self, delivery_id: int, *, now: datetime, lease_s: float) -> None:
        await self._inner.mark_sending(delivery_id, now=now, lease_s=lease_s)
        self._wire.hit("sending", delivery_id)

    async def mark_delivered(
        self, delivery_id: int, message_id: str, *, version: int | None = None
    ) -> None:
        await self._inner.mark_delivered(delivery_id, message_id, version=version)
        self._wire.hit("mid", delivery_id)


class TrippedMessenger:
    """The real messenger; the Tripwire fires after the platform accepted a message."""

    def __init__(self, inner: Messenger, wire: Tripwire, row_of: Callable[[str], int]) -> None:
        self._inner, self._wire, self._row_of = inner, wire, row_of
        self.platform = inner.platform

    async def send(self, destination: Destination, card: Card, *, nonce: str) -> MessageRef:
        ref = await self._inner.send(destination, card, nonce=nonce)
        self._wire.hit("sent", self._row_of(nonce))
        return ref

    async def edit(self, ref: MessageRef, card: Card) -> None:
        await self._inner.edit(ref, card)
        row = self._wire.edits.get((ref.destination.key, ref.message_id))
        if row is not None:
            self._wire.hit("edited", row)

    async def reply(self, ref: MessageRef, card: Card, *, nonce: str) -> MessageRef:
        answer = await self._inner.reply(ref, card, nonce=nonce)
        self._wire.hit("sent", self._row_of(nonce))
        return answer


def row_of_nonce(nonce: str) -> int:
    """``nb<id>v<version>[suffix]`` (bot.delivery.outcomes.delivery_nonce) -> the row id."""
    return int(nonce[2:].split("v", 1)[0])


async def drain(config: ChildConfig, wire: Tripwire) -> int:
    discord.http.Route.BASE = config.discord_api.rstrip("/")
    client = discord.Client(intents=discord.Intents.none())
    await client.login(config.discord_token)
    request = HTTPXRequest(connection_pool_size=32, connect_timeout=2.0, read_timeout=5.0)
    bot = telegram.Bot(config.telegram_token, base_url=config.telegram_base, request=request)
    await bot.initialize()
    store = await open_storage(config.database_url, upgrade=False)
    messengers = {
        "discord": TrippedMessenger(DiscordMessenger(client), wire, row_of_nonce),
        "telegram": TrippedMessenger(TelegramMessenger(bot), wire, row_of_nonce),
    }
    dispatcher = Dispatcher(
        storage=cast(DispatcherStore, TrippedStorage(store, wire)),
        messengers=messengers,
        clock=SystemClock(),
        config=DeliveryConfig(
            lease_s=config.lease_s,
            send_lease_s=config.lease_s,
            batch_size=config.batch_size,
            max_in_flight=config.max_in_flight,
            backoff_base_s=0.05,
            backoff_max_s=0.5,
        ),
        rate_limits=RateLimitConfig(scale=config.scale),
    )
    say("ready")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + config.deadline_s
    while loop.time() < deadline:
        report = await dispatcher.dispatch_once()
        if report.errors:
            say(f"errors {json.dumps(report.errors)}")
        counts = await store.count_deliveries()
        if not any(counts.get(status) for status in UNFINISHED):
            return 0
        if not (report.sent or report.retried or report.failed or report.unconfirmed):
            # Rows a killed predecessor leased come back when the lease ends.
            await asyncio.sleep(0.05)
    return 3


def child(config: ChildConfig, mode: str, n: int) -> None:
    try:
        code = asyncio.run(drain(config, Tripwire(mode, n)))
    except BaseException as err:  # the test reads the reason; the code says it failed
        say(f"crashed {type(err).__name__}: {err}")
        code = 4
    os._exit(code)


def serve(config: ChildConfig) -> None:
    while line := sys.stdin.readline():
        parts = line.split()
        if not parts or parts[0] == "quit":
            return
        mode, n = parts[1], int(parts[2])
        if mode not in MODES:
            say(f"error unknown mode {mode}")
            continue
        pid = os.fork()
        if pid == 0:
            child(config, mode, n)
        say(f"pid {pid}")
        _, status = os.waitpid(pid, 0)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        say(f"exit {pid} {code}")


if __name__ == "__main__":
    serve(ChildConfig(**json.loads(sys.argv[1])))
