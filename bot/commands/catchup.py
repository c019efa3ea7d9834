"""``/catchup [topic] [since]``: what happened while the chat was away.

The window starts where the chat last caught up (or at ``since``: ``12h``, ``2d``,
``monday``, ``yesterday``; a day starts at midnight in the chat's time zone) and the
stories in it are ranked by ``bot.stories.ranking``. The first page moves the chat's mark
to now; later pages (``--page 2``) show the same window, so nothing slides between pages.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.commands.base import CommandBase, Invocation, card
from bot.commands.paging import PAGE_SIZE, next_page_hint, take_page
from bot.core.cards import Card, Line
from bot.core.words import _, n_, spoken
from bot.stories.ranking import rank
from bot.stories.topics import parse_topic
from bot.text.sentences import shorten

FIRST_WINDOW = timedelta(hours=24)  # a chat that never caught up gets the last day
MAX_WINDOW = timedelta(days=31)
CANDIDATES = 500  # stories read per catch-up; far more than a person reads
MIN_OUTLETS = 2
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SPAN = re.compile(r"(\d{1,4})\s*(m|min|mins|h|hr|hrs|d|day|days|w|wk|weeks?)", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(token: str, now: datetime, timezone: str) -> datetime | None:
    """The start a ``since`` word names, or None when the word is not one (it is then part
    of the topic). Days start at midnight in ``timezone``."""
    word = token.strip().lower()
    span = _SPAN.fullmatch(word)
    if span:
        unit = _UNITS[span.group(2)[0].lower()]
        start = now - timedelta(**{unit: int(span.group(1))})
        return max(start, now - MAX_WINDOW)
    local = now.astimezone(ZoneInfo(timezone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if word == "today":
        days_back = 0
    elif word == "yesterday":
        days_back = 1
    else:
        names = [d for d in WEEKDAYS if len(word) >= 3 and d.startswith(word)]
        if len(names) != 1:
            return None
        days_back = (local.weekday() - WEEKDAYS.index(names[0])) % 7
    day = (midnight - timedelta(days=days_back)).date()
    # Midnight of that calendar day in the zone, wherever a DST change falls in between.
    start = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone))
    return start.astimezone(now.tzinfo)


class CatchupCommands(CommandBase):
    async def catchup(self, inv: Invocation, args: str) -> Card:
        rest, page = take_page(args)
        settings = await self.storage.chat_settings(inv.destination)
        now = self.clock.now()
        words = rest.split()
        since = parse_since(words[-1], now, settings.timezone) if words else None
        topic = " ".join(words[:-1] if since is not None else words)
        if page > 1 and settings.catchup_from and settings.caught_up_at:
            start, end = settings.catchup_from, settings.caught_up_at
        else:
            start = since or settings.caught_up_at or now - FIRST_WINDOW
            start, end = max(start, now - MAX_WINDOW), now
        if topic:
            query = parse_topic(topic)
            found = await self.storage.search_stories(query, limit=CANDIDATES, since=start)
            found = [s for s in found if s.outlet_count >= MIN_OUTLETS]
        else:
            found = await self.storage.stories_since(
                start, min_outlets=MIN_OUTLETS, limit=CANDIDATES
            )
        # Later pages keep the first page's window; a story that moved since is in the next.
        stories = rank([s for s in found if page == 1 or s.updated_at < end], now)
        if page == 1:
            await self.storage.mark_caught_up(inv.destination, window_from=start, at=now)
        when = _when(start, now, settings.timezone)
        about = shorten(topic, 60)
        chosen = stories[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        if not chosen:
            return card(_nothing(about, when, more_pages=page > 1))
        lines: list[Line | str] = [_catching_up(about, when, len(stories))]
        shown, notes = await self.story_lines(chosen)
        lines.extend(shown)
        more = page * PAGE_SIZE < len(stories)
        lines.append(next_page_hint("catchup", rest, page, more))
        return replace(card(*lines), footer=notes)


def _nothing(about: str, when: str, *, more_pages: bool) -> str:
    if more_pages and about:
        return _("No more stories about %(topic)s since %(when)s.", topic=about, when=when)
    if more_pages:
        return _("No more stories since %(when)s.", when=when)
    if about:
        return _(
            "Nothing new about %(topic)s since %(when)s: no story reported by two or more "
            "outlets. /latest shows the most recent ones.",
            topic=about,
            when=when,
        )
    return _(
        "Nothing new since %(when)s: no story reported by two or more outlets. "
        "/latest shows the most recent ones.",
        when=when,
    )


def _catching_up(about: str, when: str, total: int) -> str:
    if about:
        return n_(
            "Catching up about %(topic)s since %(when)s: %(count)s story, most important first.",
            "Catching up about %(topic)s since %(when)s: %(count)s stories, most important first.",
            total,
            topic=about,
            when=when,
        )
    return n_(
        "Catching up since %(when)s: %(count)s story, most important first.",
        "Catching up since %(when)s: %(count)s stories, most important first.",
        total,
        when=when,
    )


def _when(start: datetime, now: datetime, timezone: str) -> str:
    """The window's start in the chat's zone and language: ``14:00 UTC``, ``Mon 05 Feb
    14:00 CET``."""
    local = start.astimezone(ZoneInfo(timezone))
    label = "UTC" if timezone == "UTC" else local.tzname() or timezone
    words = spoken()
    short = (now - start) < timedelta(hours=20)
    if words.english:
        return local.strftime("%H:%M " if short else "%a %d %b %H:%M ") + label
    return f"{words.local_moment(local, with_day=not short)} {label}"
