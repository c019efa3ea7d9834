"""The SQLAlchemy storage (SQLite and PostgreSQL): one class implementing every
consumer's storage port (``bot.feeds.ports``, ``bot.stories.ports`` and the others).

Articles live here; feeds, stories and summaries, subscriptions, the outbox and the
rest have modules of their own. Every method returns ``bot.core.domain`` values, never rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.core.domain import Article, NewArticle, Story, Subscription
from storage.base import article_value
from storage.budget import BudgetStorage
from storage.chats import ChatStorage
from storage.digests import DigestStorage
from storage.feeds import FeedStorage
from storage.history import HistoryStorage
from storage.models import ARTICLES, ArticleRow
from storage.notify import notify_in
from storage.outbox import OutboxStorage
from storage.outbox_enqueue import OutboxEnqueue
from storage.outbox_reports import OutboxReports
from storage.retention import RetentionStorage
from storage.search import SearchStorage
from storage.stories import StoryStorage
from storage.subscriptions import SubscriptionStorage
from storage.translations import TranslationStorage
from storage.usage import UsageStorage

# Rows per INSERT: 11 parameters a row stays far below SQLite's 32,766 variables.
_INSERT_CHUNK = 500
# Values per IN (...) lookup, well inside both databases' parameter limits.
_LOOKUP_CHUNK = 2000


# A new article's fields are the articles table's columns, less its id and story.
_NEW_ARTICLE_FIELDS = tuple(f.name for f in fields(NewArticle))


def _article_params(a: NewArticle) -> dict[str, Any]:
    return {name: getattr(a, name) for name in _NEW_ARTICLE_FIELDS}


def _stored(article_id: int, a: NewArticle) -> Article:
    """The article as stored: what was sent, and its id."""
    return Article(id=article_id, **_article_params(a))


async def _stored_keys(
    s: AsyncSession, articles: Sequence[NewArticle]
) -> tuple[set[str], set[tuple[int, str | None]]]:
    """The URLs and (feed, guid) pairs among ``articles`` that are stored already."""
    urls = sorted({a.url for a in articles})
    guids = {(a.feed_id, a.guid) for a in articles if a.guid}
    seen_urls: set[str] = set()
    for start in range(0, len(urls), _LOOKUP_CHUNK):
        part = urls[start : start + _LOOKUP_CHUNK]
        found = await s.execute(select(ArticleRow.url).where(ArticleRow.url.in_(part)))
        seen_urls.update(found.scalars())
    seen_guids: set[tuple[int, str | None]] = set()
    names = sorted({g for _, g in guids if g})
    feed_ids = {f for f, _ in guids}
    for start in range(0, len(names), _LOOKUP_CHUNK):
        part = names[start : start + _LOOKUP_CHUNK]
        rows = await s.execute(
            select(ArticleRow.feed_id, ArticleRow.guid)
            .where(ArticleRow.feed_id.in_(feed_ids))
            .where(ArticleRow.guid.in_(part))
        )
        seen_guids.update((r[0], r[1]) for r in rows if (r[0], r[1]) in guids)
    return seen_urls, seen_guids


class SqlStorage(
    StoryStorage,
    FeedStorage,
    SubscriptionStorage,
    OutboxEnqueue,
    OutboxStorage,
    OutboxReports,
    SearchStorage,
    ChatStorage,
    HistoryStorage,
    DigestStorage,
    BudgetStorage,
    RetentionStorage,
    UsageStorage,
    TranslationStorage,
):
    """Storage on an async SQLAlchemy engine. Create it with ``storage.open_storage``."""

    # ------------------------------------------------------------ wake-ups

    async def enqueue_deliveries(
        self, story: Story, subscriptions: Sequence[Subscription], *, now: datetime
    ) -> int:
        added = await super().enqueue_deliveries(story, subscriptions, now=now)
        if added:
            await self._notify("outbox")  # processes waiting for their tick send at once
        return added

    async def enqueue_updates(self, story: Story, *, now: datetime, debounce_s: float) -> int:
        changed = await super().enqueue_updates(story, now=now, debounce_s=debounce_s)
        if changed:
            await self._notify("outbox")
        return changed

    async def _notify(self, kind: str) -> None:
        if self.dialect == "postgresql":

            async def work(s: AsyncSession) -> None:
                await notify_in(s, kind)

            await self.run(work)

    # ------------------------------------------------------------ articles

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        # Polls in flight store their articles together (``storage.coalesce``).
        self._article_writes = self.coalescer(self._add_article_groups, most=64)
        # The stories a batch changed read their articles together.
        self._article_reads = self.coalescer(self._get_article_lists, most=500)

    async def add_articles(self, articles: Sequence[NewArticle]) -> list[Article]:
        if not articles:
            return []
        return await self._article_writes.submit(articles)

    async def _add_article_groups(
        self, groups: Sequence[Sequence[NewArticle]]
    ) -> list[list[Article]]:
        """``add_articles`` for several callers in one transaction: each group's newly
        stored articles, in its order. A URL or guid two groups share goes to the first,
        as if they had been stored one after the other."""

        async def work(s: AsyncSession) -> list[list[Article]]:
            everything = [a for group in groups for a in group]
            seen_urls, seen_guids = await _stored_keys(s, everything)
            fresh: list[list[NewArticle]] = []
            for group in groups:
                kept: list[NewArticle] = []
                for a in group:
                    if a.url in seen_urls or (a.guid and (a.feed_id, a.guid) in seen_guids):
                        continue
                    seen_urls.add(a.url)
                    if a.guid:
                        seen_guids.add((a.feed_id, a.guid))
                    kept.append(a)
                fresh.append(kept)
            # Two workers can poll one feed at once (a pass held past its claim lease):
            # the constraints, not the read above, decide. One statement per chunk, in
            # URL order, so two transactions inserting the same URLs on PostgreSQL wait
            # for each other in one order and never deadlock.
            table = ARTICLES
            stored: dict[str, Article] = {}
            by_url = sorted((a for kept in fresh for a in kept), key=lambda a: a.url)
            if by_url:
                # Many parameter sets to one compiled statement: SQLAlchemy sends them as
                # multi-row VALUES batches ("insertmanyvalues"), RETURNING included. Only
                # the ids come back: the rest is what was sent (not every text again).
                inserted = await s.execute(
                    self.insert(table).on_conflict_do_nothing().returning(table.c.id, table.c.url),
                    [_article_params(a) for a in by_url],
                )
                sent = {a.url: a for a in by_url}
                for row in inserted:
                    stored[row.url] = _stored(row.id, sent[row.url])
            if stored:
                await notify_in(s, "articles")
            return [[stored[a.url] for a in kept if a.url in stored] for kept in fresh]

        result: list[list[Article]] = await self.run(work)
        return result

    async def get_articles(self, ids: Sequence[int]) -> list[Article]:
        if not ids:
            return []
        return await self._article_reads.submit(ids)

    async def _get_article_lists(self, wanted: Sequence[Sequence[int]]) -> list[list[Article]]:
        """``get_articles`` for several callers: one lookup of every id any of them asked
        for, handed out in each caller's order."""

        async def work(s: AsyncSession) -> list[list[Article]]:
            ids = sorted({i for group in wanted for i in group})
            by_id: dict[int, Article] = {}
            for start in range(0, len(ids), _LOOKUP_CHUNK):
                part = ids[start : start + _LOOKUP_CHUNK]
                rows = await s.execute(select(ARTICLES).where(ARTICLES.c.id.in_(part)))
                by_id.update((r.id, article_value(r)) for r in rows)
            return [[by_id[i] for i in group if i in by_id] for group in wanted]

        result: list[list[Article]] = await self.run(work)
        return result

    async def recent_articles(self, since: datetime) -> list[Article]:
        async def work(s: AsyncSession) -> list[Article]:
            c = ARTICLES.c
            query = (
                select(ARTICLES)
                .where(or_(c.published >= since, c.fetched_at >= since))
                .order_by(c.id)
            )
            return [article_value(r) for r in await s.execute(query)]

        result: list[Article] = await self.run(work)
        return result

    async def unclustered_articles(self, limit: int, *, after_id: int = 0) -> list[Article]:
        """Stored articles not yet in a story, oldest first: whoever clusters picks up what
        any process stored (and what a crash left between storing and clustering)."""

        async def work(s: AsyncSession) -> list[Article]:
            c = ARTICLES.c
            query = (
                select(ARTICLES)
                .where(c.story_id.is_(None), c.id > after_id)
                .order_by(c.id)
                .limit(limit)
            )
            return [article_value(r) for r in await s.execute(query)]

        if limit <= 0:
            return []
        result: list[Article] = await self.run(work)
        return result

    async def set_article_text(self, article_id: int, text: str) -> None:
        async def work(s: AsyncSession) -> None:
            await s.execute(update(ArticleRow).where(ArticleRow.id == article_id).values(text=text))

        await self.run(work)
