"""Prompt wake-ups between processes: PostgreSQL LISTEN/NOTIFY, nothing on SQLite.

Writers send ``pg_notify`` inside the transaction that stores the work (new articles, new
outbox rows), so the notice is delivered exactly when the rows become visible — never
before the commit, never for a rolled-back write. Every process listens on one dedicated
asyncpg connection and its run loop wakes on a notice instead of querying the database
every fraction of a second.

A notice is only a hint: a lost one (listener reconnecting, server restart) costs at most
one tick of the run loop, which still polls on its own schedule. That is why the listener
may fail quietly and retry later instead of stopping the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger("newsbot.notify")

CHANNEL = "newsbot_work"
KINDS = ("articles", "outbox")


async def notify_in(session: AsyncSession, kind: str) -> None:
    """Queue a notice in the session's transaction (sent on commit); no-op off PostgreSQL."""
    if session.bind.dialect.name != "postgresql":
        return
    await session.execute(text("SELECT pg_notify(:channel, :kind)"), {"channel": CHANNEL,
                                                                        "kind": kind})  # fmt: skip


def connect_kwargs(url: str) -> dict[str, Any] | None:
    """asyncpg connection arguments of a PostgreSQL URL; None for other databases.
    Unset parts stay unset so asyncpg falls back to the libpq variables (PGPASSWORD…)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "postgresql":
        return None
    found: dict[str, Any] = {
        "user": parsed.username,
        "password": parsed.password,
        "host": parsed.host,
        "port": parsed.port,
        "database": parsed.database,
    }
    return {key: value for key, value in found.items() if value is not None}


class WorkListener:
    """Wakes the run loop when another process (or this one) stored work.

    ``wait(within_s)`` returns True when a notice arrived since the last wait (at once if
    one is already pending), False after ``within_s`` seconds. On SQLite, or while PostgreSQL
    cannot be reached, it simply sleeps: the run loop's own tick takes over.
    """

    def __init__(self, url: str, *, retry_s: float = 10.0, connect_timeout_s: float = 5.0) -> None:
        self._kwargs = connect_kwargs(url)
        self.retry_s = retry_s
        self.connect_timeout_s = connect_timeout_s
        self._conn: Any = None
        self._event = asyncio.Event()
        self._last_try = -float("inf")
        self.received = 0

    @property
    def enabled(self) -> bool:
        return self._kwargs is not None

    @property
    def listening(self) -> bool:
        conn = self._conn
        return conn is not None and not conn.is_closed()

    async def start(self) -> bool:
        """Connect and LISTEN; False (logged, retried on later waits) when it cannot."""
        if self._kwargs is None or self.listening:
            return self.listening
        self._last_try = time.monotonic()
        import asyncpg  # type: ignore[import-untyped]  # noqa: PLC0415 - PostgreSQL only

        try:
            conn = await asyncpg.connect(timeout=self.connect_timeout_s, **self._kwargs)
        except (OSError, TimeoutError, asyncpg.PostgresError) as err:
            log.warning("notify.connect_failed error=%r", err)
            return False
        try:
            await conn.add_listener(CHANNEL, self._on_notice)
        except (OSError, asyncpg.PostgresError) as err:
            log.warning("notify.listen_failed error=%r", err)
            await conn.close()
            return False
        conn.add_termination_listener(self._on_terminated)
        self._conn = conn
        # Work stored while nobody listened would otherwise wait for a tick: look once.
        self._event.set()
        log.info("notify.listening channel=%s", CHANNEL)
        return True

    async def wait(self, within_s: float) -> bool:
        retry_due = time.monotonic() - self._last_try >= self.retry_s
        if self._kwargs is not None and not self.listening and retry_due:
            await self.start()
        try:
            async with asyncio.timeout(max(0.0, within_s)):
                await self._event.wait()
        except TimeoutError:
            return False
        self._event.clear()
        return True

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with contextlib.suppress(Exception):  # closing a broken connection may raise anything
            await conn.close(timeout=self.connect_timeout_s)

    def _on_notice(self, _conn: Any, _pid: int, _channel: str, _payload: str) -> None:
        self.received += 1
        self._event.set()

    def _on_terminated(self, _conn: Any) -> None:
        log.warning("notify.disconnected")
        self._conn = None
