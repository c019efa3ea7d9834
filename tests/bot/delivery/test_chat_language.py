"""Posts in the chat's language: a stored translation when there is one, else the
original sentences with a one-line note naming the sources' language."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.core.clock import FixedClock
from bot.core.domain import Destination
from bot.delivery.dispatcher import Dispatcher
from bot.summaries.translation import apply_translation, texts_of
from storage import SqlStorage
from tests.bot.delivery.test_delivery import RecordingMessenger
from tests.factories import seed_story

DM = Destination("telegram", "42")
SAME = Destination("telegram", "43")


async def send_to(
    store: SqlStorage, clock: FixedClock, chats: dict[Destination, str], language: str
) -> RecordingMessenger:
    story, summary = await seed_story(store, clock.now())
    await store.save_summary(replace(summary, language=language))
    for chat, chosen in chats.items():
        sub, _ = await store.add_subscription(chat, "marrowby", breaking_only=False, min_outlets=2)
        await store.set_language(chat, chosen)
        await store.enqueue_deliveries(story, [sub], now=clock.now())
    messenger = RecordingMessenger()
    dispatcher = Dispatcher(storage=store, messengers={"telegram": messenger}, clock=clock)
    clock.advance(1)
    await dispatcher.dispatch_once()
    return messenger


async def test_an_extractive_story_in_another_language_carries_a_note_in_the_chats(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    messenger = await send_to(sqlite_store, clock, {DM: "de", SAME: "ar-EG"}, "ar")
    cards = {dest: card for dest, card, _ in messenger.sent}
    assert cards[DM].footer[0] == "Shown in its sources' language (Arabisch)."
    assert not any("sources' language" in note for note in cards[SAME].footer)
    # The original sentences for both; the Arabic chat's citation markers are isolated.
    assert texts(cards[DM].body, strip=True) == texts(cards[SAME].body, strip=True)
    assert "\u2068[1]\u2069" in texts(cards[SAME].body, strip=False)[0]


def texts(body: tuple[tuple[Any, ...], ...], *, strip: bool) -> list[str]:
    isolates = "\u2066\u2067\u2068\u2069" if strip else ""
    return ["".join(ch for p in line for ch in p.text if ch not in isolates) for line in body]


async def test_a_stored_translation_is_shown_and_needs_no_note(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    story, summary = await seed_story(sqlite_store, clock.now(), story_id="m3x9")
    summary = replace(summary, language="en")
    await sqlite_store.save_summary(summary)
    # Marked copies; weekdays must be German in a German text, or the check refuses them.
    german = [f"(de) {text.replace('Saturday', 'Samstag')}" for text in texts_of(summary)]
    await sqlite_store.save_translation(apply_translation(summary, german, "de"))
    sub, _ = await sqlite_store.add_subscription(DM, "marrowby", breaking_only=False, min_outlets=2)
    await sqlite_store.set_language(DM, "de-CH")
    await sqlite_store.enqueue_deliveries(story, [sub], now=clock.now())
    messenger = RecordingMessenger()
    dispatcher = Dispatcher(storage=sqlite_store, messengers={"telegram": messenger}, clock=clock)
    clock.advance(1)
    await dispatcher.dispatch_once()
    ((_, card, _),) = messenger.sent
    assert card.title == f"(de) {summary.headline}"
    assert card.body[0][0].text == f"(de) {summary.lede[0].text}".replace("Saturday", "Samstag")
    assert not any("sources' language" in note for note in card.footer)
