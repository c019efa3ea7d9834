"""Feeds and their polling state; polls are claimed with leases so processes share them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.domain import Destination, Feed
from storage.base import SqlBase, aware, destination_value, feed_value, utc_now
from storage.models import ArticleRow, DeliveryRow, FeedRow, SubscriptionRow

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
    "health",
    "failing_since",
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
                if not row.enabled or row.health == "dead":
                    # Added (or listed by the operator) again: try it now. Its failing spell
                    # is kept, so if it is still down it is dead again without a second
                    # notice; if it answers, it is healthy.
                    row.enabled = True
                    row.health = "ok"
                    row.next_check_at = None
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

    async def enqueue_feed_notice(self, feed: Feed, key: str, text: str, *, now: datetime) -> int:
        """Queue ``text`` once to every chat a story of ``feed`` was delivered to and to the
        chat that added it, as outbox rows of kind "notice" keyed ``key``."""

        async def work(s: AsyncSession) -> int:
            served = (
                select(DeliveryRow.subscription_id)
                .join(ArticleRow, ArticleRow.story_id == DeliveryRow.story_id)
                .where(ArticleRow.feed_id == feed.id, DeliveryRow.kind != "notice")
                .distinct()
            )
            wanted = or_(SubscriptionRow.id.in_(served))
            if feed.added_by:
                adder = Destination.from_key(feed.added_by)
                wanted = or_(
                    wanted,
                    (SubscriptionRow.platform == adder.platform)
                    & (SubscriptionRow.chat_id == adder.chat_id)
                    & (SubscriptionRow.thread_id == (adder.thread_id or "")),
                )
            subs = await s.execute(
                select(SubscriptionRow).where(wanted).order_by(SubscriptionRow.id)
            )
            one_each: dict[str, int] = {}
            for sub in subs.scalars():
                one_each.setdefault(destination_value(sub).key, sub.id)
            if not one_each:
                return 0
            result = await s.execute(
                self.insert(DeliveryRow)
                .values(
                    [
                        {
                            "subscription_id": sub_id, "story_id": key, "story_version": 1,
                            "kind": "notice", "status": "pending", "attempts": 0,
                            "created_at": now, "updated_at": now, "next_attempt_at": now,
                            "shown_version": 0, "body": text,
                        }
                        for sub_id in one_each.values()
                    ]
                )
                .on_conflict_do_nothing(index_elements=["subscription_id", "story_id"])
            )  # fmt: skip
            return int(getattr(result, "rowcount", 0))

        result: int = await self.run(work)
        return result
