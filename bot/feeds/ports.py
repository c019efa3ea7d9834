"""What the feed watcher needs from the rest of the system: its slice of storage.

``storage.SqlStorage`` implements it. The invariants of ``bot.core.ports`` hold: aware UTC
datetimes, domain values only, and every method raises ``StorageError`` when the database
fails (the watcher logs it and keeps polling the other feeds).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.core.domain import Article, Feed, NewArticle


class WatcherStore(Protocol):
    """Feed state and new articles, for ``bot.feeds.watcher.Watcher``."""

    async def claim_due_feeds(self, now: datetime, limit: int, lease_s: float) -> list[Feed]:
        """Called by ``Watcher.poll_due``, one claim at a time. Returns up to ``limit``
        enabled feeds whose ``next_check_at`` is unset or not after ``now``, taken for this
        process: their ``next_check_at`` moves to ``now + lease_s`` at once, so another
        process sharing the database skips them. The poll then saves the real next check;
        a crashed poll's feeds come back when the lease ends. The feeds are returned as
        they were before the claim, most overdue first but spread over their hosts
        (``bot.feeds.schedule.spread_over_hosts``); [] when none is due."""
        ...

    async def earliest_next_check(self) -> tuple[bool, datetime | None]:
        """Called by ``Watcher.next_due_in``, so the run loop sleeps until then. Returns
        (whether any feed is enabled, the earliest ``next_check_at`` among enabled feeds;
        None when one has never been checked)."""
        ...

    async def save_feed_state(self, feed: Feed) -> None:
        """Called after every poll of a feed, success or failure. Persists the polling
        state fields of ``feed`` (matched by id); a feed removed meanwhile stays removed.
        Raises ``StorageError`` for a naive datetime."""
        ...

    async def enqueue_feed_notice(self, feed: Feed, key: str, text: str, *, now: datetime) -> int:
        """Called when ``feed`` becomes unhealthy or dead. Queues ``text`` (an encoded
        ``bot.core.notices.Notice``, translated when sent) through the
        outbox (rows of kind "notice", due at ``now``) to every chat a story with an article
        of the feed was delivered to, and to the chat that added it (``feed.added_by``),
        once per destination and ``key``: the same key again adds nothing. Returns how many
        rows were queued."""
        ...

    async def add_articles(self, articles: Sequence[NewArticle]) -> list[Article]:
        """Called with a changed feed's entries. Stores the articles not seen before (same
        canonical URL, or same feed and guid, are duplicates) and returns only the newly
        stored ones, with ids, in the given order."""
        ...
