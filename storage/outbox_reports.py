"""What operators and metrics read of the outbox: dead letters and their retries, rows by
state, the queue's age, and which stories were ever posted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.domain import Delivery
from storage.base import SqlBase, aware
from storage.models import DeliveryRow, SubscriptionRow
from storage.outbox import IN_FLIGHT, delivery_value


class OutboxReports(SqlBase):
    """The outbox as ``newsbot deliveries``, /metrics and restore see it."""

    async def posted_story_ids(self) -> set[str]:
        """Ids of the stories that have an outbox post row, whatever its state."""

        async def work(s: AsyncSession) -> set[str]:
            rows = await s.execute(
                select(DeliveryRow.story_id).where(DeliveryRow.kind == "post").distinct()
            )
            return {r[0] for r in rows}

        result: set[str] = await self.run(work)
        return result

    async def failed_deliveries(
        self, limit: int = 100, *, statuses: Sequence[str] = ("failed",)
    ) -> list[Delivery]:
        """The dead letters (or rows of other ``statuses``), newest first, with reasons."""

        async def work(s: AsyncSession) -> list[Delivery]:
            query = (
                select(DeliveryRow, SubscriptionRow)
                .join(SubscriptionRow, SubscriptionRow.id == DeliveryRow.subscription_id)
                .where(DeliveryRow.status.in_(tuple(statuses)))
                .order_by(DeliveryRow.updated_at.desc(), DeliveryRow.id.desc())
                .limit(limit)
            )
            return [delivery_value(d, sub) for d, sub in (await s.execute(query)).tuples()]

        result: list[Delivery] = await self.run(work)
        return result

    async def retry_failed(
        self,
        delivery_ids: Sequence[int] | None,
        *,
        now: datetime,
        statuses: Sequence[str] = ("failed",),
    ) -> int:
        """Put dead letters (or unconfirmed rows) back in the queue (all of them when
        ``delivery_ids`` is None); each is sent afresh."""

        async def work(s: AsyncSession) -> int:
            statement = update(DeliveryRow).where(DeliveryRow.status.in_(tuple(statuses)))
            if delivery_ids is not None:
                statement = statement.where(DeliveryRow.id.in_(delivery_ids))
            result = await s.execute(
                statement.values(
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    updated_at=now,
                    send_started_at=None,
                )
            )
            return int(getattr(result, "rowcount", 0))

        result: int = await self.run(work)
        return result

    async def count_deliveries(self) -> dict[str, int]:
        """Outbox rows by status (operators' overview, metrics and tests)."""

        async def work(s: AsyncSession) -> dict[str, int]:
            rows = await s.execute(
                select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)
            )
            return {str(status): int(n) for status, n in rows.tuples()}

        result: dict[str, int] = await self.run(work)
        return result

    async def oldest_pending(self) -> datetime | None:
        """When the oldest row still waiting was queued (queue age for metrics)."""

        async def work(s: AsyncSession) -> datetime | None:
            query = select(func.min(DeliveryRow.updated_at)).where(
                DeliveryRow.status.in_(("pending", *IN_FLIGHT))
            )
            return aware((await s.execute(query)).scalar_one())

        result: datetime | None = await self.run(work)
        return result
