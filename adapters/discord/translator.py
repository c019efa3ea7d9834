"""Slash-command and option descriptions in every catalog language, for Discord's client.

discord.py asks a ``Translator`` for each translatable string and each Discord locale when
the commands are synced, and sends the answers as ``description_localizations``; Discord
shows a person the one for their client's language. Only descriptions are translated:
command and option names stay English (what people type, and what help and errors show).

Discord names its locales its own way (``es-ES``, ``es-419``, ``zh-CN``, ``pt-BR``,
``sv-SE``): each is mapped to the catalog that speaks it, by full tag first (a ``zh-TW``
catalog would win over ``zh``), then by base language, except Chinese, whose Traditional
locale is not served by a Simplified catalog.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.core.locales import DEFAULT_LANGUAGE, base_language
from bot.core.words import WordBook

DESCRIPTION_MAX = 100  # Discord's limit for command and option descriptions
_TRANSLATED = frozenset(
    {
        app_commands.TranslationContextLocation.command_description,
        app_commands.TranslationContextLocation.group_description,
        app_commands.TranslationContextLocation.parameter_description,
    }
)
_NOT_BY_BASE = frozenset({"zh-TW"})  # Traditional Chinese: only a catalog of its own


def catalog_language(locale: discord.Locale, languages: tuple[str, ...]) -> str | None:
    """The catalog language that speaks Discord's ``locale``, or None (English is the
    commands' own language and needs no localisation)."""
    tag = locale.value
    if base_language(tag) == DEFAULT_LANGUAGE:
        return None
    if tag in languages:
        return tag
    if tag in _NOT_BY_BASE:
        return None
    base = base_language(tag)
    return base if base in languages else None


class CatalogTranslator(app_commands.Translator):
    """Descriptions from our message catalogs (``WordBook``)."""

    def __init__(self, book: WordBook) -> None:
        self.book = book

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        if context.location not in _TRANSLATED:
            return None
        language = catalog_language(locale, self.book.languages)
        if language is None:
            return None
        message = string.extras.get("msgid", string.message)
        translated = self.book.words(language).gettext(message)
        if translated == message:
            return None  # not translated: Discord shows the English
        return translated[:DESCRIPTION_MAX]
