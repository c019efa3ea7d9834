"""The SQLAlchemy storage (SQLite and PostgreSQL): one class implementing every
consumer's storage port (``bot.feeds.ports``, ``bot.stories.ports`` and the others).

Feeds, articles, stories and summaries live here; subscriptions and the outbox have
modules of their own. Every method returns ``bot.core.domain`` values, never rows.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.core.domain import Article, NewArticle, Story, Subscription, Summary
from storage.base import article_value, utc_now
from storage.budget import BudgetStorage
from storage.chats import ChatStorage
from storage.codec import decode_summary, encode_summary
from storage.digests import DigestStorage
from storage.feeds import FeedStorage
from storage.history import HistoryStorage
from storage.models import ArticleRow, StoryRow, SummaryRow
from storage.notify import notify_in
from storage.outbox import OutboxStorage
from storage.retention import RetentionStorage
from storage.search import SearchStorage, follow_story, index_summary
from storage.subscriptions import SubscriptionStorage
from storage.usage import UsageStorage

# Rows per INSERT: 11 parameters a row stays far below SQLite's 32,766 variables.
_INSERT_CHUNK = 500
# Values per IN (...) lookup, well inside both databases' parameter limits.
_LOOKUP_CHUNK = 2000


def _article_params(a: NewArticle) -> dict[str, object]:
    return {
        "feed_id": a.feed_id,
        "outlet": a.outlet,
        "url": a.url,
        "guid": a.guid,
        "title": a.title,
        "text": a.text,
        "published": a.published,
        "fetched_at": a.fetched_at,
        "content_hash": a.content_hash,
        "language": a.language,
        "publisher": a.publisher,
    }


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
    FeedStorage,
    SubscriptionStorage,
    OutboxStorage,
    SearchStorage,
    ChatStorage,
    HistoryStorage,
    DigestStorage,
    BudgetStorage,
    RetentionStorage,
    UsageStorage,
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
            table = ArticleRow.__table__
            stored: dict[str, Article] = {}
            by_url = sorted((a for kept in fresh for a in kept), key=lambda a: a.url)
            if by_url:
                # Many parameter sets to one compiled statement: SQLAlchemy sends them as
                # multi-row VALUES batches ("insertmanyvalues"), RETURNING included.
                inserted = await s.execute(
                    self.insert(table).on_conflict_do_nothing().returning(table),
                    [_article_params(a) for a in by_url],
                )
                for row in inserted:
                    stored[row.url] = article_value(row)
            if stored:
                await notify_in(s, "articles")
            return [[stored[a.url] for a in kept if a.url in stored] for kept in fresh]

        result: list[list[Article]] = await self.run(work)
        return result

    async def get_articles(self, ids: Sequence[int]) -> list[Article]:
        if not ids:
            return []

        async def work(s: AsyncSession) -> list[Article]:
            rows = await s.execute(select(ArticleRow).where(ArticleRow.id.in_(set(ids))))
            by_id = {r.id: article_value(r) for r in rows.scalars()}
            return [by_id[i] for i in ids if i in by_id]

        result: list[Article] = await self.run_together(work)
        return result

    async def recent_articles(self, since: datetime) -> list[Article]:
        async def work(s: AsyncSession) -> list[Article]:
            query = (
                select(ArticleRow)
                .where(or_(ArticleRow.published >= since, ArticleRow.fetched_at >= since))
                .order_by(ArticleRow.id)
            )
            return [article_value(r) for r in (await s.execute(query)).scalars()]

        result: list[Article] = await self.run(work)
        return result

    async def unclustered_articles(self, limit: int, *, after_id: int = 0) -> list[Article]:
        """Stored articles not yet in a story, oldest first: whoever clusters picks up what
        any process stored (and what a crash left between storing and clustering)."""

        async def work(s: AsyncSession) -> list[Article]:
            query = (
                select(ArticleRow)
                .where(ArticleRow.story_id.is_(None), ArticleRow.id > after_id)
                .order_by(ArticleRow.id)
                .limit(limit)
            )
            return [article_value(r) for r in (await s.execute(query)).scalars()]

        if limit <= 0:
            return []
        result: list[Article] = await self.run(work)
        return result

    async def set_article_text(self, article_id: int, text: str) -> None:
        async def work(s: AsyncSession) -> None:
            await s.execute(update(ArticleRow).where(ArticleRow.id == article_id).values(text=text))

        await self.run(work)

    # ------------------------------------------------------------ stories and summaries

    async def save_story(self, story: Story) -> None:
        async def work(s: AsyncSession) -> None:
            row = await s.get(StoryRow, story.id)
            if row is None:
                row = StoryRow(id=story.id)
                s.add(row)
            row.created_at = story.created_at
            row.updated_at = story.updated_at
            row.headline = story.headline
            row.outlets = json.dumps(list(story.outlets), ensure_ascii=False)
            row.outlet_count = len(story.outlets)
            row.breaking_at = story.breaking_at
            row.version = story.version
            row.merged_into = story.merged_into
            if story.article_ids:
                await s.execute(
                    update(ArticleRow)
                    .where(ArticleRow.id.in_(story.article_ids))
                    .values(story_id=story.id)
                )
            await follow_story(s, story)

        await self.run_together(work)

    async def _stories(self, s: AsyncSession, rows: Sequence[StoryRow]) -> list[Story]:
        ids = [r.id for r in rows]
        members: dict[str, list[int]] = defaultdict(list)
        if ids:
            result = await s.execute(
                select(ArticleRow.story_id, ArticleRow.id)
                .where(ArticleRow.story_id.in_(ids))
                .order_by(ArticleRow.id)
            )
            for story_id, article_id in result:
                members[str(story_id)].append(int(article_id))
        return [
            Story(
                id=r.id,
                created_at=r.created_at,
                updated_at=r.updated_at,
                article_ids=tuple(members[r.id]),
                outlets=tuple(json.loads(r.outlets)),
                headline=r.headline,
                breaking_at=r.breaking_at,
                version=r.version,
                merged_into=r.merged_into,
            )
            for r in rows
        ]

    async def get_story(self, story_id: str) -> Story | None:
        async def work(s: AsyncSession) -> Story | None:
            key = story_id.strip().lower()
            for _ in range(10):  # follow merges; a bounded walk guards against a cycle
                row = await s.get(StoryRow, key)
                if row is None:
                    return None
                if row.merged_into is None:
                    return (await self._stories(s, [row]))[0]
                key = row.merged_into
            return None

        result: Story | None = await self.run_together(work)
        return result

    async def recent_stories(self, limit: int, *, min_outlets: int = 1) -> list[Story]:
        async def work(s: AsyncSession) -> list[Story]:
            query = (
                select(StoryRow)
                .where(StoryRow.merged_into.is_(None))
                .where(StoryRow.outlet_count >= min_outlets)
                .order_by(StoryRow.updated_at.desc(), StoryRow.id)
                .limit(limit)
            )
            rows = list((await s.execute(query)).scalars())
            return await self._stories(s, rows)

        result: list[Story] = await self.run(work)
        return result

    async def story_ids(self, since: datetime) -> set[str]:
        async def work(s: AsyncSession) -> set[str]:
            query = select(StoryRow.id).where(StoryRow.updated_at >= since)
            return set((await s.execute(query)).scalars())

        result: set[str] = await self.run(work)
        return result

    async def taken_story_ids(self, candidates: Collection[str]) -> set[str]:
        if not candidates:
            return set()

        async def work(s: AsyncSession) -> set[str]:
            query = select(StoryRow.id).where(StoryRow.id.in_(set(candidates)))
            return set((await s.execute(query)).scalars())

        result: set[str] = await self.run(work)
        return result

    async def save_summary(self, summary: Summary) -> None:
        async def work(s: AsyncSession) -> None:
            row = await s.get(SummaryRow, (summary.story_id, summary.story_version))
            if row is None:
                row = SummaryRow(story_id=summary.story_id, story_version=summary.story_version)
                s.add(row)
            row.created_at = utc_now()
            row.written_by = summary.written_by
            row.payload = encode_summary(summary)
            await index_summary(s, summary)

        await self.run_together(work)

    async def unsummarised_stories(self, min_outlets: int, limit: int) -> list[Story]:
        async def work(s: AsyncSession) -> list[Story]:
            summarised = exists(
                select(SummaryRow.story_id).where(
                    SummaryRow.story_id == StoryRow.id,
                    SummaryRow.story_version == StoryRow.version,
                )
            )
            query = (
                select(StoryRow)
                .where(StoryRow.merged_into.is_(None), StoryRow.outlet_count >= min_outlets)
                .where(~summarised)
                .order_by(StoryRow.updated_at, StoryRow.id)
                .limit(limit)
            )
            return await self._stories(s, list((await s.execute(query)).scalars()))

        result: list[Story] = await self.run(work)
        return result

    async def get_summary(self, story_id: str) -> Summary | None:
        async def work(s: AsyncSession) -> Summary | None:
            query = (
                select(SummaryRow)
                .where(SummaryRow.story_id == story_id)
                .order_by(SummaryRow.story_version.desc())
                .limit(1)
            )
            return _summary((await s.execute(query)).scalar_one_or_none())

        result: Summary | None = await self.run_together(work)
        return result

    async def get_summary_version(self, story_id: str, version: int) -> Summary | None:
        async def work(s: AsyncSession) -> Summary | None:
            return _summary(await s.get(SummaryRow, (story_id, version)))

        result: Summary | None = await self.run(work)
        return result


def _summary(row: SummaryRow | None) -> Summary | None:
    if row is None:
        return None
    return decode_summary(
        row.payload,
        story_id=row.story_id,
        story_version=row.story_version,
        written_by=row.written_by,
    )
