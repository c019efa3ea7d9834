"""Fixtures: the fake Discord, real storage and Commands, and the real adapter between them.

Every adapter built here fails the test when a handler raised (``World.errors``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.commands.router import Commands
from bot.core.clock import FixedClock
from bot.summaries.extractive import ExtractiveSummarizer
from storage.engine import open_storage
from tests.adapters.discord.helpers import NOW, World
from tests.fakes.fake_discord import FakeDiscord


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    fake = FakeDiscord(interaction_deadline_s=3.0, channel_window_s=0.5)
    await fake.start()
    storage = await open_storage("sqlite+aiosqlite:///" + str(tmp_path / "t.db"))
    clock = FixedClock(NOW)
    commands = Commands(storage=storage, summarizer=ExtractiveSummarizer(), clock=clock)
    guild = fake.add_guild()
    news = fake.add_channel(guild, "news")
    w = World(fake, storage, commands, clock, guild, news)
    try:
        yield w
    finally:
        for adapter in list(w.adapters):
            await adapter.stop()
        await storage.close()
        await fake.close()
    assert not w.errors, f"handler errors: {w.errors!r}"
