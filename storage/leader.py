"""Who may do the singleton work, and who may run at all.

PostgreSQL: several processes share one database; exactly one of them at a time is the
*leader* and does the work that must not run twice (clustering, summarising). Leadership
is a session-level advisory lock held on a dedicated connection, so it lives exactly as
long as that connection: a process that dies or loses its network loses the lock when the
server closes the session, and the next ``try_acquire`` of another process wins it.

SQLite: the database has no row locks to share work with, so only one process may use a
database file. ``acquire_instance_guard`` takes an exclusive ``flock`` on a sidecar file
(``newsbot.db.lock``) for the life of the process; the kernel drops it when the process
dies, however it dies, so a stale lock file never blocks a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.errors import ConfigError, SingleWriterError, StorageError

__all__ = [
    "MIGRATION_LOCK_NAME",
    "InstanceGuard",
    "LeaderElection",
    "PlatformSenders",
    "acquire_instance_guard",
    "advisory_key",
    "hold_migration_lock",
    "sqlite_lock_path",
]

log = logging.getLogger("newsbot.leader")

DEFAULT_LOCK_NAME = "newsbot:singleton"
MIGRATION_LOCK_NAME = "newsbot:migrations"


def advisory_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name`` (the same in every process)."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def hold_migration_lock(connection: Connection) -> None:
    """Serialise schema upgrades of processes starting together (call inside the
    migration's transaction, before Alembic runs).

    The lock is transaction-scoped: a second process waits here until the first commits,
    then finds the schema at head and has nothing to do. SQLite needs nothing: its
    instance guard already admits one process, and its writes are serialised anyway.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"),
            {"key": advisory_key(MIGRATION_LOCK_NAME)},
        )


