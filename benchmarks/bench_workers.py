"""Feed polls per minute with 1 and with 3 ``newsbot run`` processes on one PostgreSQL.

Run: ``python benchmarks/bench_workers.py [--feeds N] [--seconds S]``. Each run gets a
fresh database and a loopback farm of feeds that are always due (a tiny poll interval),
so the number measured is what the processes can do, not what the schedule asks for.
Prints JSON lines: one per run, then ``workers_1_feeds_per_min``,
``workers_3_feeds_per_min`` and ``speedup``; ``{"skipped": ...}`` without PostgreSQL
(``NEWSBOT_TEST_DATABASE_URL``, default the local server). Also checked: nothing lost
(every stored article clustered) and nothing duplicated (no story version summarised
twice).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storage import open_storage
from tests.scale.farm import (
    NewsFarm,
    spawn_worker,
    stop_workers,
    summarised,
    worker_config,
)

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


async def reachable(url: str) -> str | None:
    try:
        from tests.conftest import _admin_connect  # noqa: PLC0415 - needs PostgreSQL only

        conn = await _admin_connect(url)
        await conn.close()
    except Exception as err:
        return f"PostgreSQL unreachable at {url}: {err}"
    return None


async def run_once(workers: int, feeds: int, seconds: float) -> dict[str, object]:
    os.environ.setdefault("NEWSBOT_TEST_DATABASE_URL", DEFAULT_URL)
    from tests import conftest  # noqa: PLC0415 - reads the URL set just above

    conftest.PG_URL = os.environ["NEWSBOT_TEST_DATABASE_URL"]
    url, name = await conftest.fresh_postgres_url()
    farm = NewsFarm(groups=max(1, feeds // 3), outlets=3, round_s=3.0, rounds=1_000)
    await farm.start()
    crew = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-workers-") as folder:
            config = Path(folder) / "worker.toml"
            config.write_text(worker_config(url, farm, interval_s=0.2, lease_s=10.0))
            crew = [await spawn_worker(config, Path(folder) / f"w{i}.log") for i in range(workers)]
            deadline = time.monotonic() + 60
            while not all("runner.started" in w.log() for w in crew):
                if time.monotonic() > deadline or not all(w.alive for w in crew):
                    raise RuntimeError([w.log()[-2000:] for w in crew])
                await asyncio.sleep(0.2)
            began = time.monotonic()
            await asyncio.sleep(seconds)
            ended = time.monotonic()
            await stop_workers(crew)
            logs = [w.log() for w in crew]
    finally:
        await stop_workers(crew)
        await farm.close()
    polls = sum(1 for times in farm.requests.values() for t in times if began <= t <= ended)
    store = await open_storage(url)
    try:
        unclustered = len(await store.unclustered_articles(100_000))
    finally:
        await store.close()
        await conftest.drop_postgres(name)
    done = Counter(summarised(logs))
    return {
        "workers": workers,
        "feeds": len(farm.paths()),
        "seconds": round(ended - began, 1),
        "polls": polls,
        "feeds_per_min": round(polls / (ended - began) * 60, 1),
        "stories_summarised": len(done),
        "summarised_twice": sum(1 for n in done.values() if n > 1),
        # Stored in the last moments before the stop and not yet clustered: they wait for
        # the next leader, they are not lost.
        "unclustered_at_stop": unclustered,
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=25.0)
    args = parser.parse_args()
    url = os.environ.get("NEWSBOT_TEST_DATABASE_URL", DEFAULT_URL)
    problem = await reachable(url)
    if problem is not None:
        print(json.dumps({"benchmark": "workers", "skipped": problem}))
        return
    os.environ["NEWSBOT_TEST_DATABASE_URL"] = url
    results = {}
    for workers in (1, 3):
        result = await run_once(workers, args.feeds, args.seconds)
        results[workers] = result
        print(json.dumps({"benchmark": "workers", **result}), flush=True)
    one = float(results[1]["feeds_per_min"])  # type: ignore[arg-type]
    three = float(results[3]["feeds_per_min"])  # type: ignore[arg-type]
    print(
        json.dumps(
            {
                "benchmark": "workers",
                "workers_1_feeds_per_min": one,
                "workers_3_feeds_per_min": three,
                "speedup": round(three / one, 2) if one else None,
                "target": "3 workers not slower than 1, nothing summarised twice",
                "met": three >= one * 0.95
                and not any(r["summarised_twice"] for r in results.values()),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
