"""The SQLAlchemy implementation of ``bot.ports.Storage`` (SQLite and PostgreSQL).

Rows never leave this module: every method returns ``bot.domain`` values.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import as_utc
from bot.domain import (
    Article,
    Delivery,
    Destination,
    Feed,
    MessageRef,
    NewArticle,
    Story,
    Subscription,
    Summary,
)
from bot.errors import StorageError
from storage.codec import decode_summary, encode_summary
from storage.models import (
    ArticleRow,
    DeliveryRow,
    FeedRow,
    StoryRow,
    SubscriptionRow,
    SummaryRow,
)

log = logging.getLogger("newsbot.storage")

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


def _feed(row: FeedRow) -> Feed:
    return Feed(
        id=row.id,
        url=row.url,
        name=row.name,
        allow_private=row.allow_private,
        enabled=row.enabled,
        etag=row.etag,
        last_modified=row.last_modified,
        body_hash=row.body_hash,
        next_check_at=row.next_check_at,
        last_checked_at=row.last_checked_at,
        last_success_at=row.last_success_at,
        last_error=row.last_error,
        consecutive_failures=row.consecutive_failures,
        items_seen=row.items_seen,
        added_by=row.added_by,
        created_at=row.created_at,
    )


def _article(row: ArticleRow) -> Article:
    return Article(
        id=row.id,
        feed_id=row.feed_id,
        outlet=row.outlet,
        url=row.url,
        guid=row.guid,
        title=row.title,
        text=row.text,
        published=row.published,
        fetched_at=row.fetched_at,
        content_hash=row.content_hash,
        story_id=row.story_id,
    )


def _destination(row: SubscriptionRow) -> Destination:
    return Destination.from_key(f"{row.platform}:{row.chat_id}:{row.thread_id}")


def _subscription(row: SubscriptionRow) -> Subscription:
    return Subscription(
        id=row.id,
        destination=_destination(row),
        topic=row.topic,
        breaking_only=row.breaking_only,
        min_outlets=row.min_outlets,
        paused=row.paused,
        created_at=row.created_at,
    )


class SqlStorage:
    """Storage on an async SQLAlchemy engine. Create it with ``storage.open_storage``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def close(self) -> None:
        await self.engine.dispose()

    def _insert(self, table: Any) -> Any:
        """An INSERT that can ignore conflicts on both supported dialects."""
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    async def _run(self, work: Any) -> Any:
        try:
            async with self._sessions.begin() as session:
                return await work(session)
        except SQLAlchemyError as err:
            raise StorageError(f"database error: {err.__class__.__name__}: {err}") from err

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
                    created_at=_now(),
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
            return _feed(row)

        result: Feed = await self._run(work)
        return result

    async def list_feeds(self) -> list[Feed]:
        async def work(s: AsyncSession) -> list[Feed]:
            rows = (await s.execute(select(FeedRow).order_by(FeedRow.id))).scalars()
            return [_feed(r) for r in rows]

        result: list[Feed] = await self._run(work)
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
            return [_feed(r) for r in (await s.execute(query)).scalars()]

        result: list[Feed] = await self._run(work)
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
            return True, _aware(earliest.scalar_one())

        result: tuple[bool, datetime | None] = await self._run(work)
        return result

    async def save_feed_state(self, feed: Feed) -> None:
        values = {f: getattr(feed, f) for f in _FEED_STATE_FIELDS}

        async def work(s: AsyncSession) -> None:
            await s.execute(update(FeedRow).where(FeedRow.id == feed.id).values(**values))

        await self._run(work)

    async def remove_feed(self, feed_id: int) -> None:
        async def work(s: AsyncSession) -> None:
            await s.execute(delete(FeedRow).where(FeedRow.id == feed_id))

        await self._run(work)

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
            return [_article(r) for r in stored]

        result: list[Article] = await self._run(work)
        return result

    async def get_articles(self, ids: Sequence[int]) -> list[Article]:
        if not ids:
            return []

        async def work(s: AsyncSession) -> list[Article]:
            rows = await s.execute(select(ArticleRow).where(ArticleRow.id.in_(set(ids))))
            by_id = {r.id: _article(r) for r in rows.scalars()}
            return [by_id[i] for i in ids if i in by_id]

        result: list[Article] = await self._run(work)
        return result

    async def recent_articles(self, since: datetime) -> list[Article]:
        async def work(s: AsyncSession) -> list[Article]:
            query = (
                select(ArticleRow)
                .where(or_(ArticleRow.published >= since, ArticleRow.fetched_at >= since))
                .order_by(ArticleRow.id)
            )
            return [_article(r) for r in (await s.execute(query)).scalars()]

        result: list[Article] = await self._run(work)
        return result

    async def set_article_story(self, article_id: int, story_id: str) -> None:
        async def work(s: AsyncSession) -> None:
            await s.execute(
                update(ArticleRow).where(ArticleRow.id == article_id).values(story_id=story_id)
            )

        await self._run(work)

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

        await self._run(work)

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

        result: Story | None = await self._run(work)
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

        result: list[Story] = await self._run(work)
        return result

    async def story_ids(self) -> set[str]:
        async def work(s: AsyncSession) -> set[str]:
            return set((await s.execute(select(StoryRow.id))).scalars())

        result: set[str] = await self._run(work)
        return result

    async def save_summary(self, summary: Summary) -> None:
        async def work(s: AsyncSession) -> None:
            row = await s.get(SummaryRow, (summary.story_id, summary.story_version))
            if row is None:
                row = SummaryRow(story_id=summary.story_id, story_version=summary.story_version)
                s.add(row)
            row.created_at = _now()
            row.written_by = summary.written_by
            row.payload = encode_summary(summary)

        await self._run(work)

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

        result: Summary | None = await self._run(work)
        return result

    # ------------------------------------------------------------ subscriptions

    async def add_subscription(
        self, destination: Destination, topic: str, *, breaking_only: bool, min_outlets: int
    ) -> tuple[Subscription, bool]:
        key = topic.casefold()

        async def work(s: AsyncSession) -> tuple[Subscription, bool]:
            query = select(SubscriptionRow).where(
                SubscriptionRow.platform == destination.platform,
                SubscriptionRow.chat_id == destination.chat_id,
                SubscriptionRow.thread_id == (destination.thread_id or ""),
                SubscriptionRow.topic_key == key,
            )
            row = (await s.execute(query)).scalar_one_or_none()
            created = row is None
            if row is None:
                row = SubscriptionRow(
                    platform=destination.platform,
                    chat_id=destination.chat_id,
                    thread_id=destination.thread_id or "",
                    topic_key=key,
                    created_at=_now(),
                )
                s.add(row)
            row.topic = topic
            row.breaking_only = breaking_only
            row.min_outlets = min_outlets
            row.paused = False
            await s.flush()
            return _subscription(row), created

        result: tuple[Subscription, bool] = await self._run(work)
        return result

    async def remove_subscription(self, destination: Destination, topic: str) -> bool:
        async def work(s: AsyncSession) -> bool:
            result = await s.execute(
                delete(SubscriptionRow).where(
                    SubscriptionRow.platform == destination.platform,
                    SubscriptionRow.chat_id == destination.chat_id,
                    SubscriptionRow.thread_id == (destination.thread_id or ""),
                    SubscriptionRow.topic_key == topic.casefold(),
                )
            )
            return bool(getattr(result, "rowcount", 0))

        result: bool = await self._run(work)
        return result

    async def subscriptions_for(self, destination: Destination) -> list[Subscription]:
        async def work(s: AsyncSession) -> list[Subscription]:
            query = (
                select(SubscriptionRow)
                .where(
                    SubscriptionRow.platform == destination.platform,
                    SubscriptionRow.chat_id == destination.chat_id,
                    SubscriptionRow.thread_id == (destination.thread_id or ""),
                )
                .order_by(SubscriptionRow.id)
            )
            return [_subscription(r) for r in (await s.execute(query)).scalars()]

        result: list[Subscription] = await self._run(work)
        return result

    async def active_subscriptions(self) -> list[Subscription]:
        async def work(s: AsyncSession) -> list[Subscription]:
            query = (
                select(SubscriptionRow)
                .where(SubscriptionRow.paused.is_(False))
                .order_by(SubscriptionRow.id)
            )
            return [_subscription(r) for r in (await s.execute(query)).scalars()]

        result: list[Subscription] = await self._run(work)
        return result

    async def set_paused(self, destination: Destination, paused: bool) -> int:
        async def work(s: AsyncSession) -> int:
            conditions = [
                SubscriptionRow.platform == destination.platform,
                SubscriptionRow.chat_id == destination.chat_id,
                SubscriptionRow.paused.is_(not paused),
            ]
            if destination.thread_id is not None:
                conditions.append(SubscriptionRow.thread_id == destination.thread_id)
            result = await s.execute(
                update(SubscriptionRow).where(*conditions).values(paused=paused)
            )
            return int(getattr(result, "rowcount", 0))

        result: int = await self._run(work)
        return result

    async def move_destination(self, old: Destination, new: Destination) -> int:
        """Point every subscription of ``old`` at ``new`` (a Telegram group became a supergroup)."""

        async def work(s: AsyncSession) -> int:
            result = await s.execute(
                update(SubscriptionRow)
                .where(
                    SubscriptionRow.platform == old.platform,
                    SubscriptionRow.chat_id == old.chat_id,
                )
                .values(chat_id=new.chat_id)
            )
            return int(getattr(result, "rowcount", 0))

        result: int = await self._run(work)
        return result

    # ------------------------------------------------------------ deliveries (the outbox)

    async def enqueue_deliveries(
        self, story: Story, subscriptions: Sequence[Subscription], *, now: datetime | None = None
    ) -> int:
        if not subscriptions:
            return 0
        now = now or _now()

        async def work(s: AsyncSession) -> int:
            statement = (
                self._insert(DeliveryRow)
                .values(
                    [
                        {
                            "subscription_id": sub.id,
                            "story_id": story.id,
                            "story_version": story.version,
                            "kind": "post",
                            "status": "pending",
                            "attempts": 0,
                            "created_at": now,
                            "updated_at": now,
                            "next_attempt_at": now,
                        }
                        for sub in subscriptions
                    ]
                )
                .on_conflict_do_nothing(index_elements=["subscription_id", "story_id"])
            )
            result = await s.execute(statement)
            return int(getattr(result, "rowcount", 0))

        result: int = await self._run(work)
        return result

    async def pending_deliveries(self, now: datetime, limit: int) -> list[Delivery]:
        async def work(s: AsyncSession) -> list[Delivery]:
            query = (
                select(DeliveryRow, SubscriptionRow)
                .join(SubscriptionRow, SubscriptionRow.id == DeliveryRow.subscription_id)
                .where(DeliveryRow.status == "pending")
                .where(DeliveryRow.next_attempt_at <= now)
                .where(SubscriptionRow.paused.is_(False))
                .order_by(DeliveryRow.id)
                .limit(limit)
            )
            return [
                Delivery(
                    id=d.id,
                    subscription_id=d.subscription_id,
                    destination=_destination(sub),
                    story_id=d.story_id,
                    story_version=d.story_version,
                    kind=d.kind,  # type: ignore[arg-type]
                    status=d.status,  # type: ignore[arg-type]
                    attempts=d.attempts,
                    message_id=d.message_id,
                    last_error=d.last_error,
                    created_at=d.created_at,
                )
                for d, sub in (await s.execute(query)).tuples()
            ]

        result: list[Delivery] = await self._run(work)
        return result

    async def mark_delivered(self, delivery_id: int, message_id: str) -> None:
        async def work(s: AsyncSession) -> None:
            await s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id == delivery_id)
                .values(
                    status="sent",
                    message_id=message_id,
                    attempts=DeliveryRow.attempts + 1,
                    updated_at=_now(),
                    last_error=None,
                )
            )

        await self._run(work)

    async def mark_failed(
        self, delivery_id: int, reason: str, *, retry_at: datetime | None
    ) -> None:
        async def work(s: AsyncSession) -> None:
            values: dict[str, Any] = {
                "attempts": DeliveryRow.attempts + 1,
                "last_error": reason[:2000],
                "updated_at": _now(),
            }
            if retry_at is None:
                values["status"] = "failed"
            else:
                values["next_attempt_at"] = retry_at
            await s.execute(update(DeliveryRow).where(DeliveryRow.id == delivery_id).values(values))

        await self._run(work)

    async def mark_unconfirmed(self, delivery_id: int, reason: str) -> None:
        async def work(s: AsyncSession) -> None:
            await s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id == delivery_id)
                .values(
                    status="unconfirmed",
                    attempts=DeliveryRow.attempts + 1,
                    last_error=reason[:2000],
                    updated_at=_now(),
                )
            )

        await self._run(work)

    async def message_refs(self, story_id: str) -> list[MessageRef]:
        async def work(s: AsyncSession) -> list[MessageRef]:
            query = (
                select(DeliveryRow.message_id, SubscriptionRow)
                .join(SubscriptionRow, SubscriptionRow.id == DeliveryRow.subscription_id)
                .where(DeliveryRow.story_id == story_id, DeliveryRow.status == "sent")
            )
            return [
                MessageRef(_destination(sub), str(message_id))
                for message_id, sub in (await s.execute(query)).tuples()
                if message_id is not None
            ]

        result: list[MessageRef] = await self._run(work)
        return result

    async def count_deliveries(self) -> dict[str, int]:
        """Outbox rows by status (operators' overview and tests)."""

        async def work(s: AsyncSession) -> dict[str, int]:
            rows = await s.execute(
                select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)
            )
            return {str(status): int(n) for status, n in rows.tuples()}

        result: dict[str, int] = await self._run(work)
        return result


def _aware(value: object) -> datetime | None:
    """An aggregate (MIN) bypasses the column type: SQLite gives text, PostgreSQL a datetime."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return as_utc(parsed)


def _now() -> datetime:
    # Bookkeeping timestamps only (row creation); every decision uses the injected clock.
    return as_utc(datetime.now().astimezone())
