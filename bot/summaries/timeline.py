"""A story's small table of dated events: the sentences that carry one date each."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.core.domain import DatedEvent, Sentence
from bot.text.sentences import wordlist

_MONTH_NAMES = wordlist(
    "january february march april may june july august september october november december"
)
_DATE = re.compile(
    r"\b(?P<month>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|"
    r"Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
    r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<year>(?:19|20)\d{2}))?\b"
    r"|\b(?:in|since|by)\s+(?P<only_year>(?:19|20)\d{2})\b"
)
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")


def dated_events(
    sentences: Sequence[Sentence], *, years: dict[int, int], limit: int
) -> tuple[DatedEvent, ...]:
    """Rows for a small table of dated events, oldest first; none unless two dates differ.

    Only sentences with exactly one date (and at most one year) qualify, so a row's
    date is unambiguous. The date is shown as the source wrote it; a date without a
    year takes the year its first cited source was published.
    """
    rows: dict[tuple[int, int, int], DatedEvent] = {}
    for s in sentences:
        matches = list(_DATE.finditer(s.text))
        if len(matches) != 1 or len(_YEAR.findall(s.text)) > 1 or not s.cites:
            continue
        m = matches[0]
        if m.group("only_year"):
            key = (int(m.group("only_year")), 0, 0)
            when = m.group("only_year")
        else:
            prefix = m.group("month").lower()[:3]
            month = next(i for i, n in enumerate(_MONTH_NAMES, 1) if n.startswith(prefix))
            key = (int(m.group("year") or years[s.cites[0]]), month, int(m.group("day")))
            when = m.group(0).strip()
        rows.setdefault(key, DatedEvent(when, s))
    if len(rows) < 2 or limit <= 0:
        return ()
    return tuple(rows[k] for k in sorted(rows)[:limit])
