"""Every place that shows a story's summary to a chat reads it in the chat's language:
the stored translation when the pipeline made one, else the original with a note naming
the sources' language. /expand, its buttons, /sources, /latest, /catchup, /search and
digests, through the real router, dispatcher and storage."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import timedelta

import pytest

from adapters.console import ConsoleMessenger
from bot.commands.router import Commands, Invocation
from bot.core.cards import Action, Card, section_key
from bot.core.clock import FixedClock
from bot.core.domain import Destination, Summary
from bot.delivery.digests import DigestScheduler
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.translated import SummaryReader
from bot.summaries.extractive import ExtractiveSummarizer
from bot.summaries.translation import apply_translation, texts_of
from storage import SqlStorage
from tests.factories import seed_story

DE = Invocation(Destination("console", "de"), user_id="1", can_manage=True, is_private=True)
EN = Invocation(Destination("console", "en"), user_id="2", can_manage=True, is_private=True)
NOTE = "Shown in its sources' language (Englisch)."


def german(text: str) -> str:
    # Marked copies; weekdays must be German in a German text, or the check refuses them.
    return f"(de) {text.replace('Saturday', 'Samstag').replace('Sunday', 'Sonntag')}"


@pytest.fixture
def commands(sqlite_store: SqlStorage, clock: FixedClock) -> Commands:
    return Commands(storage=sqlite_store, summarizer=ExtractiveSummarizer(), clock=clock)


async def english_story(
    store: SqlStorage, clock: FixedClock, *, translated: bool, story_id: str = "k7q2"
) -> Summary:
    _story, summary = await seed_story(store, clock.now(), story_id=story_id)
    summary = replace(summary, language="en")
    await store.save_summary(summary)
    if translated:
        texts = [german(t) for t in texts_of(summary)]
        await store.save_translation(apply_translation(summary, texts, "de"))
    await store.set_language(DE.destination, "de")
    await store.set_language(EN.destination, "en")
    return summary


async def test_expand_shows_the_translation_and_finds_sections_by_either_heading(
    commands: Commands, sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    summary = await english_story(sqlite_store, clock, translated=True)
    assert summary.sections, "the seeded story needs sections"
    full = await commands.run(DE, "/expand k7q2")
    assert (full.title or "").startswith(german(summary.headline))
    assert german(summary.lede[0].text) in full.plain_text()
    assert NOTE not in full.footer
    heading = summary.sections[0].heading
    for words in ("1", german(heading)[5:].split()[0], heading.split()[0]):
        section = await commands.run(DE, f"/expand k7q2 {words}")
        assert (section.title or "").startswith(german(heading)), words
    english = await commands.run(EN, "/expand k7q2")
    assert (english.title or "").startswith(summary.headline)
    assert "(de)" not in english.plain_text()


async def test_without_a_translation_commands_show_the_original_with_the_note(
    commands: Commands, sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    summary = await english_story(sqlite_store, clock, translated=False)
    full = await commands.run(DE, "/expand k7q2")
    assert (full.title or "").startswith(summary.headline)
    assert NOTE in full.plain_text()
    pressed = await commands.press(DE, Action("expand", "k7q2", 1, version=1))
    assert NOTE in pressed.footer
    listed = await commands.run(DE, "/catchup")
    assert listed.footer == (NOTE,)  # once, however many stories it lists
    english = await commands.run(EN, "/expand k7q2")
    assert NOTE not in english.plain_text()


async def test_buttons_of_a_translated_post_expand_the_translated_section(
    commands: Commands, sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    summary = await english_story(sqlite_store, clock, translated=True)
    heading = summary.sections[0].heading
    # A German post's button carries the key of the German heading; an older post's the
    # English one (sent before the translation was stored): both find the section.
    for key in (section_key(german(heading)), section_key(heading)):
        card = await commands.press(DE, Action("expand", "k7q2", 1, version=1, key=key))
        assert (card.title or "").startswith(german(heading)), key
        assert german(summary.sections[0].sentences[0].text) in card.plain_text()
    by_version = await commands.press(DE, Action("expand", "k7q2", 1, version=1))
    assert (by_version.title or "").startswith(german(heading))
    sources = await commands.run(DE, "/sources k7q2")
    assert summary.sources[0].title[:30] in sources.plain_text()  # titles stay the sources'


async def test_lists_show_translated_headlines_and_ledes(
    commands: Commands, sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    summary = await english_story(sqlite_store, clock, translated=True)
    latest = (await commands.run(DE, "/latest")).plain_text()
    assert german(summary.headline)[:60] in latest
    caught = await commands.run(DE, "/catchup")
    assert german(summary.headline)[:60] in caught.plain_text()
    assert german(summary.lede[0].text)[:60] in caught.plain_text()
    assert caught.footer == ()
    found = await commands.run(DE, "/search marrowby")
    assert german(summary.headline)[:60] in found.plain_text()
    english = (await commands.run(EN, "/latest")).plain_text()
    assert "(de)" not in english


async def test_a_digest_lists_the_stories_as_the_chat_reads_them(
    commands: Commands, sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    await commands.run(DE, "/subscribe marrowby --digest daily 08:00")
    await commands.run(EN, "/subscribe marrowby --digest daily 08:00")
    clock.advance(3600)  # the stories' reports come after the subscriptions
    summary = await english_story(sqlite_store, clock, translated=True)
    await english_story(sqlite_store, clock, translated=False, story_id="m3x9")
    clock.advance(timedelta(days=1).total_seconds())
    assert await DigestScheduler(sqlite_store, clock).run_due() == 2
    messenger = ConsoleMessenger(io.StringIO())
    dispatcher = Dispatcher(storage=sqlite_store, messengers={"console": messenger}, clock=clock)
    await dispatcher.dispatch_once()
    cards: dict[Destination, Card] = dict(messenger.sent)
    shown = cards[DE.destination].plain_text()
    assert german(summary.headline)[:60] in shown
    assert summary.headline[:60] in shown  # the untranslated story, as written
    assert cards[DE.destination].footer[0] == NOTE  # for that one
    assert "(de)" not in cards[EN.destination].plain_text()
    assert NOTE not in cards[EN.destination].footer


class CountingStore:
    def __init__(self, translation: Summary | None) -> None:
        self.translation = translation
        self.calls = 0

    async def get_translation(
        self, story_id: str, story_version: int, language: str
    ) -> Summary | None:
        self.calls += 1
        assert language == "de"  # the chat's region is not part of the key
        return self.translation


async def test_the_reader_asks_once_per_version_and_language_and_never_for_its_own(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    summary = await english_story(sqlite_store, clock, translated=False)
    store = CountingStore(None)
    reader = SummaryReader(store)
    for language in ("de", "de-AT", "de-CH"):
        assert await reader.shown(summary, language) is summary
    assert (await reader.read(summary, "en-GB")) == (summary, None)
    assert store.calls == 1
    reader.forget()
    assert (await reader.read(summary, "de"))[1] == NOTE
    assert store.calls == 2
    assert await SummaryReader(store).shown(replace(summary, language="und"), "de") is not None
    assert store.calls == 2  # a summary of unknown language is never looked up
