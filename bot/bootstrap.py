"""The composition root: the only module of ``bot/`` that imports adapters and storage.

It reads the configuration, builds every stage and adapter, and runs them with an
explicit lifecycle (start, run, stop) so that SIGTERM shuts the bot down cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from adapters.console import CONSOLE, ConsoleChat, ConsoleMessenger
from adapters.feeds.article_text import ArticleTextConfig, ArticleTextFetcher
from adapters.feeds.evaluate import evaluate_feeds
from adapters.feeds.fetch import FetchConfig, HttpFeedFetcher
from adapters.feeds.parse import FeedparserParser
from adapters.feeds.pool import PoolConfig
from adapters.feeds.probe import DiscoveringFeedProbe
from adapters.http_server import HealthServer, HttpConfig
from adapters.looplag import LoopLagMonitor
from adapters.replay import ReplayServer
from bot.breaking import BreakingConfig
from bot.clock import SystemClock
from bot.clustering import ClusterConfig
from bot.commands import Commands, FeedProbe
from bot.config import Config
from bot.delivery import DeliveryConfig, Dispatcher
from bot.errors import ConfigError
from bot.extractive import ExtractiveSummarizer, SummaryConfig
from bot.metrics import Metrics, expose
from bot.pipeline import Pipeline, StoriesConfig
from bot.ports import Messenger, Summarizer
from bot.ratelimit import RateLimitConfig
from bot.runner import Runner
from bot.watcher import Watcher, WatcherConfig
from storage import SqlStorage, open_storage
from storage.leader import LeaderElection, acquire_instance_guard

log = logging.getLogger("newsbot")

__all__ = ["build_core", "evaluate_feeds", "run_bot", "run_chat", "run_demo", "validate"]

# Every section a configuration file may have, and the dataclass it maps onto.
SECTIONS: dict[str, type[Any]] = {
    "watcher": WatcherConfig,
    "fetch": FetchConfig,
    "parse": PoolConfig,
    "clustering": ClusterConfig,
    "breaking": BreakingConfig,
    "stories": StoriesConfig,
    "summarizer": SummaryConfig,
    "delivery": DeliveryConfig,
    "rate_limits": RateLimitConfig,
    "http": HttpConfig,
    "article_text": ArticleTextConfig,
}
CORE_SECTIONS = {"database", "feeds", "logging"}


def optional_sections() -> dict[str, type[Any]]:
    """Sections of adapters with heavier dependencies, imported only when present."""
    found: dict[str, type[Any]] = {}
    with contextlib.suppress(ImportError):
        from adapters.llm import LLMConfig  # noqa: PLC0415 - optional adapter

        found["llm"] = LLMConfig
    with contextlib.suppress(ImportError):
        from adapters.telegram import TelegramConfig  # noqa: PLC0415 - optional adapter

        found["telegram"] = TelegramConfig
    with contextlib.suppress(ImportError):
        from adapters.discord import DiscordConfig  # noqa: PLC0415 - optional adapter

        found["discord"] = DiscordConfig
    return found


def all_sections() -> dict[str, type[Any]]:
    return {**SECTIONS, **optional_sections()}


def validate(config: Config) -> None:
    """Map every section now, so a bad value stops start-up before anything runs."""
    sections = all_sections()
    for name in config.raw:
        if name not in sections and name not in CORE_SECTIONS:
            known = ", ".join(sorted({*sections, *CORE_SECTIONS}))
            raise ConfigError(f"[{name}] is not a section newsbot knows (known: {known}).")
    for name, cls in sections.items():
        config.section(name, cls)


@dataclass
class Core:
    """Everything built from one configuration."""

    config: Config
    storage: SqlStorage
    summarizer: Summarizer
    commands: Commands
    pipeline: Pipeline
    watcher: Watcher
    dispatcher: Dispatcher
    runner: Runner
    fetcher: HttpFeedFetcher
    parser: FeedparserParser
    metrics: Metrics
    messengers: dict[str, Messenger] = field(default_factory=dict)


def build_summarizer(
    config: Config, clock: SystemClock
) -> tuple[Summarizer, list[Callable[[], Any]]]:
    summary_config = config.section("summarizer", SummaryConfig)
    extractive = ExtractiveSummarizer(summary_config)
    if summary_config.kind == "extractive":
        return extractive, []
    if summary_config.kind != "llm":
        raise ConfigError('summarizer.kind must be "extractive" or "llm".')
    from adapters.llm import LLMConfig, LLMSummarizer  # noqa: PLC0415 - optional adapter

    llm = LLMSummarizer(
        config.section("llm", LLMConfig),
        fallback=extractive,
        api_key=os.environ.get("OPENAI_API_KEY"),
        clock=clock,
    )
    return llm, [llm.close]


@contextlib.asynccontextmanager
async def build_core(
    config: Config,
    *,
    database_url: str | None = None,
    watcher_config: WatcherConfig | None = None,
    stories_config: StoriesConfig | None = None,
    article_text_config: ArticleTextConfig | None = None,
    messengers: dict[str, Messenger] | None = None,
    feed_probe: FeedProbe | None = None,
) -> AsyncIterator[Core]:
    """Build the core on one storage; everything is closed on exit, in reverse order."""
    validate(config)
    clock = SystemClock()
    metrics = Metrics()
    storage = await open_storage(database_url or config.database.url)
    closers: list[Callable[[], Any]] = [storage.close]
    try:
        summarizer, summary_closers = build_summarizer(config, clock)
        closers.extend(summary_closers)
        fetcher = HttpFeedFetcher(config.section("fetch", FetchConfig))
        closers.append(fetcher.close)
        watching = watcher_config or config.section("watcher", WatcherConfig)
        parser = FeedparserParser(
            config.section("parse", PoolConfig), max_entries=watching.max_entries_per_feed
        )
        closers.append(parser.close)
        for feed in config.feeds:
            await storage.upsert_feed(
                feed.url, feed.name or feed.url, allow_private=feed.allow_private
            )
        watcher = Watcher(
            storage,
            fetcher,
            parser,
            clock,
            watching,
        )
        article_text = ArticleTextFetcher(
            article_text_config or config.section("article_text", ArticleTextConfig),
            fetcher,
            extract_pool=parser.pool,
        )
        closers.append(article_text.close)
        pipeline = Pipeline(
            article_text=article_text,
            storage=storage,
            summarizer=summarizer,
            clock=clock,
            clustering=config.section("clustering", ClusterConfig),
            breaking=config.section("breaking", BreakingConfig),
            stories=stories_config or config.section("stories", StoriesConfig),
        )
        chosen = dict(messengers or {})
        dispatcher = Dispatcher(
            storage=storage,
            messengers=chosen,
            clock=clock,
            config=config.section("delivery", DeliveryConfig),
            rate_limits=config.section("rate_limits", RateLimitConfig),
            metrics=metrics,
        )
        commands = Commands(
            storage=storage,
            summarizer=summarizer,
            clock=clock,
            feed_probe=feed_probe or DiscoveringFeedProbe(fetcher, parser),
        )
        runner = Runner(watcher=watcher, pipeline=pipeline, dispatcher=dispatcher)
        core = Core(
            config=config,
            storage=storage,
            summarizer=summarizer,
            commands=commands,
            pipeline=pipeline,
            watcher=watcher,
            dispatcher=dispatcher,
            runner=runner,
            fetcher=fetcher,
            parser=parser,
            metrics=metrics,
            messengers=chosen,
        )
        yield core
    finally:
        for closer in reversed(closers):
            result = closer()
            if asyncio.iscoroutine(result):
                await result


def install_stop_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


# ------------------------------------------------------------------ commands of the CLI


async def run_chat(
    config: Config, *, stdin: TextIO | None = None, out: TextIO | None = None
) -> None:
    """``newsbot chat``: the console adapter alone against the configured database."""
    async with build_core(config) as core:
        await ConsoleChat(core.commands, stdin=stdin, out=out).run()


DEMO_WATCHER = WatcherConfig(interval_s=2.0, min_interval_s=1.0, max_interval_s=3.0, jitter=0.0)
# The replayed feeds' first items are the demo's news, and living stories update quickly.
DEMO_STORIES = StoriesConfig(post_existing_items=True, update_debounce_s=1.0)


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
    workdir = tempfile.TemporaryDirectory(prefix="newsbot-demo-")
    messenger = ConsoleMessenger(out)
    stop = asyncio.Event()
    install_stop_signals(stop)
    try:
        database = f"sqlite+aiosqlite:///{Path(workdir.name) / 'demo.db'}"
        demo_config = dataclasses.replace(config, feeds=())
        async with build_core(
            demo_config,
            database_url=database,
            watcher_config=DEMO_WATCHER,
            stories_config=DEMO_STORIES,
            # The replayed articles' links lead nowhere: their feed text is all there is.
            article_text_config=ArticleTextConfig(enabled=False),
            messengers={"console": messenger},
        ) as core:
            for url, name in replay.feed_urls():
                await core.storage.upsert_feed(url, name, allow_private=True)
            await core.storage.add_subscription(CONSOLE, "*", breaking_only=False, min_outlets=2)
            source = (
                "the sample corpus (invented outlets and articles)"
                if feeds_dir is None
                else str(feeds_dir)
            )
            out.write(
                f"newsbot demo: replaying {source} as {len(replay.feed_urls())} feeds on "
                f"http://127.0.0.1:{replay.port}/ for {duration_s:.0f} s.\n"
                "Stories reported by two or more outlets are posted below "
                "as they would be in a chat.\n"
            )
            out.flush()
            runner_task = asyncio.create_task(core.runner.run(stop))
            while not replay.finished() and not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=0.5)
            await _final_pass(core)
            if once or stop.is_set():
                stop.set()
                await runner_task
                out.write(f"{RULE_END}\nDemo finished: {len(messenger.sent)} stories posted.\n")
                return 0
            out.write(
                f"{RULE_END}\nThe replay is over: {len(messenger.sent)} stories posted. "
                "Try /latest, /expand <story>, /sources <story>, /ask <story> <question>, /help; "
                "/quit ends.\n"
            )
            out.flush()
            await ConsoleChat(core.commands, stdin=stdin, out=out).run(stop)
            stop.set()
            await runner_task
            return 0
    finally:
        await replay.stop()
        workdir.cleanup()


RULE_END = "═" * 72


async def _final_pass(core: Core, *, drain_s: float = 10.0) -> None:
    """Poll every feed once more after the replay ended, so no late item is missed, then
    let debounced updates of living stories go out."""
    for feed in await core.storage.list_feeds():
        await core.storage.save_feed_state(dataclasses.replace(feed, next_check_at=None))
    await core.runner.cycle()
    deadline = asyncio.get_running_loop().time() + drain_s
    while asyncio.get_running_loop().time() < deadline:
        waiting = await core.storage.count_deliveries()
        if not waiting.get("pending") and not waiting.get("claimed"):
            return
        await asyncio.sleep(0.25)
        await core.dispatcher.dispatch_once()


async def run_bot(config: Config) -> int:
    """``newsbot run``: the real bot with every enabled adapter, until SIGTERM or SIGINT.

    On SQLite one process runs (a second refuses to start); on PostgreSQL several may: one
    elected leader polls, clusters and summarises, and every process delivers."""
    stop = asyncio.Event()
    install_stop_signals(stop)
    guard = await acquire_instance_guard(config.database.url)
    try:
        async with build_core(config) as core:
            leader = LeaderElection(core.storage.engine)
            core.runner.leader = leader
            adapters = await start_chat_adapters(config, core)
            lag = LoopLagMonitor()
            lag.start()
            server = HealthServer(
                config.section("http", HttpConfig),
                metrics=core.metrics,
                ready=lambda: ready_checks(core, adapters),
                lag=lag,
            )
            await server.start()
            register_gauges(core)
            if not config.feeds and not await core.storage.list_feeds():
                log.warning("run.no_feeds hint=%r", "add [[feeds]] entries to the configuration")
            try:
                await core.runner.run(stop)
            finally:
                await server.stop()
                await lag.stop()
                for adapter in reversed(adapters):
                    await adapter.stop()
                await leader.release()
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
    llm_stats = getattr(core.summarizer, "stats", None)
    if llm_stats is not None:
        names = ("calls", "failures", "prompt_tokens", "completion_tokens", "cache_hits")
        expose(core.metrics, "llm", llm_stats, names)


async def start_chat_adapters(config: Config, core: Core) -> list[Any]:
    """Start Telegram and Discord when enabled; their messengers join the dispatcher."""
    started: list[Any] = []
    sections = optional_sections()
    if "telegram" in sections and config.raw.get("telegram", {}).get("enabled"):
        from adapters.telegram import TelegramAdapter  # noqa: PLC0415 - optional adapter

        token = os.environ.get("NEWSBOT_TELEGRAM_TOKEN", "")
        if not token:
            raise ConfigError("telegram.enabled is true but NEWSBOT_TELEGRAM_TOKEN is not set.")
        telegram = TelegramAdapter(
            config.section("telegram", sections["telegram"]),
            token=token,
            commands=core.commands,
            webhook_secret=os.environ.get("NEWSBOT_TELEGRAM_WEBHOOK_SECRET"),
        )
        await telegram.start()
        started.append(telegram)
        core.messengers["telegram"] = telegram.messenger
    if "discord" in sections and config.raw.get("discord", {}).get("enabled"):
        from adapters.discord import DiscordAdapter  # noqa: PLC0415 - optional adapter

        token = os.environ.get("NEWSBOT_DISCORD_TOKEN", "")
        if not token:
            raise ConfigError("discord.enabled is true but NEWSBOT_DISCORD_TOKEN is not set.")
        discord = DiscordAdapter(
            config.section("discord", sections["discord"]), token=token, commands=core.commands
        )
        await discord.start()
        started.append(discord)
        core.messengers["discord"] = discord.messenger
    return started
