"""``newsbot eval stream DIR``: a folder of feed files read the way a reader would see it.

Every feed file (one outlet each, unnamed as in ``newsbot demo --feeds``: shown under its
own title) is parsed by the bot's own parser, its items become articles in a temporary
SQLite storage, and the articles go through the bot's own pipeline (cluster, summarise,
match, enqueue) in the order of their dates, one timestamp at a time, with the clock at
that date. Nothing is fetched: no HTTP server, no article pages. What comes out is one
JSON-able record per story of two or more articles, as its post would show it, then a
summary record.

It lives in the composition root because it builds the real storage and parser.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import Any, TextIO

from adapters.console import CONSOLE
from adapters.feeds.article_text import ArticleTextConfig
from bot.app.bootstrap import Core, build_core
from bot.app.runner import RunnerConfig
from bot.core.clock import FixedClock
from bot.core.config import Config
from bot.core.domain import Article, Feed, NewArticle, ParsedFeed, Story, Summary
from bot.core.errors import ConfigError, FeedParseError, SummaryError
from bot.delivery.render import story_post
from bot.feeds.watcher import to_new_articles
from bot.stories.publishing import StoriesConfig
from bot.text.mastheads import file_feed_name
from bot.text.urls import canonical_url

__all__ = ["feed_files", "stream_eval"]

# Every outbox row of the evaluation, whatever its date.


def feed_files(directory: Path) -> list[Path]:
    """The feed files of ``directory`` as ``demo --feeds`` serves them: every visible file
    at its top level, in name order; a ConfigError when there is none to read."""
    if not directory.is_dir():
        raise ConfigError(f"{directory} is not a folder of feed files.")
    files = sorted(p for p in directory.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise ConfigError(f"{directory} holds no feed files.")
    return files


@dataclass
class Replay:
    """What the replay read: the feeds, their articles, and how to show them again."""

    articles: list[NewArticle] = field(default_factory=list)
    files: dict[int, str] = field(default_factory=dict)  # feed id → file name
    # (feed id, canonical URL) → the item's link exactly as the feed has it
    links: dict[tuple[int, str], str] = field(default_factory=dict)
    feeds: int = 0
    skipped: int = 0


def entry_links(feed: Feed, parsed: ParsedFeed) -> dict[tuple[int, str], str]:
    """Each entry's link as written, by the canonical URL the article is stored under
    (the same choice of link as ``to_new_articles``)."""
    links: dict[tuple[int, str], str] = {}
    for entry in parsed.entries:
        link = entry.url or (entry.guid if entry.guid and "://" in entry.guid else None)
        if link:
            links.setdefault((feed.id, canonical_url(link)), link)
    return links


async def read_feeds(core: Core, files: Sequence[Path], errors: TextIO) -> Replay:
    """Parse every file with the bot's parser; a file that fails is skipped, with why."""
    replay = Replay()
    parsed_feeds: list[tuple[Feed, ParsedFeed]] = []
    for path in files:
        url = path.absolute().as_uri()
        try:
            body = await asyncio.to_thread(path.read_bytes)
            parsed = await core.parser.parse(body, {}, url)
        except (OSError, FeedParseError) as err:
            reason = err.reason if isinstance(err, FeedParseError) else str(err)
            errors.write(f"newsbot: skipped {path.name}: {reason}\n")
            replay.skipped += 1
            continue
        name = file_feed_name(url, parsed.title, path.stem)
        feed = await core.storage.upsert_feed(url, name, allow_private=True)
        replay.files[feed.id] = path.name
        replay.links.update(entry_links(feed, parsed))
        parsed_feeds.append((feed, parsed))
    replay.feeds = len(parsed_feeds)
    dates = [e.published for _, p in parsed_feeds for e in p.entries if e.published is not None]
    # ``to_new_articles`` clamps dates to "now": the newest item's date keeps them all, and
    # an undated item is read as arriving last.
    newest = max(dates, default=datetime.now(UTC))
    for feed, parsed in parsed_feeds:
        replay.articles.extend(to_new_articles(feed, parsed, newest))
    return replay


async def play(
    core: Core, clock: FixedClock, articles: Sequence[NewArticle], batch: int
) -> list[int]:
    """Store and process the articles one timestamp at a time, as the runner would have
    seen them arrive; the ids stored (the storage drops duplicates as it always does)."""
    ordered = sorted(articles, key=lambda a: a.published)
    if ordered:
        clock.current = ordered[0].published
    await core.pipeline.restore()  # as the runner does once before its first batch
    stored: list[int] = []
    for when, group in groupby(ordered, key=lambda a: a.published):
        clock.current = when
        new = await core.storage.add_articles(list(group))
        if new:
            stored.extend(a.id for a in new)
            await core.pipeline.process_stored(batch)
    return stored


