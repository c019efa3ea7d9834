"""The bot's own words in the chat's language: commands answer in it, posts are
rendered in it, and right-to-left chats keep markers and ids in their own direction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.catalogs import load_word_book
from bot.commands.router import Commands, Invocation
from bot.core.cards import Link
from bot.core.clock import FixedClock
from bot.core.domain import Destination, Sentence, SourceRef, Summary
from bot.core.words import ENGLISH, FSI, PDI, WordBook, speaking
from bot.delivery.buttons import sources_label, sources_label_count
from bot.delivery.render import cited
from bot.summaries.extractive import ExtractiveSummarizer
from storage import SqlStorage

DM = Invocation(Destination("telegram", "42"), user_id="42", can_manage=True, is_private=True)
BOOK = load_word_book()


@pytest.fixture
def commands(sqlite_store: SqlStorage, clock: FixedClock) -> Commands:
    return Commands(
        storage=sqlite_store, summarizer=ExtractiveSummarizer(), clock=clock, words=BOOK
    )


async def test_a_dm_with_language_de_gets_german_help(commands: Commands) -> None:
    assert "I read the news" in (await commands.run(DM, "/help")).plain_text()
    answer = (await commands.run(DM, "/language de")).plain_text()
    assert "Die Sprache dieses Chats ist jetzt Deutsch (de)." in answer
    shown = (await commands.run(DM, "/help")).plain_text()
    assert "Ich lese für diesen Chat die Nachrichten" in shown
    assert "/subscribe <topic>" in shown  # command names stay as they are typed
    assert "Einem Thema in diesem Chat folgen" in shown


async def test_the_platform_locale_is_used_until_a_chat_chooses(commands: Commands) -> None:
    german_phone = Invocation(DM.destination, user_id="42", can_manage=True, language_hint="de")
    refused = (await commands.run(german_phone, "/nosuch")).plain_text()
    assert refused == "Den Befehl /nosuch kenne ich nicht. /help zeigt, was ich kann."
    # A language without a catalog answers in English.
    portuguese = Invocation(Destination("telegram", "43"), "43", True, language_hint="pt-BR")
    assert "I don't know the command" in (await commands.run(portuguese, "/nosuch")).plain_text()


async def test_errors_are_translated_with_their_values(commands: Commands) -> None:
    await commands.run(DM, "/language de")
    answer = (await commands.run(DM, "/settings timezone Mars/Olympus")).plain_text()
    assert answer.startswith("Die Zeitzone 'Mars/Olympus' kenne ich nicht.")


async def test_the_language_is_remembered_then_read_again(
    commands: Commands, clock: FixedClock
) -> None:
    await commands.run(DM, "/language de")
    assert "Ich lese" in (await commands.run(DM, "/help")).plain_text()
    await commands.storage.set_language(DM.destination, "en")  # another process changed it
    assert "Ich lese" in (await commands.run(DM, "/help")).plain_text()
    clock.advance(61)
    assert "I read the news" in (await commands.run(DM, "/help")).plain_text()


def test_plural_forms_and_numbers_follow_the_locale() -> None:
    german = BOOK.words("de")
    assert german.ngettext("in %(count)s minute", "in %(count)s minutes", 1) == "in 1 Minute"
    assert german.number(12345) == "12.345"
    when = datetime(2024, 9, 5, 14, 3, tzinfo=UTC)
    assert german.moment(when) == "5. Sept. 14:03 UTC"
    assert ENGLISH.moment(when) == "05 Sep 14:03 UTC"  # English keeps its format


def test_sources_labels_are_read_back_in_any_language() -> None:
    with speaking(BOOK.words("de")):
        label = sources_label(7)
    assert label == "Quellen (7)"
    assert sources_label_count(label) == 7
    assert sources_label_count("Sources (3)") == 3
    assert sources_label_count("Sources") is None


def test_citation_markers_are_isolated_in_right_to_left_chats() -> None:
    when = datetime(2024, 9, 5, 14, 3, tzinfo=UTC)
    sentence = Sentence("قالت الوزارة إن 12 شخصا أصيبوا.", (1, 2))
    summary = Summary(
        story_id="k7q2",
        headline="العنوان",
        lede=(sentence,),
        sections=(),
        sources=(
            SourceRef(1, "BBC", "t", "https://example.com/a", when),
            SourceRef(2, "AP", "t", "https://example.com/b", when),
        ),
    )
    with speaking(WordBook().words("ar")):
        parts = cited(sentence, summary)
    markers = [p.text for p in parts if isinstance(p, Link)]
    assert len(markers) == 2
    assert all(m.startswith(FSI) and m.endswith(PDI) for m in markers)
    plain = [p.text for p in cited(sentence, summary) if isinstance(p, Link)]
    assert all(FSI not in m for m in plain)  # left-to-right chats are unchanged


def test_a_block_closed_from_another_context_does_not_raise() -> None:
    # A send abandoned with its destroyed task is closed by the garbage collector later,
    # in whatever context is current then.
    import contextvars  # noqa: PLC0415 - this test only

    from bot.core.words import Untranslated, Words, speaking  # noqa: PLC0415

    block = speaking(Words("de", Untranslated()))
    block.__enter__()
    contextvars.copy_context().run(block.__exit__, None, None, None)
