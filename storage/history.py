"""A story's stored versions, newest first, for its web page."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.domain import StoryVersion
from storage.base import SqlBase
from storage.codec import summary_value
from storage.models import SummaryRow


class HistoryStorage(SqlBase):
    async def story_versions(self, story_id: str, limit: int) -> list[StoryVersion]:
        async def work(s: AsyncSession) -> list[StoryVersion]:
            query = (
                select(SummaryRow)
                .where(SummaryRow.story_id == story_id)
                .order_by(SummaryRow.story_version.desc())
                .limit(limit)
            )
            versions = []
            for row in (await s.execute(query)).scalars():
                summary = summary_value(row)
                versions.append(
                    StoryVersion(
                        row.story_version, row.created_at, summary.headline, summary.what_changed
                    )
                )
            return versions

        result: list[StoryVersion] = await self.run(work)
        return result