def story_language(articles: Sequence[Article]) -> str:
    """The most common language of the story's articles (the first seen on a tie)."""
    counts = Counter(a.language for a in articles)
    return counts.most_common(1)[0][0] if counts else "und"


async def posted_story_ids(core: Core) -> set[str]:
    """Stories with an outbox post row, followed through merges to the surviving story."""
    posted: set[str] = set()
    for story_id in await core.storage.posted_story_ids():
        story = await core.storage.get_story(story_id)
        if story is not None:
            posted.add(story.id)
    return posted


async def story_summary(core: Core, story: Story, articles: list[Article]) -> Summary | None:
    """The stored summary of the story's current version; a story the pipeline did not
    summarise (too few outlets to post) is summarised now, for reading, and not stored."""
    summary = await core.storage.get_summary(story.id)
    if summary is not None and summary.story_version == story.version:
        return summary
    try:
        return await core.summarizer.summarize(story, articles)
    except SummaryError:
        return None


def story_record(
    story: Story,
    summary: Summary | None,
    articles: Sequence[Article],
    *,
    posted: bool,
    replay: Replay,
    now: datetime,
) -> dict[str, Any]:
    card = story_post(story, summary, now) if summary is not None else None
    return {
        "story": story.id,
        "posted": posted,
        "headline": (card.title if card is not None and card.title else story.headline),
        "link": card.title_url if card is not None else None,
        "language": story_language(articles),
        "lede": [s.text for s in summary.lede] if summary is not None else [],
        "headings": [s.heading for s in summary.sections] if summary is not None else [],
        "outlets": list(story.outlets),
        "articles": [
            {
                "link": replay.links.get((a.feed_id, a.url), a.url),
                "title": a.title,
                "feed": replay.files.get(a.feed_id, ""),
                "publisher": a.publisher,
                "language": a.language,
            }
            for a in articles
        ],
    }


async def story_records(
    core: Core, clock: FixedClock, replay: Replay, article_ids: Sequence[int]
) -> list[dict[str, Any]]:
    """One record per surviving story of two or more articles, oldest story first."""
    stored = await core.storage.get_articles(article_ids)
    stories: dict[str, Story] = {}
    for story_id in dict.fromkeys(a.story_id for a in stored if a.story_id):
        story = await core.storage.get_story(story_id)
        if story is not None:
            stories.setdefault(story.id, story)
    posted = await posted_story_ids(core)
    records: list[dict[str, Any]] = []
    for story in sorted(stories.values(), key=lambda s: (s.created_at, s.id)):
        if len(story.article_ids) < 2:
            continue
        articles = sorted(
            await core.storage.get_articles(story.article_ids), key=lambda a: (a.published, a.id)
        )
        summary = await story_summary(core, story, articles)
        shown = story.id in posted
        records.append(
            story_record(story, summary, articles, posted=shown, replay=replay, now=clock.now())
        )
    return records


async def stream_eval(
    config: Config, directory: Path, *, errors: TextIO | None = None
) -> list[dict[str, Any]]:
    """Replay ``directory`` through the bot; the story records, then the summary record.

    Raises ConfigError when ``directory`` is not a folder or holds no files. The pipeline
    is the configured one (clustering, breaking, stories, summarizer sections), except
    that a feed's existing items count as news (every item here is) and article pages
    are never fetched."""
    started = time.perf_counter()
    files = feed_files(directory)
    clock = FixedClock()
    stories = dataclasses.replace(
        config.section("stories", StoriesConfig), post_existing_items=True
    )
    batch = config.section("runner", RunnerConfig).cluster_batch
    with tempfile.TemporaryDirectory(prefix="newsbot-stream-") as workdir:
        async with build_core(
            dataclasses.replace(config, feeds=()),
            database_url=f"sqlite+aiosqlite:///{Path(workdir) / 'stream.db'}",
            stories_config=stories,
            article_text_config=ArticleTextConfig(enabled=False),
            messengers={},
            clock=clock,
        ) as core:
            # The demo's audience: a chat that follows every story of two outlets or more.
            await core.storage.add_subscription(CONSOLE, "*", breaking_only=False, min_outlets=2)
            replay = await read_feeds(core, files, errors or sys.stderr)
            stored = await play(core, clock, replay.articles, batch)
            records = await story_records(core, clock, replay, stored)
    records.append(
        {
            "stories": len(records),
            "posted": sum(1 for r in records if r["posted"]),
            "articles": len(stored),
            "feeds": replay.feeds,
            "skipped_feeds": replay.skipped,
            "seconds": round(time.perf_counter() - started, 2),
        }
    )
    return records
