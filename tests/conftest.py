"""Shared fixtures. Storage fixtures run on SQLite and, when NEWSBOT_TEST_DATABASE_URL
points at PostgreSQL, on PostgreSQL too: each test gets a freshly created database that
is dropped afterwards. With CI=true an unreachable PostgreSQL fails instead of skipping."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy.engine import make_url

from bot.core.clock import FixedClock
from storage import SqlStorage, open_storage

# Property tests judge behaviour, not speed: a loaded machine (CI, parallel runs) must not
# fail them for being slow.
settings.register_profile("newsbot", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("newsbot")

PG_URL = os.environ.get("NEWSBOT_TEST_DATABASE_URL", "")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

BACKENDS = ["sqlite"]
if PG_URL:
    BACKENDS.append("postgresql")
elif IN_CI:
    BACKENDS.append("postgresql-missing")


async def _admin_connect(url: str):  # type: ignore[no-untyped-def]
    import asyncpg  # type: ignore[import-untyped]  # noqa: PLC0415 - only on PostgreSQL runs

    parsed = make_url(url)
    return await asyncpg.connect(
        user=parsed.username or "postgres",
        password=parsed.password,
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        database=parsed.database or "postgres",
        timeout=10,
    )


async def fresh_postgres_url() -> tuple[str, str]:
    name = f"newsbot_test_{uuid.uuid4().hex[:12]}"
    try:
        conn = await _admin_connect(PG_URL)
    except (OSError, Exception) as err:  # any failure to reach the server is the same here
        if IN_CI:
            pytest.fail(f"PostgreSQL at {PG_URL} is unreachable in CI: {err}")
        pytest.skip(f"PostgreSQL unreachable: {err}")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = make_url(PG_URL).set(drivername="postgresql+asyncpg", database=name)
    return url.render_as_string(hide_password=False), name


async def drop_postgres(name: str) -> None:
    conn = await _admin_connect(PG_URL)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A URL of an empty database on each backend under test."""
    if request.param == "postgresql-missing":
        pytest.fail("CI=true but NEWSBOT_TEST_DATABASE_URL is not set: PostgreSQL must be tested")
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    url, name = await fresh_postgres_url()
    try:
        yield url
    finally:
        await drop_postgres(name)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStorage]:
    storage = await open_storage(database_url)
    try:
        yield storage
    finally:
        await storage.close()


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SqlStorage]:
    """SQLite only, for tests of the core that are not about storage."""
    storage = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'core.db'}")
    try:
        yield storage
    finally:
        await storage.close()


@pytest.fixture
def clock() -> FixedClock:
    # A fixed clock an hour ahead of the real time: storage stamps a feed's creation with
    # the wall clock, and first-run suppression posts only items published after it, so
    # items a test dates "half an hour ago" must still be later than the feeds it just
    # added. (A constant date here made these tests fail once the calendar passed it.)
    return FixedClock(datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1))
