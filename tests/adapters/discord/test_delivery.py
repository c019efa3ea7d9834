"""The Messenger: channels, threads, forums, idempotent resends, rate limits and refusals."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import discord
import pytest

from adapters.discord.messenger import map_error
from bot.core.cards import Card, line
from bot.core.clock import SystemClock
from bot.core.domain import Destination, MessageRef
from bot.core.errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from bot.delivery.dispatcher import Dispatcher
from tests.adapters.discord.helpers import World, seed_story, wait_answered

CARD = Card(title="Headline", body=(line("A lede."),), footer=("2 outlets",))


def dest(channel: int, thread: int | None = None) -> Destination:
    return Destination("discord", str(channel), str(thread) if thread else None)


async def test_resend_with_the_same_nonce_is_not_posted_twice(world: World) -> None:
    adapter = await world.start_adapter()
    first = await adapter.messenger.send(dest(world.news), CARD, nonce="nb1v1")
    again = await adapter.messenger.send(dest(world.news), CARD, nonce="nb1v1")
    assert first == again
    assert len(world.fake.messages[world.news]) == 1
    long_nonce = "x" * 60  # Discord allows 25 characters: hashed, still deterministic
    a = await adapter.messenger.send(dest(world.news), CARD, nonce=long_nonce)
    b = await adapter.messenger.send(dest(world.news), CARD, nonce=long_nonce)
    assert a == b


async def test_the_fake_forgets_a_nonce_after_its_window_as_discord_does(world: World) -> None:
    """Discord dedupes a nonce "in the past few minutes" only: a resend after that posts
    again. The dispatcher never relies on a nonce older than its own, shorter window."""
    adapter = await world.start_adapter()
    world.fake.nonce_window_s = 0.2
    first = await adapter.messenger.send(dest(world.news), CARD, nonce="nb7v1")
    assert await adapter.messenger.send(dest(world.news), CARD, nonce="nb7v1") == first
    await asyncio.sleep(0.25)
    late = await adapter.messenger.send(dest(world.news), CARD, nonce="nb7v1")
    assert late != first
    assert len(world.fake.messages[world.news]) == 2


async def test_edit_and_reply(world: World) -> None:
    adapter = await world.start_adapter()
    ref = await adapter.messenger.send(dest(world.news), CARD, nonce="n1")
    await adapter.messenger.edit(ref, Card(body=(line("Now plain text."),)))
    [msg] = world.fake.messages[world.news]
    assert msg["content"] == "Now plain text."
    assert msg["embeds"] == []
    reply = await adapter.messenger.reply(ref, Card(body=(line("Update on k7q2"),)), nonce="n2")
    posted = world.fake.messages[world.news][-1]
    assert posted["id"] == reply.message_id
    assert str(posted["message_reference"]["message_id"]) == ref.message_id


async def test_subscribing_in_a_thread_posts_into_that_thread(world: World) -> None:
    thread = world.fake.add_channel(world.guild, "iraq-thread", kind=11, parent_id=world.news)
    adapter = await world.start_adapter()
    inter = await world.fake.slash(thread, "subscribe", {"topic": "iraq"})
    await wait_answered(inter)
    [sub] = await world.storage.subscriptions_for(dest(world.news, thread))
    await seed_story(world.storage)
    story = await world.storage.get_story("k7q2")
    assert story is not None
    await world.storage.enqueue_deliveries(story, [sub], now=SystemClock().now())
    dispatcher = Dispatcher(
        storage=world.storage, messengers={"discord": adapter.messenger}, clock=SystemClock()
    )
    assert (await dispatcher.dispatch_once()).sent == 1
    assert len(world.fake.messages[thread]) == 1
    assert world.fake.messages[world.news] == []


async def test_a_forum_gets_one_post_per_story(world: World) -> None:
    forum = world.fake.add_channel(world.guild, "news-forum", kind=15)
    adapter = await world.start_adapter()
    refs = [
        await adapter.messenger.send(dest(forum), Card(title=f"Story {n}"), nonce=f"n{n}")
        for n in range(2)
    ]
    threads = [int(r.destination.thread_id or 0) for r in refs]
    assert len(set(threads)) == 2
    assert [world.fake.channels[t]["name"] for t in threads] == ["Story 0", "Story 1"]
    assert [world.fake.channels[t]["parent_id"] for t in threads] == [str(forum)] * 2
    # A later edit of the story reaches the forum post's starter message.
    await adapter.messenger.edit(refs[0], Card(title="Story 0, updated"))
    assert world.fake.messages[threads[0]][0]["embeds"][0]["title"] == "Story 0, updated"


async def test_a_command_in_a_forum_post_subscribes_the_forum(world: World) -> None:
    forum = world.fake.add_channel(world.guild, "news-forum", kind=15)
    post = world.fake.add_channel(world.guild, "hello", kind=11, parent_id=forum)
    await world.start_adapter()
    inter = await world.fake.slash(post, "subscribe", {"topic": "iraq"})
    await wait_answered(inter)
    assert await world.storage.subscriptions_for(dest(forum))


async def test_permission_loss_pauses_and_tells_the_admins_once(world: World) -> None:
    general = world.fake.add_channel(world.guild, "general")
    world.fake.set_system_channel(world.guild, general)
    adapter = await world.start_adapter()
    inter = await world.fake.slash(world.news, "subscribe", {"topic": "iraq"})
    await wait_answered(inter)
    world.fake.denied.add(world.news)
    for nonce in ("n1", "n2"):
        with pytest.raises(PermanentDeliveryError, match="50013"):
            await adapter.messenger.send(dest(world.news), CARD, nonce=nonce)
    [sub] = await world.storage.subscriptions_for(dest(world.news))
    assert sub.paused
    [notice] = world.fake.messages[general]
    assert f"<#{world.news}>" in notice["content"]
    assert "paused" in notice["content"]
    assert notice["allowed_mentions"] == {"parse": []}


async def test_unknown_channel_is_permanent(world: World) -> None:
    adapter = await world.start_adapter()
    with pytest.raises(PermanentDeliveryError, match="10003"):
        await adapter.messenger.send(dest(424242), CARD, nonce="n1")


async def test_guild_removal_and_channel_deletion_pause_subscriptions(world: World) -> None:
    other = world.fake.add_channel(world.guild, "other")
    await world.start_adapter()
    for channel in (world.news, other):
        inter = await world.fake.slash(channel, "subscribe", {"topic": "iraq"})
        await wait_answered(inter)
    await world.fake.delete_channel(other)
    await _until(lambda: _paused(world, other))
    assert not await _paused(world, world.news)
    await world.fake.remove_guild(world.guild)
    await _until(lambda: _paused(world, world.news))


async def _paused(world: World, channel: int) -> bool:
    subs = await world.storage.subscriptions_for(dest(channel))
    return bool(subs) and all(s.paused for s in subs)


async def _until(check: Callable[[], Awaitable[bool]]) -> None:
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


async def test_channel_rate_limit_is_waited_out_by_the_client(world: World) -> None:
    adapter = await world.start_adapter()
    started = time.monotonic()
    for n in range(7):  # the fake allows 5 per 0.5 s per channel
        await adapter.messenger.send(dest(world.news), CARD, nonce=f"burst{n}")
    assert len(world.fake.messages[world.news]) == 7
    assert time.monotonic() - started >= 0.3


async def test_global_429_with_via_is_retried(world: World) -> None:
    adapter = await world.start_adapter()
    world.fake.force_global_429 = 0.2
    await adapter.messenger.send(dest(world.news), CARD, nonce="g1")
    assert len(world.fake.messages[world.news]) == 1


async def test_long_429_becomes_transient_with_retry_after(world: World) -> None:
    # discord.py never gives up on waits under 30 s, the smallest allowed limit.
    adapter = await world.start_adapter(max_ratelimit_wait_s=30.0)
    world.fake.force_global_429 = 45.0
    with pytest.raises(TransientDeliveryError) as caught:
        await adapter.messenger.send(dest(world.news), CARD, nonce="g2")
    assert caught.value.retry_after == pytest.approx(45.0)


async def test_429_without_via_and_5xx_are_transient(world: World) -> None:
    adapter = await world.start_adapter()
    world.fake.force_cloudflare_429 = True
    with pytest.raises(TransientDeliveryError) as caught:
        await adapter.messenger.send(dest(world.news), CARD, nonce="c1")
    assert caught.value.retry_after == 2.0
    world.fake.force_status[world.news] = 503
    with pytest.raises(TransientDeliveryError, match="503"):
        await adapter.messenger.send(dest(world.news), CARD, nonce="c2")
    assert world.fake.messages[world.news] == []


async def test_oversize_is_refused_by_the_fake_and_is_not_a_reason_to_pause(world: World) -> None:
    adapter = await world.start_adapter()
    channel = adapter.client.get_partial_messageable(world.news)
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send("x" * 2001)
    assert (caught.value.status, caught.value.code) == (400, 50035)
    mapped = map_error(caught.value, idempotent=True)
    assert type(mapped) is DeliveryError


async def test_connection_refused_is_transient(world: World) -> None:
    adapter = await world.start_adapter()
    await world.fake.close()
    with pytest.raises(TransientDeliveryError, match="connection"):
        await adapter.messenger.edit(MessageRef(dest(world.news), "1"), CARD)
