"""The production path end to end, in one process as ``newsbot run`` builds it: prints
JSON lines.

A farm process serves 5,000 RSS feeds from 500 loopback addresses (127.0.1.1 upwards,
ten feeds each, the same port), so the bot's per-host limits apply as configured by
default (2 connections and a 0.25 s gap per host, 64 polls in flight). The bot side is
the real runner with its three loops: the fetcher, the parse process pool, SQLite
storage, clustering, extractive summaries and the dispatcher (no platform: nothing is
sent except in the dead-host run, which records posts in memory). Events are shared by
ten feeds on ten hosts, so stories of several outlets form and are summarised.

Figures (one JSON line each):

- ``e2e_feeds_per_min``: every feed new with one item; time until every feed is polled,
  every stored article clustered and every story of several outlets summarised at its
  current version, with loop lag p99 over it.
- ``first_cycle_feeds_per_min``: every feed new with 20 items (an operator's first
  start): time until every feed is polled; processing of the 100,000 articles runs
  beside it and is counted, not waited for. As on a real first start, the items were
  published before their feeds were added (ten minutes apart), so their stories are
  not posted and their summaries queue in turn with the parses.
- ``rss_mib``: peak resident memory of the bot's process plus its parse workers at the end
  of the first cycle (5,000 feeds, 100,000 stored articles). The first cycle runs in a
  fresh process of its own, as a ``newsbot run`` would, not in the process that ran the
  e2e figures before it (whose peak would count theirs). It leaves out the farm process;
  the bench's heavy imports are skipped in the parse workers, as a CLI worker never has
  them.
- ``sigterm_s_under_load``: right after the first cycle, while its 100,000 articles are
  being processed (old items, as on a first start: their summaries queue in turn with
  the parses), the stop event that the SIGTERM handler sets is set and the time until
  the runner returns is measured (in-process: no signal, no process exit).
- ``post_p99_s_dead_hosts``: 20 live feeds on 10 hosts report a new event every 3 s
  while 50 feeds of a host that accepts connections and never answers (the default 30 s
  timeout) are polled in the same process; from a story's newest article being stored
  (its ``fetched_at``) to its post being recorded. Feeds are polled every 2 s here (the
  default 300 s would leave nothing to measure within the run).
- ``e2e_feeds_per_min_pg``: the e2e figure on PostgreSQL when NEWSBOT_TEST_DATABASE_URL
  is set (a fresh database is created and dropped).

NEWSBOT_BENCH_SCALE (default 1) scales the feed counts for a quick run; the defaults
are the issue's sizes. The machine's other load shows in every figure.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The first cycle runs in a process of its own (see ``first_cycle_process``), which sets
# this while it imports this file.
BOT_PROCESS = "NEWSBOT_BENCH_BOT_PROCESS"

if TYPE_CHECKING or __name__ == "__main__" or os.environ.get(BOT_PROCESS):
    # Spawned children (the farm, the parse workers) import this file again, as
    # __mp_main__: only a bot process needs the bot here. A parse worker that
    # imported it all would weigh about 34 MiB more than a `newsbot run` worker does.
    from adapters.feeds.fetch import FetchConfig, HttpFeedFetcher
    from adapters.feeds.parse import FeedparserParser
    from adapters.feeds.pool import PoolConfig
    from bot.app.bootstrap import EXTRACTIVE_IN_FLIGHT
    from bot.app.runner import Runner
    from bot.core.cards import Card
    from bot.core.clock import SystemClock
    from bot.core.domain import Destination, MessageRef
    from bot.core.metrics import Metrics
    from bot.delivery.dispatcher import Dispatcher
    from bot.feeds.watcher import Watcher, WatcherConfig
    from bot.stories.pipeline import Pipeline
    from bot.stories.publishing import StoriesConfig
    from bot.summaries.extractive import ExtractiveSummarizer
    from storage import SqlStorage, open_storage

SCALE = float(os.environ.get("NEWSBOT_BENCH_SCALE", "1"))
HOSTS = max(2, int(500 * SCALE))
PER_HOST = 10
FEEDS = HOSTS * PER_HOST
GROUPS = max(1, FEEDS // 10)  # ten outlets on ten hosts report each event
FARM = "bench-farm"  # the farm process's name, so memory figures can leave it out


def host(n: int) -> str:
    return f"127.0.{1 + n // 250}.{1 + n % 250}"


# ------------------------------------------------------------------ the farm process


def feed_body(
    feed: int, items: int, tag: str, round_no: int, before: datetime | None = None
) -> bytes:
    """A feed's items, published now, or with ``before`` ten minutes apart before it
    (what a feed holds when the bot first reads it)."""
    from tests.scale.farm import report  # noqa: PLC0415 - the farm's own process only

    group, outlet = feed % GROUPS, feed // GROUPS
    now = datetime.now(UTC)
    parts = []
    for i in range(items):
        event = round_no * 1000 + i
        title, text = report(group, event, outlet)
        link = f"https://o{feed}.example/{tag}/{event}"
        published = now if before is None else before - timedelta(minutes=10 * (i + 1))
        parts.append(
            f"<item><title>{escape(title)}</title><link>{link}</link>"
            f"<description>{escape(text)}</description>"
            f"<pubDate>{format_datetime(published)}</pubDate><guid>{link}</guid></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Outlet {feed}</title><link>https://o{feed}.example/</link>"
        + "".join(parts)
        + "</channel></rss>"
    ).encode()


def serve_farm(port: int, hosts: int, ready: Any, round_s: float) -> None:
    from aiohttp import web  # noqa: PLC0415 - the farm's own process only

    async def main() -> None:
        started = time.monotonic()
        opened = datetime.now(UTC)  # before the bot adds any feed

        async def handle(request: web.Request) -> web.Response:
            feed = int(request.match_info["feed"])
            items = int(request.query.get("items", "1"))
            rounds = request.query.get("rounds")
            round_no = int((time.monotonic() - started) / round_s) if rounds else 0
            before = opened if request.query.get("old") else None
            body = feed_body(feed, items, request.query.get("tag", "t"), round_no, before)
            return web.Response(body=body, content_type="application/rss+xml")

        app = web.Application()
        app.router.add_get("/f/{feed}.xml", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        for n in range(hosts):
            await web.TCPSite(runner, host(n), port, backlog=512).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((host(0), 0))
        return int(probe.getsockname()[1])


# ------------------------------------------------------------------ the bot side


class Lag:
    """Loop lag sampled every 10 ms."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(0.01)
            self.samples.append(max(0.0, time.perf_counter() - asked - 0.01))

    def start(self) -> None:
        self.samples.clear()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def p99_ms(self) -> float:
        if len(self.samples) < 2:
            return 0.0
        return round(statistics.quantiles(self.samples, n=100)[98] * 1000, 1)


