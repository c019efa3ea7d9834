"""The chat platforms' adapters (Telegram, Discord): started when enabled, their
messengers joined to the dispatcher, and Telegram's long polling kept to one process
where several share a PostgreSQL database.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from bot.app.bootstrap import Core, optional_sections
from bot.app.exclusive import ExclusiveService
from bot.core.config import Config
from bot.core.errors import ConfigError
from storage.leader import LeaderElection

TELEGRAM_POLLING_LOCK = "newsbot:telegram-polling"


async def start_chat_adapters(
    config: Config,
    core: Core,
    *,
    stop: asyncio.Event | None = None,
    services: list[asyncio.Task[None]] | None = None,
) -> list[Any]:
    """Start Telegram and Discord when enabled; their messengers join the dispatcher.

    Telegram long polling admits one caller per token, so where processes share a
    PostgreSQL database (and ``services`` collects background tasks) only the holder of
    an advisory lock runs Telegram; another process takes over when the holder dies.
    Webhook mode runs at every process."""
    started: list[Any] = []
    sections = optional_sections()
    if "telegram" in sections and config.raw.get("telegram", {}).get("enabled"):
        from adapters.telegram import TelegramAdapter  # noqa: PLC0415 - optional adapter

        token = os.environ.get("NEWSBOT_TELEGRAM_TOKEN", "")
        if not token:
            raise ConfigError("telegram.enabled is true but NEWSBOT_TELEGRAM_TOKEN is not set.")
        telegram_config = config.section("telegram", sections["telegram"])
        telegram_token = token  # bound now: ``token`` is reused for Discord below

        def new_telegram() -> Any:
            return TelegramAdapter(
                telegram_config,
                token=telegram_token,
                commands=core.commands,
                webhook_secret=os.environ.get("NEWSBOT_TELEGRAM_WEBHOOK_SECRET"),
            )

        telegram = new_telegram()
        shared = core.storage.dialect == "postgresql" and services is not None
        exclusive = shared and stop is not None and telegram_config.mode == "polling"
        # Every process sends; with several processes polling only one of them receives.
        await telegram.start(receive_updates=not exclusive)
        started.append(telegram)
        core.messengers["telegram"] = telegram.messenger
        if exclusive:
            assert services is not None  # noqa: S101 - narrowed by ``exclusive``
            assert stop is not None  # noqa: S101 - narrowed by ``exclusive``
            services.append(asyncio.create_task(poll_telegram_exclusively(core, telegram, stop)))
    if "discord" in sections and config.raw.get("discord", {}).get("enabled"):
        from adapters.discord import DiscordAdapter  # noqa: PLC0415 - optional adapter

        token = os.environ.get("NEWSBOT_DISCORD_TOKEN", "")
        if not token:
            raise ConfigError("discord.enabled is true but NEWSBOT_DISCORD_TOKEN is not set.")
        discord = DiscordAdapter(
            config.section("discord", sections["discord"]), token=token, commands=core.commands
        )
        await discord.start()
        started.append(discord)
        core.messengers["discord"] = discord.messenger
    return started


async def poll_telegram_exclusively(core: Core, telegram: Any, stop: asyncio.Event) -> None:
    """Long-poll Telegram in this process only while it holds the polling lock; another
    process takes over when the holder dies. Sending never waits for the lock."""
    lock = LeaderElection(core.storage.engine, name=TELEGRAM_POLLING_LOCK)
    await ExclusiveService(
        "telegram-polling", lock, start=telegram.start_receiving, stop=telegram.stop_receiving
    ).run(stop)
