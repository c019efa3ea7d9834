"""What every part of the SQL storage shares: the engine, sessions and row mapping.

Rows never leave ``storage/``: these functions map them to ``bot.core.domain`` values.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Row, Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.core.clock import as_utc
from bot.core.domain import Article, Destination, Feed, Subscription
from bot.core.errors import StorageError
from storage.coalesce import Coalescer
from storage.models import ArticleRow, FeedRow, SubscriptionRow

log = logging.getLogger("newsbot.storage")
In = TypeVar("In")
Out = TypeVar("Out")

# Set while this task runs a transaction (see ``SqlBase.run``).
_IN_TRANSACTION: ContextVar[bool] = ContextVar("newsbot_sqlite_transaction", default=False)


def feed_value(
    row: FeedRow | Row[Any],
    scopes: frozenset[str] = frozenset(),
    categories: tuple[tuple[str, str], ...] = (),
) -> Feed:
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
        scopes=scopes,
        disabled_by=row.disabled_by,
        html_url=row.html_url,
        categories=categories,
        health=row.health,
        failing_since=row.failing_since,
    )


def article_value(row: ArticleRow | Row[Any]) -> Article:
    """An ORM row, or a Core row of the articles table (a bulk insert's RETURNING)."""
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
        language=row.language,
        publisher=row.publisher,
    )


def destination_value(row: SubscriptionRow) -> Destination:
    return Destination.from_key(f"{row.platform}:{row.chat_id}:{row.thread_id}")


def subscription_value(row: SubscriptionRow) -> Subscription:
    return Subscription(
        id=row.id,
        destination=destination_value(row),
        topic=row.topic,
        breaking_only=row.breaking_only,
        min_outlets=row.min_outlets,
        paused=row.paused,
        created_at=row.created_at,
        scope=row.scope,
        only_ours=row.only_ours,
        ping_role=row.ping_role,
    )


class SqlBase:
    """The engine and a transaction helper; the storage classes build on it."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        # SQLite lets one connection write at a time, and a connection that finds the
        # database locked sleeps in its busy handler (up to 100 ms a try) instead of
        # queueing: 64 polls in flight spent seconds each asleep while the lock sat idle.
        # Transactions of this process therefore queue here, in order, and each finds the
        # database free (another process, such as a CLI command, still meets the busy
        # handler). PostgreSQL locks rows, not the database: no queue there.
        self._serial = asyncio.Lock() if self.dialect == "sqlite" else None
        # Group commits (``storage.coalesce``) finish before the engine closes.
        self._coalescers: list[Coalescer[Any, Any]] = []
        self._together = self.coalescer(self._run_works, most=100)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def ping(self, timeout_s: float = 5.0) -> bool:
        """Whether the database answers (for /readyz); never raises."""
        try:
            async with asyncio.timeout(timeout_s), self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError, TimeoutError):
            return False
        return True

    def coalescer(
        self, write: Callable[[Sequence[In]], Awaitable[list[Out]]], *, most: int
    ) -> Coalescer[In, Out]:
        """A group commit of ``write`` (see ``storage.coalesce``), drained on close."""
        made = Coalescer(write, most=most)
        self._coalescers.append(made)
        return made

    async def close(self) -> None:
        for coalescer in self._coalescers:
            await coalescer.wait_idle()
        await self.engine.dispose()

    def insert(self, table: Any) -> Any:
        """An INSERT that can ignore conflicts on both supported dialects."""
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    def upsert(self, table: Table, keys: Sequence[str]) -> Any:
        """An INSERT of whole rows of ``table`` that, on a row with the same ``keys``,
        overwrites every other column instead (both supported dialects)."""
        statement = self.insert(table)
        return statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={c.name: statement.excluded[c.name] for c in table.c if c.name not in keys},
        )

    async def run(self, work: Any) -> Any:
        """``work(session)`` in a transaction of its own."""
        if _IN_TRANSACTION.get():
            return await self._transaction(work)
        token = _IN_TRANSACTION.set(True)
        try:
            if self._serial is None:
                return await self._transaction(work)
            async with self._serial:
                return await self._transaction(work)
        finally:
            _IN_TRANSACTION.reset(token)

    async def run_together(self, work: Any) -> Any:
        """``work(session)`` in one transaction with the other calls made while the
        previous such transaction ran (``storage.coalesce``), in the order called: the
        pipeline's many small reads and writes per story share a transaction."""
        if _IN_TRANSACTION.get():
            return await self.run(work)
        return await self._together.submit(work)

    async def _run_works(self, works: Sequence[Any]) -> list[Any]:
        async def every(s: AsyncSession) -> list[Any]:
            return [await work(s) for work in works]

        done: list[Any] = await self.run(every)
        return done

    async def _transaction(self, work: Any) -> Any:
        try:
            async with self._sessions.begin() as session:
                return await work(session)
        except SQLAlchemyError as err:
            raise StorageError(f"database error: {err.__class__.__name__}: {err}") from err


def aware(value: object) -> datetime | None:
    """An aggregate (MIN) bypasses the column type: SQLite gives text, PostgreSQL a datetime."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return as_utc(parsed)


def utc_now() -> datetime:
    # Bookkeeping timestamps only (row creation); every decision uses the injected clock.
    return as_utc(datetime.now().astimezone())
