"""``newsbot eval feeds DIR``: the project's own parse path over a folder of feed files.

Each file is parsed in a worker process with a hard deadline, so a file that hangs or
kills its worker is counted, not fatal. The answer is one JSON-able dict.
"""

from __future__ import annotations

import asyncio
import re
import statistics
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from bot.core.domain import ParsedFeed

TimedResult = tuple[float, ParsedFeed | None, str | None]
_SKIPPED_SUFFIXES = (".csv", ".md", ".txt", ".json.license")
_DETAIL = re.compile(r"\s*(\(.*|:.*)$")


class EvalRunner(Protocol):
    """Parses one file's bytes: (ms, feed or None, rejection reason or None).

    Raises TimeoutError when the file hangs; any other exception is a crash."""

    def __call__(self, body: bytes, url: str) -> Awaitable[TimedResult]: ...

    async def close(self) -> None: ...


def reason_kind(reason: str) -> str:
    """The reason without its per-file details (line numbers, library messages)."""
    kind = _DETAIL.sub("", reason).strip()
    return kind or reason


def feed_files(directory: Path) -> list[Path]:
    return sorted(
        path
        for path in directory.rglob("*")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(directory).parts)
        and not path.name.lower().endswith(_SKIPPED_SUFFIXES)
    )


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


async def _evaluate(
    directory: Path, files: list[Path], runner: EvalRunner, concurrency: int
) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    crashes: list[str] = []
    times: list[float] = []
    slots = asyncio.Semaphore(concurrency)
    uris = {path: path.absolute().as_uri() for path in files}

    async def one(path: Path) -> None:
        async with slots:
            body = await asyncio.to_thread(path.read_bytes)
            try:
                ms, feed, reason = await runner(body, uris[path])
            except TimeoutError:
                counts["hung"] += 1
                crashes.append(f"{path.relative_to(directory)}: hung")
                return
            except Exception as err:
                counts["crashed"] += 1
                crashes.append(f"{path.relative_to(directory)}: {type(err).__name__}: {err}")
                return
        times.append(ms)
        if feed is None:
            counts["rejected"] += 1
            reasons[reason_kind(reason or "no reason given")] += 1
        elif feed.warning:
            counts["usable_with_warnings"] += 1
        else:
            counts["ok"] += 1

    try:
        await asyncio.gather(*(one(path) for path in files))
    finally:
        await runner.close()
    return {
        "files": len(files),
        "ok": counts["ok"],
        "usable_with_warnings": counts["usable_with_warnings"],
        "rejected": counts["rejected"],
        "rejected_by_reason": dict(reasons.most_common()),
        "crashed": counts["crashed"],
        "hung": counts["hung"],
        "crash_examples": crashes[:10],
        "p50_ms": round(_percentile(times, 0.50), 2),
        "p99_ms": round(_percentile(times, 0.99), 2),
        "max_ms": round(max(times, default=0.0), 2),
    }


def evaluate_feeds(
    directory: str | Path,
    *,
    runner_factory: Callable[[], EvalRunner] | None = None,
    concurrency: int = 4,
) -> dict[str, Any]:
    """Parse every feed file under ``directory``; counts, reasons and timings."""
    root = Path(directory)
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a directory")

    files = feed_files(root)

    async def main() -> dict[str, Any]:
        if runner_factory is None:
            # The parser lives in adapters (feedparser is an I/O library); the CLI is the
            # composition root that may reach it.
            from adapters.feeds.parse import EvalParser  # noqa: PLC0415

            runner: EvalRunner = EvalParser()
        else:
            runner = runner_factory()
        return await _evaluate(root, files, runner, concurrency)

    return asyncio.run(main())
