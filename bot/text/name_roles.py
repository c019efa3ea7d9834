"""The part a name plays in a sentence, where that part says the sentence is not about it.

A section heading names what its sentences are about. Some names in them are only
furniture: the state after a city ("Orlando, Florida"), the wire agency an official
spoke to ("told the Associated Press"), the time zone of a clock time ("9 a.m. ET"), two
names listed as one run ("Riera and Javier Mascherano"). Each reader here looks at a
bounded stretch of text around a mention, so a long hostile text costs linear time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet

from bot.text.place_names import places_named
from bot.text.sentences import wordlist
from bot.text.terms import content_words, normalise

# Wire agencies. Only where the sentence credits them ("told the Associated Press",
# "Reuters reported") are they its source rather than its subject ("Two Reuters
# journalists were jailed"). Short forms that are also parties or places (AP, PTI, ANI)
# are left out.
WIRE_AGENCIES = frozenset(
    normalise(name)
    for name in (
        "Associated Press",
        "Reuters",
        "Agence France-Presse",
        "Agence France Presse",
        "AFP",
        "United Press International",
        "dpa",
        "Deutsche Presse-Agentur",
        "Xinhua",
        "TASS",
        "Interfax",
        "Kyodo",
        "Yonhap",
        "Press Trust of India",
        "EFE",
        "ANSA",
    )
)
# Time zones that are also other things' initials (Brazil's PT, a company's "IST"): a
# zone only right after a clock time. GMT, UTC, EST and the like are time words anyway.
TIME_ZONES = frozenset(
    normalise(z) for z in wordlist("ET PT CT MT CST CDT MST MDT IST AEST AEDT HKT SGT JST KST MSK")
)
# Heads of organisation names joined by "and": "Food and Drug Administration".
_BODY_NOUNS = frozenset(
    wordlist(
        "administration agency association authority bank board bureau church club "
        "commission committee company corporation council court department foundation fund "
        "group institute institution league ministry museum office organisation "
        "organization party service services society trust union university police "
        "federation enforcement protection holdings front forces guard army alliance "
        "movement network centre center school college hospital airlines airways"
    )
)

_MOST_MENTIONS = 8  # mentions read; a name said more often than this is read as a subject
_REACH = 40  # characters read on either side of a mention

_CREDIT_BEFORE = re.compile(
    r"(?i)(?:\btold|\bto|according to|\bwith|reported by|quoted by|cited by|\()"
    r"\s*(?:the\s+)?$"
)
_CREDIT_AFTER = re.compile(
    r"(?i)^\s*(?:\)|news agency\b|reported|reports|said|says|quoted|cited|wrote|writes"
    r"|could not|cannot|was unable|was not able|has not been able)"
)
# A clock time: "9 a.m.", "9am", "21:00", "9:30 p.m." just before the zone.
_CLOCK_BEFORE = re.compile(r"(?i)(?:\d:\d\d|\b\d{1,2}\s*[ap]\.?\s?m\.?)\s*$")
# "in Orlando, Florida," / "near Jolo, Philippines.": a place of one to three words after
# a preposition of place, then the name, then the end of the aside.
_ADDRESS = re.compile(
    r"\b(?i:in|at|near|from|outside)\s+"
    r"([^\W\d_][\w'\u2019-]*(?:\s[^\W\d_][\w'\u2019-]*){0,2}),\s"
    r"([^\W\d_][\w'\u2019-]*(?:\s[^\W\d_][\w'\u2019-]*){0,2})(?=[,.;:)]|$)"
)


_LIST_GOES_ON = re.compile(r",\s+(?:and|or)\b")
_THE = re.compile(r"^the\s+")


def _mentions(name: str, text: str) -> list[int]:
    """Where ``name`` stands in ``text``, up to ``_MOST_MENTIONS`` (then ``[]``: a
    name said that often is what the text is about)."""
    found: list[int] = []
    at = text.find(name)
    while at >= 0:
        if len(found) == _MOST_MENTIONS:
            return []
        found.append(at)
        at = text.find(name, at + len(name))
    return found


def credited_agency(name: str, text: str) -> bool:
    """Whether ``name`` is a wire agency that ``text`` only credits as its source."""
    if _THE.sub("", normalise(name)) not in WIRE_AGENCIES:
        return False
    mentions = _mentions(name, text)
    return bool(mentions) and all(
        _CREDIT_BEFORE.search(text[max(0, at - _REACH) : at])
        or _CREDIT_AFTER.match(text[at + len(name) : at + len(name) + _REACH])
        for at in mentions
    )


def clock_zone(name: str, text: str) -> bool:
    """Whether ``name`` is a time zone that ``text`` only gives after a clock time."""
    if normalise(name) not in TIME_ZONES:
        return False
    mentions = _mentions(name, text)
    return bool(mentions) and all(
        _CLOCK_BEFORE.search(text[max(0, at - _REACH) : at]) for at in mentions
    )


def address_names(text: str, said: AbstractSet[str]) -> frozenset[str]:
    """Names that ``text`` gives only as where a place of the headline lies: "Florida"
    in "... a nightclub in Orlando, Florida, ..." when the headline (``said``, its
    lower-cased words) names Orlando. After a country the next name is a list's, not an
    address ("in India, Ghana and ..." names Ghana)."""
    found: dict[str, int] = {}
    for count, m in enumerate(_ADDRESS.finditer(text)):
        if count == _MOST_MENTIONS:
            return frozenset()
        place, name = m.group(1), m.group(2)
        if not all(w[0].isupper() for w in (*place.split(), *name.split())):
            continue  # "in Texas, Oklahoma and Kansas": a list
        if _LIST_GOES_ON.match(text, m.end()):
            continue  # "in Orlando, San Bernardino, and Charleston"
        # The headline's words as ``content_words`` gives them ("Orlando's" -> "orlandos").
        words = content_words(place)
        if not words or not all(w in said or w + "s" in said for w in words):
            continue
        if places_named(tuple(normalise(place).split()), "en"):
            continue
        found[name] = found.get(name, 0) + 1
    return frozenset(name for name, n in found.items() if text.count(name) == n)


def listed_apart(runs: Sequence[str], said: Mapping[str, int]) -> list[str]:
    """Name runs with two names joined by "and" told apart: "Riera and Javier
    Mascherano" (two players a manager sold). ``said`` counts the story's name runs; the
    first name must stand alone in one of them ("Riera tells..."), the second must be a
    full name, and the whole run must be said once only. So a body's name stays whole:
    "Marks and Spencer", "Law and Justice", "Food and Drug Administration", "Immigration
    and Customs Enforcement", and a place ("Trinidad and Tobago")."""
    out: list[str] = []
    for run in runs:
        left, sep, right = run.partition(" and ")
        tail = right.split()
        if (
            sep
            and said.get(left, 0) > 0
            and len(tail) >= 2
            and said.get(run, 0) < 2
            and normalise(tail[-1]) not in _BODY_NOUNS
            and not places_named(tuple(normalise(run).split()), "en")
        ):
            out.extend((left, right))
        else:
            out.append(run)
    return out
