"""Outlets are publishers: two feeds of one newspaper are one outlet.

An article's publisher is the registered domain of its link (``bot.text.urls``), so
"World news | The Guardian" and "Sport | The Guardian" are both ``theguardian.com``. A
story shows each publisher once, under the name its feeds share.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from bot.core.domain import Article

_SEPARATORS = re.compile(r"\s+[|\u2013\u2014:-]\s+")
_URL = re.compile(r"[a-z][a-z0-9+.-]*://", re.IGNORECASE)


# A title's last part after a dash or bar: " - CNET", " | The Guardian".
_TRAILER = re.compile(r"\s+[|\u2013\u2014-]\s+([^|\u2013\u2014-]{1,40})$")


def without_masthead(title: str, publisher_key: str) -> str:
    """The title without its publisher's name appended ("Twitter tackles trolls - CNET"),
    which would make every title of that publisher share a name. The name is recognised
    as the publisher's registered domain spelled out ("CNET" for ``cnet.com``, "The
    Guardian" for ``theguardian.com``), the mark such suffixes carry in real feeds."""
    match = _TRAILER.search(title)
    if match is None:
        return title
    label = publisher_key.split(".", 1)[0].lower()
    name = "".join(ch for ch in match.group(1).lower() if ch.isalnum())
    # The name spells the label out ("BBC News" for bbc.co.uk); a word the label only
    # begins with ("Washington" for washingtonpost.com) is part of the title.
    if len(label) < 3 or not name.startswith(label):
        return title
    return title[: match.start()]


# Longer than any publisher's name; a feed title past it is a description.
_NAME_CHARS = 60
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
_PART_SEPARATORS = re.compile(r"\s+[|\u2013\u2014\u00bb:-]\s+|:\s+")


def feed_outlet_name(feed_title: str | None, publisher_key: str) -> str:
    """The name to show for an outlet whose feed nobody named: its feed's own title, cut
    to the part that names the publisher when the title also names a section ("World
    news | The Guardian", "The Hindu - News", "BBC News - Home" for ``bbc.co.uk``). That
    part spells out the registered domain, as a masthead does (see ``without_masthead``).
    Empty when the feed has no usable title: the caller keeps what it has."""
    title = " ".join(_CONTROL.sub(" ", feed_title or "").split())
    # "Site » Category" is how WordPress titles a category's feed.
    title = title.split("\u00bb", 1)[0].strip()
    if not title:
        return ""
    label = publisher_key.split(".", 1)[0].lower()
    if len(label) >= 3:
        for part in _PART_SEPARATORS.split(title):
            letters = "".join(ch for ch in part.lower() if ch.isalnum())
            if letters.startswith((label, "the" + label)):
                return part.strip()
    if len(title) > _NAME_CHARS:
        cut = title[:_NAME_CHARS].rsplit(" ", 1)[0] or title[:_NAME_CHARS]
        return cut.rstrip(" |:-\u2013\u2014\u00bb") + "\u2026"
    return title


def shared_name(names: Sequence[str]) -> str:
    """The name several feeds of one publisher share: "The Guardian" for "World news |
    The Guardian" and "Sport | The Guardian"; the first name when they share none. A
    feed's URL (its name before it was known by its title) yields to any real name."""
    distinct = list(dict.fromkeys(n.strip() for n in names if n.strip()))
    named = [n for n in distinct if not _URL.match(n)]
    distinct = named or distinct
    if len(distinct) <= 1:
        return distinct[0] if distinct else ""
    parts = [_SEPARATORS.split(n) for n in distinct]
    for index in (-1, 0):
        if len({p[index].strip().lower() for p in parts}) == 1:
            return parts[0][index].strip()
    return distinct[0]


def publisher_names(articles: Iterable[Article]) -> dict[str, str]:
    """Each publisher key, in order of first report, with the name to show for it."""
    names: dict[str, list[str]] = {}
    for article in sorted(articles, key=lambda a: (a.published, a.id)):
        names.setdefault(article.publisher_key, []).append(article.outlet)
    return {key: shared_name(feed_names) for key, feed_names in names.items()}
