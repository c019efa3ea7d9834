"""The news pipeline, stage by stage:

    poll (watcher) → parse → dedupe → store → cluster → summarise → match → enqueue

``deliver`` runs separately (``bot.delivery.dispatcher``) from the outbox this fills, so a crash
between stages loses nothing: articles are stored before they are clustered, stories
before they are summarised, and deliveries are rows before anything is sent.

This module owns the clustering half (the clusterer's state, restoring it, persisting
the stories each batch changes); ``bot.stories.publishing`` owns the rest (summarise →
match → enqueue).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta

from bot.core.domain import Article, Story
from bot.core.locales import DEFAULT_LANGUAGE
from bot.core.ports import ArticleTextSource, Clock, Summarizer
from bot.core.story_ids import new_story_id
from bot.stories.breaking import BreakingConfig, breaking_since
from bot.stories.clustering import ClusterConfig, ClusterDoc, StoryClusterer
from bot.stories.outlets import publisher_names
from bot.stories.ports import PipelineStore
from bot.stories.publishing import CycleReport, Publisher, StoriesConfig
from bot.summaries.extractive import is_material_change
from bot.summaries.selection import POOL_FACTOR, pool_ids
from bot.summaries.translator import Translator
from bot.text.kinds import is_report

# The runner imports the batch report from here, beside the pipeline that returns it.
__all__ = ["SLICE_S", "CycleReport", "Pipeline", "cluster_doc"]

log = logging.getLogger("newsbot.pipeline")


# The longest a CPU-bound stretch (clustering a batch) runs before it yields to the loop.
SLICE_S = 0.02
# A story with more articles than this is updated from its new articles and a bounded
# sample of its old ones, never by loading all of them (see ``_update_story``).
FULL_UPDATE_ARTICLES = 200


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
        translator: Translator | None = None,
        default_language: str = DEFAULT_LANGUAGE,
    ) -> None:
        self.storage = storage
        self.clock = clock
        self.clustering = clustering or ClusterConfig()
        self.breaking = breaking or BreakingConfig()
        self.breaking_marked = 0  # stories marked breaking since start, for metrics
        self.stories = stories or StoriesConfig()
        self.rng = rng or random.Random()
        self.publisher = Publisher(
            storage=storage,
            summarizer=summarizer,
            clock=clock,
            stories=self.stories,
            article_text=article_text,
            summary_concurrency=summary_concurrency,
            summary_articles=summary_articles,
            translator=translator,
            default_language=default_language,
        )
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
        step = max(1, batch)
        for start in range(0, len(loose), step):
            if stop is not None and stop.is_set():
                break
            more = start + step < len(loose)
            await self.process(loose[start : start + step], stop=stop, backlog=more)
        await self.publisher.publish_unsummarised(stop=stop)
        log.info("pipeline.restored articles=%d unclustered=%d", len(articles), len(loose))
        return len(articles)

    async def process(
        self,
        articles: Sequence[Article],
        *,
        stop: asyncio.Event | None = None,
        backlog: bool = False,
    ) -> CycleReport:
        """Cluster, summarise, match and enqueue newly stored articles. When ``stop`` is
        set, stories not yet summarised are left for ``publish_unsummarised``. With
        ``backlog`` (more stored articles wait behind these), a story summarised before
        is summarised again once the backlog is processed (``publish_deferred``)."""
        report = CycleReport(new_articles=len(articles))
        if not articles:
            return report
        await self._reserve_ids(len(articles))
        breaking_before = self.breaking_marked
        changed = await self.cluster(articles)
        report.stories_breaking = self.breaking_marked - breaking_before
        report.stories_changed = len(changed)
        report.changed = [s.id for s in changed]
        await self.publisher.publish(changed, report, stop=stop, backlog=backlog)
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
            done = await self.process(articles, stop=stop, backlog=len(articles) >= batch)
            total.absorb(done)
            if on_batch is not None:
                on_batch(done)
            if len(articles) < batch:
                break
        if stop is None or not stop.is_set():
            # The backlog is processed: old stories left behind are summarised once now.
            done = await self.publisher.publish_deferred(stop=stop)
            total.absorb(done)
            if on_batch is not None and (done.deliveries_enqueued or done.updates_enqueued):
                on_batch(done)  # a story that became news meanwhile: delivery goes now
        return total

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
        # Two stories of one event may have grown side by side: merged before either is
        # published, so the event is posted once.
        for gone, into in self.clusterer.merge_related(list(added)):
            merged_into[gone] = into
            added[into].extend(added.pop(gone, []))
            log.info("story.merged gone=%s into=%s", gone, into)

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
            if is_report(article):
                first_seen.setdefault(article.publisher_key, article)
        # The clusterer knows which articles are copies of others; it counts publishers.
        independent = self.clusterer.independent_outlets(story_id)
        names = publisher_names(articles)
        keys = independent if independent else tuple(first_seen)
        outlets = tuple(dict.fromkeys(names.get(key, key) for key in keys))
        reports = [(key, first_seen[key].published) for key in keys if key in first_seen]
        if existing:
            # Outlets that left the clusterer's window still count for this story. A name
            # stored earlier may be a publisher's old name (one feed's, before its other
            # feeds reported): it stands for that publisher, shown by its name today.
            key_of = {a.outlet: a.publisher_key for a in articles}
            key_of.update({name: key for key, name in names.items()})
            earlier = (names.get(key_of.get(name, ""), name) for name in existing.outlets)
            outlets = tuple(dict.fromkeys((*earlier, *outlets)))
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
