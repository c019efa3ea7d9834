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

from adapters.catalogs import load_word_book
from adapters.console import CONSOLE, ConsoleChat, ConsoleMessenger
from adapters.feeds.article_text import ArticleTextConfig, ArticleTextFetcher
from adapters.feeds.evaluate import evaluate_feeds
from adapters.feeds.fetch import FetchConfig, HttpFeedFetcher
from adapters.feeds.opml import OpmlCodec
from adapters.feeds.parse import FeedparserParser
from adapters.feeds.pool import PoolConfig
from adapters.feeds.probe import DiscoveringFeedProbe
from adapters.http_server import HealthServer, HttpConfig
from adapters.looplag import LoopLagMonitor
from adapters.replay import ReplayServer
from adapters.web import StoryPages, WebConfig
from bot.app import demo
from bot.app.runner import ExclusiveService, Runner, RunnerConfig
from bot.commands.limits import LimitsConfig
from bot.commands.router import Commands, FeedProbe
from bot.commands.usage import MeteredChatModel
from bot.core.clock import SystemClock
from bot.core.config import CORE_SECTIONS, Config
from bot.core.errors import ConfigError
from bot.core.locales import BotConfig
from bot.core.metrics import Metrics, expose
from bot.core.ports import Clock, Messenger, Summarizer
from bot.delivery.config import DeliveryConfig
from bot.delivery.digests import DigestScheduler
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.ratelimit import RateLimitConfig
from bot.feeds.watcher import Watcher, WatcherConfig
from bot.stories.breaking import BreakingConfig
from bot.stories.clustering import ClusterConfig
from bot.stories.pipeline import Pipeline
from bot.stories.publishing import StoriesConfig
from bot.stories.retention import Pruner, RetentionConfig
from bot.summaries.extractive import ExtractiveSummarizer, SummaryConfig
from bot.summaries.llm import LLMConfig, LLMSummarizer
from bot.summaries.ports import BudgetStore, TranslationStore
from bot.summaries.translator import Translator
from storage import SqlStorage, open_storage
from storage.leader import LeaderElection, PlatformSenders, acquire_instance_guard
from storage.notify import WorkListener

log = logging.getLogger("newsbot")

__all__ = ["build_core", "evaluate_feeds", "run_bot", "run_chat", "run_demo", "validate"]

# Every section a configuration file may have, and the dataclass it maps onto.
SECTIONS: dict[str, type[Any]] = {
    "bot": BotConfig,
    "watcher": WatcherConfig,
    "fetch": FetchConfig,
    "parse": PoolConfig,
    "clustering": ClusterConfig,
    "breaking": BreakingConfig,
    "stories": StoriesConfig,
    "summarizer": SummaryConfig,
    "llm": LLMConfig,
    "delivery": DeliveryConfig,
    "rate_limits": RateLimitConfig,
    "http": HttpConfig,
    "web": WebConfig,
    "article_text": ArticleTextConfig,
    "runner": RunnerConfig,
    "limits": LimitsConfig,
    "retention": RetentionConfig,
}


def optional_sections() -> dict[str, type[Any]]:
    """Sections of adapters with heavier dependencies, imported only when present."""
    found: dict[str, type[Any]] = {}
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
    if config.section("web", WebConfig).enabled and not config.section("http", HttpConfig).enabled:
        raise ConfigError(
            "web.public_url is set but http.listen is empty: the story pages are served by "
            'the HTTP server, so give it an address (e.g. listen = "0.0.0.0:9108").'
        )


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
    config: Config,
    clock: Clock,
    metrics: Metrics | None = None,
    budget: BudgetStore | None = None,
) -> tuple[Summarizer, list[Callable[[], Any]]]:
    """The configured summariser; ``budget`` (the storage) shares the LLM's daily tokens
    between processes and restarts, otherwise they are counted in memory."""
    summary_config = config.section("summarizer", SummaryConfig)
    extractive = ExtractiveSummarizer(summary_config)
    if summary_config.kind == "extractive":
        return extractive, []
    if summary_config.kind != "llm":
        raise ConfigError('summarizer.kind must be "extractive" or "llm".')
    from adapters.llm import OpenAIChatConfig, OpenAIChatModel  # noqa: PLC0415 - used rarely

    settings = config.section("llm", LLMConfig)
    # One [llm] section for people; the adapter gets the settings of the connection.
    model = OpenAIChatModel(
        OpenAIChatConfig(
            base_url=settings.base_url,
            model=settings.model,
            timeout_s=settings.timeout_s,
            max_retries=settings.max_retries,
            json_mode=settings.json_mode,
            temperature=settings.temperature,
        ),
        api_key=os.environ.get("OPENAI_API_KEY"),
    )
    # Answers to a community's questions are charged to it (``/usage``, scope budgets).
    metered = MeteredChatModel(
        model,
        usd_per_million_input=settings.usd_per_million_input_tokens,
        usd_per_million_output=settings.usd_per_million_output_tokens,
    )
    llm = LLMSummarizer(metered, settings, fallback=extractive, clock=clock, budget=budget)
    if metrics is not None:
        llm.publish_metrics(metrics)
    return llm, [model.close]


