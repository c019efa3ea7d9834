"""Time the extractive summariser on real full-text stories (not part of the test suite).

    .venv/bin/python benchmarks/bench_summaries.py [../shared/eval/clustering/newscluster_dev.jsonl]

Groups the articles of a clustering file by ``gold_cluster`` into stories and prints, as
one JSON object, how long summaries take (mean, worst) and their sizes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.core.domain import Article, Story
from bot.summaries.extractive import ExtractiveSummarizer


def load_stories(path: Path) -> list[tuple[Story, list[Article]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            groups[str(row.get("gold_cluster"))].append(row)
    stories = []
    for n, rows in enumerate(groups.values(), start=1):
        articles = []
        for i, row in enumerate(rows, start=1):
            when = datetime.fromisoformat(str(row["published"])[:19]).replace(tzinfo=UTC)
            text = str(row.get("text") or "")
            articles.append(
                Article(
                    i,
                    0,
                    str(row.get("source")),
                    str(row.get("url") or f"u{i}"),
                    None,
                    str(row.get("title") or ""),
                    text,
                    when,
                    when,
                    hashlib.sha256(text.encode()).hexdigest(),
                )
            )
        first = min(a.published for a in articles)
        outlets = tuple(dict.fromkeys(a.outlet for a in articles))
        stories.append((Story(f"s{n}", first, first, (), outlets), articles))
    return stories


async def main(path: Path) -> None:
    summarizer = ExtractiveSummarizer()
    timings: list[float] = []
    sizes: list[int] = []
    for story, articles in load_stories(path):
        started = time.perf_counter()
        summary = await summarizer.summarize(story, articles)
        timings.append(time.perf_counter() - started)
        sizes.append(len(articles))
        if not summary.lede:
            raise SystemExit(f"story {story.id} got no lede")
    worst = max(range(len(timings)), key=lambda i: timings[i])
    print(
        json.dumps(
            {
                "stories": len(timings),
                "mean_s": round(sum(timings) / len(timings), 4),
                "worst_s": round(timings[worst], 4),
                "worst_articles": sizes[worst],
                "max_articles": max(sizes),
            }
        )
    )


DEFAULT_FILE = (
    Path(__file__).resolve().parents[1].parent / "shared/eval/clustering/newscluster_dev.jsonl"
)

if __name__ == "__main__":
    chosen = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FILE
    if not chosen.exists():
        # The evaluation data lives beside the project, never in it; without it, say so.
        print(json.dumps({"bench": "summaries", "skipped": f"{chosen} not found"}))
    else:
        asyncio.run(main(chosen))
