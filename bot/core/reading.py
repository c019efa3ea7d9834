"""Which language a chat reads a summary in, and the note when it is not the chat's own.

Shared by the pipeline's translator (``bot.summaries.translation``: which languages a
story needs) and the dispatcher (``bot.delivery``: which text a chat is shown).
"""

from __future__ import annotations

from bot.core.locales import base_language, language_name
from bot.core.words import N_, _

UNKNOWN = "und"

# The note under a post shown in its sources' language. One msgid, so the catalogs
# translate it once; ``{language}`` is the sources' language, named in the chat's language.
SOURCE_LANGUAGE_NOTE = N_("Shown in its sources' language (%(language)s).")


def translation_language(chat_language: str) -> str:
    """The language a chat's translations are made in: its language and script, not its
    region ("de-AT" → "de", "zh-Hant-TW" → "zh-Hant"), so chats in Vienna and Berlin
    share one translation while Traditional and Simplified Chinese get their own."""
    parts = chat_language.split("-")
    kept = [parts[0].lower()] + [p for p in parts[1:] if len(p) == 4 and p.isalpha()]
    return "-".join(kept)


def reads_differently(summary_language: str, chat_language: str) -> bool:
    """Whether a chat in ``chat_language`` reads a summary in ``summary_language`` as
    another language (regions and scripts aside: "de-AT" reads "de"). A summary of
    unknown language is never translated."""
    if not summary_language or summary_language == UNKNOWN:
        return False
    return base_language(summary_language) != base_language(chat_language)


def source_language_note(story_language: str, chat_language: str) -> str | None:
    """The one-line note for a chat reading a story in its sources' language, or None
    when that is the chat's language or not known. In the chat's language (the caller
    speaks it), with the language named in it by CLDR: "… (Arabisch)"."""
    if not reads_differently(story_language, chat_language):
        return None
    name = language_name(story_language, in_language=chat_language)
    return _(SOURCE_LANGUAGE_NOTE, language=name)
