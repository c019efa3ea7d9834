"""The test world: the fake Bot API, real storage and Commands, and the real adapter."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from adapters.telegram import TelegramAdapter, TelegramConfig
from bot.commands.router import Commands
from bot.core.clock import FixedClock, SystemClock
from bot.core.domain import Story, Summary
from bot.delivery.dispatcher import Dispatcher
from storage import SqlStorage
from tests.factories import seed_story
from tests.fakes.fake_telegram import FakeTelegram

NOW = datetime(2026, 1, 10, 2, 14, tzinfo=UTC)
ADA, BOB = 501, 502  # Ada administers the group; Bob is a plain member
GROUP = -4001
SECRET = "s3cret-token_for-tests"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class World:
    fake: FakeTelegram
    storage: SqlStorage
    commands: Commands
    clock: FixedClock
    adapters: list[TelegramAdapter] = field(default_factory=list)

    def config(self, **overrides: Any) -> TelegramConfig:
        values: dict[str, Any] = {
            "enabled": True,
            "base_url": self.fake.base_url,
            "poll_timeout_s": 1,
            "read_timeout_s": 5.0,
            "connect_timeout_s": 2.0,
        }
        values.update(overrides)
        return TelegramConfig(**values)

    async def adapter(self, *, secret: str | None = None, **overrides: Any) -> TelegramAdapter:
        adapter = TelegramAdapter(
            self.config(**overrides),
            token=self.fake.token,
            commands=self.commands,
            webhook_secret=secret,
        )
        await adapter.start()
        self.adapters.append(adapter)
        return adapter

    async def story(self, story_id: str = "k7q2") -> tuple[Story, Summary]:
        return await seed_story(self.storage, NOW, story_id)

    async def dispatch(self, adapter: TelegramAdapter) -> Any:
        # Rows are stamped with the wall clock (enqueue), so the dispatcher uses it too.
        dispatcher = Dispatcher(
            storage=self.storage,
            messengers={"telegram": adapter.messenger},
            clock=SystemClock(),
            words=self.commands.words,
        )
        return await dispatcher.dispatch_once()

    async def enqueue(self, story: Story) -> int:
        subs = await self.storage.active_subscriptions()
        return await self.storage.enqueue_deliveries(story, subs, now=SystemClock().now())