class Recorder:
    """A messenger that records when each post was sent."""

    platform = "telegram"

    def __init__(self) -> None:
        self.sent: list[tuple[str, float]] = []

    async def send(self, destination: Destination, card: Card, *, nonce: str) -> MessageRef:
        self.sent.append((card.story_id or "", time.time()))
        return MessageRef(destination, str(len(self.sent)))

    async def edit(self, ref: MessageRef, card: Card) -> None:
        return None

    async def reply(self, ref: MessageRef, card: Card, *, nonce: str) -> MessageRef:
        return ref


@contextlib.asynccontextmanager
async def bot(
    url: str, *, watcher: WatcherConfig | None = None, messenger: Recorder | None = None
) -> AsyncIterator[tuple[Runner, SqlStorage, Metrics]]:
    store = await open_storage(url)
    fetcher = HttpFeedFetcher(FetchConfig())
    parser = FeedparserParser(PoolConfig())
    clock = SystemClock()
    metrics = Metrics()
    watching = watcher or WatcherConfig()
    try:
        runner = Runner(
            watcher=Watcher(store, fetcher, parser, clock, watching),
            pipeline=Pipeline(
                storage=store,
                summarizer=ExtractiveSummarizer(offload=parser.pool),
                clock=clock,
                stories=StoriesConfig(),  # as configured by default
                summary_concurrency=EXTRACTIVE_IN_FLIGHT,
            ),
            dispatcher=Dispatcher(
                storage=store,
                messengers={"telegram": messenger} if messenger else {},
                clock=clock,
                metrics=metrics,
            ),
            outbox=store,
            metrics=metrics,
        )
        yield runner, store, metrics
    finally:
        await fetcher.close()
        await parser.close()
        await store.close()


