"""Summaries in each chat's language, end to end: stored articles → the LLM summariser
on the real ``openai`` client against the fake OpenAI server → one stored translation per
language → the dispatcher's posts, read per chat."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from adapters.llm import OpenAIChatConfig, OpenAIChatModel
from bot.commands.router import Commands, Invocation
from bot.core.cards import Card, Link, line_text
from bot.core.clock import FixedClock
from bot.core.domain import Article, Destination
from bot.core.errors import ConfigError
from bot.delivery.dispatcher import Dispatcher
from bot.eval.summaries import evaluate_summaries
from bot.stories.pipeline import Pipeline
from bot.stories.publishing import StoriesConfig
from bot.summaries.extractive import ExtractiveSummarizer
from bot.summaries.llm import LLMSummarizer
from bot.summaries.llm_config import LLMConfig
from bot.summaries.translator import Translator
from storage import SqlStorage
from tests.bot.delivery.test_delivery import RecordingMessenger
from tests.factories import FLOOD, new_article
from tests.fakes.fake_openai import FakeOpenAI, Reply
from tests.fakes.translating_model import AID, CANNED, DEATHS, LEDE, TranslatingModel

DM = Destination("telegram", "42")
DE_GROUP = Destination("telegram", "-100500")
FR_CHAT = Destination("telegram", "-100600")
EN_CHAT = Destination("telegram", "-100700")


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    server = FakeOpenAI()
    await server.start()
    yield server
    await server.close()


async def seed(store: SqlStorage, clock: FixedClock) -> list[Article]:
    stored: list[Article] = []
    for i, (outlet, title, text) in enumerate(FLOOD):
        feed = await store.upsert_feed(f"https://{i}.example/feed", outlet)
        # Minutes apart, in FLOOD's order: the sources are numbered 1, 2, 3 as written.
        when = clock.now() - timedelta(minutes=30 - i)
        article = new_article(feed.id, outlet, title, text, when, slug=f"s{i}")
        article = dataclasses.replace(article, language="en")
        stored += await store.add_articles([article])
    return stored


async def run(
    store: SqlStorage,
    clock: FixedClock,
    fake: FakeOpenAI,
    chats: dict[Destination, str | None],
    **llm: Any,
) -> tuple[RecordingMessenger, Translator]:
    """Subscribe each chat (with its /language), process the story, send its posts."""
    for chat, language in chats.items():
        await store.add_subscription(chat, "marrowby", breaking_only=False, min_outlets=2)
        if language:
            await store.set_language(chat, language)
    model = OpenAIChatModel(
        OpenAIChatConfig(base_url=fake.base_url, model="fake-model", max_retries=0), api_key=None
    )
    summarizer = LLMSummarizer(
        model,
        LLMConfig(model="fake-model", **llm),
        fallback=ExtractiveSummarizer(),
        clock=clock,
        budget=store,
    )
    translator = Translator(summarizer, store)
    pipeline = Pipeline(
        storage=store,
        summarizer=summarizer,
        clock=clock,
        stories=StoriesConfig(post_existing_items=True),
        translator=translator,
    )
    try:
        await pipeline.process(await seed(store, clock))
    finally:
        await model.close()
    messenger = RecordingMessenger()
    dispatcher = Dispatcher(storage=store, messengers={"telegram": messenger}, clock=clock)
    clock.advance(1)
    await dispatcher.dispatch_once()
    return messenger, translator


def post_to(messenger: RecordingMessenger, chat: Destination) -> Card:
    (card,) = [card for dest, card, _ in messenger.sent if dest == chat]
    return card


def body_texts(card: Card) -> list[str]:
    return [line_text(line) for line in card.body]


async def test_a_german_dm_gets_a_german_post_citing_the_original_sources(
    sqlite_store: SqlStorage, clock: FixedClock, fake: FakeOpenAI
) -> None:
    model = TranslatingModel()
    fake.default = model.reply
    messenger, translator = await run(sqlite_store, clock, fake, {DM: "de", EN_CHAT: None})
    assert model.calls == {"summary": 1, "translate:de": 1}
    german = post_to(messenger, DM)
    assert german.title == CANNED["de"]["River Tessel bursts its banks in Marrowby"]
    lede = german.body[0]
    assert lede[0].text == CANNED["de"][LEDE]
    links = [part for part in lede if isinstance(part, Link)]
    assert [(link.text, link.url) for link in links] == [
        ("[1]", "https://harbour-herald.example/s0")
    ]
    assert not any("Shown in its sources" in note for note in german.footer)
    english = post_to(messenger, EN_CHAT)
    assert english.body[0][0].text == LEDE
    assert translator.stats.kept >= 3


async def test_a_changed_number_shows_the_original_sentence(
    sqlite_store: SqlStorage, clock: FixedClock, fake: FakeOpenAI
) -> None:
    model = TranslatingModel(
        changes={LEDE: "Der Fluss Tessel trat am Samstag nach 150 Millimetern Regen über die Ufer."}
    )
    fake.default = model.reply
    messenger, translator = await run(sqlite_store, clock, fake, {DM: "de"})
    german = post_to(messenger, DM)
    assert german.body[0][0].text == LEDE  # the grounded original, not the changed number
    assert translator.stats.fallbacks["number"] == 1
    summary = await sqlite_store.get_summary(german.story_id or "")
    assert summary is not None
    stored = await sqlite_store.get_translation(summary.story_id, summary.story_version, "de")
    assert stored is not None
    texts = [s.text for sec in stored.sections for s in sec.sentences]
    assert CANNED["de"][AID] in texts
    assert CANNED["de"][DEATHS] in texts


async def test_one_call_serves_every_chat_of_a_language_and_each_language_costs_one(
    sqlite_store: SqlStorage, clock: FixedClock, fake: FakeOpenAI
) -> None:
    model = TranslatingModel()
    fake.default = model.reply
    chats = {DM: "de", DE_GROUP: "de-AT", FR_CHAT: "fr", EN_CHAT: "en"}
    messenger, _ = await run(sqlite_store, clock, fake, chats)
    # de and de-AT read one German translation; French is a second call; English none.
    assert model.calls == {"summary": 1, "translate:de": 1, "translate:fr": 1}
    assert len(fake.requests) == 3
    assert post_to(messenger, DE_GROUP).body[0][0].text == CANNED["de"][LEDE]
    french = post_to(messenger, FR_CHAT)
    assert french.body[0][0].text == CANNED["fr"][LEDE]
    assert post_to(messenger, EN_CHAT).body[0][0].text == LEDE


async def test_a_second_chat_of_the_same_language_reuses_the_stored_translation(
    sqlite_store: SqlStorage, clock: FixedClock, fake: FakeOpenAI
) -> None:
    model = TranslatingModel()
    fake.default = model.reply
    second = Destination("telegram", "43")
    messenger, _ = await run(sqlite_store, clock, fake, {DM: "de", second: "de"})
    assert model.calls == {"summary": 1, "translate:de": 1}
    assert post_to(messenger, DM).body == post_to(messenger, second).body
    assert body_texts(post_to(messenger, second))[0].startswith(CANNED["de"][LEDE])


async def test_the_budget_caps_translations_and_chats_read_the_original_with_a_note(
    sqlite_store: SqlStorage, clock: FixedClock, fake: FakeOpenAI
) -> None:
    model = TranslatingModel()
    fake.default = model.reply
    # Room for the summary's call (about 600 prompt + 400 output tokens reserved, about
    # 770 used), not for a translation besides (about 800 reserved).
    messenger, translator = await run(
        sqlite_store, clock, fake, {DM: "de"}, daily_token_budget=1_200, max_output_tokens=400
    )
    assert model.calls == {"summary": 1}
    assert translator.stats.skipped == {"budget": 1}
    german = post_to(messenger, DM)
    assert german.body[0][0].text == LEDE
    assert german.footer[0] == "Shown in its sources' language (Englisch)."


def eval_row(story_id: str) -> str:
    articles = [
        {"source": outlet, "title": title, "text": text, "url": f"https://{i}.example/a"}
        for i, (outlet, title, text) in enumerate(FLOOD)
    ]
    row = {"id": story_id, "date": "2024-03-05", "articles": articles, "summary": FLOOD[0][2]}
    return json.dumps(row)


async def test_eval_summaries_reports_the_share_of_translated_texts_kept(
    fake: FakeOpenAI, clock: FixedClock
) -> None:
    # One sentence of seven comes back with a changed number: six of seven are kept.
    model = TranslatingModel(changes={DEATHS: "Drei Menschen starben, 3 laut Polizei."})
    fake.default = model.reply
    chat = OpenAIChatModel(
        OpenAIChatConfig(base_url=fake.base_url, model="fake-model", max_retries=0), api_key=None
    )
    llm = LLMSummarizer(
        chat, LLMConfig(model="fake-model"), fallback=ExtractiveSummarizer(), clock=clock
    )
    try:
        result = await evaluate_summaries([eval_row("en-1")], llm, translate_to="de")
    finally:
        await chat.close()
    translation = result["translation"]
    assert translation["summaries"] == 1
    texts = translation["texts"]
    assert translation["fallbacks"] == {"number": 1}
    assert translation["kept_share"] == round((texts - 1) / texts, 4)
    assert model.calls == {"summary": 1, "translate:de": 1}


async def test_eval_translation_needs_the_llm_summariser_and_a_known_language() -> None:
    with pytest.raises(ConfigError, match="LLM summariser"):
        await evaluate_summaries([eval_row("x")], ExtractiveSummarizer(), translate_to="de")
    with pytest.raises(ConfigError, match="not a language code"):
        await evaluate_summaries([eval_row("x")], ExtractiveSummarizer(), translate_to="xx-!!")


# ---------------------------------------------------------------- /ask in the chat's language

ANSWER_DE = CANNED["de"][AID]


def answering(translation: str, asked: list[str]) -> Any:
    """Replies to /ask requests (recording their system prompts) with AID, cited, and
    ``translation`` as its translation; every other request is the story model's."""
    story = TranslatingModel()

    def reply(body: dict[str, Any]) -> Reply:
        system = str(body["messages"][0]["content"])
        if not system.startswith("You answer"):
            return story.reply(body)
        asked.append(system)
        item: dict[str, Any] = {"text": AID, "cites": [3]}
        if "The reader reads" in system:
            item["translation"] = translation
        return Reply(json.dumps({"found": True, "sentences": [item]}, ensure_ascii=False))

    return reply


