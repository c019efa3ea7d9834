"""Fixtures: the fake Bot API, real storage and Commands, and the real PTB adapter between.

Every adapter built here fails the test at teardown when a handler raised.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.commands.router import Commands
from bot.core.clock import FixedClock
from bot.summaries.extractive import ExtractiveSummarizer
from storage import open_storage
from tests.adapters.telegram.tg_world import ADA, BOB, GROUP, NOW, World
from tests.fakes.fake_telegram import FakeTelegram


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    fake = FakeTelegram()
    await fake.start()
    fake.add_user(ADA, "Ada")
    fake.add_user(BOB, "Bob")
    fake.add_chat(GROUP, "group", admins={ADA}, title="Newsroom")
    storage = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'tg.db'}")
    clock = FixedClock(NOW)
    commands = Commands(storage=storage, summarizer=ExtractiveSummarizer(), clock=clock)
    world = World(fake, storage, commands, clock)
    try:
        yield world
    finally:
        for adapter in world.adapters:
            await adapter.stop()
        await storage.close()
        await fake.close()
    errors = [err for adapter in world.adapters for err in adapter.handler_errors]
    assert not errors, f"a Telegram handler raised: {errors!r}"
