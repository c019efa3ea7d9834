"""Translate a story version's grounded summary once per language its chats read.

One model call per (story version, language), made by the pipeline before the story's
posts are enqueued; the result is stored (``TranslationStore``) and shared by every chat
of that language, so a 4,000-chat fan-out in German costs one call. The call goes
through the LLM summariser (``JsonModel``): the same daily budget, reserved then
settled, and the same ``[llm] max_concurrency``. Over budget, on a failed call or a
malformed reply, chats read the original sentences; nothing here ever raises for that.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.core.domain import ChatMessage, Summary
from bot.core.errors import StorageError
from bot.summaries.ports import TranslationStore
from bot.summaries.prompt import estimate_tokens
from bot.summaries.translation import (
    Translation,
    apply_translation,
    needs_translation,
    parse_translation,
    texts_of,
    translation_messages,
)

log = logging.getLogger("newsbot.translation")

# Output tokens granted per input token of the texts: room for wordier languages and
# scripts that tokenise worse, plus the JSON around them.
OUTPUT_PER_INPUT = 3
OUTPUT_OVERHEAD = 100


class JsonModel(Protocol):
    """A model call that answers with a JSON object, within the LLM's budget and
    concurrency (``bot.summaries.llm.LLMSummarizer.complete_json``)."""

    async def complete_json(
        self, messages: list[ChatMessage], *, story_id: str, max_tokens: int
    ) -> tuple[dict[str, Any] | None, str]:
        """(the object, "") or (None, why not: "budget", "malformed", "timeout", ...)."""
        ...


@dataclass
class TranslationStats:
    calls: int = 0
    translations: int = 0
    kept: int = 0  # texts shown translated
    total: int = 0  # texts of the summaries translated
    skipped: Counter[str] = field(default_factory=Counter)  # no translation, by reason
    fallbacks: Counter[str] = field(default_factory=Counter)  # texts left original, by reason


class Translator:
    """Translations of summaries, one stored per (story, version, language)."""

    def __init__(
        self, model: JsonModel, store: TranslationStore, *, max_languages: int = 3
    ) -> None:
        self.stats = TranslationStats()
        self._model = model
        self._store = store
        self.max_languages = max(0, max_languages)

    async def translate(self, summary: Summary, languages: Sequence[str]) -> list[Translation]:
        """Store a translation of ``summary`` for each of ``languages`` (most wanted first;
        at most ``max_languages``) it is not written in and has none yet. Returns those
        made now."""
        wanted = [lang for lang in dict.fromkeys(languages) if needs_translation(summary, lang)]
        wanted = wanted[: self.max_languages]
        if not wanted or not texts_of(summary):
            return []
        try:
            done = await self._store.translated_languages(summary.story_id, summary.story_version)
        except StorageError as err:
            log.warning("translation.store_unavailable story=%s error=%r", summary.story_id, err)
            return []
        made: list[Translation] = []
        for language in wanted:
            if language in done:
                continue
            translation = await self._translate_one(summary, language)
            if translation is not None:
                made.append(translation)
        return made

    async def _translate_one(self, summary: Summary, language: str) -> Translation | None:
        texts = texts_of(summary)
        messages = translation_messages(texts, language)
        max_tokens = OUTPUT_PER_INPUT * sum(estimate_tokens(t) for t in texts) + OUTPUT_OVERHEAD
        self.stats.calls += 1
        data, reason = await self._model.complete_json(
            messages, story_id=summary.story_id, max_tokens=max_tokens
        )
        if data is None and reason != "malformed":
            # Over budget or the model failed: nothing is stored, chats read the original.
            self.stats.skipped[reason] += 1
            log.info(
                "translation.skipped story=%s version=%d language=%s reason=%s",
                summary.story_id, summary.story_version, language, reason,
            )  # fmt: skip
            return None
        translation = apply_translation(summary, parse_translation(data, len(texts)), language)
        try:
            await self._store.save_translation(translation)
        except StorageError as err:
            log.warning("translation.save_failed story=%s error=%r", summary.story_id, err)
            return None
        self.stats.translations += 1
        self.stats.kept += translation.kept
        self.stats.total += translation.total
        self.stats.fallbacks.update(translation.fallbacks)
        log.info(
            "translation.stored story=%s version=%d language=%s kept=%d total=%d fallbacks=%s",
            summary.story_id, summary.story_version, language, translation.kept,
            translation.total, dict(translation.fallbacks),
        )  # fmt: skip
        return translation


class MemoryTranslations:
    """A :class:`bot.summaries.ports.TranslationStore` in memory (evaluation, tests)."""

    def __init__(self) -> None:
        self.saved: dict[tuple[str, int, str], Translation] = {}

    async def translated_languages(self, story_id: str, story_version: int) -> set[str]:
        return {lang for (s, v, lang) in self.saved if (s, v) == (story_id, story_version)}

    async def save_translation(self, translation: Translation) -> None:
        summary = translation.summary
        self.saved[summary.story_id, summary.story_version, translation.language] = translation
