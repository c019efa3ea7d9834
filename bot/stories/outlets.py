"""Outlets are publishers: two feeds of one newspaper are one outlet.

An article's publisher is the registered domain of its link (``bot.text.urls``), so
"World news | The Guardian" and "Sport | The Guardian" are both ``theguardian.com``. A
story shows each publisher once, under the name its feeds share (a feed nobody named is
shown under its own title: ``bot.text.mastheads``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from bot.core.domain import Article

_SEPARATORS = re.compile(r"\s+[|\u2013\u2014:-]\s+")
_URL = re.compile(r"[a-z][a-z0-9+.-]*://", re.IGNORECASE)


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
