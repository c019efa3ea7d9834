"""Stored translations and the chats' settings read in bulk, on every backend."""

from __future__ import annotations

from dataclasses import replace

from bot.core.clock import FixedClock
from bot.core.domain import Destination
from bot.summaries.translation import apply_translation, texts_of
from storage import SqlStorage
from tests.factories import seed_story


async def test_a_translation_is_stored_per_version_and_language(
    store: SqlStorage, clock: FixedClock
) -> None:
    _, summary = await seed_story(store, clock.now())
    summary = replace(summary, language="en", written_by="llm:m")
    marked = [f"(de) {text}" for text in texts_of(summary)]
    assert await store.translated_languages(summary.story_id, 1) == set()
    await store.save_translation(apply_translation(summary, marked, "de"))
    await store.save_translation(apply_translation(summary, None, "fr"))
    await store.save_translation(apply_translation(summary, marked, "de"))  # replaces
    assert await store.translated_languages(summary.story_id, 1) == {"de", "fr"}
    assert await store.translated_languages(summary.story_id, 2) == set()
    german = await store.get_translation(summary.story_id, 1, "de")
    assert german is not None
    assert german.headline == f"(de) {summary.headline}"
    assert german.written_by == "llm:m"
    assert [s.cites for s in german.lede] == [s.cites for s in summary.lede]
    french = await store.get_translation(summary.story_id, 1, "fr")
    assert french is not None
    assert french.language == "en"  # nothing passed: the original, as it was
    assert await store.get_translation(summary.story_id, 1, "es") is None


async def test_chat_settings_for_reads_many_chats_and_defaults_the_rest(store: SqlStorage) -> None:
    chats = [Destination("telegram", str(n)) for n in range(1200)]
    thread = Destination("discord", "7", "99")
    await store.set_language(chats[5], "de")
    await store.set_language(Destination("discord", "7"), "fr")  # the channel, not the thread
    await store.set_language(thread, "ar")
    await store.note_language_hint(chats[700], "es")
    found = await store.chat_settings_for([*chats, thread, Destination("discord", "7")])
    assert len(found) == 1202
    assert found[chats[5]].language == "de"
    assert found[chats[700]].language_hint == "es"
    assert found[chats[6]].language is None
    assert found[thread].language == "ar"
    assert found[Destination("discord", "7")].language == "fr"
    assert await store.chat_settings_for([]) == {}