class LeaderElection:
    """One leader at a time among the processes sharing a database.

    On SQLite the instance guard already makes this process the only one, so it is always
    the leader. Call ``is_leader`` before each piece of singleton work: it notices a lost
    connection, after which ``try_acquire`` must win the lock again.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        name: str = DEFAULT_LOCK_NAME,
        check_timeout_s: float = 5.0,
    ) -> None:
        self.engine = engine
        self.name = name
        self.key = advisory_key(name)
        self.check_timeout_s = check_timeout_s
        self._shared = engine.dialect.name == "postgresql"
        self._conn: AsyncConnection | None = None
        self._solo_leader = False
        # One operation at a time on the dedicated connection, whichever task calls.
        self._lock = asyncio.Lock()

    async def try_acquire(self) -> bool:
        """Become the leader if nobody is; True when this process leads (now or already)."""
        async with self._lock:
            return await self._try_acquire()

    async def is_leader(self) -> bool:
        """True while the lock is held on a live connection (a round trip on PostgreSQL)."""
        async with self._lock:
            return await self._check()

    async def release(self) -> None:
        """Give leadership up (idempotent); another process can take it on its next try."""
        async with self._lock:
            await self._release()

    async def _try_acquire(self) -> bool:
        if not self._shared:
            self._solo_leader = True
            return True
        if self._conn is not None and await self._check():
            return True
        conn = await self._connect()
        if conn is None:
            return False
        try:
            async with asyncio.timeout(self.check_timeout_s):
                result = await conn.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
                )
                won = bool(result.scalar_one())
                # Autocommit-free connections keep a transaction open; end it so the session
                # is idle while it holds the (session-level, not transaction-level) lock.
                await conn.commit()
        except (SQLAlchemyError, OSError, TimeoutError) as err:
            log.warning("leader.acquire_failed name=%s error=%r", self.name, err)
            await self._discard(conn)
            return False
        if not won:
            await conn.close()
            return False
        self._conn = conn
        log.info("leader.acquired name=%s pid=%d", self.name, os.getpid())
        return True

    async def _check(self) -> bool:
        if not self._shared:
            return self._solo_leader
        conn = self._conn
        if conn is None:
            return False
        try:
            async with asyncio.timeout(self.check_timeout_s):
                await conn.execute(text("SELECT 1"))
                await conn.commit()
        except (SQLAlchemyError, OSError, TimeoutError) as err:
            # The session (and with it the lock) is gone or unreachable: another process
            # may already lead, so this one must stop its singleton work now.
            log.warning("leader.lost name=%s error=%r", self.name, err)
            self._conn = None
            await self._discard(conn)
            return False
        return True

    async def _release(self) -> None:
        self._solo_leader = False
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            async with asyncio.timeout(self.check_timeout_s):
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
                await conn.commit()
            await conn.close()
        except (SQLAlchemyError, OSError, TimeoutError) as err:
            # Closing the session frees the lock too; a broken one is dropped, not reused.
            log.warning("leader.release_failed name=%s error=%r", self.name, err)
            await self._discard(conn)
        log.info("leader.released name=%s", self.name)

    async def _connect(self) -> AsyncConnection | None:
        try:
            async with asyncio.timeout(self.check_timeout_s):
                return await self.engine.connect()
        except (SQLAlchemyError, OSError, TimeoutError) as err:
            log.warning("leader.connect_failed name=%s error=%r", self.name, err)
            return None

    async def _discard(self, conn: AsyncConnection) -> None:
        # Invalidate so the pool never hands out a session that might still hold the lock.
        with contextlib.suppress(SQLAlchemyError, OSError, TimeoutError):
            await conn.invalidate()
        with contextlib.suppress(SQLAlchemyError, OSError, TimeoutError):
            await conn.close()


SENDER_LOCK_PREFIX = "newsbot:sender:"


class PlatformSenders:
    """One elected sender per platform (``bot.delivery.ports.SenderElection``).

    Each platform's role is its own session-level advisory lock, as for the clustering
    leader, so the platform's global rate limit is spent by one process's limiter however
    many processes run, and the role passes to another process when the holder's
    connection ends (a crash, a lost network) or it shuts down. On SQLite the one process
    sends for every platform.
    """

    def __init__(self, engine: AsyncEngine, *, check_timeout_s: float = 5.0) -> None:
        self.engine = engine
        self.check_timeout_s = check_timeout_s
        self._roles: dict[str, LeaderElection] = {}

    async def holds(self, platform: str) -> bool:
        role = self._roles.get(platform)
        if role is None:
            role = self._roles[platform] = LeaderElection(
                self.engine,
                name=SENDER_LOCK_PREFIX + platform,
                check_timeout_s=self.check_timeout_s,
            )
        return await role.try_acquire()

    async def release(self) -> None:
        for role in self._roles.values():
            await role.release()


# ------------------------------------------------------------------ the SQLite guard


def sqlite_lock_path(url: str) -> Path | None:
    """The sidecar lock file of a SQLite URL; None for PostgreSQL and in-memory SQLite."""
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise ConfigError(f"[database] url is not a database URL: {url!r}") from err
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or parsed.query.get("mode") == "memory":
        return None
    # Resolved, so processes started from different folders or via symlinks agree.
    path = Path(database).expanduser().resolve()
    return path.with_name(path.name + ".lock")


@dataclass
class InstanceGuard:
    """Holds the SQLite lock file open and locked; a no-op where processes may share."""

    path: Path | None = None
    _fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        # The file stays: unlinking it would let a newcomer lock a fresh inode while a
        # waiter still holds the old one, and two processes would both believe they own it.
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _lock_file(path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read_pid(fd)
        os.close(fd)
        who = f"pid {holder}" if holder else "pid unknown"
        raise SingleWriterError(
            f"another newsbot process is using this SQLite database ({who}); SQLite cannot "
            f"share the work — use PostgreSQL to run several processes (lock file {path})."
        ) from None
    except OSError as err:
        os.close(fd)
        raise StorageError(f"could not lock {path}: {err}") from err
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _read_pid(fd: int) -> int | None:
    try:
        raw = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(raw) if raw.isdigit() else None


async def acquire_instance_guard(url: str) -> InstanceGuard:
    """Refuse to start a second process on one SQLite file (``SingleWriterError``)."""
    path = sqlite_lock_path(url)
    if path is None:
        return InstanceGuard()
    fd = _lock_file(path)
    log.info("instance.locked path=%s pid=%d", path, os.getpid())
    return InstanceGuard(path, fd)
