"""The composition root: reads the configuration and builds every stage and adapter
on one storage (``build_core``), closing them in reverse order on exit.

With ``bot.app.platforms`` (the chat adapters) and ``bot.app.launch`` (``run``, ``chat``,
``demo``, with an explicit lifecycle so that SIGTERM shuts the bot down cleanly), it is
the only code of ``bot/`` that imports adapters and storage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from adapters.catalogs import load_word_book
from adapters.feeds.article_text import ArticleTextConfig, ArticleTextFetcher
from adapters.feeds.evaluate import evaluate_feeds
from adapters.feeds.fetch import FetchConfig, HttpFeedFetcher
from adapters.feeds.opml import OpmlCodec
from adapters.feeds.parse import FeedparserParser
from adapters.feeds.pool import PoolConfig
from adapters.feeds.probe import DiscoveringFeedProbe
from adapters.http_config import HttpConfig
from adapters.web.config import WebConfig
from bot.app.runner import Runner, RunnerConfig
from bot.commands.limits import LimitsConfig
from bot.commands.router import Commands, FeedProbe
from bot.commands.usage import MeteredChatModel
from bot.core.clock import SystemClock
from bot.core.config import CORE_SECTIONS, Config
from bot.core.errors import ConfigError
from bot.core.locales import BotConfig
from bot.core.metrics import Metrics
from bot.core.ports import Clock, Messenger, Offload, Summarizer
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
from bot.summaries.extractive import ExtractiveSummarizer
from bot.summaries.llm import LLMSummarizer
from bot.summaries.llm_config import LLMConfig
from bot.summaries.ports import BudgetStore, TranslationStore
from bot.summaries.summary_config import SummaryConfig
from bot.summaries.translator import Translator
from storage import SqlStorage, open_storage

log = logging.getLogger("newsbot")

__all__ = ["build_core", "evaluate_feeds", "validate"]

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
    offload: Offload | None = None,
) -> tuple[Summarizer, list[Callable[[], Any]]]:
    """The configured summariser; ``budget`` (the storage) shares the LLM's daily tokens
    between processes and restarts, otherwise they are counted in memory; ``offload``
    (the parse workers) computes extractive summaries off the event loop."""
    summary_config = config.section("summarizer", SummaryConfig)
    extractive = ExtractiveSummarizer(summary_config, offload=offload)
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


# Extractive summaries in flight at once: they run in the parse workers, queued with the
# feeds those parse, so enough must wait there for a batch not to go one by one.
EXTRACTIVE_IN_FLIGHT = 16


def summary_concurrency(config: Config, stories: StoriesConfig) -> int:
    """Stories summarised at once: as configured, else as many as the LLM may be asked
    at once (``EXTRACTIVE_IN_FLIGHT`` for the extractive summariser)."""
    if stories.summary_concurrency > 0:
        return stories.summary_concurrency
    if config.section("summarizer", SummaryConfig).kind == "llm":
        return max(1, config.section("llm", LLMConfig).max_concurrency)
    return EXTRACTIVE_IN_FLIGHT


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
        fetcher = HttpFeedFetcher(config.section("fetch", FetchConfig))
        closers.append(fetcher.close)
        watching = watcher_config or config.section("watcher", WatcherConfig)
        parser = FeedparserParser(
            config.section("parse", PoolConfig),
            max_entries=watching.max_entries_per_feed,
            metrics=metrics,
        )
        closers.append(parser.close)
        summarizer, summary_closers = build_summarizer(
            config, clock, metrics, budget=storage, offload=parser.pool
        )
        closers.extend(summary_closers)
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
