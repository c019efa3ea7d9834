"""Mastheads: a publisher's name as its titles and feeds spell it, recognised by its
registered domain spelled out ("CNET" for ``cnet.com``, "The Guardian" for
``theguardian.com``, "BBC News" for ``bbc.co.uk``).

Titles carry it appended ("Twitter tackles trolls - CNET"), where it would make every
title of the publisher share a name; feeds carry it in their own title beside a section
("World news | The Guardian"), where it is the name to show for a feed nobody named.
"""

from __future__ import annotations

import re
import unicodedata

# A title's last part after a dash or bar: " - CNET", " | The Guardian".
_TRAILER = re.compile(r"\s+[|\u2013\u2014-]\s+([^|\u2013\u2014-]{1,40})$")
# Longer than any publisher's name; a feed title past it is a description.
_NAME_CHARS = 60
# Control characters become spaces; invisible format characters (bidi overrides and
# marks, zero-width space, word joiner, byte-order mark) go. Zero-width (non-)joiners
# stay: Persian and emoji sequences need them.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_INVISIBLE = re.compile(r"[\u061c\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
_PART_SEPARATORS = re.compile(r"\s+[|\u2013\u2014:-]\s+|:\s+")
# "Site » Category" is how WordPress titles a category's feed; "«Новая газета»" is a name
# in guillemets, not a category.
_CATEGORY = re.compile(r"(?:^|\s)\u00bb\s")


def without_masthead(title: str, publisher_key: str) -> str:
    """The title without its publisher's name appended ("Twitter tackles trolls - CNET")."""
    match = _TRAILER.search(title)
    if match is None:
        return title
    label = domain_label(publisher_key)
    name = _letters(match.group(1))
    # The name spells the label out ("BBC News" for bbc.co.uk); a word the label only
    # begins with ("Washington" for washingtonpost.com) is part of the title.
    if len(label) < 3 or not name.startswith(label):
        return title
    return title[: match.start()]


def feed_outlet_name(feed_title: str | None, publisher_key: str) -> str:
    """The name to show for an outlet whose feed nobody named: the feed's own title, cut
    to the part that spells out the publisher's domain when the title also names a
    section ("World news | The Guardian", "The Hindu - News", "BBC News - Home" for
    ``bbc.co.uk``), else the whole title. Empty when the feed has no usable title: the
    caller keeps what it has."""
    title = _INVISIBLE.sub("", _CONTROL.sub(" ", feed_title or ""))
    title = " ".join(_CATEGORY.split(title, maxsplit=1)[0].split())
    if not any(ch.isalnum() for ch in title):
        return ""  # nothing but separators and marks
    label = domain_label(publisher_key)
    if len(label) >= 3:
        for part in _PART_SEPARATORS.split(title):
            if _spells(part, label):
                return part.strip()
    if len(title) > _NAME_CHARS:
        end = _NAME_CHARS
        while end > 0 and unicodedata.combining(title[end]):
            end -= 1  # not between a letter and its accent
        cut = title[:end].rsplit(" ", 1)[0] or title[:end]
        return cut.rstrip(" |:-\u2013\u2014\u00bb") + "\u2026"
    return title


def file_feed_name(url: str, feed_title: str | None, file_stem: str) -> str:
    """The name a feed replayed from a file is stored under (``demo --feeds``, ``eval
    stream``): its URL, which marks it unnamed so it is shown under its own title, when
    it has a usable one; else the file's name ("theguardian_world" -> "theguardian world"),
    never a local path or a loopback address."""
    return url if feed_outlet_name(feed_title, "") else file_stem.replace("_", " ")


def domain_label(publisher_key: str) -> str:
    """The registered domain's first label, its letters and digits only: ``theguardian``
    for ``theguardian.com``, ``alphanews`` for ``alpha-news.com``."""
    return _letters(publisher_key.split(".", 1)[0])


def _spells(part: str, label: str) -> bool:
    """Whether a part of a feed title is the publisher's name: it spells the label out
    whole ("The Guardian", "Vox"), or its first word does ("BBC News"); a word that only
    begins with it ("Newsweek" for ``news.com.au``) does not."""
    letters = _letters(part)
    if letters in (label, "the" + label):
        return True
    words = part.split()
    return bool(words) and _letters(words[0]) == label


def _letters(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())
