"""Summaries translated for a language, one row per (story, version, language)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.domain import Summary
from bot.summaries.translation import Translation
from storage.base import SqlBase, utc_now
from storage.codec import encode_summary, summary_value
from storage.models import SummaryTranslationRow


class TranslationStorage(SqlBase):
    async def translated_languages(self, story_id: str, story_version: int) -> set[str]:
        async def work(s: AsyncSession) -> set[str]:
            query = select(SummaryTranslationRow.language).where(
                SummaryTranslationRow.story_id == story_id,
                SummaryTranslationRow.story_version == story_version,
            )
            return set((await s.execute(query)).scalars())

        result: set[str] = await self.run(work)
        return result

    async def save_translation(self, translation: Translation) -> None:
        summary = translation.summary
        key = (summary.story_id, summary.story_version, translation.language)

        async def work(s: AsyncSession) -> None:
            row = await s.get(SummaryTranslationRow, key)
            if row is None:
                row = SummaryTranslationRow(story_id=key[0], story_version=key[1], language=key[2])
                s.add(row)
            row.created_at = utc_now()
            row.written_by = summary.written_by
            row.kept = translation.kept
            row.total = translation.total
            row.payload = encode_summary(summary)

        await self.run(work)

    async def get_translation(
        self, story_id: str, story_version: int, language: str
    ) -> Summary | None:
        async def work(s: AsyncSession) -> Summary | None:
            row = await s.get(SummaryTranslationRow, (story_id, story_version, language))
            return None if row is None else summary_value(row)

        result: Summary | None = await self.run(work)
        return result
