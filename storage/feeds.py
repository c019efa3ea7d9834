"""Feeds and their polling state; polls are claimed with leases so processes share them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.core.domain import OPERATOR_SCOPE, Destination, Feed
from bot.feeds.schedule import spread_over_hosts
from storage.base import SqlBase, aware, destination_value, feed_value, utc_now
from storage.models import FEEDS, ArticleRow, DeliveryRow, FeedRow, FeedScopeRow, SubscriptionRow

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
_IDS_PER_QUERY = 500


# A claim picks its feeds spread over their hosts from this many times as many of the
# most overdue: enough for a claim of a few hosts' imports to reach other hosts, few
# enough that a claim stays one short read however many feeds are due.
_CLAIM_WINDOW = 4


def _due(now: datetime, limit: int) -> Select[Any]:
    """Ids and URLs of enabled feeds due at ``now``: never checked first, then the
    longest overdue."""
    c = FEEDS.c
    return (
        select(c.id, c.url)
        .where(c.enabled.is_(True))
        .where(or_(c.next_check_at.is_(None), c.next_check_at <= now))
        .order_by(c.next_check_at.is_not(None), c.next_check_at, c.id)
        .limit(limit)
    )


def _revive_if_dead(row: FeedRow) -> None:
    """Added (or listed by the operator) again: a dead feed is tried now. Its failing spell
    is kept, so if it is still down it is dead again without a second notice; if it
    answers, it is healthy."""
    if row.health == "dead":
        row.health = "ok"
        row.next_check_at = None


class FeedStorage(SqlBase):
    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        # Polls in flight save their feeds' state together (``storage.coalesce``).
        self._state_writes = self.coalescer(self._save_feed_states, most=500)

    async def _insert_feed(
        self,
        s: AsyncSession,
        url: str,
        name: str,
        *,
        allow_private: bool,
        added_by: str | None,
        html_url: str | None = None,
    ) -> bool:
        """Insert the feed unless its URL is stored; True when it was new. Insert-or-nothing
        first: processes starting together list the same feeds, and a plain INSERT after a
        SELECT would race into a unique violation."""
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
                html_url=html_url,
            )
            .on_conflict_do_nothing(index_elements=["url"])
        )
        return bool(getattr(created, "rowcount", 0))

    async def upsert_feed(
        self, url: str, name: str, *, allow_private: bool = False, added_by: str | None = None
    ) -> Feed:
        async def work(s: AsyncSession) -> Feed:
            created = await self._insert_feed(
                s, url, name, allow_private=allow_private, added_by=added_by
            )
            row = (await s.execute(select(FeedRow).where(FeedRow.url == url))).scalar_one()
            if not created:
                row.name = name or row.name
                row.allow_private = allow_private
                _revive_if_dead(row)
                if (
                    not row.enabled
                    and added_by is None
                    and row.disabled_by != "operator"  # `newsbot feeds disable` sticks
                ):
                    row.enabled = True  # the operator listed it again: give it another chance
                    row.disabled_by = None
                    row.health = "ok"
                    row.next_check_at = None
            if added_by is None:  # the operator's (config, demo, replay): serves everyone
                await self._link(s, row.id, OPERATOR_SCOPE, "config")
            return feed_value(row, await self._scopes_of(s, row.id))

        result: Feed = await self.run(work)
        return result

    async def add_scoped_feed(
        self,
        url: str,
        name: str,
        *,
        scope: str,
        added_by: str,
        html_url: str | None = None,
        category: str = "",
    ) -> tuple[Feed, bool]:
        async def work(s: AsyncSession) -> tuple[Feed, bool]:
            created = await self._insert_feed(
                s, url, name, allow_private=False, added_by=added_by, html_url=html_url
            )
            row = (await s.execute(select(FeedRow).where(FeedRow.url == url))).scalar_one()
            if not created:
                _revive_if_dead(row)
            if html_url and not row.html_url:
                row.html_url = html_url
            linked = await self._link(s, row.id, scope, added_by, category)
            if linked and not row.enabled and row.disabled_by != "operator":
                row.enabled = True  # a community takes on a feed the config dropped
                row.disabled_by = None
            return feed_value(row, await self._scopes_of(s, row.id)), linked

        result: tuple[Feed, bool] = await self.run(work)
        return result

    async def unlink_feed(self, feed_id: int, scope: str) -> bool:
        """Take ``scope`` off the feed; a feed nobody serves any more is deleted."""

        async def work(s: AsyncSession) -> bool:
            gone = await s.execute(
                delete(FeedScopeRow).where(
                    FeedScopeRow.feed_id == feed_id, FeedScopeRow.scope == scope
                )
            )
            if not getattr(gone, "rowcount", 0):
                return False
            if not await self._scopes_of(s, feed_id):
                await s.execute(delete(FeedRow).where(FeedRow.id == feed_id))
            return True

        result: bool = await self.run(work)
        return result

    async def set_feed_enabled(self, feed_id: int, enabled: bool) -> bool:
        async def work(s: AsyncSession) -> bool:
            result = await s.execute(
                update(FeedRow)
                .where(FeedRow.id == feed_id)
                .values(
                    enabled=enabled,
                    disabled_by=None if enabled else "operator",
                    consecutive_failures=0 if enabled else FeedRow.consecutive_failures,
                )
            )
            return bool(getattr(result, "rowcount", 0))

        result: bool = await self.run(work)
        return result

    async def retire_config_feeds(self, urls: Sequence[str]) -> list[Feed]:
        async def work(s: AsyncSession) -> list[Feed]:
            listed = set(urls)
            links = (
                await s.execute(
                    select(FeedScopeRow, FeedRow)
                    .join(FeedRow, FeedRow.id == FeedScopeRow.feed_id)
                    .where(FeedScopeRow.scope == OPERATOR_SCOPE)
                    .where(FeedScopeRow.added_by == "config")
                    .order_by(FeedRow.id)
                )
            ).all()
            retired: list[Feed] = []
            for link, row in links:
                if row.url in listed:
                    continue
                await s.delete(link)
                await s.flush()
                left = await self._scopes_of(s, row.id)
                if not left and row.enabled:
                    row.enabled = False
                    row.disabled_by = "config"
                retired.append(feed_value(row, left))
            return retired

        result: list[Feed] = await self.run(work)
        return result

    async def _link(
        self, s: AsyncSession, feed_id: int, scope: str, added_by: str, category: str = ""
    ) -> bool:
        created = await s.execute(
            self.insert(FeedScopeRow)
            .values(
                feed_id=feed_id,
                scope=scope,
                added_by=added_by,
                category=category[:500],
                created_at=utc_now(),
            )
            .on_conflict_do_nothing(index_elements=["feed_id", "scope"])
        )
        return bool(getattr(created, "rowcount", 0))

    async def _scopes_of(self, s: AsyncSession, feed_id: int) -> frozenset[str]:
        query = select(FeedScopeRow.scope).where(FeedScopeRow.feed_id == feed_id)
        return frozenset((await s.execute(query)).scalars())

    async def list_feeds(self) -> list[Feed]:
        result: list[Feed] = await self.run(lambda s: self._read_feeds(s, None))
        return result

    async def get_feeds(self, ids: Collection[int]) -> dict[int, Feed]:
        """The feeds of these ids that exist, by id: what a batch's stories cite, without
        reading every feed of a large deployment."""
        if not ids:
            return {}
        wanted = sorted(set(ids))

        async def work(s: AsyncSession) -> dict[int, Feed]:
            found: dict[int, Feed] = {}
            # Bounded IN lists: SQLite caps the bound parameters of one statement.
            for start in range(0, len(wanted), _IDS_PER_QUERY):
                part = wanted[start : start + _IDS_PER_QUERY]
                found.update((feed.id, feed) for feed in await self._read_feeds(s, part))
            return found

        result: dict[int, Feed] = await self.run(work)
        return result

    @staticmethod
    async def _read_feeds(s: AsyncSession, ids: Sequence[int] | None) -> list[Feed]:
        scopes: dict[int, set[str]] = {}
        folders: dict[int, list[tuple[str, str]]] = {}
        linked = select(FeedScopeRow.feed_id, FeedScopeRow.scope, FeedScopeRow.category)
        rows = select(FEEDS).order_by(FEEDS.c.id)
        if ids is not None:
            linked = linked.where(FeedScopeRow.feed_id.in_(ids))
            rows = rows.where(FEEDS.c.id.in_(ids))
        for feed_id, scope, category in await s.execute(linked):
            scopes.setdefault(feed_id, set()).add(scope)
            if category:
                folders.setdefault(feed_id, []).append((scope, category))
        return [
            feed_value(r, frozenset(scopes.get(r.id, ())), tuple(folders.get(r.id, ())))
            for r in await s.execute(rows)
        ]

    async def claim_due_feeds(self, now: datetime, limit: int, lease_s: float) -> list[Feed]:
        """Take up to ``limit`` due feeds for this process: their next check moves to
        ``now + lease_s`` in the same transaction, so other processes skip them until the
        poll saves the real next check, or until the lease ends if this process dies.

        The feeds are taken spread over their hosts from the ``_CLAIM_WINDOW`` times
        ``limit`` most overdue (``spread_over_hosts``). On PostgreSQL that window is
        locked with SKIP LOCKED, so processes claiming at the same moment get disjoint
        feeds instead of waiting on each other; a claim made while others hold their
        windows may take fewer than ``limit`` (the rest are taken by the next). SQLite
        ignores the locking clause; its one process never races itself."""
        lease_until = now + timedelta(seconds=max(lease_s, 0.0))

        async def work(s: AsyncSession) -> list[Feed]:
            window = await s.execute(
                _due(now, limit * _CLAIM_WINDOW).with_for_update(skip_locked=True)
            )
            ids = spread_over_hosts([(r.id, r.url) for r in window], limit)
            if not ids:
                return []
            rows = {
                r.id: feed_value(r)
                for r in await s.execute(select(FEEDS).where(FEEDS.c.id.in_(ids)))
            }
            await s.execute(
                update(FeedRow)
                .where(FeedRow.id.in_(ids))
                .values(next_check_at=lease_until)
                .execution_options(synchronize_session=False)
            )
            return [rows[i] for i in ids]

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
        await self._state_writes.submit(feed)

    async def _save_feed_states(self, feeds: Sequence[Feed]) -> list[None]:
        """``save_feed_state`` for several polls in one transaction (``storage.coalesce``)."""
        rows = [{"id_": f.id, **{n: getattr(f, n) for n in _FEED_STATE_FIELDS}} for f in feeds]
        statement = update(FEEDS).where(FEEDS.c.id == bindparam("id_"))

        async def work(s: AsyncSession) -> None:
            # One statement, many parameter sets (executemany), applied in order.
            await s.execute(statement, rows)

        await self.run(work)
        return [None] * len(feeds)

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