async def ask(store: SqlStorage, clock: FixedClock, fake: FakeOpenAI, chat: Destination) -> Card:
    model = OpenAIChatModel(
        OpenAIChatConfig(base_url=fake.base_url, model="fake-model", max_retries=0), api_key=None
    )
    summarizer = LLMSummarizer(
        model, LLMConfig(model="fake-model"), fallback=ExtractiveSummarizer(), clock=clock
    )
    commands = Commands(storage=store, summarizer=summarizer, clock=clock)
    (story,) = await store.recent_stories(1)
    inv = Invocation(chat, user_id="1", can_manage=True, is_private=True)
    try:
        return await commands.run(inv, f"/ask {story.id} how much aid was released?")
    finally:
        await model.close()


async def test_ask_answers_in_the_chats_language_when_the_translation_keeps_the_facts(
    sqlite_store: SqlStorage, clock: FixedClock, fake: FakeOpenAI
) -> None:
    asked: list[str] = []
    fake.default = answering(ANSWER_DE, asked)
    await run(sqlite_store, clock, fake, {DM: "de", EN_CHAT: "en"})
    german = await ask(sqlite_store, clock, fake, DM)
    assert german.body[0][0].text == ANSWER_DE
    links = [part for part in german.body[0] if isinstance(part, Link)]
    assert [link.url for link in links] == ["https://capital-ledger.example/s2"]
    assert not any("sources' language" in note for note in german.footer)
    assert "German (de)" in asked[-1]
    english = await ask(sqlite_store, clock, fake, EN_CHAT)
    assert english.body[0][0].text == AID
    assert "The reader reads" not in asked[-1]
    assert not any("sources' language" in note for note in english.footer)


@pytest.mark.parametrize(
    "translation",
    [
        "Die Regierung gab nach der Flut 5 Millionen an Nothilfe für Marrowby frei.",  # changed
        "",  # none given
        "Here is the translation: https://evil.example",  # chatter and a link
    ],
)
async def test_ask_answers_in_the_sources_language_when_the_translation_cannot_be_checked(
    sqlite_store: SqlStorage, clock: FixedClock, fake: FakeOpenAI, translation: str
) -> None:
    asked: list[str] = []
    fake.default = answering(translation, asked)
    await run(sqlite_store, clock, fake, {DM: "de"})
    german = await ask(sqlite_store, clock, fake, DM)
    assert german.body[0][0].text == AID  # the grounded original
    assert german.footer[0] == "Shown in its sources' language (Englisch)."
