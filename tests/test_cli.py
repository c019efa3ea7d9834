"""The command line as a person uses it: exit codes, messages, piped chat, clean shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiohttp import web

from bot.app.cli import _manage_deliveries, build_parser, main
from bot.core.clock import FixedClock
from bot.core.domain import Destination
from storage import SqlStorage
from tests.factories import seed_story

ROOT = Path(__file__).resolve().parents[1]


def newsbot(
    *args: str, stdin: str = "", cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter running our own module
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        timeout=120,
        check=False,
    )


def test_invalid_config_exits_2_with_one_sentence(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.toml"
    bad.write_text('[watcher]\ninterval_s = "soon"\n')
    assert main(["--config", str(bad), "db", "upgrade"]) == 2
    err = capsys.readouterr().err
    assert "watcher.interval_s must be a number" in err
    assert "Traceback" not in err


def test_chat_works_piped(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "chat.db"}"\n')
    done = newsbot(
        "--config",
        str(config),
        "chat",
        stdin="/subscribe iraq\n/subscriptions\n/expand zz99\n/nope\n",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "Subscribed this chat to iraq." in done.stdout
    assert "This chat follows:" in done.stdout
    assert "I don't know story zz99" in done.stdout
    assert "I don't know the command /nope" in done.stdout


def test_db_upgrade_and_feeds_list(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "f.db"}"\n'
        '[[feeds]]\nurl = "https://a.example/rss"\nname = "A"\n'
    )
    upgraded = newsbot("--config", str(config), "db", "upgrade", cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "newest schema" in upgraded.stdout


async def test_run_stops_cleanly_on_sigterm_within_ten_seconds(tmp_path: Path) -> None:
    polled = asyncio.Event()

    async def feed(_request: web.Request) -> web.Response:
        polled.set()
        return web.Response(
            text='<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
            "<item><title>Hello</title><link>https://t.example/1</link></item></channel></rss>",
            content_type="application/rss+xml",
        )

    app = web.Application()
    app.router.add_get("/rss", feed)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    config = tmp_path / "c.toml"
    config.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "run.db"}"\n'
        f'[[feeds]]\nurl = "http://127.0.0.1:{port}/rss"\nname = "Local"\nallow_private = true\n'
        "[watcher]\ninterval_s = 1\nmin_interval_s = 1\nmax_interval_s = 2\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--config",
        str(config),
        "run",
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await asyncio.wait_for(polled.wait(), timeout=60)
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        _out, err = await asyncio.wait_for(process.communicate(), timeout=10)
        assert time.monotonic() - started < 10
        assert process.returncode == 0, err.decode()
        assert b"runner.stopped" in err
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await runner.cleanup()


def test_deliveries_lists_and_retries_dead_letters(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "d.db"}"\n')
    counts = newsbot("--config", str(config), "deliveries", cwd=tmp_path)
    assert counts.returncode == 0, counts.stderr
    assert counts.stdout.strip() == "{}"
    failed = newsbot("--config", str(config), "deliveries", "--failed", cwd=tmp_path)
    assert (failed.returncode, failed.stdout) == (0, "")
    retried = newsbot("--config", str(config), "deliveries", "--retry", cwd=tmp_path)
    assert "queued 0 failed deliveries again" in retried.stdout


async def test_deliveries_lists_and_retries_unconfirmed_rows_with_a_warning(
    sqlite_store: SqlStorage, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    story, _ = await seed_story(sqlite_store, clock.now())
    sub, _ = await sqlite_store.add_subscription(
        Destination("telegram", "-1001"), "x", breaking_only=False, min_outlets=2
    )
    await sqlite_store.enqueue_deliveries(story, [sub], now=clock.now())
    (row,) = await sqlite_store.claim_deliveries(clock.now(), 10, owner="a", lease_s=60)
    await sqlite_store.mark_unconfirmed(row.id, "no answer from telegram")
    parser = build_parser()
    await _manage_deliveries(sqlite_store, parser.parse_args(["deliveries", "--failed"]), clock)
    assert capsys.readouterr().out == ""  # not a dead letter
    await _manage_deliveries(
        sqlite_store, parser.parse_args(["deliveries", "--unconfirmed"]), clock
    )
    listed = capsys.readouterr()
    assert "no answer from telegram" in listed.out
    assert "may" in listed.err
    assert "twice" in listed.err
    await _manage_deliveries(
        sqlite_store, parser.parse_args(["deliveries", "--unconfirmed", "--retry"]), clock
    )
    retried = capsys.readouterr()
    assert "queued 1 unconfirmed deliveries again" in retried.out
    assert "twice" in retried.err
    assert await sqlite_store.count_deliveries() == {"pending": 1}
