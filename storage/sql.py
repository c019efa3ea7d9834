"""The SQLAlchemy implementation of ``bot.ports.Storage`` (SQLite and PostgreSQL).

Feeds, articles, stories and summaries live here; subscriptions and the outbox have
modules of their own. Every method returns ``bot.domain`` values, never rows.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import Article, Feed, NewArticle, Story, Summary
from storage.base import article_value, aware, feed_value, utc_now
from storage.codec import decode_summary, encode_summary
from storage.models import ArticleRow, FeedRow, StoryRow, SummaryRow
from storage.outbox import OutboxStorage
from storage.subscriptions import SubscriptionStorage

_FEED_STATE_FIELDS = (
    "name",
    "enabled",
    "etag",
    "last_modified",
    "body_hash",
    "next_check_at",
    "last_checked_at",
    "last_success_at",
    "last_error",
    "consecutive_failures",
    "items_seen",
)


class SqlStorage(SubscriptionStorage, OutboxStorage):
    """Storage on an async SQLAlchemy engine. Create it with ``storage.open_storage``."""

    # ------------------------------------------------------------ feeds

    async def upsert_feed(
        self, url: str, name: str, *, allow_private: bool = False, added_by: str | None = None
    ) -> Feed:
        async def work(s: AsyncSession) -> Feed:
            row = (await s.execute(select(FeedRow).where(FeedRow.url == url))).scalar_one_or_none()
            if row is None:
                row = FeedRow(
                    url=url,
                    name=name,
                    allow_private=allow_private,
                    added_by=added_by,
                    created_at=utc_now(),
                    enabled=True,
                    consecutive_failures=0,
                    items_seen=0,
                )
                s.add(row)
                await s.flush()
            else:
                row.name = name or row.name
                row.allow_private = allow_private
                if not row.enabled and row.added_by is None and added_by is None:
                    row.enabled = True  # the operator listed it again: give it another chance
            return feed_value(row)

        result: Feed = await self.run(work)
        return result

    async def list_feeds(self) -> list[Feed]:
        async def work(s: AsyncSession) -> list[Feed]:
            rows = (await s.execute(select(FeedRow).order_by(FeedRow.id))).scalars()
            return [feed_value(r) for r in rows]

        result: list[Feed] = await self.run(work)
        return result

    async def due_feeds(self, now: datetime, limit: int) -> list[Feed]:
        async def work(s: AsyncSession) -> list[Feed]:
            query = (
                select(FeedRow)
                .where(FeedRow.enabled.is_(True))
                .where(or_(FeedRow.next_check_at.is_(None), FeedRow.next_check_at <= now))
                .order_by(FeedRow.next_check_at.is_not(None), FeedRow.next_check_at, FeedRow.id)
                .limit(limit)
            )
            return [feed_value(r) for r in (await s.execute(query)).scalars()]

        result: list[Feed] = await self.run(work)
        return result

    async def earliest_next_check(self) -> tuple[bool, datetime | None]:
        async def work(s: AsyncSession) -> tuple[bool, datetime | None]:
            enabled = FeedRow.enabled.is_(True)
            total = (await s.execute(select(func.count()).where(enabled))).scalar_one()
            if not total:
                return False, None
            unchecked = await s.execute(
                select(func.count()).where(enabled, FeedRow.next_check_at.is_(None))
            )
            if unchecked.scalar_one():
                return True, None
            earliest = await s.execute(select(func.min(FeedRow.next_check_at)).where(enabled))
            return True, aware(earliest.scalar_one())

        result: tuple[bool, datetime | None] = await self.run(work)
        return result

    async def save_feed_state(self, feed: Feed) -> None:
        values = {f: getattr(feed, f) for f in _FEED_STATE_FIELDS}

        async def work(s: AsyncSession) -> None:
            await s.execute(update(FeedRow).where(FeedRow.id == feed.id).values(**values))

        await self.run(work)

    async def remove_feed(self, feed_id: int) -> None:
        async def work(s: AsyncSession) -> None:
            await s.execute(delete(FeedRow).where(FeedRow.id == feed_id))

        await self.run(work)

    # ------------------------------------------------------------ articles

    async def add_articles(self, articles: Sequence[NewArticle]) -> list[Article]:
        if not articles:
            return []

        async def work(s: AsyncSession) -> list[Article]:
            urls = {a.url for a in articles}
            guids = {(a.feed_id, a.guid) for a in articles if a.guid}
            seen_urls = set(
                (await s.execute(select(ArticleRow.url).where(ArticleRow.url.in_(urls)))).scalars()
            )
            seen_guids: set[tuple[int, str | None]] = set()
            if guids:
                feed_ids = {f for f, _ in guids}
                rows = await s.execute(
                    select(ArticleRow.feed_id, ArticleRow.guid)
                    .where(ArticleRow.feed_id.in_(feed_ids))
                    .where(ArticleRow.guid.in_({g for _, g in guids}))
                )
                seen_guids = {(r[0], r[1]) for r in rows}
            stored: list[ArticleRow] = []
            for a in articles:
                if a.url in seen_urls or (a.guid and (a.feed_id, a.guid) in seen_guids):
                    continue
                seen_urls.add(a.url)
                if a.guid:
                    seen_guids.add((a.feed_id, a.guid))
                row = ArticleRow(
                    feed_id=a.feed_id,
                    outlet=a.outlet,
                    url=a.url,
                    guid=a.guid,
                    title=a.title,
                    text=a.text,
                    published=a.published,
                    fetched_at=a.fetched_at,
                    content_hash=a.content_hash,
                )
                s.add(row)
                stored.append(row)
            await s.flush()
            return [article_value(r) for r in stored]

        result: list[Article] = await self.run(work)
        return result

    async def get_articles(self, ids: Sequence[int]) -> list[Article]:
        if not ids:
            return []

        async def work(s: AsyncSession) -> list[Article]:
            rows = await s.execute(select(ArticleRow).where(ArticleRow.id.in_(set(ids))))
            by_id = {r.id: article_value(r) for r in rows.scalars()}
            return [by_id[i] for i in ids if i in by_id]

        result: list[Article] = await self.run(work)
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

    async def set_article_text(self, article_id: int, text: str) -> None:
        async def work(s: AsyncSession) -> None:
            await s.execute(update(ArticleRow).where(ArticleRow.id == article_id).values(text=text))

        await self.run(work)

    async def set_article_story(self, article_id: int, story_id: str) -> None:
        async def work(s: AsyncSession) -> None:
            await s.execute(
                update(ArticleRow).where(ArticleRow.id == article_id).values(story_id=story_id)
            )

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

        await self.run(work)

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

        result: Story | None = await self.run(work)
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

    async def story_ids(self) -> set[str]:
        async def work(s: AsyncSession) -> set[str]:
            return set((await s.execute(select(StoryRow.id))).scalars())

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

        await self.run(work)

    async def get_summary(self, story_id: str) -> Summary | None:
        async def work(s: AsyncSession) -> Summary | None:
            query = (
                select(SummaryRow)
                .where(SummaryRow.story_id == story_id)
                .order_by(SummaryRow.story_version.desc())
                .limit(1)
            )
            row = (await s.execute(query)).scalar_one_or_none()
            if row is None:
                return None
            return decode_summary(
                row.payload,
                story_id=row.story_id,
                story_version=row.story_version,
                written_by=row.written_by,
            )

        result: Summary | None = await self.run(work)
        return result
