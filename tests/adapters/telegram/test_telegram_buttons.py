"""Old buttons after the story moved on: the real PTB adapter against the fake Bot API.

A post is not edited at once when a new version arrives (the edit waits for its debounce,
or the chat muted the story), so its buttons are pressed while the story reads otherwise.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.core.cards import Action, Button, Card, section_key
from bot.core.clock import SystemClock
from bot.core.domain import Destination
from bot.delivery.render import story_post
from tests.adapters.telegram.test_telegram_scenarios import answers, post_story
from tests.adapters.telegram.tg_world import ADA, NOW, World
from tests.factories import next_version

DM = Destination("telegram", str(ADA))
MOVED_ON = "Story k7q2 has moved on since that post"


def keys(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for row in message["reply_markup"]["inline_keyboard"] for b in row]


def names(label: str, text: str) -> bool:
    """Whether an answer is headed by the section an "Expand: …" label names."""
    heading = label.removeprefix("Expand: ")
    if heading.endswith("…"):
        return text.startswith(heading.removesuffix("…").rstrip())
    return text.startswith(f"{heading} — story k7q2")


async def press_all(world: World, post: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """Press every button of ``post`` in turn: (button, the reply's text)."""
    pressed = []
    for button in keys(post):
        count = len(world.fake.sent_to(ADA)) + 1
        world.fake.advance(1)
        world.fake.press(ADA, post["message_id"], ADA, button["callback_data"])
        reply = (await answers(world, ADA, count))[-1]
        assert reply["reply_to_message"]["message_id"] == post["message_id"]
        pressed.append((button, reply["text"]))
    return pressed


async def new_version_waits_for_its_edit(world: World, adapter: Any, post: dict[str, Any]) -> None:
    story, _ = await next_version(world.storage, "k7q2", NOW)
    assert await world.storage.enqueue_updates(story, now=SystemClock().now(), debounce_s=600) == 1
    await world.dispatch(adapter)
    assert world.fake.messages[(ADA, post["message_id"])]["text"] == post["text"], "not edited"


async def first_heading(world: World) -> str:
    """The first section heading of the version the post showed (the one renamed later)."""
    posted = await world.storage.get_summary_version("k7q2", 1)
    assert posted is not None
    return posted.sections[0].heading


def assert_each_answer_is_what_its_label_says(
    pressed: list[tuple[dict[str, Any], str]], renamed: str
) -> None:
    for button, text in pressed:
        if button["text"].startswith("Expand: "):
            assert names(button["text"], text), (button, text)
            # The section renamed in the new version is shown as the post had it.
            assert (MOVED_ON in text) == (button["text"] == f"Expand: {renamed}"), (button, text)
        else:
            assert text.startswith("Sources — story k7q2")
            assert "Late Gazette" in text  # the sources the story has now
            assert "1 source added since that post." in text


async def test_every_old_button_shows_what_its_label_says_after_a_new_version(
    world: World,
) -> None:
    adapter, post = await post_story(world)
    labels = [b["text"] for b in keys(post)]
    posted = await world.storage.get_summary("k7q2")
    assert posted is not None
    assert len(posted.sections) >= 3
    assert labels[:4] == [f"Expand: {s.heading}" for s in posted.sections]
    renamed = posted.sections[0].heading
    await new_version_waits_for_its_edit(world, adapter, post)
    pressed = await press_all(world, post)
    assert [b["text"] for b, _ in pressed] == labels
    assert_each_answer_is_what_its_label_says(pressed, renamed)
    # The moved-on answer offers today's sections, whose buttons work in turn.
    moved = world.fake.sent_to(ADA)[-len(labels)]
    today = [b["text"] for b in keys(moved)]
    assert today[0] == "Expand: Residents return"
    assert f"Expand: Renamed {renamed}" in today
    assert today[-1] == "Sources (4)"
    again = await press_all(world, moved)
    for button, text in again[:-1]:
        assert names(button["text"], text), (button, text)
        assert MOVED_ON not in text


async def test_buttons_of_a_post_sent_before_buttons_named_their_version(world: World) -> None:
    adapter, _ = await post_story(world)
    story = await world.storage.get_story("k7q2")
    summary = await world.storage.get_summary("k7q2")
    assert story is not None
    assert summary is not None
    post = story_post(story, summary, NOW)
    legacy = tuple(
        Button(b.label, Action(b.action.kind, b.action.story_id, b.action.section))
        for b in post.buttons
    )
    world.fake.advance(1)
    await adapter.messenger.send(DM, replace(post, buttons=legacy), nonce="legacy")
    old = world.fake.sent_to(ADA)[-1]
    assert [b["callback_data"] for b in keys(old)] == [
        "e:k7q2:1",
        "e:k7q2:2",
        "e:k7q2:3",
        "e:k7q2:4",
        "s:k7q2",
    ]
    await next_version(world.storage, "k7q2", NOW)
    assert_each_answer_is_what_its_label_says(
        await press_all(world, old), await first_heading(world)
    )


async def test_a_mute_between_post_and_press(world: World) -> None:
    adapter, post = await post_story(world)
    await world.storage.mute(DM, "k7q2", now=NOW)
    story, _ = await next_version(world.storage, "k7q2", NOW)
    assert await world.storage.enqueue_updates(story, now=SystemClock().now(), debounce_s=0) == 0
    await world.dispatch(adapter)
    assert world.fake.messages[(ADA, post["message_id"])]["text"] == post["text"], "muted"
    assert_each_answer_is_what_its_label_says(
        await press_all(world, post), await first_heading(world)
    )


async def test_a_button_whose_section_no_stored_version_has_lists_the_sections_now(
    world: World,
) -> None:
    adapter, _ = await post_story(world)
    await next_version(world.storage, "k7q2", NOW)
    lost = Button("Expand: Dam", Action("expand", "k7q2", 2, 7, section_key("Dam")))
    world.fake.advance(1)
    await adapter.messenger.send(DM, Card(title="Old post", buttons=(lost,)), nonce="lost")
    old = world.fake.sent_to(ADA)[-1]
    [reply] = [text for _, text in await press_all(world, old)]
    assert reply.startswith("That section is no longer in story k7q2.")
    assert MOVED_ON in reply
    assert keys(world.fake.sent_to(ADA)[-1])[0]["text"] == "Expand: Residents return"
