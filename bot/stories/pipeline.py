"""The news pipeline, stage by stage:

    poll (watcher) → parse → dedupe → store → cluster → summarise → match → enqueue

``deliver`` runs separately (``bot.delivery.dispatcher``) from the outbox this fills, so a crash
between stages loses nothing: articles are stored before they are clustered, stories
before they are summarised, and deliveries are rows before anything is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta

from bot.core.domain import Article, Feed, Sentence, Story, Subscription, Summary
from bot.core.errors import SummaryError
from bot.core.ports import ArticleTextSource, Clock, Summarizer
from bot.core.story_ids import new_story_id
from bot.stories.breaking import BreakingConfig, breaking_since
from bot.stories.clustering import ClusterConfig, ClusterDoc, StoryClusterer
from bot.stories.kinds import is_news
from bot.stories.matching import feed_scopes, match_subscriptions
from bot.stories.outlets import publisher_names
from bot.stories.ports import PipelineStore
from bot.summaries.extractive import is_material_change
from bot.summaries.selection import POOL_FACTOR, pool_ids, select_articles

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


# The longest a CPU-bound stretch (clustering a batch) runs before it yields to the loop.
SLICE_S = 0.02
# A story with more articles than this is updated from its new articles and a bounded
# sample of its old ones, never by loading all of them (see ``_update_story``).
FULL_UPDATE_ARTICLES = 200


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


def cluster_doc(article: Article) -> ClusterDoc:
    return ClusterDoc(
        article_id=article.id,
        outlet=article.publisher_key,
        title=article.title,
        text=article.text,
        published=article.published,
        language=article.language,
        url=article.url,
    )


class Pipeline:
    """Owns the clusterer's in-memory state; one instance per process that clusters."""

    def __init__(
        self,
        *,
        storage: PipelineStore,
        summarizer: Summarizer,
        clock: Clock,
        clustering: ClusterConfig | None = None,
        breaking: BreakingConfig | None = None,
        stories: StoriesConfig | None = None,
        rng: random.Random | None = None,
        article_text: ArticleTextSource | None = None,
        summary_concurrency: int = 1,
        summary_articles: int = 12,
    ) -> None:
        self.storage = storage
        self.summarizer = summarizer
        self.clock = clock
        self.clustering = clustering or ClusterConfig()
        self.breaking = breaking or BreakingConfig()
        self.breaking_marked = 0  # stories marked breaking since start, for metrics
        self.stories = stories or StoriesConfig()
        self.rng = rng or random.Random()
        self.article_text = article_text
        # Summaries in flight at once; each reads at most ``summary_articles`` articles.
        self.summary_concurrency = max(1, summary_concurrency)
        self.summary_articles = summary_articles
        self._known_ids: set[str] = set()
        # Ids checked against every stored story, handed to new stories first: memory
        # holds the active window's ids only, not every id ever used.
        self._fresh_ids: list[str] = []
        self.clusterer = StoryClusterer(self.clustering, self._new_id)

    def _new_id(self) -> str:
        while self._fresh_ids:
            story_id = self._fresh_ids.pop()
            if story_id not in self._known_ids:
                break
        else:
            story_id = new_story_id(self.rng, lambda candidate: candidate in self._known_ids)
        self._known_ids.add(story_id)
        return story_id

    async def _reserve_ids(self, wanted: int) -> None:
        """Enough fresh ids for ``wanted`` new stories, none used by any stored story."""
        wanted = min(wanted, 1000) - len(self._fresh_ids)
        if wanted <= 0:
            return
        candidates: set[str] = set()

        def taken(candidate: str) -> bool:
            return candidate in self._known_ids or candidate in candidates

        while len(candidates) < wanted:
            candidates.add(new_story_id(self.rng, taken))
        stored = await self.storage.taken_story_ids(candidates)
        self._known_ids |= stored
        self._fresh_ids.extend(sorted(candidates - stored))

    async def restore(self, *, stop: asyncio.Event | None = None, batch: int = 500) -> int:
        """Rebuild clustering state from the stored window after a restart (the window's
        articles and story ids only, never the whole history), then cluster what was
        stored but not clustered, ``batch`` at a time (``stop`` ends that between
        batches; the rest waits in storage for ``process_stored``)."""
        since = self.clock.now() - timedelta(hours=self.clustering.window_hours)
        self._known_ids = await self.storage.story_ids(since)
        self._fresh_ids.clear()
        articles = await self.storage.recent_articles(since)
        loose: list[Article] = []
        slice_started = time.perf_counter()
        for article in sorted(articles, key=lambda a: (a.published, a.id)):
            if time.perf_counter() - slice_started > SLICE_S:
                await asyncio.sleep(0)  # a large window must not hold the loop
                slice_started = time.perf_counter()
            if article.story_id is None:
                loose.append(article)  # stored but not clustered before a crash
            else:
                self.clusterer.restore(cluster_doc(article), article.story_id)
        for start in range(0, len(loose), max(1, batch)):
            if stop is not None and stop.is_set():
                break
            await self.process(loose[start : start + max(1, batch)], stop=stop)
        await self.publish_unsummarised(stop=stop)
        log.info("pipeline.restored articles=%d unclustered=%d", len(articles), len(loose))
        return len(articles)

    async def process(
        self, articles: Sequence[Article], *, stop: asyncio.Event | None = None
    ) -> CycleReport:
        """Cluster, summarise, match and enqueue newly stored articles. When ``stop`` is
        set, stories not yet summarised are left for ``publish_unsummarised``."""
        report = CycleReport(new_articles=len(articles))
        if not articles:
            return report
        await self._reserve_ids(len(articles))
        breaking_before = self.breaking_marked
        changed = await self.cluster(articles)
        report.stories_breaking = self.breaking_marked - breaking_before
        report.stories_changed = len(changed)
        report.changed = [s.id for s in changed]
        await self._publish(changed, report, stop=stop)
        log.info(
            "pipeline.batch articles=%d stories_changed=%d summarised=%d enqueued=%d",
            report.new_articles,
            report.stories_changed,
            report.stories_summarised,
            report.deliveries_enqueued,
        )
        return report

    async def process_stored(
        self,
        batch: int = 500,
        *,
        stop: asyncio.Event | None = None,
        on_batch: Callable[[CycleReport], None] | None = None,
    ) -> CycleReport:
        """Cluster every stored article that has no story yet, whichever process stored
        it, in batches of ``batch``; the same effect as ``process`` on the new articles.
        ``on_batch`` hears of each batch as it ends (delivery need not wait for the
        rest); ``stop`` ends the work between batches."""
        total = CycleReport()
        after = 0
        while stop is None or not stop.is_set():
            articles = await self.storage.unclustered_articles(max(1, batch), after_id=after)
            if not articles:
                break
            # A cursor, not "until none is left": an article that cannot be clustered
            # must not hold the loop forever.
            after = max(a.id for a in articles)
            done = await self.process(articles, stop=stop)
            total.absorb(done)
            if on_batch is not None:
                on_batch(done)
            if len(articles) < batch:
                break
        return total

    async def publish_unsummarised(
        self, limit: int = 500, *, stop: asyncio.Event | None = None
    ) -> CycleReport:
        """Summarise and enqueue stories whose current version a previous leader clustered
        but never summarised (it died in between); summarised versions are skipped."""
        report = CycleReport()
        stories = await self.storage.unsummarised_stories(self.stories.min_outlets_to_post, limit)
        if stories:
            await self._publish(stories, report, stop=stop)
            log.info("pipeline.resumed stories=%d", len(stories))
        return report

    async def _publish(
        self, changed: Sequence[Story], report: CycleReport, *, stop: asyncio.Event | None = None
    ) -> None:
        """Summarise, match and enqueue the changed stories, ``summary_concurrency`` at a
        time. A stop leaves the stories not started for ``publish_unsummarised``."""
        due = [s for s in changed if s.outlet_count >= self.stories.min_outlets_to_post]
        if not due:
            return
        subscriptions = await self.storage.active_subscriptions()
        feeds = {feed.id: feed for feed in await self.storage.list_feeds()}
        scopes = feed_scopes(feeds.values())
        slots = asyncio.Semaphore(self.summary_concurrency)

        async def publish(story: Story) -> None:
            if stop is not None and stop.is_set():
                return
            await self._publish_one(
                story, subscriptions, feeds, scopes, report, slots=slots, stop=stop
            )

        # Every story starts at once: the reads before its summary and the writes after it
        # share transactions with the other stories' (``run_together``); ``slots`` bounds
        # the summaries themselves.
        await asyncio.gather(*(publish(story) for story in due))

    async def _publish_one(
        self,
        story: Story,
        subscriptions: Sequence[Subscription],
        feeds: Mapping[int, Feed],
        scopes: Mapping[int, frozenset[str]],
        report: CycleReport,
        *,
        slots: asyncio.Semaphore | None = None,
        stop: asyncio.Event | None = None,
    ) -> None:
        summarised = await self.summarise(story, feeds=feeds, slots=slots, stop=stop)
        if summarised is None:
            if stop is not None and stop.is_set():
                return  # left for ``publish_unsummarised``
            report.summary_failures += 1
            return
        current, story_articles = summarised
        report.stories_summarised += 1
        if not self._is_news(story_articles, feeds):
            return
        now = self.clock.now()
        # Matching reads the summary's bounded selection, never all of a large story.
        wanted = match_subscriptions(current, story_articles, subscriptions, scopes)
        report.deliveries_enqueued += await self.storage.enqueue_deliveries(
            current, wanted, now=now
        )
        if current.version > 1:
            report.updates_enqueued += await self.storage.enqueue_updates(
                current, now=now, debounce_s=self.stories.update_debounce_s
            )

    async def _complete_texts(
        self, articles: list[Article], feeds: Mapping[int, Feed] | None
    ) -> list[Article]:
        """Feed descriptions are often two lines: fetch the pages of short ones once."""
        source = self.article_text
        if source is None:
            return articles
        short = [a for a in articles if source.needs_article_text(a.text)]
        if not short:
            return articles
        if feeds is None:
            feeds = {feed.id: feed for feed in await self.storage.list_feeds()}
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

    async def cluster(self, articles: Sequence[Article]) -> list[Story]:
        """Assign each article to a story (in publication order) and persist the stories."""
        added: dict[str, list[int]] = defaultdict(list)
        merged_into: dict[str, str] = {}
        slice_started = time.perf_counter()
        for article in sorted(articles, key=lambda a: (a.published, a.id)):
            if time.perf_counter() - slice_started > SLICE_S:
                # Clustering is CPU work: heartbeats, sends and commands run between slices.
                await asyncio.sleep(0)
                slice_started = time.perf_counter()
            assignment = self.clusterer.add(cluster_doc(article))
            added[assignment.story_id].append(article.id)
            for gone in assignment.merged:
                merged_into[gone] = assignment.story_id
                added[assignment.story_id].extend(added.pop(gone, []))
                log.info("story.merged gone=%s into=%s", gone, assignment.story_id)

        def survivor(story_id: str) -> str:
            seen = set()
            while story_id in merged_into and story_id not in seen:
                seen.add(story_id)
                story_id = merged_into[story_id]
            return story_id

        # Every story's reads and writes are issued at once, so storage takes them in a
        # few shared transactions (``run_together``), not several per story.
        gone_ids = list(merged_into)
        olds = await asyncio.gather(*(self.storage.get_story(gone) for gone in gone_ids))
        merges = []
        for gone, old in zip(gone_ids, olds, strict=True):
            if old is not None and old.id == gone:
                added[survivor(gone)].extend(old.article_ids)
                merges.append(replace(old, merged_into=survivor(gone), article_ids=()))
        await asyncio.gather(*(self.storage.save_story(old) for old in merges))
        return list(
            await asyncio.gather(
                *(
                    self._update_story(story_id, new_ids)
                    for story_id, new_ids in added.items()
                    if story_id not in merged_into
                )
            )
        )

    async def _update_story(self, story_id: str, new_ids: Sequence[int]) -> Story:
        existing = await self.storage.get_story(story_id)
        ids = sorted(set(existing.article_ids if existing else ()) | set(new_ids))
        before, articles = await self._update_sample(existing, ids)
        first_seen: dict[str, Article] = {}
        for article in sorted(articles, key=lambda a: (a.published, a.id)):
            # A video, gallery or quiz does not report the event: it is not an outlet.
            if is_news(article.title, article.url):
                first_seen.setdefault(article.publisher_key, article)
        # The clusterer knows which articles are copies of others; it counts publishers.
        independent = self.clusterer.independent_outlets(story_id)
        names = publisher_names(articles)
        keys = independent if independent else tuple(first_seen)
        outlets = tuple(dict.fromkeys(names.get(key, key) for key in keys))
        reports = [(key, first_seen[key].published) for key in keys if key in first_seen]
        if existing:
            # Outlets that left the clusterer's window still count for this story.
            outlets = tuple(dict.fromkeys((*existing.outlets, *outlets)))
        breaking_at = existing.breaking_at if existing else None
        if breaking_at is None:
            breaking_at = breaking_since(reports, self.breaking)
            if breaking_at is not None:
                self.breaking_marked += 1
        version = 1
        created_at = min(a.published for a in articles)
        updated_at = max(a.published for a in articles)
        if existing is not None:
            grew = len(outlets) > existing.outlet_count
            material = grew or is_material_change(before, articles)
            version = existing.version + 1 if material else existing.version
            created_at = min(created_at, existing.created_at)
            updated_at = max(updated_at, existing.updated_at)
        story = Story(
            id=story_id,
            created_at=created_at,
            updated_at=updated_at,
            article_ids=tuple(ids),
            outlets=outlets,
            headline=existing.headline if existing and existing.headline else articles[0].title,
            breaking_at=breaking_at,
            version=version,
        )
        await self.storage.save_story(story)
        event = "story.created" if existing is None else "story.updated"
        log.info(
            "%s story=%s articles=%d outlets=%d version=%d breaking=%s",
            event,
            story.id,
            len(ids),
            len(outlets),
            version,
            breaking_at is not None,
        )
        return story

    async def story_articles(self, story: Story) -> list[Article]:
        """The story's articles a summary reads: all of them, or a bounded selection."""
        limit = self.summary_articles
        if limit <= 0 or len(story.article_ids) <= limit:
            return await self.storage.get_articles(story.article_ids)
        pool = await self.storage.get_articles(pool_ids(story.article_ids, limit))
        return select_articles(pool, limit)

    async def _update_sample(
        self, existing: Story | None, ids: Sequence[int]
    ) -> tuple[list[Article], list[Article]]:
        """(the story's old articles, old and new together) as ``_update_story`` reads
        them: every one while the story is small; past ``FULL_UPDATE_ARTICLES`` a sample
        of each (the earliest and latest stored), so the cost of an update does not grow
        with the story. Counts that must be exact (outlets, dates) also come from the
        stored story and the clusterer."""
        old_ids = set(existing.article_ids) if existing is not None else set()
        if len(ids) <= FULL_UPDATE_ARTICLES:
            articles = await self.storage.get_articles(ids)
            return [a for a in articles if a.id in old_ids], articles
        share = max(1, FULL_UPDATE_ARTICLES // (2 * POOL_FACTOR))
        fresh = [i for i in ids if i not in old_ids]
        before = await self.storage.get_articles(pool_ids(sorted(old_ids), share))
        added = await self.storage.get_articles(pool_ids(fresh, share))
        return before, sorted([*before, *added], key=lambda a: a.id)

    async def summarise(
        self,
        story: Story,
        *,
        feeds: Mapping[int, Feed] | None = None,
        slots: asyncio.Semaphore | None = None,
        stop: asyncio.Event | None = None,
    ) -> tuple[Story, list[Article]] | None:
        """Summarise the story version unless that version already has a summary.
        ``feeds`` (by id) saves a lookup when the caller has them already; ``slots``
        bounds the summaries written at once (the reads before and writes after are not
        held by it); a ``stop`` set while waiting for a slot leaves the story unsummarised
        (None). The summary reads at most ``summary_articles`` of the story's articles
        (``bot.summaries.selection``); those are what is returned."""
        articles, current = await asyncio.gather(
            self.story_articles(story), self.storage.get_summary(story.id)
        )
        if current is not None and current.story_version == story.version:
            return story, articles
        async with slots or contextlib.nullcontext():
            if stop is not None and stop.is_set():
                return None
            articles = await self._complete_texts(articles, feeds)
            try:
                summary = await self.summarizer.summarize(story, articles)
            except SummaryError as err:
                log.warning("story.summary_failed story=%s reason=%r", story.id, str(err))
                return None
        summary = replace(
            summary,
            story_id=story.id,
            story_version=story.version,
            what_changed=what_changed(current, summary) if current else None,
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
