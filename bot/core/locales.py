"""A chat's language: parsing the codes people type, choosing the one a chat is shown in.

Any language Babel's CLDR data knows can be chosen (summaries are translated into it);
the bot's own words exist in ``CATALOG_LANGUAGES`` and fall back to English elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from babel import Locale, UnknownLocaleError

DEFAULT_LANGUAGE = "en"
# The languages the bot's own words are translated into (its message catalogs).
CATALOG_LANGUAGES = ("en", "de", "fr", "es", "ru", "ar", "zh")
MAX_CODE_CHARS = 35  # BCP 47's practical limit, and the stored column's


def parse_language(code: str) -> str | None:
    """The canonical BCP 47 tag for ``code`` ("pt_br", "PT-BR" → "pt-BR"), or None when
    CLDR does not know the language."""
    wanted = code.strip().replace("_", "-")
    if not wanted or len(wanted) > MAX_CODE_CHARS or not wanted.replace("-", "").isalnum():
        return None
    try:
        locale = Locale.parse(wanted, sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    parts = [locale.language]
    if locale.script:
        parts.append(locale.script)
    if locale.territory:
        parts.append(locale.territory)
    return "-".join(parts)


def base_language(code: str) -> str:
    """The language without script or region: "zh-Hant-TW" → "zh"."""
    return code.split("-", 1)[0].lower()


def choose_language(stored: str | None, hint: str | None, default: str) -> str:
    """The language a chat is shown in: the one it chose, else its platform's locale
    (Telegram's ``language_code``, a Discord server's ``preferred_locale``), else the
    operator's default."""
    for candidate in (stored, hint):
        if candidate and (parsed := parse_language(candidate)):
            return parsed
    return parse_language(default) or DEFAULT_LANGUAGE


def language_name(code: str, in_language: str | None = None) -> str:
    """The language's own name ("Deutsch"), or its name in ``in_language``."""
    try:
        locale = Locale.parse(code, sep="-")
        shown = locale.get_display_name(Locale.parse(in_language or code, sep="-"))
    except (UnknownLocaleError, ValueError, TypeError):
        return code
    return shown or code


def writes_right_to_left(code: str) -> bool:
    try:
        return bool(Locale.parse(code, sep="-").character_order == "right-to-left")
    except (UnknownLocaleError, ValueError, TypeError):
        return False


@dataclass(frozen=True, slots=True)
class BotConfig:
    """``[bot]``: what the bot as a whole speaks."""

    language: str = DEFAULT_LANGUAGE  # for chats that chose none and whose platform says none

    def __post_init__(self) -> None:
        if parse_language(self.language) is None:
            raise ValueError(f"language {self.language!r} is not a BCP 47 code CLDR knows")