def polled(metrics: Metrics) -> int:
    outcomes = ("changed", "not_modified", "unchanged", "failed")
    return int(sum(metrics.value("feed_polls", outcome=o) for o in outcomes))


async def processing(store: SqlStorage) -> bool:
    """Whether an article waits to be clustered or a story of several outlets for its
    current version's summary (a burst's stories are summarised again at its end)."""
    if await store.unclustered_articles(1):
        return True
    return bool(await store.unsummarised_stories(StoriesConfig().min_outlets_to_post, 1))


async def add_feeds(store: SqlStorage, port: int, query: str, count: int, first: int = 0) -> None:
    for feed in range(first, first + count):
        url = f"http://{host(feed // PER_HOST)}:{port}/f/{feed}.xml?{query}"
        await store.upsert_feed(url, f"Outlet {feed}", allow_private=True)


def rss_mib() -> float:
    """Peak RSS of this process plus the peak RSS of its parse workers (the children
    other than the farm)."""

    def status(pid: int | str, field: str) -> int:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    total = status("self", "VmHWM")
    for child in multiprocessing.active_children():
        if child.name != FARM:  # the farm stands in for the internet: not the bot's
            total += status(child.pid or 0, "VmHWM")
    return round(total / 1024, 1)


async def e2e(url: str, port: int, label: str) -> dict[str, Any]:
    async with bot(url) as (runner, store, metrics):
        await add_feeds(store, port, "items=1&tag=e2e", FEEDS)
        lag = Lag()
        stop = asyncio.Event()
        began = time.monotonic()
        lag.start()
        running = asyncio.create_task(runner.run(stop))
        while polled(metrics) < FEEDS or await processing(store):  # noqa: ASYNC110
            await asyncio.sleep(0.5)
        took = time.monotonic() - began
        await lag.stop()
        stop.set()
        await running
    return {
        "metric": label,
        "value": round(FEEDS / took * 60),
        "target": ">= 20000",
        "feeds": FEEDS,
        "hosts": HOSTS,
        "seconds": round(took, 1),
        "loop_lag_p99_ms": lag.p99_ms(),
        "loop_lag_target": "< 100",
        "polls": polled(metrics),
        "leaves_out": "platform sends (no chat subscribes); article page fetches",
    }


def first_cycle_process(url: str, port: int, out: Any) -> None:
    """``first_cycle`` in this (spawned) process, its figures sent on ``out``."""
    os.environ.pop(BOT_PROCESS, None)  # this process's parse workers import no bot
    out.send(asyncio.run(first_cycle(url, port)))


