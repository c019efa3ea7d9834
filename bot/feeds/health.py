"""A feed's health, and what its chats are told when it stops answering.

A failing feed backs off to the watcher's ceiling (``max_backoff_s``, 6 h) and keeps being
tried there. After ``unhealthy_after_failures`` failures in a row it is *unhealthy*: the
chats it served and the chat that added it are told once, with what to do. Failing for
``dead_after_days`` (or answering 410 Gone) makes it *dead*: they are told once more, and
it is tried only daily. Any successful poll makes it healthy again; so does adding it
again. Pure functions of the feed, the failure and the time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.core.domain import Feed
from bot.core.notices import Notice
from bot.core.words import N_

Health = Literal["ok", "unhealthy", "dead"]
NOTICE_PREFIX = "!"  # notice keys never collide with story ids (letters and digits only)


@dataclass(frozen=True, slots=True)
class HealthPolicy:
    unhealthy_after_failures: int = 5
    dead_after_s: float = 7 * 86400.0
    dead_retry_s: float = 86400.0


def health_after_failure(
    feed: Feed, failures: int, failing_since: datetime, now: datetime, policy: HealthPolicy,
    *, gone: bool = False,
) -> Health:  # fmt: skip
    """The feed's health after its ``failures``-th failure in a row."""
    if gone or (now - failing_since).total_seconds() >= policy.dead_after_s:
        return "dead"
    if feed.health == "dead":
        return "dead"  # a dead feed stays dead until it answers again
    if failures >= policy.unhealthy_after_failures:
        return "unhealthy"
    return "ok"


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(max(number, 0), 36)
        out = digits[rest] + out
        if not number:
            return out


def notice_key(feed: Feed, health: Health, failing_since: datetime) -> str:
    """The outbox key of one notice: one per feed, state and failing spell, so a chat is
    told once per spell (at most 12 characters, like a story id)."""
    hours = int(failing_since.timestamp() // 3600)
    return f"{NOTICE_PREFIX}{_b36(feed.id)}{health[0]}{_b36(hours)}"[:12]


# Marked for the catalogs here; translated when each chat's notice is sent.
DEAD_NOTICE = N_(
    "The news feed “%(feed)s” (%(url)s) has not answered since %(since)s (last error: "
    "%(error)s), so I stopped checking it regularly; I still try it once a day and it comes "
    "back by itself if it answers. If the site moved, add its new address with /addfeed <url>; "
    "adding this address again restarts it now. /feeds shows every feed's state."
)
FAILING_NOTICE = N_(
    "The news feed “%(feed)s” (%(url)s) has been failing since %(since)s (last error: "
    "%(error)s). I keep trying it every few hours; if it still fails on %(until)s I will stop "
    "checking it regularly. Stories from its other sources still reach you. If the site "
    "moved, add its new address with /addfeed <url>. /feeds shows every feed's state."
)


def notice_of(
    feed: Feed, health: Health, failing_since: datetime, policy: HealthPolicy, error: str
) -> Notice:
    """Plain words for a chat: what happened, what the bot does, what the chat can do;
    said in each chat's language when it is sent."""
    values = {"feed": feed.name, "url": feed.url, "error": error}
    if health == "dead":
        return Notice(DEAD_NOTICE, values, {"since": failing_since})
    give_up = failing_since + timedelta(seconds=policy.dead_after_s)
    return Notice(FAILING_NOTICE, values, {"since": failing_since, "until": give_up})
