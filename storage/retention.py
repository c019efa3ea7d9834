"""Pruning what is past its retention window, a bounded batch per call.

Each call changes at most ``limit`` rows of each kind, so a prune never holds the database
(or the event loop) long however much history has piled up; the caller repeats it while
there is more. Indexes on ``articles.fetched_at``, ``summaries.created_at`` and
``deliveries.updated_at`` keep each batch a range scan.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.base import SqlBase
from storage.models import (
    ArticleRow,
    DeliveryRow,
    StoryRow,
    SummaryRow,
    SummaryTranslationRow,
)

FINISHED = ("sent", "skipped", "failed", "unconfirmed")


class RetentionStorage(SqlBase):
    async def prune(
        self, *, text_before: datetime, outbox_before: datetime, limit: int
    ) -> dict[str, int]:
        async def work(s: AsyncSession) -> dict[str, int]:
            texts = select(ArticleRow.id).where(
                ArticleRow.fetched_at < text_before, ArticleRow.text != ""
            )
            blanked = await s.execute(
                update(ArticleRow)
                .where(ArticleRow.id.in_(texts.limit(limit).scalar_subquery()))
                .values(text="")
                .execution_options(synchronize_session=False)
            )
            newer = aliased(SummaryRow)
            superseded = (
                select(SummaryRow.story_id, SummaryRow.story_version)
                .where(SummaryRow.created_at < text_before)
                .where(
                    select(newer.story_id)
                    .where(
                        newer.story_id == SummaryRow.story_id,
                        newer.story_version > SummaryRow.story_version,
                    )
                    .exists()
                )
                .limit(limit)
            )
            old = list((await s.execute(superseded)).tuples())
            for story_id, version in old:
                await s.execute(
                    delete(SummaryRow).where(
                        SummaryRow.story_id == story_id, SummaryRow.story_version == version
                    )
                )
                await s.execute(
                    delete(SummaryTranslationRow).where(
                        SummaryTranslationRow.story_id == story_id,
                        SummaryTranslationRow.story_version == version,
                    )
                )
            # A story's finished rows go once the story is closed too: while a row is
            # there, a new version edits its post, and a chat never gets the story twice.
            active = select(StoryRow.id).where(
                StoryRow.id == DeliveryRow.story_id, StoryRow.updated_at >= text_before
            )
            finished = (
                select(DeliveryRow.id)
                .where(DeliveryRow.status.in_(FINISHED), DeliveryRow.updated_at < outbox_before)
                .where(or_(DeliveryRow.kind == "notice", ~active.exists()))
                .limit(limit)
            )
            ids = list((await s.execute(finished)).scalars())
            if ids:
                await s.execute(delete(DeliveryRow).where(DeliveryRow.id.in_(ids)))
            return {
                "article_texts": int(getattr(blanked, "rowcount", 0) or 0),
                "summaries": len(old),
                "deliveries": len(ids),
            }

        result: dict[str, int] = await self.run(work)
        return result