def first_cycle_apart(url: str, port: int) -> list[dict[str, Any]]:
    """``first_cycle`` in a fresh process (a bot process of its own, as `newsbot run`)."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    os.environ[BOT_PROCESS] = "1"
    try:
        child = context.Process(target=first_cycle_process, args=(url, port, send))
        child.start()
    finally:
        os.environ.pop(BOT_PROCESS, None)
        send.close()  # the child's copy only: if it dies, recv() ends instead of waiting
    try:
        lines: list[dict[str, Any]] = receive.recv()
    finally:
        child.join(60)
    return lines


async def first_cycle(url: str, port: int) -> list[dict[str, Any]]:
    async with bot(url) as (runner, store, metrics):
        await add_feeds(store, port, "items=20&tag=first&old=1", FEEDS)
        lag = Lag()
        stop = asyncio.Event()
        began = time.monotonic()
        lag.start()
        running = asyncio.create_task(runner.run(stop))
        while polled(metrics) < FEEDS:  # noqa: ASYNC110 - counts polls
            await asyncio.sleep(0.5)
        took = time.monotonic() - began
        memory = rss_mib()
        stored = runner.stats.articles
        left = len(await store.unclustered_articles(1_000_000))
        asked = time.monotonic()
        stop.set()
        await running
        stopped = time.monotonic() - asked
        await lag.stop()
    return [
        {
            "metric": "first_cycle_feeds_per_min",
            "value": round(FEEDS / took * 60),
            "target": ">= 5000",
            "seconds": round(took, 1),
            "articles_stored": stored,
            "unclustered_when_polled": left,
            "loop_lag_p99_ms": lag.p99_ms(),
        },
        {
            "metric": "rss_mib",
            "value": memory,
            "target": "<= 300",
            "articles_stored": stored,
            "leaves_out": (
                "the farm; measured in a fresh process of the bench that runs only the"
                " first cycle (its parse workers import what a CLI `newsbot run` worker"
                " imports), not in a `newsbot run` started from the CLI"
            ),
        },
        {
            "metric": "sigterm_s_under_load",
            "value": round(stopped, 2),
            "target": "<= 10",
            "unclustered_at_stop": left,
            "leaves_out": "signal delivery and process exit: the stop event is set directly",
        },
    ]


@contextlib.asynccontextmanager
async def silent_host(address: str) -> AsyncIterator[int]:
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, address, 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for writer in held:
            writer.close()


async def dead_hosts(url: str, port: int, seconds: float = 40.0) -> dict[str, Any]:
    recorder = Recorder()
    watching = WatcherConfig(interval_s=2.0, min_interval_s=1.0, max_interval_s=2.0, jitter=0)
    async with (
        silent_host("127.0.9.1") as dead_port,
        bot(url, watcher=watching, messenger=recorder) as (runner, store, _),
    ):
        await store.add_subscription(
            Destination("telegram", "1"), "*", breaking_only=False, min_outlets=2
        )
        for n in range(50):
            await store.upsert_feed(
                f"http://127.0.9.1:{dead_port}/feed{n}", f"Dead {n}", allow_private=True
            )
        # Ten feeds of each of two events on ten hosts: feed g and g + GROUPS share one.
        live = [g + GROUPS * o for g in range(2) for o in range(10)]
        for feed in live:
            url_ = f"http://{host(feed // PER_HOST)}:{port}/f/{feed}.xml?items=1&rounds=1&tag=d"
            await store.upsert_feed(url_, f"Outlet {feed}", allow_private=True)
        stop = asyncio.Event()
        running = asyncio.create_task(runner.run(stop))
        await asyncio.sleep(seconds)
        stop.set()
        await running
        delays = []
        for story_id, sent_at in recorder.sent:
            story = await store.get_story(story_id)
            if story is None:
                continue
            articles = await store.get_articles(story.article_ids)
            stored = [
                a.fetched_at.timestamp() for a in articles if a.fetched_at.timestamp() <= sent_at
            ]
            if stored:
                delays.append(sent_at - max(stored))
    p99 = statistics.quantiles(delays, n=100)[98] if len(delays) >= 2 else max(delays, default=-1)
    return {
        "metric": "post_p99_s_dead_hosts",
        "value": round(p99, 2),
        "target": "<= 5",
        "posts": len(delays),
        "median_s": round(statistics.median(delays), 2) if delays else None,
        "leaves_out": "platform latency (posts are recorded in memory); polls every 2 s",
    }


async def fresh_pg() -> tuple[str, str] | None:
    if not os.environ.get("NEWSBOT_TEST_DATABASE_URL"):
        return None
    from tests import conftest  # noqa: PLC0415 - the tests' database helpers

    return await conftest.fresh_postgres_url()


async def main() -> None:
    port = free_port()
    ready = multiprocessing.get_context("spawn").Event()
    farm = multiprocessing.get_context("spawn").Process(
        target=serve_farm, args=(port, HOSTS, ready, 3.0), daemon=True, name=FARM
    )
    farm.start()
    try:
        if not ready.wait(120):
            raise RuntimeError("the farm did not start")
        with tempfile.TemporaryDirectory(prefix="bench-e2e-") as folder:

            def sqlite(name: str) -> str:
                return f"sqlite+aiosqlite:///{Path(folder) / name}.db"

            print(json.dumps(await e2e(sqlite("e2e"), port, "e2e_feeds_per_min")), flush=True)
            pg = await fresh_pg()
            if pg is not None:
                from tests import conftest  # noqa: PLC0415

                pg_url, name = pg
                try:
                    print(json.dumps(await e2e(pg_url, port, "e2e_feeds_per_min_pg")), flush=True)
                finally:
                    await conftest.drop_postgres(name)
            for line in await asyncio.to_thread(first_cycle_apart, sqlite("first"), port):
                print(json.dumps(line), flush=True)
            print(json.dumps(await dead_hosts(sqlite("dead"), port)), flush=True)
    finally:
        farm.kill()
        farm.join(5)


if __name__ == "__main__":
    asyncio.run(main())
