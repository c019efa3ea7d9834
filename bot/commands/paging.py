"""``--page N`` on list commands (``/search``, ``/catchup``), and the footer that offers
the next page."""

from __future__ import annotations

import re

from bot.core.errors import CommandError
from bot.core.words import _, isolate, numeral

PAGE_SIZE = 8
MAX_PAGE = 50
_PAGE = re.compile(r"(?:^|\s)(?:--|[\u2013\u2014])page(?:\s+|=)(\S+)\s*$", re.IGNORECASE)


def take_page(args: str) -> tuple[str, int]:
    """``'iraq --page 2'`` → ``('iraq', 2)``; no page option → page 1."""
    found = _PAGE.search(args)
    if found is None:
        return args.strip(), 1
    value = found.group(1)
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        raise CommandError(_("--page needs a number from 1 to %(most)s.", most=numeral(MAX_PAGE)))
    return args[: found.start()].strip(), int(value)


def next_page_hint(command: str, args: str, page: int, more: bool) -> str:
    if not more:
        if page > 1:
            return _("Page %(page)s (the last).", page=numeral(page))
        return _("Page %(page)s.", page=numeral(page))
    following = " ".join(p for p in (f"/{command}", args, f"--page {page + 1}") if p)
    return _(
        "Page %(page)s; %(command)s shows more.", page=numeral(page), command=isolate(following)
    )
