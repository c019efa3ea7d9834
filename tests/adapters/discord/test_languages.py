"""The chat's language through the real discord.py client and the fake Discord: slash-command
and option descriptions localised from the catalogs under Discord's own locale names, and a
right-to-left post whose embed keeps its citation links isolated within Discord's limits."""

from __future__ import annotations

import re
from dataclasses import replace

import discord
import pytest

from adapters.catalogs import load_word_book
from adapters.discord.translator import catalog_language
from bot.core.clock import SystemClock
from bot.core.domain import Destination, Sentence
from bot.core.words import FSI, PDI, WordBook
from bot.delivery.dispatcher import Dispatcher
from tests.adapters.discord.helpers import World, seed_story

LEDE = "أطلقت فصائل مسلحة 🚀 صواريخ على قاعدة الأسد الجوية في العراق."
SECTION = "لم ترد تقارير عن وقوع قتلى."


class Marked:
    """A stand-in catalog for a language whose catalog is not merged yet: every message
    translated as itself with a language mark."""

    def __init__(self, mark: str) -> None:
        self.mark = mark

    def gettext(self, message: str, /) -> str:
        return f"({self.mark}) {message}"

    def ngettext(self, singular: str, plural: str, n: int, /) -> str:
        return self.gettext(singular if n == 1 else plural)


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        (discord.Locale.german, "de"),
        (discord.Locale.spain_spanish, "es"),
        (discord.Locale.latin_american_spanish, "es"),
        (discord.Locale.chinese, "zh"),
        (discord.Locale.taiwan_chinese, None),  # Simplified is not Traditional
        (discord.Locale.american_english, None),  # the commands' own language
        (discord.Locale.british_english, None),
        (discord.Locale.brazil_portuguese, None),  # no catalog
        (discord.Locale.swedish, None),
    ],
)
def test_discord_locales_map_to_catalog_languages(
    locale: discord.Locale, language: str | None
) -> None:
    assert catalog_language(locale, ("de", "en", "es", "zh")) == language


async def test_descriptions_are_localised_from_the_catalogs(world: World) -> None:
    world.commands.words = load_word_book()
    await world.start_adapter()
    synced = {c["name"]: c for c in world.fake.commands["global"]}
    subscribe = synced["subscribe"]
    assert subscribe["description"] == "Follow a topic in this chat"
    assert subscribe["description_localizations"]["de"] == "Einem Thema in diesem Chat folgen"
    options = {o["name"]: o for o in subscribe["options"]}
    assert options["breaking_only"]["description_localizations"]["de"] == (
        "Nur Eilmeldungen posten"
    )
    # Names stay what people type, in every locale.
    assert not subscribe.get("name_localizations")
    # Every catalog language Discord has a locale for (it has none for Arabic).
    for command in synced.values():
        assert set(command["description_localizations"]) == {
            "de",
            "fr",
            "es-ES",
            "es-419",
            "ru",
            "zh-CN",
        }


async def test_every_catalog_language_reaches_its_discord_locales(world: World) -> None:
    world.commands.words = WordBook({"es": Marked("es"), "zh": Marked("zh"), "ar": Marked("ar")})
    await world.start_adapter()  # the fake refuses unknown locales and over-long texts
    help_ = {c["name"]: c for c in world.fake.commands["global"]}["help"]
    assert help_["description_localizations"] == {
        "es-ES": "(es) What I can do",
        "es-419": "(es) What I can do",
        "zh-CN": "(zh) What I can do",
    }  # Discord has no Arabic locale: Arabic speakers see the English


async def test_an_arabic_post_keeps_isolated_citation_links_within_limits(world: World) -> None:
    adapter = await world.start_adapter()
    news = Destination("discord", str(world.news))
    sub, _ = await world.storage.add_subscription(news, "iraq", breaking_only=False, min_outlets=2)
    await world.storage.set_language(news, "ar")
    story = await seed_story(world.storage)
    summary = await world.storage.get_summary(story.id)
    assert summary is not None
    first, second = summary.sections
    arabic = replace(
        summary,
        language="ar",
        lede=(Sentence(LEDE, (1, 2)),),
        sections=(first, replace(second, sentences=(Sentence(SECTION, (2,)),))),
    )
    await world.storage.save_summary(arabic)
    await world.storage.enqueue_deliveries(story, [sub], now=SystemClock().now())
    dispatcher = Dispatcher(
        storage=world.storage,
        messengers={"discord": adapter.messenger},
        clock=SystemClock(),
        words=load_word_book(),
    )
    assert (await dispatcher.dispatch_once()).sent == 1
    (posted,) = world.fake.messages[world.news]
    (embed,) = posted["embeds"]
    description = embed["description"]
    assert LEDE.rstrip(".") in description
    # Each marker is a link to its source with the isolates inside the link text, so the
    # brackets keep their order in the right-to-left line and the link stays whole.
    links = re.findall(rf"\[{FSI}\\[\[(](\d)\\[\])]{PDI}\]\(<?([^)>]+)>?\)", description)
    urls = {ref.number: ref.url for ref in summary.sources}
    assert [int(n) for n, _ in links][:2] == [1, 2]
    assert all(url == urls[int(n)] for n, url in links)
    assert f"{FSI}{story.id}{PDI}" in embed["footer"]["text"]
    # Discord counts characters (code points): the fake refused nothing over its limits.
    total = len(embed.get("title") or "") + len(description) + len(embed["footer"]["text"])
    total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", ()))
    assert total <= 6000
    assert len(description) <= 4096
