"""The dispatcher through the real Telegram messenger and the fake Bot API: order under a
429, and an edit that falls back to a reply when the post is gone."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from bot.core.clock import SystemClock
from bot.core.domain import Destination
from bot.delivery.dispatcher import Dispatcher
from tests.adapters.telegram.tg_world import ADA, World

DM = Destination("telegram", str(ADA))


async def test_a_429_keeps_the_chat_in_order(world: World) -> None:
    adapter = await world.adapter()
    sub, _ = await world.storage.add_subscription(DM, "x", breaking_only=False, min_outlets=2)
    first, _ = await world.story("aa22")
    second, _ = await world.story("bb33")
    clock = SystemClock()
    await world.storage.enqueue_deliveries(first, [sub], now=clock.now())
    await world.storage.enqueue_deliveries(second, [sub], now=clock.now())
    dispatcher = Dispatcher(
        storage=world.storage, messengers={"telegram": adapter.messenger}, clock=clock
    )
    # The fake's clock stands still, so the chat's second message inside its second is
    # refused with a 429; it must wait for retry_after and still arrive second.
    report = await dispatcher.dispatch_once()
    assert (report.sent, report.retried) == (1, 1)
    assert world.fake.refusals[-1][1] == 429
    assert await world.storage.count_deliveries() == {"sent": 1, "pending": 1}
    world.fake.advance(2)
    await asyncio.sleep(1.1)  # the retry_after the fake asked for, on the dispatcher's clock
    assert (await dispatcher.dispatch_once()).sent == 1
    texts = [m["text"] for m in world.fake.sent_to(ADA)]
    assert len(texts) == 2
    assert f"story {first.id}" in texts[0]
    assert f"story {second.id}" in texts[1]


async def test_an_edit_of_a_deleted_post_becomes_a_reply(world: World) -> None:
    adapter = await world.adapter()
    sub, _ = await world.storage.add_subscription(DM, "x", breaking_only=False, min_outlets=2)
    story, summary = await world.story()
    clock = SystemClock()
    await world.storage.enqueue_deliveries(story, [sub], now=clock.now())
    dispatcher = Dispatcher(
        storage=world.storage, messengers={"telegram": adapter.messenger}, clock=clock
    )
    assert (await dispatcher.dispatch_once()).sent == 1
    (post,) = world.fake.sent_to(ADA)
    del world.fake.messages[(ADA, post["message_id"])]  # the user deleted the post
    newer = replace(story, version=2)
    await world.storage.save_story(newer)
    news = summary.sections[0].sentences[0]
    await world.storage.save_summary(replace(summary, story_version=2, what_changed=news))
    assert await world.storage.enqueue_updates(newer, now=clock.now(), debounce_s=0) == 1
    world.fake.advance(2)
    assert (await dispatcher.dispatch_once()).sent == 1
    reply = world.fake.sent_to(ADA)[-1]
    assert reply["text"].startswith("Update on k7q2")
    (still,) = await world.storage.subscriptions_for(DM)
    assert not still.paused
