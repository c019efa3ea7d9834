"""The chat's language through the real PTB client and the fake Bot API: German help after
``/language de`` or from the app's language, the command menu per catalog language, a
right-to-left post whose HTML, links and UTF-16 entity offsets survive, a footer read back in
any language, and the apology for a failed handler."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from telegram.ext import ContextTypes

from adapters.catalogs import load_word_book
from bot.commands.router import COMMANDS
from bot.core.domain import Destination, Sentence
from bot.core.words import FSI, PDI, Untranslated, WordBook
from tests.adapters.telegram.tg_world import ADA, World
from tests.fakes.fake_telegram import parse_html, utf16

KARL = 503  # a person whose Telegram app is set to German
DM = Destination("telegram", str(ADA))
HEADLINE = "فيضان نهر تيسل في ماروبي"
LEDE = (
    "فاض نهر تيسل في ماروبي يوم السبت 🌧 بعد أمطار غزيرة.",
    "غادر 300 شخص منازلهم في ماروبي بسبب فيضان نهر تيسل.",
)


def german(world: World) -> None:
    world.commands.words = load_word_book()


async def sent(world: World, chat_id: int, count: int) -> list[dict[str, Any]]:
    await world.fake.wait_for(lambda: len(world.fake.sent_to(chat_id)) >= count)
    return world.fake.sent_to(chat_id)


async def test_language_de_then_help_answers_in_german(world: World) -> None:
    german(world)
    await world.adapter()
    world.fake.user_message(ADA, ADA, "/language de")
    await sent(world, ADA, 1)
    world.fake.advance(1)
    world.fake.user_message(ADA, ADA, "/help")
    help_text = (await sent(world, ADA, 2))[-1]["_request"]["text"]
    assert "Einem Thema in diesem Chat folgen" in help_text
    assert "Follow a topic in this chat" not in help_text


async def test_a_german_telegram_app_gets_german_help_without_choosing(world: World) -> None:
    german(world)
    world.fake.add_user(KARL, "Karl", language_code="de")
    await world.adapter()
    world.fake.user_message(KARL, KARL, "/help")
    (answer,) = await sent(world, KARL, 1)
    assert "Was ich kann" in answer["text"]


async def test_the_command_menu_is_registered_in_every_catalog_language(world: World) -> None:
    german(world)
    await world.adapter()
    lists = world.fake.command_lists
    assert set(lists) == {"", *(lang for lang in world.commands.words.languages if lang != "en")}
    for commands in lists.values():
        assert [c["command"] for c in commands] == [info.name for info in COMMANDS]
    follow = {code: commands[0]["description"] for code, commands in lists.items()}
    assert follow[""] == "Follow a topic in this chat"
    assert follow["de"] == "Einem Thema in diesem Chat folgen"


async def test_the_default_menu_is_in_the_bots_default_language(world: World) -> None:
    german(world)
    world.commands.default_language = "de"
    await world.adapter()
    lists = world.fake.command_lists
    assert lists[""][0]["description"] == "Einem Thema in diesem Chat folgen"
    assert lists["en"][0]["description"] == "Follow a topic in this chat"
    assert "de" not in lists


async def test_a_refused_language_list_does_not_stop_the_bot(world: World) -> None:
    # A language Telegram does not take (a full tag where it wants two letters) is only
    # logged: the other lists are set and the bot runs.
    world.commands.words = WordBook({"de": Untranslated(), "pt-BR": Untranslated()})
    await world.adapter()
    assert set(world.fake.command_lists) == {"", "de", "pt"}


async def test_an_arabic_post_keeps_its_links_isolates_and_entity_offsets(world: World) -> None:
    german(world)
    adapter = await world.adapter()
    world.fake.user_message(ADA, ADA, "/subscribe marrowby")
    await sent(world, ADA, 1)
    world.fake.advance(1)
    world.fake.user_message(ADA, ADA, "/language ar")
    await sent(world, ADA, 2)
    world.fake.advance(1)
    story, summary = await world.story()
    # The summary in Arabic with an emoji (two UTF-16 units) before a citation marker.
    arabic = replace(
        summary,
        language="ar",
        headline=HEADLINE,
        lede=(Sentence(LEDE[0], (1,)), Sentence(LEDE[1], (1, 2))),
    )
    await world.storage.save_summary(arabic)
    assert await world.enqueue(story) == 1
    assert (await world.dispatch(adapter)).sent == 1
    post = world.fake.sent_to(ADA)[-1]
    source = post["_request"]["text"]
    text, entities = parse_html(source)  # balanced, allowed tags: Telegram would take it
    assert (text, entities) == (post["text"], post["entities"])
    assert LEDE[0].rstrip(".") in text
    # Every citation marker is isolated and is a link to its source.
    markers = list(re.finditer(rf"{FSI}\[(\d)\]{PDI}", text))
    assert [m.group(1) for m in markers] == ["1", "1", "2"]
    links = {(e["offset"], e["length"]): e["url"] for e in entities if e["type"] == "text_link"}
    for marker in markers:
        # Telegram counts offsets in UTF-16 units: the emoji before a marker counts twice.
        url = links.get((utf16(text[: marker.start()]), utf16(marker.group())))
        assert url == summary.source(int(marker.group(1))).url  # type: ignore[union-attr]
    # The story id in the small print keeps its direction too.
    assert f"{FSI}{story.id}{PDI}" in text


async def test_a_reply_to_a_german_or_arabic_post_without_buttons_finds_its_story(
    world: World,
) -> None:
    german(world)
    await world.adapter()
    await world.story()
    for language in ("de", "ar"):
        words = world.commands.words.words(language)
        footer = words.gettext("story %(story)s", story=words.isolate("k7q2"))
        # A post of ours whose buttons are gone: only its small print names the story.
        text = f"Die story about the flood 🌧 [1]\n3 · {footer}"
        post = world.fake._message(ADA, world.fake.bot, text)
        before = len(world.fake.sent_to(ADA))
        world.fake.advance(1)
        world.fake.user_message(ADA, ADA, "sources", reply_to=post["message_id"])
        reply = (await sent(world, ADA, before + 1))[-1]
        assert "Harbour Herald" in reply["text"]  # the sources of k7q2


async def test_a_failed_handler_apologises_in_the_chats_language(world: World) -> None:
    german(world)
    world.fake.add_user(KARL, "Karl", language_code="de")
    adapter = await world.adapter()

    async def broken(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        raise RuntimeError("a bug")

    adapter.handlers.on_command = broken  # type: ignore[method-assign]
    adapter.app.handlers.clear()
    adapter.handlers.register(adapter.app)
    world.fake.user_message(KARL, KARL, "/help")
    (answer,) = await sent(world, KARL, 1)
    assert answer["text"].startswith("Bei mir ist etwas schiefgegangen")
    assert [type(err) for err in adapter.handler_errors] == [RuntimeError]
    adapter.handler_errors.clear()  # expected here; the fixture fails on any other