def build_translator(
    config: Config, summarizer: Summarizer, store: TranslationStore
) -> Translator | None:
    """The translator of summaries for chats' languages: the LLM summariser's model,
    budget and concurrency (``[llm] translate``); None for the extractive summariser."""
    if not isinstance(summarizer, LLMSummarizer):
        return None
    settings = config.section("llm", LLMConfig)
    if not settings.translate or settings.translate_max_languages <= 0:
        return None
    return Translator(summarizer, store, max_languages=settings.translate_max_languages)


def summary_concurrency(config: Config, stories: StoriesConfig) -> int:
    """Stories summarised at once: as configured, else as many as the LLM may be asked
    at once (one for the extractive summariser, which is CPU work on this loop)."""
    if stories.summary_concurrency > 0:
        return stories.summary_concurrency
    if config.section("summarizer", SummaryConfig).kind == "llm":
        return max(1, config.section("llm", LLMConfig).max_concurrency)
    return 1


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
    clock: Clock | None = None,
) -> AsyncIterator[Core]:
    """Build the core on one storage; everything is closed on exit, in reverse order.
    ``clock`` replaces the system clock (``eval stream`` replays at the items' dates)."""
    validate(config)
    clock = clock or SystemClock()
    metrics = Metrics()
    storage = await open_storage(database_url or config.database.url)
    closers: list[Callable[[], Any]] = [storage.close]
    try:
        summarizer, summary_closers = build_summarizer(config, clock, metrics, budget=storage)
        closers.extend(summary_closers)
        fetcher = HttpFeedFetcher(config.section("fetch", FetchConfig))
        closers.append(fetcher.close)
        watching = watcher_config or config.section("watcher", WatcherConfig)
        parser = FeedparserParser(
            config.section("parse", PoolConfig),
            max_entries=watching.max_entries_per_feed,
            metrics=metrics,
        )
        closers.append(parser.close)
        for feed in config.feeds:
            await storage.upsert_feed(
                feed.url, feed.name or feed.url, allow_private=feed.allow_private
            )
        await retire_config_feeds(storage, config)
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
        stories = stories_config or config.section("stories", StoriesConfig)
        pipeline = Pipeline(
            article_text=article_text,
            storage=storage,
            summarizer=summarizer,
            clock=clock,
            clustering=config.section("clustering", ClusterConfig),
            breaking=config.section("breaking", BreakingConfig),
            stories=stories,
            summary_concurrency=summary_concurrency(config, stories),
            summary_articles=config.section("summarizer", SummaryConfig).max_articles,
            translator=build_translator(config, summarizer, storage),
            default_language=config.section("bot", BotConfig).language,
        )
        chosen = dict(messengers or {})
        words = load_word_book()
        dispatcher = Dispatcher(
            storage=storage,
            messengers=chosen,
            clock=clock,
            config=config.section("delivery", DeliveryConfig),
            rate_limits=config.section("rate_limits", RateLimitConfig),
            metrics=metrics,
            public_url=config.section("web", WebConfig).public_url,
            default_language=config.section("bot", BotConfig).language,
            words=words,
        )
        commands = Commands(
            storage=storage,
            summarizer=summarizer,
            clock=clock,
            feed_probe=feed_probe or DiscoveringFeedProbe(fetcher, parser),
            public_url=config.section("web", WebConfig).public_url,
            limits=config.section("limits", LimitsConfig),
            opml=OpmlCodec(),
            usage=storage,
            fallback=ExtractiveSummarizer(config.section("summarizer", SummaryConfig)),
            default_language=config.section("bot", BotConfig).language,
            words=words,
        )
        running = config.section("runner", RunnerConfig)
        runner = Runner(
            watcher=watcher,
            pipeline=pipeline,
            dispatcher=dispatcher,
            outbox=storage,
            metrics=metrics,
            tick_s=running.tick_s,
            cluster_batch=running.cluster_batch,
            poll_passes=running.poll_passes,
            stop_grace_s=running.stop_grace_s,
            digests=DigestScheduler(storage, clock),
        )
        runner.pruner = Pruner(storage, clock, config.section("retention", RetentionConfig))
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


