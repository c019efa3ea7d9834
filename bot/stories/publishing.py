"""Publishing a batch of changed stories: summarise each (completing short article
texts first), check it is news, match it to subscriptions, translate its summary for the
chats it goes to, and enqueue its deliveries and updates in the outbox. Also the
``[stories]`` settings and the batch report both halves of the pipeline fill.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import itertools
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace

from bot.core.domain import Article, Destination, Feed, Sentence, Story, Subscription, Summary
from bot.core.errors import SummaryError
from bot.core.locales import DEFAULT_LANGUAGE, choose_language
from bot.core.ports import ArticleTextSource, Clock, Summarizer
from bot.core.reading import translation_language
from bot.stories.feed_book import FeedBook
from bot.stories.matching import match_subscriptions
from bot.stories.ports import PipelineStore
from bot.summaries.selection import pool_ids, select_articles
from bot.summaries.translation import sources_language
from bot.summaries.translator import Translator

log = logging.getLogger("newsbot.pipeline")


@dataclass(frozen=True, slots=True)
class StoriesConfig:
    """TOML section [stories]."""

    # A story is summarised and posted once this many outlets report it.
    min_outlets_to_post: int = 2
    # Items a feed already had when it was added are stored (for /latest) but not posted as
    # news; a story is posted once it has a report published after its feed was added.
    post_existing_items: bool = False
    update_debounce_s: float = 60.0  # a living story's edit waits this long for more news
    # Stories summarised at once (0: the LLM's max_concurrency, 1 for extractive).
    summary_concurrency: int = 0


@dataclass(slots=True)
class CycleReport:
    new_articles: int = 0
    stories_changed: int = 0
    stories_summarised: int = 0
    deliveries_enqueued: int = 0
    updates_enqueued: int = 0
    summary_failures: int = 0
    stories_breaking: int = 0  # stories that became breaking in this batch
    changed: list[str] = field(default_factory=list)

    def absorb(self, other: CycleReport) -> None:
        """Add another batch's report to this one, field by field."""
        for name in (f.name for f in fields(self)):
            mine = getattr(self, name)
            if isinstance(mine, list):
                mine.extend(getattr(other, name))
            else:
                setattr(self, name, mine + getattr(other, name))


class Deferred(enum.Enum):
    """What ``Publisher.summarise`` returns for a summary left for later."""

    DEFERRED = "deferred"


DEFERRED = Deferred.DEFERRED
DEFERRED_SLICE = 500  # deferred stories summarised at once


def _allows_private(feed: Feed | None) -> bool:
    # An operator's feed on a private host serves its article pages from there too.
    return feed is not None and feed.allow_private


