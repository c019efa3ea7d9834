"""Whether a lone English word is the adjective of a country or a people ("Mexican",
"Canadian", "Saudi"): alone it does not say what a section is about, the way the
country's name does.

CLDR has countries' names but not their adjectives, so the regular ones are read off the
names (a name, maybe less its last letters, and a suffix: Mexico -> Mexican, Italy ->
Italian, Iraq -> Iraqi, Japan -> Japanese, Turkey -> Turkish); the irregular ones are
listed.
"""

from __future__ import annotations

import functools

from bot.text.sentences import wordlist
from bot.text.terms import normalise

_SUFFIXES = ("ian", "ean", "an", "ese", "ish", "i")
# How many letters of a name the adjective may drop before its suffix (Syria -> Syrian
# keeps all, Canada -> Canadian drops one, Russia -> Russian and Turkey -> Turkish two).
_DROPPED = 2
_IRREGULAR = frozenset(
    wordlist(
        "british english scottish welsh irish spanish danish dutch swiss swedish finnish "
        "polish norwegian greek thai filipino portuguese french peruvian saudi emirati "
        "afghan belgian icelandic czech slovak croat croatian serb serbian uzbek kazakh "
        "tajik kyrgyz cypriot palestinian argentine congolese ivorian nigerien mozambican "
        "laotian uighur uyghur arab latino hispanic"
    )
)
# Words of countries' names that are not a country on their own.
_GENERIC = frozenset(
    wordlist(
        "north south east west northern southern eastern western central island islands "
        "republic united states kingdom saint new democratic federation territory "
        "territories outlying minor and the of sar city union world american"
    )
)


@functools.cache
def _countries() -> tuple[frozenset[str], frozenset[str]]:
    """Countries' and regions' whole names, and the words of their names."""
    from babel import Locale  # noqa: PLC0415 - CLDR data, read on first use only

    names = {normalise(name) for name in Locale("en").territories.values()}
    found = {
        word
        for name in names
        for word in name.split()
        if word.isalpha() and len(word) >= 4 and word not in _GENERIC
    }
    return frozenset(names), frozenset(found)


def is_demonym(low: str) -> bool:
    """Whether ``low`` (lower-cased, one word) is a country's or a people's adjective and
    not a country's name itself."""
    if low in _IRREGULAR:
        return True
    names, countries = _countries()
    if low in names:
        return False
    for suffix in _SUFFIXES:
        if not low.endswith(suffix):
            continue
        base = low[: -len(suffix)]
        if len(base) < 3:
            continue
        if any(
            name != low and name.startswith(base) and len(name) - len(base) <= _DROPPED
            for name in countries
        ):
            return True
    return False