async def retire_config_feeds(storage: SqlStorage, config: Config) -> None:
    """Feeds the config no longer lists stop serving everyone; unused ones are disabled."""
    for feed in await storage.retire_config_feeds([f.url for f in config.feeds]):
        if feed.enabled:
            log.warning(
                "feeds.config_removed url=%s kept_for=%s", feed.url, ",".join(sorted(feed.scopes))
            )
        else:
            log.warning("feeds.config_removed url=%s disabled=true", feed.url)


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
        async with build_core(
            dataclasses.replace(config, feeds=()),
            database_url=f"sqlite+aiosqlite:///{Path(workdir.name) / 'demo.db'}",
            watcher_config=demo.DEMO_WATCHER,
            stories_config=demo.DEMO_STORIES,
            # The replayed articles' links lead nowhere: their feed text is all there is.
            article_text_config=ArticleTextConfig(enabled=False),
            messengers={"console": messenger},
        ) as core:
            show = demo.Show(
                storage=core.storage,
                runner=core.runner,
                dispatcher=core.dispatcher,
                replay=replay,
                audience=CONSOLE,
                posted=lambda: len(messenger.sent),
                prompt=lambda: ConsoleChat(core.commands, stdin=stdin, out=out),
                source=str(feeds_dir) if feeds_dir else "the sample corpus (invented outlets)",
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
            web = config.section("web", WebConfig)
            server = HealthServer(
                config.section("http", HttpConfig),
                metrics=core.metrics,
                ready=lambda: ready_checks(core, adapters),
                lag=lag,
                pages=StoryPages(core.storage) if web.enabled else None,
            )
            await server.start()
            register_gauges(core)
            if not config.feeds and not await core.storage.list_feeds():
                log.warning("run.no_feeds hint=%r", "add [[feeds]] entries to the configuration")
            try:
                await core.runner.run(stop)
            finally:
                stop.set()
                await asyncio.gather(*services, return_exceptions=True)
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


TELEGRAM_POLLING_LOCK = "newsbot:telegram-polling"


async def start_chat_adapters(
    config: Config,
    core: Core,
    *,
    stop: asyncio.Event | None = None,
    services: list[asyncio.Task[None]] | None = None,
) -> list[Any]:
    """Start Telegram and Discord when enabled; their messengers join the dispatcher.

    Telegram long polling admits one caller per token, so where processes share a
    PostgreSQL database (and ``services`` collects background tasks) only the holder of
    an advisory lock runs Telegram; another process takes over when the holder dies.
    Webhook mode runs at every process."""
    started: list[Any] = []
    sections = optional_sections()
    if "telegram" in sections and config.raw.get("telegram", {}).get("enabled"):
        from adapters.telegram import TelegramAdapter  # noqa: PLC0415 - optional adapter

        token = os.environ.get("NEWSBOT_TELEGRAM_TOKEN", "")
        if not token:
            raise ConfigError("telegram.enabled is true but NEWSBOT_TELEGRAM_TOKEN is not set.")
        telegram_config = config.section("telegram", sections["telegram"])
        telegram_token = token  # bound now: ``token`` is reused for Discord below

        def new_telegram() -> Any:
            return TelegramAdapter(
                telegram_config,
                token=telegram_token,
                commands=core.commands,
                webhook_secret=os.environ.get("NEWSBOT_TELEGRAM_WEBHOOK_SECRET"),
            )

        telegram = new_telegram()
        shared = core.storage.dialect == "postgresql" and services is not None
        exclusive = shared and stop is not None and telegram_config.mode == "polling"
        # Every process sends; with several processes polling only one of them receives.
        await telegram.start(receive_updates=not exclusive)
        started.append(telegram)
        core.messengers["telegram"] = telegram.messenger
        if exclusive:
            assert services is not None  # noqa: S101 - narrowed by ``exclusive``
            assert stop is not None  # noqa: S101 - narrowed by ``exclusive``
            services.append(asyncio.create_task(poll_telegram_exclusively(core, telegram, stop)))
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


async def poll_telegram_exclusively(core: Core, telegram: Any, stop: asyncio.Event) -> None:
    """Long-poll Telegram in this process only while it holds the polling lock; another
    process takes over when the holder dies. Sending never waits for the lock."""
    lock = LeaderElection(core.storage.engine, name=TELEGRAM_POLLING_LOCK)
    await ExclusiveService(
        "telegram-polling", lock, start=telegram.start_receiving, stop=telegram.stop_receiving
    ).run(stop)
