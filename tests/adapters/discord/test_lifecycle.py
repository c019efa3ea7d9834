"""Start-up and shutdown, sharding, reads by anyone, and hostile clicks."""

from __future__ import annotations

import asyncio

import discord
import pytest

from adapters.discord import DiscordAdapter
from adapters.discord.config import DEFAULT_API_BASE_URL, DEFAULT_GATEWAY_URL
from bot.core.errors import ConfigError
from tests.adapters.discord.helpers import World, seed_story, wait_answered


async def test_stop_restores_the_global_endpoints(world: World) -> None:
    adapter = await world.start_adapter()
    assert world.fake.api_base_url == discord.http.Route.BASE
    await world.stop_adapter(adapter)
    assert discord.http.Route.BASE == DEFAULT_API_BASE_URL
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY).rstrip("/") == DEFAULT_GATEWAY_URL


async def test_a_bad_token_fails_start_clearly(world: World) -> None:
    adapter = DiscordAdapter(world.config(), token="not-the-token", commands=world.commands)
    with pytest.raises(ConfigError, match="NEWSBOT_DISCORD_TOKEN"):
        await adapter.start()
    assert discord.http.Route.BASE == DEFAULT_API_BASE_URL


def test_an_empty_token_is_refused_at_construction(world: World) -> None:
    with pytest.raises(ConfigError, match="NEWSBOT_DISCORD_TOKEN"):
        DiscordAdapter(world.config(), token="", commands=world.commands)


async def test_sharded_client_connects_through_the_configured_gateway(world: World) -> None:
    adapter = await world.start_adapter(shard_count=1, shard_ids=(0,))
    assert isinstance(adapter.client, discord.AutoShardedClient)
    assert world.fake.identifies == 1
    inter = await world.fake.slash(world.news, "help")
    await wait_answered(inter)


async def test_anyone_may_read_stories(world: World) -> None:
    await world.start_adapter()
    await seed_story(world.storage)
    reads = [
        ("expand", {"story": "k7q2", "section": "2"}, "No deaths were reported"),
        ("sources", {"story": "k7q2"}, "outlet-b"),
        ("ask", {"story": "k7q2", "question": "@everyone were there deaths?"}, "sources"),
        ("latest", {}, "k7q2"),
    ]
    for name, options, expected in reads:
        inter = await world.fake.slash(world.news, name, options, can_manage=False)
        await wait_answered(inter)
        response = inter.response
        text = response.get("content") or ""
        text += " ".join(e.get("description", "") for e in response.get("embeds", []))
        assert expected in text, (name, response)
        assert inter.ephemeral, name
        assert inter.callbacks[0]["data"]["allowed_mentions"] == {"parse": []}


@pytest.mark.parametrize(
    "custom_id",
    ["nb:e:K7Q2:1", "nb:e:k7q2:123", "nb:x:k7q2", "other:e:k7q2", "nb:e:k7q2:1:extra"],
)
async def test_foreign_or_forged_button_ids_are_ignored(world: World, custom_id: str) -> None:
    await world.start_adapter()
    message = {
        "id": "1", "channel_id": str(world.news), "guild_id": str(world.guild),
        "author": {"id": "2", "username": "x", "discriminator": "0", "avatar": None},
        "content": "", "embeds": [], "timestamp": "2026-01-01T00:00:00+00:00",
        "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": [],
        "mention_roles": [], "attachments": [], "pinned": False, "type": 0, "flags": 0,
        "components": [{"type": 1, "components": [
            {"type": 2, "style": 2, "label": "x", "custom_id": custom_id}]}],
    }  # fmt: skip
    inter = await world.fake.click(message, custom_id)
    await asyncio.sleep(0.3)
    assert inter.callbacks == []
