"""Leader election (PostgreSQL advisory lock) and the single-process guard (SQLite)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import textwrap
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.errors import ConfigError, SingleWriterError
from storage import create_engine_for
from storage.leader import (
    LeaderElection,
    PlatformSenders,
    acquire_instance_guard,
    advisory_key,
    hold_migration_lock,
    sqlite_lock_path,
)
from tests.conftest import IN_CI, PG_URL, drop_postgres, fresh_postgres_url

ROOT = Path(__file__).resolve().parents[2]

GUARD_HOLDER = textwrap.dedent(
    """
    import asyncio, sys
    from storage.leader import acquire_instance_guard

    async def main() -> None:
        guard = await acquire_instance_guard(sys.argv[1])
        print("locked", flush=True)
        sys.stdin.readline()
        await guard.release()

    asyncio.run(main())
    """
)

LEADER_HOLDER = textwrap.dedent(
    """
    import asyncio, sys
    from storage import create_engine_for
    from storage.leader import LeaderElection

    async def main() -> None:
        election = LeaderElection(create_engine_for(sys.argv[1]))
        print("leader" if await election.try_acquire() else "follower", flush=True)
        await asyncio.sleep(60)

    asyncio.run(main())
    """
)


async def spawn(script: str, arg: str) -> asyncio.subprocess.Process:
    """A real second newsbot-like process, run from the repository root."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        arg,
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def first_line(proc: asyncio.subprocess.Process) -> str:
    assert proc.stdout is not None
    async with asyncio.timeout(30):
        return (await proc.stdout.readline()).decode().strip()


async def end(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.send_signal(signal.SIGKILL)
    await proc.wait()


# ------------------------------------------------------------------ SQLite instance guard


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def test_second_guard_on_one_sqlite_file_refuses(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "newsbot.db")
    first = await acquire_instance_guard(url)
    assert first.held
    assert first.path == tmp_path / "newsbot.db.lock"
    with pytest.raises(SingleWriterError) as caught:
        await acquire_instance_guard(url)
    message = str(caught.value)
    assert f"(pid {os.getpid()})" in message
    assert "another newsbot process is using this SQLite database" in message
    assert "use PostgreSQL to run several processes" in message
    await first.release()
    assert not first.held

    again = await acquire_instance_guard(url)
    assert again.held
    await again.release()
    await again.release()  # idempotent


async def test_the_lock_file_holds_the_holders_pid(tmp_path: Path) -> None:
    guard = await acquire_instance_guard(sqlite_url(tmp_path / "newsbot.db"))
    assert (tmp_path / "newsbot.db.lock").read_text() == f"{os.getpid()}\n"
    await guard.release()
    # The file stays (see InstanceGuard.release) but no longer names anyone.
    assert (tmp_path / "newsbot.db.lock").read_text() == ""


async def test_a_stale_lock_file_from_a_dead_process_does_not_block(tmp_path: Path) -> None:
    (tmp_path / "newsbot.db.lock").write_text("999999\n")
    guard = await acquire_instance_guard(sqlite_url(tmp_path / "newsbot.db"))
    assert (tmp_path / "newsbot.db.lock").read_text() == f"{os.getpid()}\n"
    await guard.release()


async def test_a_second_real_process_is_refused_until_the_first_dies(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "data" / "newsbot.db")
    holder = await spawn(GUARD_HOLDER, url)
    try:
        assert await first_line(holder) == "locked"
        with pytest.raises(SingleWriterError, match=rf"\(pid {holder.pid}\)"):
            await acquire_instance_guard(url)
        # Killed without any chance to clean up: the kernel still drops the lock.
        holder.send_signal(signal.SIGKILL)
        await holder.wait()
        guard = await acquire_instance_guard(url)
        await guard.release()
    finally:
        await end(holder)


async def test_a_real_second_process_is_refused_by_this_one(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "newsbot.db")
    guard = await acquire_instance_guard(url)
    other = await spawn(GUARD_HOLDER, url)
    try:
        async with asyncio.timeout(30):
            out, err = await other.communicate()
        assert other.returncode != 0
        assert out == b""  # it never got the lock
        assert b"SingleWriterError" in err
        assert f"(pid {os.getpid()})".encode() in err
    finally:
        await end(other)
        await guard.release()


async def test_relative_and_absolute_paths_share_one_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    guard = await acquire_instance_guard("sqlite:///newsbot.db")
    with pytest.raises(SingleWriterError):
        await acquire_instance_guard(sqlite_url(tmp_path / "newsbot.db"))
    await guard.release()


@pytest.mark.parametrize(
    "url",
    [
        "sqlite+aiosqlite:///:memory:",
        "sqlite+aiosqlite://",
        "sqlite:///file:shared?mode=memory&uri=true",
        "postgresql+asyncpg://postgres@127.0.0.1:5432/newsbot",
    ],
)
async def test_no_lock_where_none_is_needed(url: str) -> None:
    assert sqlite_lock_path(url) is None
    first = await acquire_instance_guard(url)
    second = await acquire_instance_guard(url)
    assert not first.held
    assert not second.held
    await first.release()
    await second.release()


async def test_a_bad_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="database"):
        await acquire_instance_guard("not a url")


