"""Feed watcher throughput on a loopback farm: prints one JSON object.

5,000 feeds on several fake hosts (127.0.0.2-11) served by a separate process, so the
bot's event loop is measured alone: about 60% answer 304, 30% return an unchanged body
without validators, 10% change every cycle. A cycle is "every feed that is due": each
cycle polls what the watcher's own schedule says is due on a fixed clock, then advances
the clock by ``interval_s`` (so a feed whose schedule has backed off is not polled), through
the real fetcher, process-pool parser and watcher. An asyncio ticker measures loop lag.

Each kind's item dates agree with how it behaves, as a real feed's would: the changing
10% publish every cycle, the 304 feeds are busy outlets (an item every few minutes), and
the feeds that resend an unchanged body without validators are small sites whose newest
item is hours old and whose items are a day apart. The schedule reads those dates, so the
later cycles skip what a fixed-interval poller would download again; the farm also reports
what every later cycle would have moved had every feed been polled, for comparison.
Run from the repository root with the venv's python (the package is installed editable).
"""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import json
import multiprocessing
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from aiohttp import web

from adapters.feeds.fetch import FetchConfig, HttpFeedFetcher
from adapters.feeds.parse import timed_parse
from adapters.feeds.pool import ParsePool, PoolConfig
from bot.core.clock import FixedClock
from bot.core.domain import Article, Feed, NewArticle, ParsedFeed
from bot.core.errors import FeedParseError
from bot.feeds.watcher import Watcher, WatcherConfig

FEEDS = 5000
HOSTS = [f"127.0.0.{n}" for n in range(2, 12)]
CYCLES = 4
INTERVAL_S = 300.0
# The watcher's default concurrency: more requests in flight only lengthen each loop
# iteration (a loop-bound 304/unchanged cycle with 240 in flight lagged ~200 ms at p99).
CONCURRENCY = 64
PER_HOST = 8  # the fake hosts are ours; real hosts get the default 2 with a gap


START = datetime(2026, 1, 5, tzinfo=UTC)


def item_date(n: int, version: int, i: int) -> datetime:
    """When feed ``n``'s ``i``-th newest item was published, by the feed's kind."""
    kind = n % 10
    if kind == 9:  # changes every cycle: a new batch just before each cycle's clock
        return START + timedelta(seconds=INTERVAL_S * version - 60 - 180 * i)
    if kind >= 6:  # a small site without validators: a post a day, the newest hours old
        return START - timedelta(hours=6 + n % 12, days=i)
    return START - timedelta(minutes=1 + 3 * i)  # a busy outlet that answers 304


def feed_body(n: int, version: int) -> bytes:
    items = "".join(
        f"<item><title>Feed {n} story {version}-{i} about events</title>"
        f"<link>https://news{n % 50}.example.com/{n}/{version}/{i}</link>"
        f"<guid>{n}-{version}-{i}</guid>"
        f"<pubDate>{format_datetime(item_date(n, version, i), usegmt=True)}</pubDate>"
        f"<description>Paragraph about story {i} of feed {n}, version {version},"
        " with a few sentences of description as real feeds carry.</description></item>"
        for i in range(15)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {n}</title><link>https://example.com/{n}</link>{items}</channel></rss>"
    ).encode()


