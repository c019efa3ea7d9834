"""Digest schedules and issued digests.

A digest is issued in one transaction: its run row (the stories it lists), its outbox row
(kind ``digest``, delivered with every other row, under the same rate limits and crash
rules) and the schedule's next due time. The schedule moves only if it still shows the due
time the issuer read (compare and set), and a run is unique per (subscription, due time),
so two processes, a retry or a restart never issue the same digest twice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.domain import Destination, Digest, DigestIssue
from storage.base import SqlBase, subscription_value, utc_now
from storage.models import DeliveryRow, DigestRow, DigestRunRow, SubscriptionRow

_KEY_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def digest_key(run_id: int) -> str:
    """The outbox row's ``story_id`` of digest run ``run_id``: ``dg`` and base 36 (12 chars
    at most, and never a story id: those are 4 to 8 characters without this prefix)."""
    digits = ""
    while True:
        run_id, rest = divmod(run_id, 36)
        digits = _KEY_ALPHABET[rest] + digits
        if run_id == 0:
            return "dg" + digits.rjust(2, "0")


def run_id_of(key: str) -> int | None:
    if not key.startswith("dg"):
        return None
    try:
        return int(key[2:], 36)
    except ValueError:
        return None


def _digest(row: DigestRow, sub: SubscriptionRow) -> Digest:
    return Digest(subscription_value(sub), row.schedule, row.next_due_at, row.covers_from)


class DigestStorage(SqlBase):
    async def set_digest(
        self, subscription_id: int, schedule: str, *, next_due_at: datetime, covers_from: datetime
    ) -> None:
        async def work(s: AsyncSession) -> None:
            row = await s.get(DigestRow, subscription_id)
            if row is None:
                row = DigestRow(subscription_id=subscription_id, covers_from=covers_from)
                s.add(row)
            row.schedule = schedule
            row.next_due_at = next_due_at

        await self.run(work)

    async def clear_digest(self, subscription_id: int) -> bool:
        async def work(s: AsyncSession) -> bool:
            result = await s.execute(
                delete(DigestRow).where(DigestRow.subscription_id == subscription_id)
            )
            return bool(getattr(result, "rowcount", 0))

        result: bool = await self.run(work)
        return result

    async def digests_for(self, destination: Destination) -> list[Digest]:
        async def work(s: AsyncSession) -> list[Digest]:
            query = (
                select(DigestRow, SubscriptionRow)
                .join(SubscriptionRow, SubscriptionRow.id == DigestRow.subscription_id)
                .where(
                    SubscriptionRow.platform == destination.platform,
                    SubscriptionRow.chat_id == destination.chat_id,
                    SubscriptionRow.thread_id == (destination.thread_id or ""),
                )
                .order_by(SubscriptionRow.id)
            )
            return [_digest(d, sub) for d, sub in (await s.execute(query)).tuples()]

        result: list[Digest] = await self.run(work)
        return result

    async def due_digests(self, now: datetime, limit: int) -> list[Digest]:
        async def work(s: AsyncSession) -> list[Digest]:
            query = (
                select(DigestRow, SubscriptionRow)
                .join(SubscriptionRow, SubscriptionRow.id == DigestRow.subscription_id)
                .where(DigestRow.next_due_at <= now, SubscriptionRow.paused.is_(False))
                .order_by(DigestRow.next_due_at, DigestRow.subscription_id)
                .limit(limit)
            )
            return [_digest(d, sub) for d, sub in (await s.execute(query)).tuples()]

        result: list[Digest] = await self.run(work)
        return result

    async def issue_digest(
        self,
        digest: Digest,
        *,
        covers_until: datetime,
        story_ids: Sequence[str],
        next_due_at: datetime,
    ) -> bool:
        sub_id = digest.subscription.id

        async def work(s: AsyncSession) -> bool:
            moved = await s.execute(
                update(DigestRow)
                .where(
                    DigestRow.subscription_id == sub_id,
                    DigestRow.next_due_at == digest.next_due_at,
                )
                .values(next_due_at=next_due_at, covers_from=covers_until)
            )
            if not getattr(moved, "rowcount", 0):
                return False  # another process issued it, or the schedule changed
            run = DigestRunRow(
                subscription_id=sub_id,
                due_at=digest.next_due_at,
                covers_from=digest.covers_from,
                covers_until=covers_until,
                story_ids=json.dumps(list(story_ids)),
                created_at=utc_now(),
            )
            s.add(run)
            await s.flush()
            if story_ids:  # nothing new: the schedule moves on, nothing is sent
                s.add(
                    DeliveryRow(
                        subscription_id=sub_id,
                        story_id=digest_key(run.id),
                        story_version=1,
                        kind="digest",
                        status="pending",
                        attempts=0,
                        created_at=covers_until,
                        updated_at=covers_until,
                        next_attempt_at=covers_until,
                    )
                )
            return True

        result: bool = await self.run(work)
        if result and story_ids and self.dialect == "postgresql":
            await self._notify("outbox")
        return result

    async def _notify(self, kind: str) -> None:
        raise NotImplementedError  # SqlStorage wakes waiting processes

    async def digest_issue(self, key: str) -> DigestIssue | None:
        run_id = run_id_of(key)
        if run_id is None:
            return None

        async def work(s: AsyncSession) -> DigestIssue | None:
            found = (
                await s.execute(
                    select(DigestRunRow, SubscriptionRow, DigestRow.schedule)
                    .join(SubscriptionRow, SubscriptionRow.id == DigestRunRow.subscription_id)
                    .outerjoin(DigestRow, DigestRow.subscription_id == SubscriptionRow.id)
                    .where(DigestRunRow.id == run_id)
                )
            ).first()
            if found is None:
                return None
            run, sub, schedule = found
            return DigestIssue(
                key=key,
                topic=sub.topic,
                schedule=schedule or "",
                covers_from=run.covers_from,
                covers_until=run.covers_until,
                story_ids=tuple(json.loads(run.story_ids)),
            )

        result: DigestIssue | None = await self.run(work)
        return result
