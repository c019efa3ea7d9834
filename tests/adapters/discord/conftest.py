"""Fixtures: the fake Discord, real storage and Commands, and the real adapter between them.

Every adapter built here fails the test when a handler raised (``World.errors``).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

# discord.py imports the stdlib audioop (deprecated in 3.11, its voice support only); the
# warning would be an error under filterwarnings=error. pyproject should ignore it instead.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import discord  # noqa: F401

from bot.clock import FixedClock  # noqa: E402
from bot.commands import Commands  # noqa: E402
from bot.extractive import ExtractiveSummarizer  # noqa: E402
from storage.engine import open_storage  # noqa: E402
from tests.adapters.discord.helpers import NOW, World  # noqa: E402
from tests.fakes.fake_discord import FakeDiscord  # noqa: E402


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