# ------------------------------------------------------------------ leader election


def test_advisory_keys_are_stable_signed_64_bit() -> None:
    assert advisory_key("newsbot:singleton") == advisory_key("newsbot:singleton")
    assert advisory_key("a") != advisory_key("b")
    for name in ("a", "b", "newsbot:singleton", "ü"):
        assert -(2**63) <= advisory_key(name) < 2**63


async def test_on_sqlite_the_only_process_leads(tmp_path: Path) -> None:
    engine = create_engine_for(sqlite_url(tmp_path / "newsbot.db"))
    try:
        election = LeaderElection(engine)
        assert not await election.is_leader()
        assert await election.try_acquire()
        assert await election.is_leader()
        await election.release()
        assert not await election.is_leader()
    finally:
        await engine.dispose()


async def test_an_unreachable_database_means_no_leadership() -> None:
    engine = create_engine_for("postgresql+asyncpg://postgres@127.0.0.1:1/newsbot")
    try:
        election = LeaderElection(engine, check_timeout_s=5)
        assert not await election.try_acquire()
        assert not await election.is_leader()
        await election.release()
    finally:
        await engine.dispose()


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database (see tests/conftest.py for skip and CI rules)."""
    if not PG_URL:
        if IN_CI:
            pytest.fail("CI=true but NEWSBOT_TEST_DATABASE_URL is not set")
        pytest.skip("NEWSBOT_TEST_DATABASE_URL is not set")
    url, name = await fresh_postgres_url()
    try:
        yield url
    finally:
        await drop_postgres(name)


@pytest.fixture
async def engines(pg_url: str) -> AsyncIterator[Callable[[], AsyncEngine]]:
    """Engines of separate would-be processes on one database."""
    made: list[AsyncEngine] = []

    def make() -> AsyncEngine:
        made.append(create_engine_for(pg_url))
        return made[-1]

    yield make
    for engine in made:
        await engine.dispose()


@pytest.mark.postgres
async def test_exactly_one_of_two_leads(engines: Callable[[], AsyncEngine]) -> None:
    first, second = LeaderElection(engines()), LeaderElection(engines())
    assert await first.try_acquire()
    assert not await second.try_acquire()
    assert not await second.try_acquire()
    assert await first.try_acquire()  # asking again keeps, and does not stack, the lock
    assert await first.is_leader()
    assert not await second.is_leader()

    await first.release()
    assert not await first.is_leader()
    assert await second.try_acquire()
    assert not await first.try_acquire()
    await second.release()


@pytest.mark.postgres
async def test_other_lock_names_do_not_compete(engines: Callable[[], AsyncEngine]) -> None:
    clustering = LeaderElection(engines(), name="clustering")
    polling = LeaderElection(engines(), name="telegram-polling")
    assert await clustering.try_acquire()
    assert await polling.try_acquire()
    await clustering.release()
    await polling.release()


@pytest.mark.postgres
async def test_a_killed_session_loses_leadership_to_the_other(
    engines: Callable[[], AsyncEngine],
) -> None:
    first, second = LeaderElection(engines()), LeaderElection(engines())
    assert await first.try_acquire()
    async with engines().connect() as admin:
        killed = await admin.scalar(
            text(
                # This test's database only: other clients of the server are not ours.
                "SELECT count(pg_terminate_backend(pid)) FROM pg_locks "
                "WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        )
    assert killed == 1
    assert not await first.is_leader()
    assert await second.try_acquire()
    assert not await first.try_acquire()
    await second.release()
    assert await first.try_acquire()  # the old leader recovers on a fresh connection
    await first.release()


@pytest.mark.postgres
async def test_failover_when_the_leading_process_is_killed(
    engines: Callable[[], AsyncEngine], pg_url: str
) -> None:
    leader = await spawn(LEADER_HOLDER, pg_url)
    try:
        assert await first_line(leader) == "leader"
        follower = LeaderElection(engines())
        assert not await follower.try_acquire()
        leader.send_signal(signal.SIGKILL)
        await leader.wait()
        # The server notices the closed socket at once; allow it a few seconds anyway.
        won = False
        async with asyncio.timeout(15):
            while not won:
                won = await follower.try_acquire()
                if not won:
                    await asyncio.sleep(0.1)
        assert await follower.is_leader()
        await follower.release()
    finally:
        with contextlib.suppress(ProcessLookupError):
            await end(leader)


@pytest.mark.postgres
async def test_migrations_of_processes_starting_together_run_one_at_a_time(
    engines: Callable[[], AsyncEngine],
) -> None:
    async with engines().begin() as first:
        await first.run_sync(hold_migration_lock)
        async with engines().begin() as second:
            waiting = asyncio.create_task(second.run_sync(hold_migration_lock))
            await asyncio.sleep(0.3)
            assert not waiting.done()
            await first.commit()
            async with asyncio.timeout(10):
                await waiting


@pytest.mark.postgres
async def test_one_sender_per_platform_and_hand_over_on_release(
    engines: Callable[[], AsyncEngine],
) -> None:
    first, second = PlatformSenders(engines()), PlatformSenders(engines())
    assert await first.holds("telegram")
    assert not await second.holds("telegram")
    assert await second.holds("discord")  # platforms are elected apart
    assert not await first.holds("discord")
    await first.release()
    assert await second.holds("telegram")
    assert not await first.holds("telegram")
    await second.release()


@pytest.mark.postgres
async def test_only_the_elected_sender_claims_a_platforms_rows(
    pg_url: str, engines: Callable[[], AsyncEngine]
) -> None:
    from bot.core.clock import FixedClock  # noqa: PLC0415
    from bot.core.domain import Destination  # noqa: PLC0415
    from bot.delivery.dispatcher import Dispatcher  # noqa: PLC0415
    from storage import open_storage  # noqa: PLC0415
    from tests.bot.delivery.test_delivery import RecordingMessenger  # noqa: PLC0415
    from tests.factories import seed_story  # noqa: PLC0415

    store = await open_storage(pg_url)
    try:
        clock = FixedClock(datetime.now(UTC))
        story, _ = await seed_story(store, clock.now())
        subs = []
        for chat in range(3):
            sub, _ = await store.add_subscription(
                Destination("telegram", str(chat + 1)), "x", breaking_only=False, min_outlets=2
            )
            subs.append(sub)
        await store.enqueue_deliveries(story, subs, now=clock.now())
        elected, other = PlatformSenders(engines()), PlatformSenders(engines())
        assert await elected.holds("telegram")
        messengers = [RecordingMessenger(), RecordingMessenger()]
        dispatchers = [
            Dispatcher(storage=store, messengers={"telegram": m}, clock=clock, senders=s)
            for m, s in zip(messengers, (other, elected), strict=True)
        ]
        assert (await dispatchers[0].dispatch_once()).sent == 0  # not its platform
        assert (await dispatchers[1].dispatch_once()).sent == 3
        assert [len(m.sent) for m in messengers] == [0, 3]
        await elected.release()
        assert await other.holds("telegram")  # the role passes on
        await other.release()
    finally:
        await store.close()
