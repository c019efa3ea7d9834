"""A loopback news farm and a crew of real ``newsbot run`` worker processes.

The farm serves ``groups * outlets`` RSS feeds on 127.0.0.1. Every ``round_s`` seconds
each group of outlets reports one new event in its own words, so stories of several
outlets keep forming while the workers run. Every request is logged with its time, so a
test can check that no feed waited too long for its next poll.

Shared by ``tests/scale`` and ``benchmarks/bench_workers.py``.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import re
import signal
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]
SUMMARISED = re.compile(r"story\.summarised story=(\w+) version=(\d+)")
SYLLABLES = ("ka", "lo", "mer", "vin", "tor", "sa", "qui", "bel", "dra", "fen", "zu", "pol")


def event_words(group: int, round_no: int) -> list[str]:
    """Six invented words only this event uses, so its reports cluster together."""
    rng = random.Random(group * 10_007 + round_no)
    return ["".join(rng.choice(SYLLABLES) for _ in range(4)).capitalize() for _ in range(6)]


def report(group: int, round_no: int, outlet: int) -> tuple[str, str]:
    """One outlet's title and text about the event of ``group`` in ``round_no``: the
    event's own words in each outlet's phrasing (identical texts would be wire copies)."""
    a, b, c, d, e, f = event_words(group, round_no)
    variants = (
        (
            f"{a} approves {c} plan for {b}",
            f"Officials in {b} approved the {c} plan for {a} on Monday. "
            f"Mayor {d} said the works would start in {e}.",
        ),
        (
            f"{b} backs {a} {c} scheme",
            f"The {c} scheme of {a} won the backing of {b} after a long debate. "
            f"Residents asked {d} about the {f} costs.",
        ),
        (
            f"{c} plan agreed as {a} and {b} settle",
            f"{a} and {b} agreed the {c} plan. {d} promised the {f} bridge by {e}.",
        ),
    )
    return variants[outlet % len(variants)]


@dataclass
class NewsFarm:
    groups: int = 10
    outlets: int = 3
    round_s: float = 4.0
    rounds: int = 1_000
    requests: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    port: int = 0
    _runner: web.AppRunner | None = None
    started_at: float = 0.0

    def paths(self) -> list[tuple[str, str]]:
        return [
            (f"/g{g}/o{o}.xml", f"Outlet {g}-{o}")
            for g in range(self.groups)
            for o in range(self.outlets)
        ]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def current_round(self) -> int:
        return min(self.rounds - 1, int((time.monotonic() - self.started_at) / self.round_s))

    async def start(self) -> None:
        self.started_at = time.monotonic()
        app = web.Application()
        app.router.add_get("/g{g}/o{o}.xml", self._feed)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=512)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _feed(self, request: web.Request) -> web.Response:
        group, outlet = int(request.match_info["g"]), int(request.match_info["o"])
        self.requests[request.path].append(time.monotonic())
        items = []
        newest = self.current_round()
        for round_no in range(max(0, newest - 4), newest + 1):
            title, text = report(group, round_no, outlet)
            link = f"https://outlet{group}-{outlet}.example/news/{round_no}"
            published = format_datetime(datetime.now(UTC))
            items.append(
                f"<item><title>{escape(title)}</title><link>{link}</link>"
                f"<description>{escape(text)}</description><guid>{link}</guid>"
                f"<pubDate>{published}</pubDate></item>"
            )
        body = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Outlet {group}-{outlet}</title><link>https://example.com/</link>"
            + "".join(reversed(items))
            + "</channel></rss>"
        )
        return web.Response(text=body, content_type="application/rss+xml")

    def longest_gaps(self, since: float, until: float) -> dict[str, float]:
        """Per feed: the longest time between polls (or a window edge) within the window."""
        gaps: dict[str, float] = {}
        for path, _name in self.paths():
            times = [t for t in self.requests.get(path, []) if since <= t <= until]
            edges = [since, *times, until]
            gaps[path] = max(b - a for a, b in itertools.pairwise(edges))
        return gaps


def worker_config(
    database_url: str,
    farm: NewsFarm,
    *,
    interval_s: float = 2.0,
    lease_s: float = 5.0,
    extra: str = "",
) -> str:
    feeds = "".join(
        f'[[feeds]]\nurl = "{farm.url(path)}"\nname = "{name}"\nallow_private = true\n'
        for path, name in farm.paths()
    )
    return (
        f'[database]\nurl = "{database_url}"\n'
        f"[watcher]\ninterval_s = {interval_s}\nmin_interval_s = {interval_s / 2}\n"
        f"max_interval_s = {interval_s * 1.5}\njitter = 0.0\nclaim_lease_s = {lease_s}\n"
        "claim_size = 6\nper_host_concurrency = 8\n"
        "[stories]\npost_existing_items = true\nupdate_debounce_s = 1.0\n"
        "[runner]\nnotified_tick_s = 2.0\n"
        f"[delivery]\nlease_s = {lease_s}\n"
        # Every feed lives on 127.0.0.1: the per-host politeness gap would be the bottleneck.
        "[fetch]\nper_host_concurrency = 8\nper_host_gap_s = 0.0\n"
        "[article_text]\nenabled = false\n" + extra + feeds
    )


@dataclass
class Worker:
    process: asyncio.subprocess.Process
    log_path: Path

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


async def spawn_worker(
    config_path: Path, log_path: Path, env: dict[str, str] | None = None
) -> Worker:
    # stderr goes to a file: a pipe nobody reads would stall a chatty worker.
    with log_path.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "--config",
            str(config_path),
            "run",
            cwd=config_path.parent,
            env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONFAULTHANDLER": "1", **(env or {})},
            stdout=asyncio.subprocess.DEVNULL,
            stderr=sink,
        )
    return Worker(process, log_path)


async def stop_workers(workers: Sequence[Worker], *, grace_s: float = 20.0) -> None:
    for worker in workers:
        if worker.alive:
            worker.process.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            await asyncio.wait_for(worker.process.wait(), timeout=grace_s)
        except TimeoutError:
            # SIGABRT first: faulthandler writes every thread's stack to the worker's log.
            worker.process.send_signal(signal.SIGABRT)
            try:
                await asyncio.wait_for(worker.process.wait(), timeout=3)
            except TimeoutError:
                worker.process.kill()
                await worker.process.wait()


def summarised(logs: Sequence[str]) -> list[tuple[str, int]]:
    """Every (story, version) any worker logged as summarised, duplicates kept."""
    return [(m[1], int(m[2])) for text in logs for m in SUMMARISED.finditer(text)]
