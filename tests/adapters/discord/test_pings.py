"""What communities ask feed bots for, through discord.py on the fake Discord: a role
pinged on a story's first post only (never its edits), with mentions limited to that
role and checked at subscribe time; posts in announcement channels published to
followers within that route's rate limit."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from adapters.discord import DiscordAdapter
from bot.core.clock import SystemClock
from bot.core.domain import Destination
from bot.delivery.dispatcher import Dispatcher
from tests.adapters.discord.helpers import World, seed_story, wait_answered
from tests.fakes.fake_discord_payloads import ALL_PERMISSIONS

MENTION_EVERYONE = 1 << 17


async def subscribe(world: World, channel: int, **options: Any) -> Any:
    inter = await world.fake.slash(channel, "subscribe", {"topic": "iraq", **options})
    await wait_answered(inter)
    return inter


async def dispatch(world: World, adapter: DiscordAdapter) -> int:
    dispatcher = Dispatcher(
        storage=world.storage, messengers={"discord": adapter.messenger}, clock=SystemClock()
    )
    return (await dispatcher.dispatch_once()).sent


async def post_story(
    world: World, adapter: DiscordAdapter, story_id: str = "k7q2", channel: int | None = None
) -> None:
    """A new story for every subscription (of ``channel`` only, when given)."""
    story = await seed_story(world.storage, story_id=story_id)
    subs = [
        s
        for s in await world.storage.active_subscriptions()
        if channel is None or s.destination.chat_id == str(channel)
    ]
    await world.storage.enqueue_deliveries(story, subs, now=SystemClock().now())
    assert await dispatch(world, adapter) >= len(subs)  # /subscribe may have queued one too


async def test_a_role_is_pinged_on_the_first_post_only(world: World) -> None:
    role = world.fake.add_role(world.guild, "News", mentionable=True)
    adapter = await world.start_adapter()
    answer = await subscribe(world, world.news, breaking_only=False, ping=role)
    assert "Subscribed" in answer.response["content"]
    assert answer.callbacks[0]["data"]["allowed_mentions"] == {"parse": []}, "no ping yet"
    (sub,) = await world.storage.subscriptions_for(Destination("discord", str(world.news)))
    assert sub.ping_role == str(role)
    await post_story(world, adapter)
    (post,) = world.fake.messages[world.news]
    assert post["content"].startswith(f"<@&{role}>")
    mentions = post["allowed_mentions"]
    assert mentions["parse"] == []
    assert [int(r) for r in mentions["roles"]] == [role]
    assert not mentions.get("users")
    # The story moves on: its post is edited, and the edit pings nobody.
    story = await world.storage.get_story("k7q2")
    summary = await world.storage.get_summary("k7q2")
    assert story is not None
    assert summary is not None
    await world.storage.save_story(replace(story, version=2))
    await world.storage.save_summary(replace(summary, story_version=2, headline="Updated"))
    updated = await world.storage.get_story("k7q2")
    assert updated is not None
    now = SystemClock().now()
    assert await world.storage.enqueue_updates(updated, now=now, debounce_s=0) == 1
    assert await dispatch(world, adapter) == 1
    (edited,) = world.fake.messages[world.news]
    assert f"<@&{role}>" not in (edited["content"] or "")
    edits = [body for method, path, body in world.fake.requests if method == "PATCH"]
    assert edits
    assert edits[-1]["allowed_mentions"] == {"parse": []}


async def test_a_role_the_bot_may_not_mention_is_refused_at_subscribe(world: World) -> None:
    quiet = world.fake.add_role(world.guild, "Quiet", mentionable=False)
    adapter = await world.start_adapter()
    refused = await world.fake.slash(
        world.news,
        "subscribe",
        {"topic": "iraq", "ping": quiet},
        bot_permissions=ALL_PERMISSIONS & ~MENTION_EVERYONE,
    )
    await wait_answered(refused)
    assert "I can't mention @Quiet" in refused.response["content"]
    assert await world.storage.subscriptions_for(Destination("discord", str(world.news))) == []
    # With the right to mention every role, the bot may ping it.
    await subscribe(world, world.news, ping=quiet)
    (sub,) = await world.storage.subscriptions_for(Destination("discord", str(world.news)))
    assert sub.ping_role == str(quiet)
    await post_story(world, adapter)


async def test_announcement_posts_are_published_within_the_routes_limit(world: World) -> None:
    announcements = world.fake.add_channel(world.guild, "announcements", kind=5)
    world.fake.crosspost_limit = 1
    adapter = await world.start_adapter()
    await subscribe(world, announcements)
    await post_story(world, adapter)
    (first,) = world.fake.messages[announcements]
    assert world.fake.crossposted == [first["id"]]
    # Over the route's limit: the post is still delivered, only not published.
    await post_story(world, adapter, "m3n4")
    assert len(world.fake.messages[announcements]) == 2
    assert world.fake.crossposted == [first["id"]]
    # An ordinary channel is never published.
    await subscribe(world, world.news)
    await post_story(world, adapter, "p5q6", channel=world.news)
    assert len(world.fake.crossposted) == 1
