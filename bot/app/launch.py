"""The CLI's commands that run the bot: ``newsbot run`` (every enabled adapter, until
SIGTERM), ``newsbot chat`` (the console alone) and ``newsbot demo`` (offline, on a local
replay), each over the core ``bot.app.bootstrap`` builds.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from adapters.console import CONSOLE, ConsoleChat, ConsoleMessenger
from adapters.feeds.article_text import ArticleTextConfig
from adapters.http_config import HttpConfig
from adapters.looplag import LoopLagMonitor
from adapters.replay import ReplayServer
from adapters.web.config import WebConfig
from bot.app import demo
from bot.app.bootstrap import Core, build_core
from bot.app.platforms import start_chat_adapters
from bot.app.runner import RunnerConfig
from bot.core.clock import ShiftedClock
from bot.core.config import Config
from bot.core.errors import ConfigError
from bot.core.metrics import expose
from storage.leader import LeaderElection, PlatformSenders, acquire_instance_guard
from storage.notify import WorkListener

if TYPE_CHECKING:
    from adapters.http_server import HealthServer

log = logging.getLogger("newsbot")


def install_stop_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


async def run_chat(
    config: Config, *, stdin: TextIO | None = None, out: TextIO | None = None
) -> None:
    """``newsbot chat``: the console adapter alone against the configured database."""
    async with build_core(config) as core:
        await ConsoleChat(core.commands, stdin=stdin, out=out).run()


async def run_demo(
    config: Config,
    *,
    once: bool,
    feeds_dir: Path | None = None,
    duration_s: float = 30.0,
    out: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    """``newsbot demo``: the real bot, offline, on a local replay of news feeds."""
    out = out or sys.stdout
    if feeds_dir is not None and not feeds_dir.is_dir():  # noqa: ASYNC240 - one stat at start
        raise ConfigError(f"--feeds {feeds_dir} is not a folder of feed files.")
    replay = ReplayServer(feeds_dir=feeds_dir, duration_s=duration_s)
    await replay.start()
    # Feed files are replayed at their own dates: with today's clock an undated item (read
    # as arriving now) would close, years "later", the stories of feeds not yet polled.
    newest = await asyncio.to_thread(replay.newest_item)
    clock = ShiftedClock(newest) if newest is not None else None
    source = str(feeds_dir) if feeds_dir else "the sample corpus (invented outlets)"
    if newest is not None:
        source += f" at its items' own dates (from {newest:%d %b %Y %H:%M} UTC)"
    workdir = tempfile.TemporaryDirectory(prefix="newsbot-demo-")
    messenger = ConsoleMessenger(out)
    stop = asyncio.Event()
    install_stop_signals(stop)
    try:
        async with build_core(
            dataclasses.replace(config, feeds=()),
            database_url=f"sqlite+aiosqlite:///{Path(workdir.name) / 'demo.db'}",
            watcher_config=demo.DEMO_WATCHER,
            stories_config=demo.DEMO_STORIES,
            # The replayed articles' links lead nowhere: their feed text is all there is.
            article_text_config=ArticleTextConfig(enabled=False),
            messengers={"console": messenger},
            clock=clock,
        ) as core:
            show = demo.Show(
                storage=core.storage,
                runner=core.runner,
                dispatcher=core.dispatcher,
                replay=replay,
                audience=CONSOLE,
                posted=lambda: len(messenger.sent),
                prompt=lambda: ConsoleChat(core.commands, stdin=stdin, out=out),
                source=source,
                duration_s=duration_s,
            )
            return await demo.play(show, once=once, out=out, stop=stop)
    finally:
        await replay.stop()
        workdir.cleanup()


async def run_bot(config: Config) -> int:
    """``newsbot run``: the real bot with every enabled adapter, until SIGTERM or SIGINT.

    On SQLite one process runs (a second refuses to start); on PostgreSQL several may:
    every process polls the feeds it claims and delivers, one elected leader clusters and
    summarises, and LISTEN/NOTIFY wakes the others when there is new work."""
    stop = asyncio.Event()
    install_stop_signals(stop)
    guard = await acquire_instance_guard(config.database.url)
    try:
        async with build_core(config) as core:
            leader = LeaderElection(core.storage.engine)
            core.runner.leader = leader
            # One elected sender per platform keeps its global limit for the whole bot.
            senders = PlatformSenders(core.storage.engine)
            core.dispatcher.senders = senders
            running = config.section("runner", RunnerConfig)
            listener = WorkListener(config.database.url)
            if listener.enabled and await listener.start():
                core.runner.wakeup = listener
                core.runner.tick_s = running.notified_tick_s
            services: list[asyncio.Task[None]] = []
            adapters = await start_chat_adapters(config, core, stop=stop, services=services)
            lag = LoopLagMonitor()
            lag.start()
            server = await start_http_server(config, core, adapters, lag)
            register_gauges(core)
            if not config.feeds and not await core.storage.list_feeds():
                log.warning("run.no_feeds hint=%r", "add [[feeds]] entries to the configuration")
            try:
                await core.runner.run(stop)
            finally:
                stop.set()
                await asyncio.gather(*services, return_exceptions=True)
                if server is not None:
                    await server.stop()
                await lag.stop()
                for adapter in reversed(adapters):
                    await adapter.stop()
                await leader.release()
                await senders.release()
                await listener.close()
    finally:
        await guard.release()
    return 0


async def ready_checks(core: Core, adapters: list[Any]) -> dict[str, bool]:
    checks = {"database": await core.storage.ping()}
    for adapter in adapters:
        checks[type(adapter).__name__.removesuffix("Adapter").lower()] = adapter.connected()
    return checks


def register_gauges(core: Core) -> None:
    """Numbers read at scrape time from the stages that keep them."""
    expose(core.metrics, "runner", core.runner.stats, ("cycles", "failures", "articles", "sent"))


async def start_http_server(
    config: Config, core: Core, adapters: list[Any], lag: LoopLagMonitor
) -> HealthServer | None:
    """The operators' server (and the story pages), started; None when ``[http] listen``
    is empty, the default: then prometheus_client and Jinja2 are never imported."""
    http = config.section("http", HttpConfig)
    if not http.enabled:
        return None
    from adapters.http_server import HealthServer  # noqa: PLC0415 - only when it serves
    from adapters.web.pages import StoryPages  # noqa: PLC0415

    web = config.section("web", WebConfig)
    server = HealthServer(
        http,
        metrics=core.metrics,
        ready=lambda: ready_checks(core, adapters),
        lag=lag,
        pages=StoryPages(core.storage) if web.enabled else None,
    )
    await server.start()
    return server
