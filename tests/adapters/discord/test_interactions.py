"""Slash commands, autocomplete and buttons: the real discord.py client on the fake Discord."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from bot.commands.router import Commands, Invocation
from bot.core.cards import section_key
from bot.core.clock import SystemClock
from bot.core.domain import Destination
from bot.delivery.dispatcher import Dispatcher
from tests.adapters.discord.helpers import World, seed_story, wait_answered
from tests.fakes.fake_discord import MANAGE_CHANNELS

NEWS: Literal["discord"] = "discord"


async def _subscribe(world: World, channel: int, topic: str = "iraq") -> Any:
    inter = await world.fake.slash(channel, "subscribe", {"topic": topic})
    await wait_answered(inter)
    return inter


async def test_commands_are_synced_with_types_permissions_and_dm_context(world: World) -> None:
    await world.start_adapter()
    synced = {c["name"]: c for c in world.fake.commands["global"]}
    assert set(synced) >= {
        "subscribe", "unsubscribe", "subscriptions", "latest", "expand",
        "sources", "ask", "addfeed", "feeds", "help",
    }  # fmt: skip
    sub = synced["subscribe"]
    assert sub["description"]
    options = {o["name"]: o for o in sub["options"]}
    assert options["topic"]["type"] == 3
    assert options["topic"]["required"]
    assert options["breaking_only"]["type"] == 5
    assert options["min_outlets"]["type"] == 4
    assert (options["min_outlets"]["min_value"], options["min_outlets"]["max_value"]) == (1, 50)
    assert int(sub["default_member_permissions"]) == MANAGE_CHANNELS
    assert synced["expand"]["default_member_permissions"] is None
    assert sorted(sub["contexts"]) == [0, 1]
    assert {o["name"]: o.get("autocomplete") for o in synced["expand"]["options"]}["story"]


async def test_dev_guild_gets_the_commands_at_once(world: World) -> None:
    await world.start_adapter(dev_guild_id=world.guild)
    assert "global" not in world.fake.commands
    assert {c["name"] for c in world.fake.commands[str(world.guild)]} >= {"subscribe", "help"}


async def test_subscribe_with_manage_channels(world: World) -> None:
    await world.start_adapter()
    inter = await world.fake.slash(
        world.news, "subscribe", {"topic": "iraq", "breaking_only": True, "min_outlets": 3}
    )
    await wait_answered(inter)
    assert "Subscribed this chat to iraq" in inter.response["content"]
    assert not inter.ephemeral, "changes are answered in the channel"
    assert inter.callbacks[0]["data"]["allowed_mentions"] == {"parse": []}
    [sub] = await world.storage.subscriptions_for(Destination(NEWS, str(world.news)))
    assert (sub.topic, sub.breaking_only, sub.min_outlets) == ("iraq", True, 3)


async def test_subscribe_without_manage_channels_is_refused(world: World) -> None:
    await world.start_adapter()
    inter = await world.fake.slash(world.news, "subscribe", {"topic": "iraq"}, can_manage=False)
    await wait_answered(inter)
    assert "Only this chat's admins" in inter.response["content"]
    assert await world.storage.subscriptions_for(Destination(NEWS, str(world.news))) == []


async def test_dm_with_the_bot_can_subscribe(world: World) -> None:
    dm = world.fake.add_channel(None, "dm", kind=1)
    world.fake.channels[dm]["recipients"] = [
        {"id": "555", "username": "u", "discriminator": "0", "avatar": None, "global_name": None}
    ]
    await world.start_adapter()
    inter = await world.fake.slash(dm, "subscribe", {"topic": "iraq"}, can_manage=False)
    await wait_answered(inter)
    assert "Subscribed" in inter.response["content"]
    assert await world.storage.subscriptions_for(Destination(NEWS, str(dm)))


async def test_autocomplete_lists_the_channels_topics_and_recent_stories(world: World) -> None:
    await world.start_adapter()
    await _subscribe(world, world.news, "iraq")
    await _subscribe(world, world.news, "syria")
    inter = await world.fake.autocomplete(world.news, "unsubscribe", "topic", "ir")
    await wait_answered(inter)
    assert inter.callbacks[0]["type"] == 8
    assert inter.callbacks[0]["data"]["choices"] == [{"name": "iraq", "value": "iraq"}]

    await seed_story(world.storage, story_id="k7q2")
    inter = await world.fake.autocomplete(world.news, "expand", "story", "k7")
    await wait_answered(inter)
    [choice] = inter.callbacks[0]["data"]["choices"]
    assert choice["value"] == "k7q2"
    assert choice["name"].startswith("k7q2 — Rocket and missile attack")
    assert len(choice["name"]) <= 100


async def test_story_is_posted_once_and_every_button_survives_a_restart(world: World) -> None:
    adapter = await world.start_adapter()
    await _subscribe(world, world.news)
    await seed_story(world.storage)
    story = await world.storage.get_story("k7q2")
    assert story is not None
    subs = await world.storage.subscriptions_for(Destination(NEWS, str(world.news)))
    # Rows stamped with the real time, so the dispatcher runs on it too.
    await world.storage.enqueue_deliveries(story, subs, now=SystemClock().now())
    dispatcher = Dispatcher(
        storage=world.storage, messengers={NEWS: adapter.messenger}, clock=SystemClock()
    )
    assert (await dispatcher.dispatch_once()).sent == 1
    assert (await dispatcher.dispatch_once()).sent == 0
    [post] = world.fake.messages[world.news]
    embed = post["embeds"][0]
    assert embed["title"].startswith("Rocket and missile attack")
    assert "\\*militias\\*" in embed["description"], "feed markdown is escaped"
    assert post["allowed_mentions"] == {"parse": []}
    ids = [c["custom_id"] for row in post["components"] for c in row["components"]]
    assert ids == [
        f"nb:e:k7q2:1@1.{section_key('The attack')}",
        f"nb:e:k7q2:2@1.{section_key('Casualties')}",
        "nb:s:k7q2@1",
    ]

    async def click_all() -> None:
        for custom_id, expected in zip(ids, ("Rockets hit", "No deaths", "outlet-a"), strict=True):
            inter = await world.fake.click(post, custom_id)
            await wait_answered(inter)
            assert inter.ephemeral, "expansions answer only the person who clicked"
            shown = inter.response["embeds"][0]["description"]
            assert expected in shown, (custom_id, shown)

    await click_all()
    await world.stop_adapter(adapter)
    await world.start_adapter()
    await click_all()
    assert world.fake.identifies == 2


async def test_slow_command_is_deferred_then_followed_up(world: World) -> None:
    class SlowCommands(Commands):
        async def help(self, inv: Invocation) -> Any:
            await asyncio.sleep(0.4)
            return await super().help(inv)

    world.commands = SlowCommands(
        storage=world.storage, summarizer=world.commands.summarizer, clock=world.clock
    )
    world.fake.interaction_deadline_s = 0.3
    await world.start_adapter(defer_after_s=0.1)
    inter = await world.fake.slash(world.news, "help")
    await wait_answered(inter)
    assert [cb["type"] for cb in inter.callbacks] == [5]
    assert "What I can do" in inter.followups[0]["content"]
    assert inter.ephemeral


async def test_fake_refuses_an_answer_after_the_deadline(world: World) -> None:
    class SlowCommands(Commands):
        async def help(self, inv: Invocation) -> Any:
            await asyncio.sleep(0.4)
            return await super().help(inv)

    world.commands = SlowCommands(
        storage=world.storage, summarizer=world.commands.summarizer, clock=world.clock
    )
    world.fake.interaction_deadline_s = 0.3
    await world.start_adapter(defer_after_s=2.0)
    await world.fake.slash(world.news, "help")
    for _ in range(50):
        if world.errors:
            break
        await asyncio.sleep(0.05)
    [err] = world.errors
    assert "10062" in str(err)
    world.errors.clear()


async def test_a_failing_command_answers_politely_and_reports(world: World) -> None:
    class BrokenCommands(Commands):
        async def feeds(self, inv: Invocation) -> Any:
            raise RuntimeError("database on fire")

    world.commands = BrokenCommands(
        storage=world.storage, summarizer=world.commands.summarizer, clock=world.clock
    )
    await world.start_adapter()
    inter = await world.fake.slash(world.news, "feeds")
    await wait_answered(inter)
    assert "Something went wrong" in inter.response["content"]
    assert [str(e) for e in world.errors] == ["database on fire"]
    world.errors.clear()