def run_farm(port: int, ready: Any, stats: Any) -> None:
    """The farm process: one aiohttp site per host address, all on ``port``."""
    cycle = {"n": 0}
    sent = {"bytes": 0, "every_feed": 0}
    cache: dict[tuple[int, int], bytes] = {}

    def gz(n: int, version: int) -> bytes:
        key = (n, version)
        if key not in cache:
            cache[key] = gzip.compress(feed_body(n, version), 6)
        return cache[key]

    async def handle(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        kind = n % 10
        version = cycle["n"] if kind == 9 else 0
        headers = {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}
        if kind < 6:
            etag = f'"{n}-{version}"'
            headers["ETag"] = etag
            if request.headers.get("If-None-Match") == etag:
                return web.Response(status=304, headers=headers)
        if kind == 9:
            headers["ETag"] = f'"{n}-{version}"'
        body = gz(n, version)
        sent["bytes"] += len(body)
        return web.Response(body=body, headers=headers)

    async def control(request: web.Request) -> web.Response:
        if request.method == "POST":
            cycle["n"] = int(await request.text())
            sent["bytes"] = 0
            # What this cycle would move if every feed were polled, after a first cycle
            # that stored every ETag: the bodies of all but the 304 kinds.
            sent["every_feed"] = sum(
                len(gz(n, cycle["n"] if n % 10 == 9 else 0)) for n in range(FEEDS) if n % 10 >= 6
            )
        return web.json_response(sent)

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/f/{n}", handle)
        app.router.add_route("*", "/control", control)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        for host in HOSTS:
            await web.TCPSite(runner, host, port, backlog=1024).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


_ARTICLE_FIELDS = tuple(f.name for f in dataclasses.fields(NewArticle))


class MemoryStore:
    def __init__(self, feeds: list[Feed]) -> None:
        self.feeds = {f.id: f for f in feeds}
        self.urls: set[str] = set()
        self.next_id = 1

    async def claim_due_feeds(self, now: datetime, limit: int, lease_s: float) -> list[Feed]:
        """As the SQL storage does: hide claimed feeds until the watcher saves their state."""
        due = [f for f in self.feeds.values() if f.next_check_at is None or f.next_check_at <= now]
        claimed = due[:limit]
        hidden = now + timedelta(seconds=lease_s)
        for feed in claimed:
            self.feeds[feed.id] = replace(feed, next_check_at=hidden)
        return claimed

    async def list_feeds(self) -> list[Feed]:
        return list(self.feeds.values())

    async def save_feed_state(self, feed: Feed) -> None:
        self.feeds[feed.id] = feed

    async def enqueue_feed_notice(self, feed: Feed, key: str, text: str, *, now: datetime) -> int:
        return 0  # no chats in this benchmark to tell

    async def add_articles(self, articles: Sequence[NewArticle]) -> list[Article]:
        stored = []
        for new in articles:
            if new.url not in self.urls:
                self.urls.add(new.url)
                # Field by field: dataclasses.asdict deep-copies every datetime, which made
                # this stand-in for storage the busiest code on the loop.
                fields = {name: getattr(new, name) for name in _ARTICLE_FIELDS}
                stored.append(Article(id=self.next_id, **fields))
                self.next_id += 1
        return stored


class TimedParser:
    """The production parse function in the production pool, timing feedparser itself."""

    def __init__(self) -> None:
        self.workers = 2
        self.pool = ParsePool(PoolConfig(workers=self.workers))
        self.parse_ms = 0.0
        self.parsed_bytes = 0

    async def parse(self, body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed:
        ms, feed, reason = await self.pool.run(timed_parse, body, url)
        self.parse_ms += ms
        self.parsed_bytes += len(body)
        if feed is None:
            raise FeedParseError(reason or "rejected")
        return feed  # type: ignore[no-any-return]


async def ticker(lags: list[float], stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        before = loop.time()
        await asyncio.sleep(0.01)
        lags.append((loop.time() - before - 0.01) * 1000)


def p99(values: list[float]) -> float | None:
    ordered = sorted(values)
    return round(ordered[int(len(ordered) * 0.99)], 1) if ordered else None


async def control(fetcher: HttpFeedFetcher, port: int, cycle: int | None) -> dict[str, int]:
    if cycle is not None:
        session = fetcher._session(True)
        async with session.post(f"http://{HOSTS[0]}:{port}/control", data=str(cycle)) as resp:
            await resp.read()
    page = await fetcher.fetch_page(f"http://{HOSTS[0]}:{port}/control", allow_private=True)
    return {k: int(v) for k, v in json.loads(page.body).items()}


async def bench(port: int) -> dict[str, Any]:
    feeds = [
        Feed(id=n + 1, url=f"http://{HOSTS[n % len(HOSTS)]}:{port}/f/{n}", name=f"F{n}",
             allow_private=True)
        for n in range(FEEDS)
    ]  # fmt: skip
    store = MemoryStore(feeds)
    fetcher = HttpFeedFetcher(FetchConfig(per_host_concurrency=PER_HOST, per_host_gap_s=0))
    parser = TimedParser()
    clock = FixedClock(START)
    config = WatcherConfig(
        interval_s=INTERVAL_S,
        batch_size=FEEDS,
        concurrency=CONCURRENCY,
        per_host_concurrency=PER_HOST,
    )
    watcher = Watcher(store, fetcher, parser, clock, config)  # type: ignore[arg-type]
    await parser.pool.run(abs, 0)  # start workers outside the measurement
    lags: list[float] = []
    stop = asyncio.Event()
    tick = asyncio.create_task(ticker(lags, stop))
    cycles: list[dict[str, Any]] = []
    polled_total = 0
    started = time.perf_counter()
    for cycle in range(CYCLES):
        every_feed = (await control(fetcher, port, cycle))["every_feed"]
        parsed_before = parser.parsed_bytes
        ticks_before = len(lags)
        t0 = time.perf_counter()
        report = await watcher.poll_due()
        seconds = time.perf_counter() - t0
        wire = (await control(fetcher, port, None))["bytes"]
        polled_total += report.polled + report.failed
        cycles.append(
            {
                "polled": report.polled,
                "failed": report.failed,
                "not_modified": report.not_modified,
                "unchanged": report.unchanged,
                "new_articles": report.new_articles,
                "seconds": round(seconds, 2),
                "wire_bytes": wire,
                "wire_bytes_if_every_feed_polled": every_feed,
                "parsed_bytes": parser.parsed_bytes - parsed_before,
                "loop_lag_p99_ms": p99(lags[ticks_before:]),
            }
        )
        clock.advance(INTERVAL_S)
    wall = time.perf_counter() - started
    stop.set()
    await tick
    await fetcher.close()
    await parser.pool.close()
    first = cycles[0]["wire_bytes"] or 1
    later = [c["wire_bytes"] for c in cycles[1:]]
    feeds_per_min = round(polled_total / wall * 60)
    lag_p99 = p99(lags)
    later_max = round(max(later) / first, 3)
    return {
        "benchmark": "feeds",
        "feeds": FEEDS,
        "hosts": len(HOSTS),
        "cycles": CYCLES,
        "targets_met": {
            "feeds_per_min>=10000": feeds_per_min >= 10_000,
            "loop_lag_p99_ms<100": lag_p99 is not None and lag_p99 < 100,
            "later_over_first_max<0.25": later_max < 0.25,
        },
        "feeds_per_min": feeds_per_min,
        "feeds_per_min_later_cycles": round(
            sum(c["polled"] + c["failed"] for c in cycles[1:])
            / max(sum(c["seconds"] for c in cycles[1:]), 1e-9)
            * 60
        ),
        "loop_lag_p99_ms": lag_p99,
        "loop_lag_max_ms": round(max(lags), 1) if lags else None,
        # Of the parse pool's capacity (workers x wall time), the share feedparser used.
        "parse_share": round(parser.parse_ms / 1000 / (wall * parser.workers), 3),
        "bytes_first_cycle": first,
        "bytes_later_cycles": later,
        "later_over_first_max": later_max,
        "later_over_first_mean": round(sum(later) / len(later) / first, 3),
        # The same ratio for a poller that checks every feed every cycle, this run's farm.
        "later_over_first_if_every_feed_polled": round(
            max(c["wire_bytes_if_every_feed_polled"] for c in cycles[1:]) / first, 3
        ),
        "per_cycle": cycles,
    }


def main() -> None:
    port = 18000 + (int(time.time()) % 1000)
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    stats = context.Queue()
    farm = context.Process(target=run_farm, args=(port, ready, stats), daemon=True)
    farm.start()
    try:
        if not ready.wait(30):
            raise SystemExit("the feed farm did not start")
        print(json.dumps(asyncio.run(bench(port))))
    finally:
        farm.kill()
        farm.join()


if __name__ == "__main__":
    main()