def what_changed(previous: Summary, summary: Summary) -> Sentence | None:
    """The first sentence of the new summary that cites a report the old one lacked."""
    known = {ref.article_id for ref in previous.sources}
    fresh = {ref.number for ref in summary.sources if ref.article_id not in known}
    if not fresh:
        return None
    for sentence in (*summary.lede, *(s for sec in summary.sections for s in sec.sentences)):
        if fresh.intersection(sentence.cites):
            return sentence
    return None


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a batch of stories may reach, read once per batch."""

    subscriptions: Sequence[Subscription]
    feeds: FeedBook
    languages: Mapping[Destination, str]  # each subscribed chat's language


class Publisher:
    """Summarises, matches, translates and enqueues the stories the clusterer changed."""

    def __init__(
        self,
        *,
        storage: PipelineStore,
        summarizer: Summarizer,
        clock: Clock,
        stories: StoriesConfig,
        article_text: ArticleTextSource | None = None,
        summary_concurrency: int = 1,
        summary_articles: int = 12,
        translator: Translator | None = None,
        default_language: str = DEFAULT_LANGUAGE,
    ) -> None:
        self.storage = storage
        self.summarizer = summarizer
        self.clock = clock
        self.stories = stories
        self.article_text = article_text
        # Summaries in flight at once; each reads at most ``summary_articles`` articles.
        self.summary_concurrency = max(1, summary_concurrency)
        self.summary_articles = summary_articles
        # Summaries translated for the languages of the chats they go to (LLM only).
        self.translator = translator
        self.default_language = default_language
        # Stories whose new version waits for ``publish_deferred`` (see ``summarise``).
        self._deferred: dict[str, None] = {}

    async def publish_unsummarised(
        self, limit: int = 500, *, stop: asyncio.Event | None = None
    ) -> CycleReport:
        """Summarise and enqueue stories whose current version a previous leader clustered
        but never summarised (it died in between); summarised versions are skipped."""
        report = CycleReport()
        stories = await self.storage.unsummarised_stories(self.stories.min_outlets_to_post, limit)
        if stories:
            await self.publish(stories, report, stop=stop, defer_old=False)
            log.info("pipeline.resumed stories=%d", len(stories))
        return report

    async def publish_deferred(self, *, stop: asyncio.Event | None = None) -> CycleReport:
        """Summarise the stories whose summary ``publish`` deferred (see ``summarise``),
        the ones still behind their current version, in slices as batches are (a first
        start defers thousands). A story leaves the list once its slice is done, so an
        error or a stop leaves the rest for the next time the backlog is processed."""
        report = CycleReport()
        while self._deferred and (stop is None or not stop.is_set()):
            ids = list(itertools.islice(self._deferred, DEFERRED_SLICE))
            found = await asyncio.gather(*(self.storage.get_story(i) for i in ids))
            stories = {s.id: s for s in found if s is not None}  # merges followed
            summaries = await asyncio.gather(*(self.storage.get_summary(i) for i in stories))
            behind = [
                story
                for story, summary in zip(stories.values(), summaries, strict=True)
                if summary is None or summary.story_version != story.version
            ]
            await self.publish(behind, report, stop=stop, defer_old=False)
            if stop is not None and stop.is_set():
                break  # the slice may be unfinished: it stays deferred
            for story_id in ids:
                self._deferred.pop(story_id, None)
        return report

    async def publish(
        self,
        changed: Sequence[Story],
        report: CycleReport,
        *,
        stop: asyncio.Event | None = None,
        defer_old: bool = True,
        backlog: bool = False,
    ) -> None:
        """Summarise, match and enqueue the changed stories, ``summary_concurrency`` at a
        time. A stop leaves the stories not started for ``publish_unsummarised``. With
        ``defer_old``, a summarised story waits for ``publish_deferred`` to be summarised
        again when no post will show it, or when a ``backlog`` of stored articles waits
        behind this batch."""
        due = [s for s in changed if s.outlet_count >= self.stories.min_outlets_to_post]
        if not due:
            return
        subscriptions = await self.storage.active_subscriptions()
        languages = await self._chat_languages(subscriptions)
        audience = Audience(subscriptions, FeedBook(self.storage), languages)
        slots = asyncio.Semaphore(self.summary_concurrency)

        async def publish(story: Story) -> None:
            if stop is not None and stop.is_set():
                return
            await self._publish_one(
                story, audience, report, slots=slots, stop=stop, defer_old=defer_old,
                backlog=backlog,
            )  # fmt: skip

        # Every story starts at once: the reads before its summary and the writes after it
        # share transactions with the other stories' (``run_together``); ``slots`` bounds
        # the summaries themselves.
        await asyncio.gather(*(publish(story) for story in due))

    async def _publish_one(
        self,
        story: Story,
        audience: Audience,
        report: CycleReport,
        *,
        slots: asyncio.Semaphore | None = None,
        stop: asyncio.Event | None = None,
        defer_old: bool = False,
        backlog: bool = False,
    ) -> None:
        summarised = await self.summarise(
            story, feeds=audience.feeds, slots=slots, stop=stop, defer_old=defer_old,
            backlog=backlog,
        )  # fmt: skip
        if summarised is DEFERRED:
            return
        if summarised is None:
            if stop is not None and stop.is_set():
                return  # left for ``publish_unsummarised``
            report.summary_failures += 1
            return
        current, story_articles = summarised
        report.stories_summarised += 1
        feeds = await audience.feeds.cover(story_articles)
        if not self._is_news(story_articles, feeds):
            return
        now = self.clock.now()
        # Matching reads the summary's bounded selection, never all of a large story.
        wanted = match_subscriptions(
            current,
            story_articles,
            audience.subscriptions,
            audience.feeds.scopes,
            audience.languages,
        )
        if self.translator is not None and wanted:
            # Before enqueueing, so a chat's first post already reads in its language.
            await self._translate(current, wanted)
        report.deliveries_enqueued += await self.storage.enqueue_deliveries(
            current, wanted, now=now
        )
        if current.version > 1:
            report.updates_enqueued += await self.storage.enqueue_updates(
                current, now=now, debounce_s=self.stories.update_debounce_s
            )

    async def _chat_languages(
        self, subscriptions: Sequence[Subscription]
    ) -> dict[Destination, str]:
        """Each subscribed chat's language, read once per batch: a topic may name a
        place as the chat's language does (``irak`` in a German chat)."""
        settings = await self.storage.chat_settings_for({s.destination for s in subscriptions})
        return {
            destination: choose_language(chat.language, chat.language_hint, self.default_language)
            for destination, chat in settings.items()
        }

    async def _translate(self, story: Story, wanted: Sequence[Subscription]) -> None:
        """Translate the story's summary for the languages its chats read, the most
        wanted first (``bot.summaries.translator`` stores each once per version)."""
        assert self.translator is not None  # noqa: S101 - the caller checked
        summary = await self.storage.get_summary(story.id)
        if summary is None or summary.story_version != story.version:
            return
        settings = await self.storage.chat_settings_for({s.destination for s in wanted})
        languages = Counter(
            translation_language(
                choose_language(chat.language, chat.language_hint, self.default_language)
            )
            for chat in settings.values()
        )
        await self.translator.translate(summary, [lang for lang, _ in languages.most_common()])

    async def _complete_texts(
        self, articles: list[Article], book: FeedBook | None
    ) -> list[Article]:
        """Feed descriptions are often two lines: fetch the pages of short ones once."""
        source = self.article_text
        if source is None:
            return articles
        short = [a for a in articles if source.needs_article_text(a.text)]
        if not short:
            return articles
        feeds = await (book or FeedBook(self.storage)).cover(short)
        texts = await asyncio.gather(
            *(
                source.article_text(a.url, allow_private=_allows_private(feeds.get(a.feed_id)))
                for a in short
            )
        )
        better: dict[int, str] = {}
        for article, text in zip(short, texts, strict=True):
            if text and len(text) > len(article.text):
                await self.storage.set_article_text(article.id, text)
                better[article.id] = text
        log.info("story.article_text fetched=%d improved=%d", len(short), len(better))
        return [replace(a, text=better[a.id]) if a.id in better else a for a in articles]

    def _is_news(self, articles: Sequence[Article], feeds: Mapping[int, Feed]) -> bool:
        """Whether any report was published after its feed was added (first-run suppression)."""
        if self.stories.post_existing_items:
            return True
        for article in articles:
            feed = feeds.get(article.feed_id)
            if feed is None or feed.created_at is None or article.published >= feed.created_at:
                return True
        return False

    async def story_articles(self, story: Story) -> list[Article]:
        """The story's articles a summary reads: all of them, or a bounded selection."""
        limit = self.summary_articles
        if limit <= 0 or len(story.article_ids) <= limit:
            return await self.storage.get_articles(story.article_ids)
        pool = await self.storage.get_articles(pool_ids(story.article_ids, limit))
        return select_articles(pool, limit)

    async def summarise(
        self,
        story: Story,
        *,
        feeds: FeedBook | None = None,
        slots: asyncio.Semaphore | None = None,
        stop: asyncio.Event | None = None,
        defer_old: bool = False,
        backlog: bool = False,
    ) -> tuple[Story, list[Article]] | Deferred | None:
        """Summarise the story version unless that version already has a summary.
        ``feeds`` (the batch's) saves lookups when the caller has read them; ``slots``
        bounds the summaries written at once (the reads before and writes after are not
        held by it); a ``stop`` set while waiting for a slot leaves the story unsummarised
        (None). The summary reads at most ``summary_articles`` of the story's articles
        (``bot.summaries.selection``); those are what is returned. With ``defer_old``, a
        story that has a summary already is left for ``publish_deferred`` (``DEFERRED``)
        when no post will show it, or when a ``backlog`` waits behind its batch."""
        articles, current = await asyncio.gather(
            self.story_articles(story), self.storage.get_summary(story.id)
        )
        if current is not None and current.story_version == story.version:
            return story, articles
        for_post = True
        if feeds is not None:
            # With the batch's other stories, before the slots.
            for_post = self._is_news(articles, await feeds.cover(articles))
        if defer_old and current is not None and (backlog or not for_post):
            # A first start's old stories grow batch after batch: summarised once the
            # backlog is processed, not at every batch, since nobody waits for them. In
            # a burst, so does a story that has its summary (and its post): the batches
            # behind this one are likely to bring it more reports, and its post's edit
            # waits for the debounce anyway. Its first summary never waits.
            self._deferred[story.id] = None
            return DEFERRED
        # A summary no post waits for (a first poll's old items) takes no slot: it waits
        # its turn behind other work and must not hold back the batch's news.
        async with slots if slots is not None and for_post else contextlib.nullcontext():
            if stop is not None and stop.is_set():
                return None
            if for_post:  # nor does it fetch thousands of article pages for nobody
                articles = await self._complete_texts(articles, feeds)
            try:
                summary = await self.summarizer.summarize(story, articles, for_post=for_post)
            except SummaryError as err:
                log.warning("story.summary_failed story=%s reason=%r", story.id, str(err))
                return None
        summary = replace(
            summary,
            story_id=story.id,
            story_version=story.version,
            what_changed=what_changed(current, summary) if current else None,
            language=sources_language(articles),
        )
        await self.storage.save_summary(summary)
        if summary.headline and summary.headline != story.headline:
            story = replace(story, headline=summary.headline)
            await self.storage.save_story(story)
        log.info(
            "story.summarised story=%s version=%d by=%s sections=%d sources=%d",
            story.id,
            story.version,
            summary.written_by,
            len(summary.sections),
            len(summary.sources),
        )
        return story, articles
