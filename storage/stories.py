"""Stories and their summaries.

The pipeline reads and writes a story a few times per version (the story, its newest
summary, the new version, its summary and search document), for every story a batch
changed. Done one statement at a time that was most of processing's time, so the
per-story methods here are answered in bulk: calls made while one is under way are
gathered (``storage.coalesce``) and each gathering is a handful of set-wise
statements in one transaction, whatever the number of stories.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, bindparam, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.core.domain import Story, Summary
from storage.base import SqlBase, utc_now
from storage.codec import encode_summary, summary_value
from storage.models import ARTICLES, STORIES, SUMMARIES, ArticleRow, StoryRow, SummaryRow
from storage.search import follow_stories, index_summaries

# Values per IN (...) list, well inside both databases' parameter limits.
_CHUNK = 2000
# Stories (or summaries) one gathered call reads or writes at most.
_MOST = 500


def _chunks(values: Sequence[str]) -> list[Sequence[str]]:
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)]


class StoryStorage(SqlBase):
    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self._story_reads = self.coalescer(self._get_stories, most=_MOST)
        self._story_writes = self.coalescer(self._save_stories, most=_MOST)
        self._summary_reads = self.coalescer(self._get_summaries, most=_MOST)
        self._summary_writes = self.coalescer(self._save_summaries, most=_MOST)

    # ------------------------------------------------------------ stories

    async def get_story(self, story_id: str) -> Story | None:
        return await self._story_reads.submit(story_id)

    async def save_story(self, story: Story) -> None:
        await self._story_writes.submit(story)

    async def _get_stories(self, keys: Sequence[str]) -> list[Story | None]:
        """``get_story`` for many: each key matched case-insensitively, merges followed."""
        wanted = [key.strip().lower() for key in keys]

        async def work(s: AsyncSession) -> list[Story | None]:
            rows: dict[str, Row[Any]] = {}
            todo = sorted(set(wanted))
            for _ in range(10):  # follow merges; a bounded walk guards against a cycle
                for part in _chunks(todo):
                    query = select(STORIES).where(STORIES.c.id.in_(part))
                    rows.update((r.id, r) for r in await s.execute(query))
                todo = sorted({r.merged_into for r in rows.values() if r.merged_into} - set(rows))
                if not todo:
                    break
            finals = [_surviving(rows, key) for key in wanted]
            live = list({r.id: r for r in finals if r is not None}.values())
            stories = {story.id: story for story in await self._stories(s, live)}
            return [stories[r.id] if r is not None else None for r in finals]

        result: list[Story | None] = await self.run(work)
        return result

    async def _save_stories(self, stories: Sequence[Story]) -> list[None]:
        """``save_story`` for many, in order (a later save of one story wins)."""

        # One upsert of table rows, as for summaries; of two saves of one story the
        # later wins, as it would one at a time.
        if not stories:
            return []
        latest = {story.id: story for story in stories}
        rows = [
            {
                "id": story.id,
                "created_at": story.created_at,
                "updated_at": story.updated_at,
                "headline": story.headline,
                "outlets": json.dumps(list(story.outlets), ensure_ascii=False),
                "outlet_count": len(story.outlets),
                "breaking_at": story.breaking_at,
                "version": story.version,
                "merged_into": story.merged_into,
            }
            for story in latest.values()
        ]
        statement = self.upsert(STORIES, ["id"])

        async def work(s: AsyncSession) -> None:
            await s.execute(statement, rows)
            # Point the articles at their story: one statement, many parameter sets, and
            # only rows that change are written.
            moves = [
                {"article": article_id, "story": story.id}
                for story in stories
                for article_id in story.article_ids
            ]
            if moves:
                await s.execute(
                    update(ARTICLES)
                    .where(
                        ARTICLES.c.id == bindparam("article"),
                        or_(
                            ARTICLES.c.story_id.is_(None),
                            ARTICLES.c.story_id != bindparam("story"),
                        ),
                    )
                    .values(story_id=bindparam("story"))
                    .execution_options(synchronize_session=False),
                    moves,
                )
            await follow_stories(s, stories)

        await self.run(work)
        return [None] * len(stories)

    async def _stories(self, s: AsyncSession, rows: Sequence[Row[Any]]) -> list[Story]:
        members: dict[str, list[int]] = defaultdict(list)
        for part in _chunks([r.id for r in rows]):
            result = await s.execute(
                select(ArticleRow.story_id, ArticleRow.id)
                .where(ArticleRow.story_id.in_(part))
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

    async def recent_stories(self, limit: int, *, min_outlets: int = 1) -> list[Story]:
        async def work(s: AsyncSession) -> list[Story]:
            query = (
                select(STORIES)
                .where(STORIES.c.merged_into.is_(None))
                .where(STORIES.c.outlet_count >= min_outlets)
                .order_by(STORIES.c.updated_at.desc(), STORIES.c.id)
                .limit(limit)
            )
            return await self._stories(s, list(await s.execute(query)))

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

    async def unsummarised_stories(self, min_outlets: int, limit: int) -> list[Story]:
        async def work(s: AsyncSession) -> list[Story]:
            summarised = exists(
                select(SummaryRow.story_id).where(
                    SummaryRow.story_id == STORIES.c.id,
                    SummaryRow.story_version == STORIES.c.version,
                )
            )
            query = (
                select(STORIES)
                .where(STORIES.c.merged_into.is_(None), STORIES.c.outlet_count >= min_outlets)
                .where(~summarised)
                .order_by(STORIES.c.updated_at.desc(), STORIES.c.id)
                .limit(limit)
            )
            return await self._stories(s, list(await s.execute(query)))

        result: list[Story] = await self.run(work)
        return result

    # ------------------------------------------------------------ summaries

    async def get_summary(self, story_id: str) -> Summary | None:
        return await self._summary_reads.submit(story_id)

    async def save_summary(self, summary: Summary) -> None:
        await self._summary_writes.submit(summary)

    async def _get_summaries(self, story_ids: Sequence[str]) -> list[Summary | None]:
        """``get_summary`` for many: each story's newest summary."""

        async def work(s: AsyncSession) -> list[Summary | None]:
            found: dict[str, Summary | None] = {}
            for part in _chunks(sorted(set(story_ids))):
                newest = (
                    select(SummaryRow.story_id, func.max(SummaryRow.story_version).label("v"))
                    .where(SummaryRow.story_id.in_(part))
                    .group_by(SummaryRow.story_id)
                    .subquery()
                )
                query = select(SummaryRow).join(
                    newest,
                    and_(
                        SummaryRow.story_id == newest.c.story_id,
                        SummaryRow.story_version == newest.c.v,
                    ),
                )
                found.update((r.story_id, _summary(r)) for r in (await s.execute(query)).scalars())
            return [found.get(story_id) for story_id in story_ids]

        result: list[Summary | None] = await self.run(work)
        return result

    async def _save_summaries(self, summaries: Sequence[Summary]) -> list[None]:
        """``save_summary`` for many, in order; replaces a summary of the same version.

        One upsert of table rows: summaries are written on every story change, and the
        ORM's select-then-flush of objects cost several times the rows' own writing."""
        # Of two saves of one version, the later wins, as it would one at a time.
        latest = {(x.story_id, x.story_version): x for x in summaries}
        now = utc_now()
        rows = [
            {
                "story_id": story_id,
                "story_version": version,
                "created_at": now,
                "written_by": summary.written_by,
                "payload": encode_summary(summary),
            }
            for (story_id, version), summary in latest.items()
        ]
        statement = self.upsert(SUMMARIES, ["story_id", "story_version"])

        async def work(s: AsyncSession) -> None:
            await s.execute(statement, rows)
            await index_summaries(s, summaries)

        await self.run(work)
        return [None] * len(summaries)

    async def get_summary_version(self, story_id: str, version: int) -> Summary | None:
        async def work(s: AsyncSession) -> Summary | None:
            return _summary(await s.get(SummaryRow, (story_id, version)))

        result: Summary | None = await self.run(work)
        return result


def _surviving(rows: dict[str, Row[Any]], key: str) -> Row[Any] | None:
    """The story ``key`` is, or was merged into (at most ten merges on)."""
    for _ in range(10):
        row = rows.get(key)
        if row is None or row.merged_into is None:
            return row
        key = row.merged_into
    return None


def _summary(row: SummaryRow | None) -> Summary | None:
    return None if row is None else summary_value(row)
