"""On SQLite, a second ``newsbot run`` on the same file refuses to start, with a reason."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.scale.farm import NewsFarm, spawn_worker, stop_workers, worker_config


async def test_a_second_run_on_one_sqlite_file_exits_1_naming_the_first(tmp_path: Path) -> None:
    farm = NewsFarm(groups=1, outlets=2)
    await farm.start()
    first = second = None
    try:
        config = tmp_path / "bot.toml"
        config.write_text(worker_config(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", farm))
        first = await spawn_worker(config, tmp_path / "first.log")
        deadline = time.monotonic() + 60
        while "runner.started" not in first.log():
            assert first.alive, first.log()[-2000:]
            assert time.monotonic() < deadline, first.log()[-2000:]
            await asyncio.sleep(0.1)
        second = await spawn_worker(config, tmp_path / "second.log")
        assert await asyncio.wait_for(second.process.wait(), timeout=60) == 1
        refusal = second.log()
        assert "another newsbot process is using this SQLite database" in refusal
        assert f"pid {first.process.pid}" in refusal
        assert "use PostgreSQL to run several processes" in refusal
        assert "Traceback" not in refusal
        assert first.alive  # the refused start did not disturb the running bot
    finally:
        await stop_workers([w for w in (first, second) if w is not None])
        await farm.close()
    assert first.process.returncode == 0, first.log()[-2000:]
