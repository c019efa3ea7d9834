"""The month and weekday names of a language, as CLDR (Babel) writes them.

Read by the facts a translation must keep (``bot.summaries.facts``) and by the words
that date a sentence rather than name something (``bot.text.headwords.time_words``).
"""

from __future__ import annotations

import functools


@functools.cache
def calendar_names(language: str) -> tuple[tuple[str, int, str, str], ...]:
    """``(kind, number, width, name)`` for each month ("month", 1-12) and weekday ("day",
    0-6) name of ``language`` (a BCP 47 code), wide and abbreviated, in CLDR's format and
    stand-alone contexts in that order; () for a language CLDR does not know."""
    from babel import Locale, UnknownLocaleError  # noqa: PLC0415 - CLDR loads on first use

    try:
        locale = Locale.parse(language, sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        return ()
    return tuple(
        (kind, int(number), width, name)
        for kind, table in (("month", locale.months), ("day", locale.days))
        for context in ("format", "stand-alone")
        for width in ("wide", "abbreviated")
        for number, name in table.get(context, {}).get(width, {}).items()
    )
