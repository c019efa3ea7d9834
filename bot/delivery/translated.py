"""The summary a chat reads: the stored translation for its language, else the original
with a note naming the sources' language.

One place for everything that shows a story's summary to a chat: posts and updates
(``bot.delivery.dispatcher``), digests, ``/expand``, ``/sources``, ``/catchup``,
``/latest`` and the story's web page. Translations are made by the pipeline
(``bot.summaries.translator``) and only read here: nothing here ever calls a model.
"""

from __future__ import annotations

from bot.core.domain import Summary
from bot.core.reading import reads_differently, source_language_note, translation_language
from bot.delivery.ports import TranslationReader

# Translations remembered by one reader (a dispatcher pass, one command): a digest or a
# fan-out reads a handful of stories in a handful of languages.
MAX_REMEMBERED = 2_000


class SummaryReader:
    """Reads summaries as chats of a language see them; remembers what it read until
    ``forget`` (the dispatcher forgets each pass, a command uses a reader of its own)."""

    def __init__(self, store: TranslationReader) -> None:
        self._store = store
        self._read: dict[tuple[str, int, str], Summary | None] = {}

    def forget(self) -> None:
        self._read.clear()

    async def shown(self, summary: Summary, language: str) -> Summary:
        """``summary`` as a chat in ``language`` reads it: its stored translation for the
        language when there is one, else the original."""
        if not reads_differently(summary.language, language):
            return summary
        key = (summary.story_id, summary.story_version, translation_language(language))
        if key not in self._read:
            if len(self._read) >= MAX_REMEMBERED:
                self._read.clear()
            self._read[key] = await self._store.get_translation(*key)
        return self._read[key] or summary

    async def read(self, summary: Summary, language: str) -> tuple[Summary, str | None]:
        """The summary as shown (``shown``) and the one-line note to show with it when it
        is not in the chat's language (in the words being spoken, see ``speaking``)."""
        shown = await self.shown(summary, language)
        return shown, source_language_note(shown.language, language)
