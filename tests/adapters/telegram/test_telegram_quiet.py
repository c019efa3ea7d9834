"""Quiet answers in groups and channels, through the real PTB adapter on the fake Bot API:
a press or a question is answered to the person (their DM, or a deep link that opens
it); the group sees nothing; only admins mute; a channel's buttons are deep links."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from adapters.telegram.messenger import markup
from adapters.telegram.quiet import mute_payload
from adapters.telegram.render import KeyButton
from bot.core.cards import Action
from bot.core.domain import Destination
from tests.adapters.telegram.tg_world import ADA, BOB, GROUP, World

CAROL = 503  # a group member who never opened a DM with the bot
CHANNEL = -100900


async def group_post(world: World, chat_id: int = GROUP) -> dict[str, Any]:
    """A story posted in ``chat_id`` (subscribed by its admin, Ada)."""
    adapter = await world.adapter()
    await world.storage.add_subscription(
        Destination("telegram", str(chat_id)),
        "marrowby",
        breaking_only=False,
        min_outlets=2,
        scope=f"telegram:{chat_id}",
    )
    story, _ = await world.story()
    assert await world.enqueue(story) == 1
    assert (await world.dispatch(adapter)).sent == 1
    return world.fake.sent_to(chat_id)[-1]


def buttons(post: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for row in post["reply_markup"]["inline_keyboard"] for b in row]


async def test_a_member_pressing_expand_gets_a_dm_and_the_group_sees_nothing(
    world: World,
) -> None:
    post = await group_post(world)
    expand = next(b for b in buttons(post) if b["callback_data"].startswith("e:"))
    query = world.fake.press(GROUP, post["message_id"], BOB, expand["callback_data"])
    await world.fake.wait_for(lambda: world.fake.sent_to(BOB))
    (dm,) = world.fake.sent_to(BOB)
    assert dm["text"].startswith(expand["text"].removeprefix("Expand: ").rstrip("…"))
    await world.fake.wait_for(lambda: world.fake.answers)
    (answer,) = world.fake.answers
    assert answer["callback_query_id"] == query
    assert "private message" in answer["text"]
    assert world.fake.sent_to(GROUP) == [post], "nothing new in the group"


async def test_a_member_who_never_started_the_bot_gets_a_deep_link(world: World) -> None:
    world.fake.add_user(CAROL, "Carol", started=False)
    post = await group_post(world)
    sources = next(b for b in buttons(post) if b["callback_data"].startswith("s:"))
    world.fake.press(GROUP, post["message_id"], CAROL, sources["callback_data"])
    await world.fake.wait_for(lambda: world.fake.answers)
    (answer,) = world.fake.answers
    link = urlsplit(answer["url"])
    assert (link.netloc, link.path) == ("t.me", "/newsbot")
    (payload,) = parse_qs(link.query)["start"]
    assert world.fake.sent_to(GROUP) == [post]
    assert world.fake.sent_to(CAROL) == []
    # Following the link opens the DM with /start <payload>: the answer is there.
    world.fake.user_message(CAROL, CAROL, f"/start {payload}")
    await world.fake.wait_for(lambda: world.fake.sent_to(CAROL))
    (dm,) = world.fake.sent_to(CAROL)
    assert dm["text"].startswith("Sources — story k7q2")


async def test_a_question_in_a_group_is_answered_in_private(world: World) -> None:
    world.fake.add_user(CAROL, "Carol", started=False)
    post = await group_post(world)
    world.fake.user_message(GROUP, BOB, "How many people left?", reply_to=post["message_id"])
    await world.fake.wait_for(lambda: world.fake.sent_to(BOB))
    assert "k7q2" in world.fake.sent_to(BOB)[0]["text"]
    assert world.fake.sent_to(GROUP) == [post]
    # Carol cannot be written to first: one line in the group says how to get answers.
    world.fake.advance(60)  # the group's own rate limit
    world.fake.user_message(GROUP, CAROL, "/ask k7q2 who died?")
    await world.fake.wait_for(lambda: len(world.fake.sent_to(GROUP)) == 2)
    assert "https://t.me/newsbot" in world.fake.sent_to(GROUP)[-1]["text"]


async def test_only_admins_mute_a_story_in_a_group(world: World) -> None:
    post = await group_post(world)
    mute = "m:k7q2"  # the button living posts carry
    world.fake.press(GROUP, post["message_id"], BOB, mute)
    await world.fake.wait_for(lambda: world.fake.answers)
    assert "Only this chat's admins" in world.fake.answers[0]["text"]
    assert world.fake.answers[0]["show_alert"]
    assert not await world.storage.is_muted(Destination("telegram", str(GROUP)), "k7q2")
    world.fake.press(GROUP, post["message_id"], ADA, mute)
    await world.fake.wait_for(lambda: len(world.fake.answers) == 2)
    assert "Muted story k7q2" in world.fake.answers[1]["text"]
    assert await world.storage.is_muted(Destination("telegram", str(GROUP)), "k7q2")
    assert world.fake.sent_to(GROUP) == [post]


async def test_a_channels_buttons_are_deep_links_and_a_reader_cannot_mute(world: World) -> None:
    world.fake.add_chat(CHANNEL, "channel", admins={ADA}, bot_status="administrator")
    post = await group_post(world, CHANNEL)
    keys = buttons(post)
    assert all("callback_data" not in b for b in keys)
    payloads = {parse_qs(urlsplit(b["url"]).query)["start"][0] for b in keys}
    living = markup(((KeyButton("Mute", "m:k7q2"),),), links="newsbot", chat_id=CHANNEL)
    assert living is not None
    assert living.inline_keyboard[0][0].url == f"https://t.me/newsbot?start=mute_k7q2_n{-CHANNEL}"
    mute = mute_payload("k7q2", CHANNEL)  # what a living post's Mute button links to
    expand = next(p for p in payloads if p.startswith("e_"))
    decoded = Action.decode(expand.split("-")[0].replace("_", ":"))
    assert decoded is not None
    assert decoded.story_id == "k7q2"
    world.fake.user_message(BOB, BOB, f"/start {mute}")
    await world.fake.wait_for(lambda: world.fake.sent_to(BOB))
    assert "Only this chat's admins" in world.fake.sent_to(BOB)[0]["text"]
    channel = Destination("telegram", str(CHANNEL))
    assert not await world.storage.is_muted(channel, "k7q2")
    world.fake.user_message(ADA, ADA, f"/start {mute}")
    await world.fake.wait_for(lambda: world.fake.sent_to(ADA))
    assert "Muted story k7q2" in world.fake.sent_to(ADA)[0]["text"]
    assert await world.storage.is_muted(channel, "k7q2")
    world.fake.advance(1)
    world.fake.user_message(BOB, BOB, f"/start {expand}")
    await world.fake.wait_for(lambda: len(world.fake.sent_to(BOB)) == 2)
    assert world.fake.sent_to(CHANNEL) == [post], "readers' presses never post in the channel"
