"""/search at scale: full-text queries over 100,000 stored stories on SQLite (FTS5).

Stories and their search documents are written in bulk (the FTS5 index is filled by the
migration's triggers, as in production); then ``SqlStorage.search_stories``, the method
``/search`` calls, runs a mix of queries: common and rare words, phrases, OR, exclusions,
a first page and a later one. The words follow a Zipf law over a 20,000-word vocabulary,
with a few topic words spread like real news (one story in 50 to one in 5,000).

Printed, one JSON object per line: ``search_p50_ms`` and ``search_p99_ms`` (milliseconds
per query including loading the stories), ``stories``. Target: ``search_p99_ms`` <= 50.
Run from the repository root: ``.venv/bin/python benchmarks/bench_search.py [--stories N]``
(``--database URL`` runs on PostgreSQL).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bot.stories.topics import parse_topic
from storage import open_storage
from storage.models import StoryRow, StorySearchRow

VOCABULARY = 20_000
TOPICS = {"karbala": 50, "solar": 100, "election": 200, "flood": 500, "bridge": 1000}
QUERIES = (
    "solar",
    '"solar plant"',
    "karbala OR flood",
    "election -football",
    "w17 w230",
    "bridge",
    "w3",  # the commonest word: almost every story
    '"w1 w2"',
    "flood -bridge",
    "zzz-not-a-word",
)
TARGET_MS = 50.0
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def zipf_words(rng: random.Random, weights: list[float], count: int) -> list[str]:
    return [f"w{i}" for i in rng.choices(range(VOCABULARY), cum_weights=weights, k=count)]


def document(rng: random.Random, weights: list[float], n: int) -> tuple[str, str]:
    words = zipf_words(rng, weights, 60)
    for topic, every in TOPICS.items():
        if n % every == 0:
            words.insert(rng.randrange(len(words)), topic)
    if n % 100 == 0:
        words[5:5] = ["solar", "plant"]
    headline = " ".join(words[:8])
    return headline, " ".join(words)


async def fill(url: str, stories: int) -> None:
    storage = await open_storage(url)
    rng = random.Random(7)
    total, weights = 0.0, []
    for rank in range(1, VOCABULARY + 1):
        total += 1 / rank
        weights.append(total)
    try:
        batch = 5_000
        for start in range(0, stories, batch):
            story_rows, search_rows = [], []
            for n in range(start, min(stories, start + batch)):
                when = T0 + timedelta(minutes=n)
                headline, body = document(rng, weights, n)
                story_id = f"b{n:07d}"
                story_rows.append(
                    {
                        "id": story_id,
                        "created_at": when,
                        "updated_at": when,
                        "headline": headline,
                        "outlets": '["A", "B"]',
                        "outlet_count": 2,
                        "version": 1,
                    }
                )
                search_rows.append(
                    {"story_id": story_id, "language": "en", "updated_at": when, "body": body}
                )
            async with storage.engine.begin() as conn:
                await conn.execute(insert(StoryRow), story_rows)
                await conn.execute(insert(StorySearchRow), search_rows)
    finally:
        await storage.close()


async def measure(url: str, rounds: int) -> list[float]:
    storage = await open_storage(url)
    timings: list[float] = []
    try:
        # A running bot's connection is open and warm: the first query pays for neither.
        await storage.search_stories(parse_topic("warm"), limit=1)
        for round_ in range(rounds):
            for words in QUERIES:
                query = parse_topic(words)
                offset = 8 if round_ % 2 else 0
                began = time.perf_counter()
                await storage.search_stories(query, limit=9, offset=offset)
                timings.append((time.perf_counter() - began) * 1000)
    finally:
        await storage.close()
    return sorted(timings)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--database", help="a database URL (default: a new SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-search-") as folder:
        url = args.database or f"sqlite+aiosqlite:///{Path(folder) / 'search.db'}"
        began = time.perf_counter()
        await fill(url, args.stories)
        filled_s = time.perf_counter() - began
        timings = await measure(url, args.rounds)
    p50 = timings[len(timings) // 2]
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    print(json.dumps({"stories": args.stories, "fill_s": round(filled_s, 1)}))
    print(json.dumps({"search_p50_ms": round(p50, 2)}))
    print(json.dumps({"search_slowest_ms": [round(t, 1) for t in timings[-5:]]}))
    print(json.dumps({"search_p99_ms": round(p99, 2), "target": TARGET_MS, "ok": p99 <= TARGET_MS}))


if __name__ == "__main__":
    asyncio.run(main())
