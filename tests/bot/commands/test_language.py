"""/language through the real router and storage; the choice of a chat's language."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands.router import Commands, Invocation
from bot.core.clock import FixedClock
from bot.core.domain import Destination
from bot.core.locales import (
    BotConfig,
    base_language,
    choose_language,
    language_name,
    parse_language,
    writes_right_to_left,
)
from bot.delivery.dispatcher import Dispatcher
from bot.summaries.extractive import ExtractiveSummarizer
from storage import SqlStorage

DM = Invocation(Destination("telegram", "42"), user_id="42", can_manage=True, is_private=True)
MEMBER = Invocation(Destination("telegram", "-100"), user_id="7", can_manage=False)


@pytest.fixture
def commands(sqlite_store: SqlStorage, clock: FixedClock) -> Commands:
    return Commands(
        storage=sqlite_store, summarizer=ExtractiveSummarizer(), clock=clock, default_language="fr"
    )


async def test_language_is_shown_set_and_reset(commands: Commands) -> None:
    shown = (await commands.run(DM, "/language")).plain_text()
    assert "français (fr)" in shown  # the operator's default
    assert "Deutsch (de)" in shown  # the languages of the bot's own words
    answer = (await commands.run(DM, "/language DE")).plain_text()
    assert "Deutsch (de)" in answer
    settings = await commands.storage.chat_settings(DM.destination)
    assert settings.language == "de"
    assert "Deutsch (de)" in (await commands.run(DM, "/settings")).plain_text()
    assert "pt-BR" in (await commands.run(DM, "/language pt_br")).plain_text()
    reset = (await commands.run(DM, "/language default")).plain_text()
    assert "français (fr)" in reset
    assert (await commands.storage.chat_settings(DM.destination)).language is None


@pytest.mark.parametrize("bad", ["klingon", "xx", "de; DROP TABLE", "a" * 300, "<b>de</b>"])
async def test_an_unknown_language_is_refused_and_nothing_changes(
    commands: Commands, bad: str
) -> None:
    answer = (await commands.run(DM, f"/language {bad}")).plain_text()
    assert "I don't know the language" in answer
    assert len(answer) < 300
    assert (await commands.storage.chat_settings(DM.destination)).language is None


async def test_only_admins_change_a_group_language(commands: Commands) -> None:
    assert "admins" in (await commands.run(MEMBER, "/language de")).plain_text()
    assert (await commands.storage.chat_settings(MEMBER.destination)).language is None
    # Anyone may see it.
    assert "français" in (await commands.run(MEMBER, "/language")).plain_text()


async def test_subscribing_remembers_the_platform_locale_as_the_default(
    commands: Commands,
) -> None:
    berlin = replace(DM, language_hint="de-DE")
    await commands.run(berlin, "/subscribe iraq")
    settings = await commands.storage.chat_settings(DM.destination)
    assert (settings.language, settings.language_hint) == (None, "de-DE")
    assert "Deutsch (Deutschland) (de-DE)" in (await commands.run(DM, "/language")).plain_text()
    await commands.run(DM, "/language es")  # a choice beats the hint
    assert "español (es)" in (await commands.run(DM, "/settings")).plain_text()


async def test_a_nonsense_hint_is_not_stored(commands: Commands) -> None:
    await commands.run(replace(DM, language_hint="not a locale!"), "/subscribe iraq")
    assert (await commands.storage.chat_settings(DM.destination)).language_hint is None


def test_codes_are_canonical() -> None:
    assert parse_language("zh_hant_tw") == "zh-Hant-TW"
    assert parse_language("EN-gb") == "en-GB"
    assert parse_language("") is None
    assert base_language("zh-Hant-TW") == "zh"
    assert language_name("ar") == "العربية"
    assert language_name("ru", "en") == "Russian"
    assert writes_right_to_left("ar")
    assert writes_right_to_left("he")
    assert not writes_right_to_left("de")
    with pytest.raises(ValueError, match="BCP 47"):
        BotConfig(language="elvish")


@given(stored=st.one_of(st.none(), st.text(max_size=12)), hint=st.one_of(st.none(), st.text()))
def test_a_chat_always_gets_a_usable_language(stored: str | None, hint: str | None) -> None:
    chosen = choose_language(stored, hint, "en")
    assert parse_language(chosen) == chosen
    if stored and parse_language(stored):
        assert chosen == parse_language(stored)


async def test_the_dispatcher_shows_each_chat_in_its_language(
    commands: Commands, clock: FixedClock
) -> None:
    dispatcher = Dispatcher(
        storage=commands.storage, messengers={}, clock=clock, default_language="fr"
    )
    await commands.run(DM, "/language ar")
    await commands.storage.note_language_hint(MEMBER.destination, "ru")
    assert await dispatcher.chat_language(DM.destination) == "ar"
    assert await dispatcher.chat_language(MEMBER.destination) == "ru"
    assert await dispatcher.chat_language(Destination("discord", "9")) == "fr"
