"""Helpers for the Discord adapter tests: a World of fake Discord, storage and Commands."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.discord import DiscordAdapter, DiscordConfig
from bot.commands.router import Commands
from bot.core.clock import FixedClock
from bot.core.domain import NewArticle, Section, Sentence, SourceRef, Story, Summary
from storage.sql import SqlStorage
from tests.fakes.fake_discord import APP_ID, TOKEN, FakeDiscord

NOW = datetime(2026, 1, 10, 2, 14, tzinfo=UTC)


@dataclass
class World:
    fake: FakeDiscord
    storage: SqlStorage
    commands: Commands
    clock: FixedClock
    guild: int
    news: int  # a text channel
    errors: list[BaseException] = field(default_factory=list)
    adapters: list[DiscordAdapter] = field(default_factory=list)

    def config(self, **overrides: Any) -> DiscordConfig:
        values: dict[str, Any] = {
            "enabled": True,
            "application_id": APP_ID,
            "api_base_url": self.fake.api_base_url,
            "gateway_url": self.fake.gateway_url,
            "guild_ready_timeout_s": 0.2,
            "ready_timeout_s": 10.0,
        }
        values.update(overrides)
        return DiscordConfig(**values)

    async def start_adapter(self, **overrides: Any) -> DiscordAdapter:
        adapter = DiscordAdapter(
            self.config(**overrides),
            token=TOKEN,
            commands=self.commands,
            on_handler_error=self.errors.append,
        )
        await adapter.start()
        self.adapters.append(adapter)
        return adapter

    async def stop_adapter(self, adapter: DiscordAdapter) -> None:
        await adapter.stop()
        self.adapters.remove(adapter)


async def seed_story(
    storage: SqlStorage, *, story_id: str = "k7q2", headline: str | None = None
) -> Story:
    """A two-outlet story with a summary of two sections, as the pipeline would store it."""
    headline = headline or "Rocket and missile attack hits Al Asad air base in western Iraq"
    new = [
        NewArticle(
            feed_id=(await storage.upsert_feed(f"https://{o}.example/rss", o)).id,
            outlet=o,
            url=f"https://{o}.example/iraq-{story_id}",
            guid=None,
            title=f"{headline} ({o})",
            text="Militias fired rockets at the Al Asad base in Iraq.",
            published=NOW - timedelta(hours=1),
            fetched_at=NOW,
            content_hash=f"{o}{story_id}",
        )
        for o in ("outlet-a", "outlet-b")
    ]
    articles = await storage.add_articles(new)
    story = Story(
        id=story_id,
        created_at=NOW - timedelta(hours=1),
        updated_at=NOW,
        article_ids=tuple(a.id for a in articles),
        outlets=("outlet-a", "outlet-b"),
        headline=headline,
    )
    await storage.save_story(story)
    sources = tuple(
        SourceRef(i + 1, a.outlet, a.title, a.url, a.published, a.id)
        for i, a in enumerate(articles)
    )
    await storage.save_summary(
        Summary(
            story_id=story_id,
            headline=headline,
            lede=(Sentence("Iran-aligned *militias* fired rockets at the base.", (1, 2)),),
            sections=(
                Section("The attack", (Sentence("Rockets hit the base late on Saturday.", (1,)),)),
                Section("Casualties", (Sentence("No deaths were reported.", (2,)),)),
            ),
            sources=sources,
        )
    )
    return story


async def wait_answered(inter: Any) -> None:
    await asyncio.wait_for(inter.answered.wait(), 5.0)
