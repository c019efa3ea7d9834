"""Feeds and their polling state; polls are claimed with leases so processes share them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.domain import Feed
from storage.base import SqlBase, aware, feed_value, utc_now
from storage.models import FeedRow

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


def _due(now: datetime, limit: int) -> Select[tuple[FeedRow]]:
    """Enabled feeds due at ``now``: never checked first, then the longest overdue."""
    return (
        select(FeedRow)
        .where(FeedRow.enabled.is_(True))
        .where(or_(FeedRow.next_check_at.is_(None), FeedRow.next_check_at <= now))
        .order_by(FeedRow.next_check_at.is_not(None), FeedRow.next_check_at, FeedRow.id)
        .limit(limit)
    )


class FeedStorage(SqlBase):
    async def upsert_feed(
        self, url: str, name: str, *, allow_private: bool = False, added_by: str | None = None
    ) -> Feed:
        async def work(s: AsyncSession) -> Feed:
            # Insert-or-nothing first: processes starting together list the same feeds,
            # and a plain INSERT after a SELECT would race into a unique violation.
            created = await s.execute(
                self.insert(FeedRow)
                .values(
                    url=url,
                    name=name,
                    allow_private=allow_private,
                    added_by=added_by,
                    created_at=utc_now(),
                    enabled=True,
                    consecutive_failures=0,
                    items_seen=0,
                )
                .on_conflict_do_nothing(index_elements=["url"])
            )
            row = (await s.execute(select(FeedRow).where(FeedRow.url == url))).scalar_one()
            if not getattr(created, "rowcount", 0):
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

    async def claim_due_feeds(self, now: datetime, limit: int, lease_s: float) -> list[Feed]:
        """Take up to ``limit`` due feeds for this process: their next check moves to
        ``now + lease_s`` in the same transaction, so other processes skip them until the
        poll saves the real next check, or until the lease ends if this process dies.

        On PostgreSQL the rows are locked with SKIP LOCKED, so processes claiming at the
        same moment get disjoint feeds instead of waiting on each other. SQLite ignores
        the locking clause; its one process never races itself."""
        lease_until = now + timedelta(seconds=max(lease_s, 0.0))

        async def work(s: AsyncSession) -> list[Feed]:
            query = _due(now, limit).with_for_update(skip_locked=True)
            # Values first: the UPDATE below refreshes the rows the session holds.
            claimed = [feed_value(r) for r in (await s.execute(query)).scalars()]
            if claimed:
                await s.execute(
                    update(FeedRow)
                    .where(FeedRow.id.in_([f.id for f in claimed]))
                    .values(next_check_at=lease_until)
                    .execution_options(synchronize_session=False)
                )
            return claimed

        if limit <= 0:
            return []
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
