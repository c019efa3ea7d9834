"""Old buttons after the story moved on: the real discord.py client on the fake Discord.

Discord's buttons are persistent, so a post's buttons are pressed while the story reads
otherwise: its edit waits for a debounce, the channel muted the story, or the post is old.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from bot.core.cards import Action, Button, Card, section_key
from bot.core.clock import SystemClock
from bot.core.domain import Destination
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.render import story_post
from tests.adapters.discord.helpers import NOW, World, wait_answered
from tests.factories import next_version, seed_story

NEWS: Literal["discord"] = "discord"
MOVED_ON = "Story k7q2 has moved on since that post"


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for row in message["components"] for c in row["components"]]


def shown(inter: Any) -> str:
    """What the person who clicked sees: content, or the embed's title, text and footer."""
    response = inter.response
    parts = [response.get("content") or ""]
    for embed in response.get("embeds") or []:
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts.append((embed.get("footer") or {}).get("text", ""))
    return "\n".join(parts)


def names(label: str, text: str) -> bool:
    """Whether an answer is headed by the section an "Expand: …" label names."""
    heading = label.removeprefix("Expand: ")
    if heading.endswith("…"):
        return text.lstrip().startswith(heading.removesuffix("…").rstrip())
    return text.lstrip().startswith(f"{heading} — story k7q2")


async def post_story(world: World) -> tuple[Any, dict[str, Any]]:
    adapter = await world.start_adapter()
    inter = await world.fake.slash(world.news, "subscribe", {"topic": "marrowby"})
    await wait_answered(inter)
    story, _ = await seed_story(world.storage, NOW)
    subs = await world.storage.subscriptions_for(Destination(NEWS, str(world.news)))
    assert await world.storage.enqueue_deliveries(story, subs, now=SystemClock().now()) == 1
    assert (await dispatcher(world, adapter).dispatch_once()).sent == 1
    [post] = world.fake.messages[world.news]
    return adapter, post


def dispatcher(world: World, adapter: Any) -> Dispatcher:
    # Rows are stamped with the wall clock (enqueue), so the dispatcher uses it too.
    return Dispatcher(
        storage=world.storage, messengers={NEWS: adapter.messenger}, clock=SystemClock()
    )


async def click_all(world: World, post: dict[str, Any]) -> list[tuple[dict[str, Any], Any]]:
    clicked = []
    for button in buttons(post):
        inter = await world.fake.click(post, button["custom_id"])
        await wait_answered(inter)
        assert inter.ephemeral
        clicked.append((button, inter))
    return clicked


async def first_heading(world: World) -> str:
    """The first section heading of the version the post showed (the one renamed later)."""
    posted = await world.storage.get_summary_version("k7q2", 1)
    assert posted is not None
    return posted.sections[0].heading


def assert_each_answer_is_what_its_label_says(
    clicked: list[tuple[dict[str, Any], Any]], renamed: str
) -> None:
    for button, inter in clicked:
        text = shown(inter)
        if button["label"].startswith("Expand: "):
            assert names(button["label"], text), (button, text)
            assert (MOVED_ON in text) == (button["label"] == f"Expand: {renamed}"), (button, text)
        else:
            assert text.lstrip().startswith("Sources — story k7q2"), text
            assert "Late Gazette" in text
            assert "1 source added since that post." in text


async def test_every_old_button_shows_what_its_label_says_after_a_new_version(
    world: World,
) -> None:
    adapter, post = await post_story(world)
    labels = [b["label"] for b in buttons(post)]
    posted = await world.storage.get_summary("k7q2")
    assert posted is not None
    assert len(posted.sections) >= 3
    assert labels[:-1] == [f"Expand: {s.heading}" for s in posted.sections]
    assert labels[-1] == "Sources (3)"
    renamed = posted.sections[0].heading
    story, _ = await next_version(world.storage, "k7q2", NOW)
    assert await world.storage.enqueue_updates(story, now=SystemClock().now(), debounce_s=600) == 1
    await dispatcher(world, adapter).dispatch_once()
    assert world.fake.messages[world.news][0]["embeds"] == post["embeds"], "not edited yet"
    clicked = await click_all(world, post)
    assert_each_answer_is_what_its_label_says(clicked, renamed)
    [moved] = [inter for _, inter in clicked if MOVED_ON in shown(inter)]
    today = [b["label"] for b in buttons(moved.response)]
    assert today[0] == "Expand: Residents return"
    assert today[-1] == "Sources (4)"


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
    await adapter.messenger.send(
        Destination(NEWS, str(world.news)), replace(post, buttons=legacy), nonce="legacy"
    )
    old = world.fake.messages[world.news][-1]
    assert [b["custom_id"] for b in buttons(old)] == [
        "nb:e:k7q2:1",
        "nb:e:k7q2:2",
        "nb:e:k7q2:3",
        "nb:e:k7q2:4",
        "nb:s:k7q2",
    ]
    await next_version(world.storage, "k7q2", NOW)
    assert_each_answer_is_what_its_label_says(
        await click_all(world, old), await first_heading(world)
    )


async def test_a_mute_between_post_and_press(world: World) -> None:
    adapter, post = await post_story(world)
    await world.storage.mute(Destination(NEWS, str(world.news)), "k7q2", now=NOW)
    story, _ = await next_version(world.storage, "k7q2", NOW)
    assert await world.storage.enqueue_updates(story, now=SystemClock().now(), debounce_s=0) == 0
    await dispatcher(world, adapter).dispatch_once()
    assert world.fake.messages[world.news][0]["embeds"] == post["embeds"], "muted"
    assert_each_answer_is_what_its_label_says(
        await click_all(world, post), await first_heading(world)
    )


async def test_a_button_whose_section_no_stored_version_has_lists_the_sections_now(
    world: World,
) -> None:
    adapter, _ = await post_story(world)
    await next_version(world.storage, "k7q2", NOW)
    lost = Button("Expand: Dam", Action("expand", "k7q2", 2, 7, section_key("Dam")))
    await adapter.messenger.send(
        Destination(NEWS, str(world.news)), Card(title="Old post", buttons=(lost,)), nonce="x"
    )
    old = world.fake.messages[world.news][-1]
    inter = await world.fake.click(old, "nb:" + lost.action.encode())
    await wait_answered(inter)
    text = shown(inter)
    assert text.lstrip().startswith("That section is no longer in story k7q2."), text
    assert MOVED_ON in text
    assert buttons(inter.response)[0]["label"] == "Expand: Residents return"
