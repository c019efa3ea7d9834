"""Engines and migrations."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.core.errors import ConfigError, StorageError
from storage.leader import hold_migration_lock
from storage.sql import SqlStorage

log = logging.getLogger("newsbot.storage")
MIGRATIONS = Path(__file__).with_name("migrations")


def create_engine_for(url: str) -> AsyncEngine:
    """An async engine for a SQLite or PostgreSQL URL; other databases are refused."""
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise ConfigError(f"[database] url is not a database URL: {url!r}") from err
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.drivername != "sqlite+aiosqlite":
            parsed = parsed.set(drivername="sqlite+aiosqlite")
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    if backend == "postgresql":
        if parsed.drivername != "postgresql+asyncpg":
            parsed = parsed.set(drivername="postgresql+asyncpg")
        return create_async_engine(parsed, pool_pre_ping=True)
    raise ConfigError(
        f"[database] url uses {backend!r}; newsbot supports sqlite and postgresql URLs"
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    hold_migration_lock(connection)  # processes starting together migrate one at a time
    command.upgrade(alembic_config(connection), "head")


async def migrate(engine: AsyncEngine) -> None:
    """Apply every migration up to head (idempotent)."""
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade)
    except (SQLAlchemyError, OSError) as err:
        raise StorageError(f"could not migrate the database: {err}") from err


async def open_storage(url: str, *, upgrade: bool = True) -> SqlStorage:
    engine = create_engine_for(url)
    try:
        if upgrade:
            await migrate(engine)
    except BaseException:
        await engine.dispose()
        raise
    return SqlStorage(engine)
