"""``/search <words>``: find stored stories again, newest first, paged.

The words use the topic syntax (phrases, OR, -exclusions); the database's own full-text
index does the finding (``LookBackStore.search_stories``), so it stays fast on a year of
stories.
"""

from __future__ import annotations

from dataclasses import replace

from bot.commands.base import CommandBase, Invocation, card
from bot.commands.paging import PAGE_SIZE, next_page_hint, take_page
from bot.core.cards import Card, Line
from bot.core.errors import CommandError
from bot.core.words import N_, _, numeral
from bot.stories.topics import DEFAULT_MIN_OUTLETS, parse_topic
from bot.text.sentences import shorten

SEARCH_HINT = N_(
    'Tell me what to look for, e.g. /search "solar plant", /search iraq OR syria, '
    "/search election -football."
)


class SearchCommands(CommandBase):
    async def search(self, inv: Invocation, args: str) -> Card:
        words, page = take_page(args)
        if not words:
            raise CommandError(_(SEARCH_HINT))
        query = parse_topic(words)
        if query.everything or query.breaking_only or query.min_outlets != DEFAULT_MIN_OUTLETS:
            raise CommandError(
                _(
                    "Search takes words, phrases, OR and -exclusions only. %(hint)s",
                    hint=_(SEARCH_HINT),
                )
            )
        shown = str(query)
        found = await self.storage.search_stories(
            query, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
        )
        more = len(found) > PAGE_SIZE
        found = found[:PAGE_SIZE]
        if not found:
            if page == 1:
                return card(_("No stored story matches %(words)s.", words=shorten(shown, 80)))
            return card(
                _(
                    "No stored story matches %(words)s on page %(page)s.",
                    words=shorten(shown, 80),
                    page=numeral(page),
                )
            )
        lines: list[Line | str] = [
            _("Stories matching %(words)s, newest first:", words=shorten(shown, 80))
        ]
        listed, notes = await self.story_lines(found)
        lines.extend(listed)
        lines.append(next_page_hint("search", shown, page, more))
        return replace(card(*lines), footer=notes)
