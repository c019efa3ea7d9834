"""The real PTB adapter against the fake Bot API: commands, posts, buttons, membership."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from adapters.telegram import TelegramAdapter
from bot.commands.router import COMMANDS
from bot.core.domain import Destination
from bot.core.errors import ConfigError
from tests.adapters.telegram.tg_world import ADA, BOB, GROUP, World

DM = Destination("telegram", str(ADA))
GROUP_DEST = Destination("telegram", str(GROUP))


async def answers(world: World, chat_id: int, count: int) -> list[dict[str, Any]]:
    """Wait for ``count`` bot messages in a chat, then return them all."""
    await world.fake.wait_for(lambda: len(world.fake.sent_to(chat_id)) >= count)
    return world.fake.sent_to(chat_id)


async def subscribed(world: World, destination: Destination) -> list[tuple[str, bool]]:
    return [(s.topic, s.paused) for s in await world.storage.subscriptions_for(destination)]


async def test_commands_are_registered_with_descriptions(world: World) -> None:
    await world.adapter()
    assert [c["command"] for c in world.fake.commands] == [info.name for info in COMMANDS]
    assert all(c["description"] for c in world.fake.commands)


async def test_subscribe_in_a_dm_answers_as_a_reply(world: World) -> None:
    await world.adapter()
    asked = world.fake.user_message(ADA, ADA, "/subscribe marrowby")
    (answer,) = await answers(world, ADA, 1)
    assert "Subscribed" in answer["text"]
    assert answer["reply_to_message"]["message_id"] == asked["message_id"]
    assert await subscribed(world, DM) == [("marrowby", False)]


async def test_a_group_admin_subscribes_with_the_botname_form(world: World) -> None:
    await world.adapter()
    world.fake.user_message(GROUP, ADA, "/subscribe@newsbot marrowby --breaking")
    (answer,) = await answers(world, GROUP, 1)
    assert "marrowby" in answer["text"]
    subs = await world.storage.subscriptions_for(GROUP_DEST)
    assert [(s.topic, s.breaking_only) for s in subs] == [("marrowby", True)]


async def test_a_group_member_who_is_not_admin_is_refused_politely(world: World) -> None:
    await world.adapter()
    world.fake.user_message(GROUP, BOB, "/subscribe marrowby")
    (answer,) = await answers(world, GROUP, 1)
    assert "admins" in answer["text"]
    assert "direct message" in answer["text"]
    assert await subscribed(world, GROUP_DEST) == []
    # Reading commands need no rights.
    world.fake.advance(1)
    world.fake.user_message(GROUP, BOB, "/help")
    assert len(await answers(world, GROUP, 2)) == 2


async def test_a_command_for_another_bot_is_ignored(world: World) -> None:
    await world.adapter()
    world.fake.user_message(GROUP, ADA, "/subscribe@otherbot marrowby")
    world.fake.user_message(GROUP, ADA, "/help@newsbot")
    (answer,) = await answers(world, GROUP, 1)
    assert "/subscribe" in answer["text"]
    assert await subscribed(world, GROUP_DEST) == []


async def post_story(world: World) -> tuple[Any, dict[str, Any]]:
    """Ada subscribes in a DM; the story arrives and is dispatched."""
    adapter = await world.adapter()
    world.fake.user_message(ADA, ADA, "/subscribe marrowby")
    await answers(world, ADA, 1)
    world.fake.advance(1)
    story, _ = await world.story()
    assert await world.enqueue(story) == 1
    report = await world.dispatch(adapter)
    assert report.sent == 1
    return adapter, world.fake.sent_to(ADA)[-1]


async def test_a_story_is_posted_once_with_its_buttons(world: World) -> None:
    adapter, post = await post_story(world)
    text = post["text"]
    assert text.startswith("River Tessel bursts its banks in Marrowby")
    assert "from the linked reports" in text  # the note on how it was written
    assert "story k7q2" in text
    assert {e["type"] for e in post["entities"]} >= {"bold", "text_link", "italic"}
    data = [b["callback_data"] for row in post["reply_markup"]["inline_keyboard"] for b in row]
    assert data[0].startswith("e:k7q2:1@1.")  # the section's position, version and key
    assert data[-1] == "s:k7q2@1"
    world.fake.advance(5)
    again = await world.dispatch(adapter)
    assert again.sent == 0
    assert len(world.fake.sent_to(ADA)) == 2  # the subscribe answer and one post


async def test_each_button_answers_and_replies_under_the_post(world: World) -> None:
    _, post = await post_story(world)
    keyboard = [b for row in post["reply_markup"]["inline_keyboard"] for b in row]
    count = 2
    for button in keyboard:
        world.fake.advance(1)
        query = world.fake.press(ADA, post["message_id"], ADA, button["callback_data"])
        count += 1
        reply = (await answers(world, ADA, count))[-1]
        assert reply["reply_to_message"]["message_id"] == post["message_id"]
        assert any(a["callback_query_id"] == query for a in world.fake.answers)
        if button["callback_data"].startswith("e:"):
            heading = button["text"].removeprefix("Expand: ").rstrip("…")
            assert reply["text"].startswith(heading)
        else:
            assert reply["text"].startswith("Sources — story k7q2")
            assert "Harbour Herald" in reply["text"]


async def test_a_stale_or_forged_button_gets_an_answer_and_no_reply(world: World) -> None:
    _, post = await post_story(world)
    world.fake.press(ADA, post["message_id"], ADA, "x:not-ours")
    await world.fake.wait_for(lambda: world.fake.answers)
    assert "no longer works" in world.fake.answers[0]["text"]
    assert len(world.fake.sent_to(ADA)) == 2


@pytest.mark.parametrize(
    ("text", "starts"),
    [("sources", "Sources — story k7q2"), ("expand 2", ""), ("How many people left?", "")],
)
async def test_replying_to_a_post_follows_up(world: World, text: str, starts: str) -> None:
    _, post = await post_story(world)
    world.fake.advance(1)
    asked = world.fake.user_message(ADA, ADA, text, reply_to=post["message_id"])
    reply = (await answers(world, ADA, 3))[-1]
    assert reply["reply_to_message"]["message_id"] == asked["message_id"]
    assert reply["text"].startswith(starts)
    assert "k7q2" in reply["text"] or "[" in reply["text"]


async def test_bot_removed_from_a_group_pauses_its_subscriptions(world: World) -> None:
    await world.adapter()
    world.fake.user_message(GROUP, ADA, "/subscribe marrowby")
    await answers(world, GROUP, 1)
    world.fake.remove_bot(GROUP, by_user=ADA)
    await _until(world, GROUP_DEST, [("marrowby", True)])


async def test_adding_the_bot_back_resumes_the_subscriptions(world: World) -> None:
    await world.adapter()
    world.fake.user_message(GROUP, ADA, "/subscribe marrowby")
    await answers(world, GROUP, 1)
    world.fake.remove_bot(GROUP, by_user=ADA, status="left")
    await _until(world, GROUP_DEST, [("marrowby", True)])
    world.fake.add_bot_back(GROUP, by_user=ADA)
    await _until(world, GROUP_DEST, [("marrowby", False)])


async def test_a_user_blocking_the_bot_pauses_and_delivery_is_refused(world: World) -> None:
    adapter = await world.adapter()
    world.fake.user_message(ADA, ADA, "/subscribe marrowby")
    await answers(world, ADA, 1)
    world.fake.remove_bot(ADA, by_user=ADA)
    await _until(world, DM, [("marrowby", True)])
    await world.storage.set_paused(DM, False)
    story, _ = await world.story()
    await world.enqueue(story)
    report = await world.dispatch(adapter)
    assert report.failed == 1
    assert world.fake.refusals[-1][1] == 403


async def test_a_group_that_becomes_a_supergroup_keeps_its_subscriptions(world: World) -> None:
    await world.adapter()
    world.fake.user_message(GROUP, ADA, "/subscribe marrowby")
    await answers(world, GROUP, 1)
    world.fake.migrate(GROUP, -100123, by_user=ADA)
    await _until(world, Destination("telegram", "-100123"), [("marrowby", False)])
    assert await subscribed(world, GROUP_DEST) == []


async def test_a_channel_is_managed_from_a_dm_by_its_admin(world: World) -> None:
    channel = world.fake.add_chat(
        -100500, "channel", admins={ADA}, bot_status="administrator", username="tessel_news"
    )
    await world.adapter()
    world.fake.user_message(ADA, ADA, "/subscribe marrowby in @tessel_news")
    (answer,) = await answers(world, ADA, 1)
    assert "Subscribed" in answer["text"]
    assert await subscribed(world, Destination("telegram", str(channel.id))) == [
        ("marrowby", False)
    ]
    world.fake.user_message(BOB, BOB, "/unsubscribe marrowby in @tessel_news")
    (refusal,) = await answers(world, BOB, 1)
    assert "Only admins of @tessel_news" in refusal["text"]
    assert await subscribed(world, Destination("telegram", str(channel.id))) == [
        ("marrowby", False)
    ]


async def test_a_channel_where_the_bot_cannot_post_is_refused(world: World) -> None:
    world.fake.add_chat(-100501, "channel", admins={ADA}, username="quiet_news")
    await world.adapter()
    world.fake.user_message(ADA, ADA, "/subscribe marrowby in @quiet_news")
    (answer,) = await answers(world, ADA, 1)
    assert "I can't post in @quiet_news" in answer["text"]
    world.fake.advance(1)
    world.fake.user_message(ADA, ADA, "/subscribe marrowby in @nowhere_news")
    assert "can't find" in (await answers(world, ADA, 2))[-1]["text"]
    assert await subscribed(world, Destination("telegram", "-100501")) == []


async def test_subscribing_in_a_forum_topic_posts_into_that_topic(world: World) -> None:
    forum = world.fake.add_chat(-100600, "supergroup", is_forum=True, admins={ADA})
    adapter = await world.adapter()
    world.fake.user_message(forum.id, ADA, "/subscribe marrowby", thread_id=42)
    (answer,) = await answers(world, forum.id, 1)
    assert answer["message_thread_id"] == 42
    topic = Destination("telegram", str(forum.id), "42")
    assert await subscribed(world, topic) == [("marrowby", False)]
    world.fake.advance(1)
    story, _ = await world.story()
    await world.enqueue(story)
    assert (await world.dispatch(adapter)).sent == 1
    assert world.fake.sent_to(forum.id)[-1]["message_thread_id"] == 42


async def test_plain_words_in_a_dm_work_like_commands(world: World) -> None:
    await world.adapter()
    world.fake.user_message(ADA, ADA, "subscribe marrowby")
    await answers(world, ADA, 1)
    assert await subscribed(world, DM) == [("marrowby", False)]
    world.fake.advance(1)
    world.fake.user_message(ADA, ADA, "hello there")
    assert "/help" in (await answers(world, ADA, 2))[-1]["text"]


async def test_updates_are_confirmed_so_a_restart_does_not_repeat_them(world: World) -> None:
    first = await world.adapter()
    world.fake.user_message(ADA, ADA, "/subscribe marrowby")
    await answers(world, ADA, 1)
    await first.stop()
    world.adapters.remove(first)
    await world.adapter()
    world.fake.advance(1)
    world.fake.user_message(ADA, ADA, "/subscriptions")
    sent = await answers(world, ADA, 2)
    assert len(sent) == 2
    assert "marrowby" in sent[-1]["text"]


async def test_a_handler_that_raises_is_recorded_and_the_user_told(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    adapter = await world.adapter()

    async def broken(*_: object) -> None:
        raise RuntimeError("storage exploded")

    monkeypatch.setattr(world.commands, "run", broken)
    world.fake.user_message(ADA, ADA, "/help")
    (sorry,) = await answers(world, ADA, 1)
    assert "went wrong on my side" in sorry["text"]
    assert [str(e) for e in adapter.handler_errors] == ["storage exploded"]
    adapter.handler_errors.clear()  # seen; the fixture fails on any left over


async def test_a_rejected_token_fails_at_start(world: World) -> None:
    adapter = TelegramAdapter(world.config(), token="999:WRONG", commands=world.commands)
    with pytest.raises(ConfigError, match="NEWSBOT_TELEGRAM_TOKEN"):
        await adapter.start()
    await adapter.stop()


async def _until(world: World, destination: Destination, expected: list[tuple[str, bool]]) -> None:
    """Wait for the bot to act on an update that gets no answer in the chat."""
    for _ in range(300):
        if await subscribed(world, destination) == expected:
            return
        await asyncio.sleep(0.01)
    assert await subscribed(world, destination) == expected


async def test_two_quick_presses_both_get_their_answer(world: World) -> None:
    _, post = await post_story(world)
    world.fake.advance(1)
    world.fake.real_time = True  # the adapter waits out Telegram's 1 s per chat by itself
    world.fake.press(ADA, post["message_id"], ADA, "s:k7q2")
    world.fake.press(ADA, post["message_id"], ADA, "e:k7q2:1")
    sent = await answers(world, ADA, 4)
    assert len(sent) == 4
    assert any(r[1] == 429 for r in world.fake.refusals)


async def test_a_command_posted_in_a_channel_manages_that_channel(world: World) -> None:
    channel = world.fake.add_chat(-100700, "channel", bot_status="administrator", title="Wire")
    await world.adapter()
    world.fake.channel_post(channel.id, "/subscribe marrowby")
    (answer,) = await answers(world, channel.id, 1)
    assert "Subscribed" in answer["text"]
    assert await subscribed(world, Destination("telegram", str(channel.id))) == [
        ("marrowby", False)
    ]


async def test_a_press_too_old_to_acknowledge_still_gets_its_reply(world: World) -> None:
    _, post = await post_story(world)
    world.fake.advance(1)
    world.fake.press(ADA, post["message_id"], ADA, "s:k7q2", expired=True)
    reply = (await answers(world, ADA, 3))[-1]
    assert reply["text"].startswith("Sources — story k7q2")
    assert world.fake.answers == []
