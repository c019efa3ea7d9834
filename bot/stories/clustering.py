"""Streaming story clustering: each arriving article joins a story or starts one.

Online and incremental: term statistics cover only the articles in the window so far, each
decision uses only the past, and the state can be rebuilt after a restart from stored
articles with :meth:`StoryClusterer.restore`, which replays without re-deciding.

An article is compared only with stories that share one of its most specific terms (an
inverted index over the active stories), so the work per article stays bounded however many
stories are active. The score is the cosine between the article and the story centroid,
times a time proximity that decays with the gap to the story's latest report. The decay is
measured against the pace of the stream (the average gap between arrivals), because in a
sparse stream one event's reports lie further apart in hours than in a busy one; and an
outlet that already reported in a story counts against joining it, since two articles of
one outlet are more often two events of one topic.
"""

from __future__ import annotations

import heapq
import math
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable

from bot.stories.cluster_state import (
    ActiveDoc,
    ActiveStory,
    Assignment,
    ClusterDoc,
    languages_differ,
    timestamp_of,
)
from bot.stories.clustering_config import ClusterConfig
from bot.stories.clustering_features import (
    DocumentFrequencies,
    count_terms,
    dot,
    top_terms,
    weigh,
)
from bot.stories.corroboration import confirming
from bot.stories.evidence import chosen_story, likeness, titles_agree
from bot.stories.story_index import StoryIndex
from bot.stories.timing import Pace, age_factor, proximity, window_s
from bot.stories.wire import WireIndex
from bot.text.kinds import is_news, without_label
from bot.text.mastheads import without_masthead

__all__ = ["Assignment", "ClusterConfig", "ClusterDoc", "StoryClusterer"]


class StoryClusterer:
    """Groups a stream of articles into stories. Not thread-safe: one caller at a time."""

    def __init__(self, config: ClusterConfig, new_story_id: Callable[[], str]) -> None:
        self._cfg = config
        self._new_id = new_story_id
        # Term statistics cover the last ``max_active_articles`` articles, whether or not
        # their stories are still open: a quiet feed set still needs enough text to tell a
        # rare word from a common one.
        self._dfs = DocumentFrequencies()
        self._df_history: deque[tuple[str, ...]] = deque()
        self._wire = WireIndex(config.wire_overlap)
        self._docs: dict[int, ActiveDoc] = {}
        # Least recently updated first, so expiry and eviction pop from the front.
        self._stories: OrderedDict[str, ActiveStory] = OrderedDict()
        self._index = StoryIndex(config.max_posting)
        self._seq = 0
        self._now = -math.inf
        self._pace = Pace()

    # ------------------------------------------------------------------ public API

    def add(self, doc: ClusterDoc) -> Assignment:
        """Decide the story of an arriving article, using only what arrived before it."""
        if doc.article_id in self._docs:
            known = self._docs[doc.article_id]
            return Assignment(known.story, is_new=False, wire_copy_of=known.wire_of)
        ts = timestamp_of(doc)
        self._advance(ts)
        item = self._prepare(doc, ts)
        scores = self._score_candidates(item)
        if item.wire_of is not None:
            target: ActiveStory | None = self._stories[self._docs[item.wire_of].story]
        else:
            chosen = chosen_story(self._cfg, scores, lambda sid: len(self._stories[sid].outlets))
            target = None if chosen is None else self._stories[chosen]
        is_new = target is None
        if target is None:
            target = self._create_story(self._fresh_id())
            target.language = item.language
        self._attach(item, target)
        merged = self._merge_similar(target, scores)
        self._pace.observe(ts)
        survivor = self._docs[item.article_id].story
        if is_new and target.id in merged:
            # The fresh story was absorbed at once: to everyone else the article joined.
            merged = tuple(m for m in merged if m != target.id)
            is_new = False
        return Assignment(survivor, is_new=is_new, merged=merged, wire_copy_of=item.wire_of)

    def restore(self, doc: ClusterDoc, story_id: str) -> None:
        """Replay a stored article into ``story_id`` after a restart, without deciding."""
        if doc.article_id in self._docs:
            return
        ts = timestamp_of(doc)
        self._advance(ts)
        item = self._prepare(doc, ts)
        story = self._stories.get(story_id)
        if story is None:
            story = self._create_story(story_id)
            story.language = item.language
            story.restored = True
        self._attach(item, story)
        self._pace.observe(ts)

    def independent_outlets(self, story_id: str) -> tuple[str, ...]:
        """Distinct outlets of an active story in order of first report; copies count once,
        and an outlet counts only once a report of it is confirmed by another outlet's
        (see ``bot.stories.corroboration``).

        An unknown or expired story has no active articles and so gives ``()``.
        """
        story = self._stories.get(story_id)
        if story is None:
            return ()
        seen: dict[str, None] = {}
        for art in story.members:
            d = self._docs[art]
            # A copy repeats its original; a video or quiz does not report the event.
            if d.wire_of is None and d.news:
                seen.setdefault(d.outlet, None)
        return confirming(
            tuple(seen),
            story.corroboration,
            language=story.language,
            threshold=self._cfg.corroboration_threshold,
            articles_seen=len(self._df_history),
        )

    def story_of(self, article_id: int) -> str | None:
        """The current story of an active article; None once it left the window."""
        d = self._docs.get(article_id)
        return None if d is None else d.story

    def active_articles(self) -> int:
        return len(self._docs)

    def active_stories(self) -> int:
        return len(self._stories)

    # ------------------------------------------------------------------ internals

    def _fresh_id(self) -> str:
        for _ in range(100):
            sid = self._new_id()
            if sid not in self._stories:
                return sid
        raise RuntimeError("story id generator keeps returning ids already in use")

    def _prepare(self, doc: ClusterDoc, ts: float) -> ActiveDoc:
        cfg = self._cfg
        title = without_label(without_masthead(doc.title, doc.outlet))
        counts, title_terms = count_terms(
            title,
            doc.text,
            title_weight=cfg.title_weight,
            body_words=cfg.body_words,
            language=doc.language,
        )
        terms = tuple(counts)
        self._dfs.add(terms)
        self._df_history.append(terms)
        if len(self._df_history) > cfg.max_active_articles:
            self._dfs.remove(self._df_history.popleft())
        vec = weigh(
            counts,
            self._dfs,
            entity_weight=cfg.entity_weight,
            number_weight=cfg.number_weight,
            max_terms=cfg.max_terms,
        )
        prints = WireIndex.fingerprint(title, doc.text)
        copy_of = self._wire.find_copy(prints)
        if copy_of is not None:
            root = self._docs[copy_of].wire_of
            copy_of = copy_of if root is None else root
        self._wire.add(doc.article_id, prints)
        keys = tuple(top_terms(vec, cfg.index_terms))
        news = is_news(title, doc.url)
        title_keys = title_terms & vec.keys()
        return ActiveDoc(
            doc.article_id, doc.outlet, ts, vec, keys, "", copy_of, doc.language, news, title_keys
        )

    def _score_candidates(self, item: ActiveDoc) -> dict[str, float]:
        """Cosine (times time proximity) to the stories most likely to be this event.

        Stories sharing the article's specific terms are ranked by the summed weight of the
        shared terms; only the best ``max_candidates`` get an exact score. Terms found in a
        great many stories say "topic", not "event", and do not nominate candidates.
        """
        cfg = self._cfg
        budget = cfg.max_posting * 4
        nominated = self._index.nominate(item.keys[: cfg.query_terms], item.vec, budget)
        candidates: Iterable[str] = nominated
        if len(nominated) > cfg.max_candidates:
            candidates = heapq.nlargest(cfg.max_candidates, nominated, key=nominated.__getitem__)
        mean_gap = self._pace.mean_gap
        window = window_s(self._cfg, mean_gap)
        scores: dict[str, float] = {}
        for sid in candidates:
            story = self._stories[sid]
            if item.ts - story.last_ts > window or story.norm2 <= 0.0:
                continue
            if languages_differ(item.language, story.language):
                continue
            score = self._join_score(item, story)
            if score is not None:
                scores[sid] = score
        return scores

    def _join_score(self, item: ActiveDoc, story: ActiveStory) -> float | None:
        """The article's likeness to the story, weighed by the time between them."""
        cos = likeness(self._cfg, item, story)
        if cos is None:
            return None
        gap, age = abs(item.ts - story.last_ts), item.ts - story.first_ts
        pace = self._pace.mean_gap
        return cos * proximity(self._cfg, pace, gap) * age_factor(self._cfg, pace, age)

    def _create_story(self, story_id: str) -> ActiveStory:
        self._seq += 1
        story = ActiveStory(story_id, self._seq)
        self._stories[story_id] = story
        return story

    def _attach(self, item: ActiveDoc, story: ActiveStory) -> None:
        item.story = story.id
        self._docs[item.article_id] = item
        centroid = story.centroid
        story.norm2 += 2.0 * dot(item.vec, centroid) + sum(w * w for w in item.vec.values())
        for t, w in item.vec.items():
            centroid[t] = centroid.get(t, 0.0) + w
        story.members.append(item.article_id)
        story.reports += item.news  # a wire copy counts: it reports as its original does
        if item.wire_of is None:
            story.outlets[item.outlet] = story.outlets.get(item.outlet, 0) + 1
            if item.news:
                story.corroboration.observe(
                    item.outlet, item.vec, self._cfg.corroboration_threshold
                )
        story.last_ts = max(story.last_ts, item.ts)
        story.first_ts = min(story.first_ts, item.ts)
        story.title_keys |= item.title_keys
        story.outlet_ts[item.outlet] = max(story.outlet_ts.get(item.outlet, -math.inf), item.ts)
        self._stories.move_to_end(story.id)
        for key in item.keys:
            if key not in story.keys:
                story.keys.add(key)
                self._index.add(story.id, key)
        self._evict_over_capacity()

    def _merge_similar(self, story: ActiveStory, scores: dict[str, float]) -> tuple[str, ...]:
        """Merge stories that the new article showed to be the same event."""
        cfg = self._cfg
        merged: list[str] = []
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])[: cfg.merge_checks]
        for sid, score in ranked:
            if score < cfg.merge_threshold * cfg.merge_gate:
                break  # the article barely resembles it: no new evidence they are one event
            if story.id not in self._stories:
                break
            other = self._stories.get(sid)
            if other is None or other is story:
                continue
            gone = self._merge_if_same(story, other)
            if gone is not None:
                merged.append(gone.id)
                story = other if gone is story else story
        return tuple(merged)

    def merge_related(self, story_ids: Iterable[str]) -> list[tuple[str, str]]:
        """Merge each of ``story_ids`` with the active stories that are its event, as
        ``(gone, survivor)`` pairs in the order made.

        A merge found on arrival needs one article like both stories; two stories of
        one event can grow side by side without such an article (one from the early
        reports, one from the reactions). Called for the stories a batch touched, before
        they are published, so one event is not posted twice.
        """
        cfg = self._cfg
        merges: list[tuple[str, str]] = []
        for sid in story_ids:
            story = self._stories.get(sid)
            if story is None or len(story.members) < 2:
                continue  # one article's story was compared on its arrival
            centroid = story.centroid
            if len(story.members) >= 2 * story.swept_size:
                # What a story is most about changes slowly: asked again as it doubles.
                story.sweep_query = tuple(
                    heapq.nlargest(cfg.query_terms, story.keys, key=centroid.__getitem__)
                )
                story.swept_size = len(story.members)
            query = story.sweep_query
            nominated = self._index.nominate(query, centroid)
            nominated.pop(sid, None)
            # A story that shares little of what this one is most about is no candidate.
            least = cfg.merge_gate * sum(centroid[key] for key in query)
            for other_id in heapq.nlargest(cfg.merge_checks, nominated, key=nominated.__getitem__):
                if nominated[other_id] < least:
                    break
                candidate = self._stories.get(other_id)
                if candidate is None or story.id not in self._stories:
                    continue
                gone = self._merge_if_same(story, candidate)
                if gone is not None:
                    story = candidate if gone is story else story
                    merges.append((gone.id, story.id))
        return merges

    def _merge_if_same(self, story: ActiveStory, other: ActiveStory) -> ActiveStory | None:
        """Merge two stories whose centroids are alike enough for one event (the newer
        into the older), or a lone article's story into the story it would join now
        (``_lone_fit``); the one absorbed, or None when they stay apart."""
        cfg = self._cfg
        if languages_differ(story.language, other.language):
            return None
        if not self._may_merge_one_outlet(story, other) or story.norm2 * other.norm2 <= 0.0:
            return None
        sim = dot(story.centroid, other.centroid) / math.sqrt(story.norm2 * other.norm2)
        sim *= proximity(cfg, self._pace.mean_gap, abs(story.last_ts - other.last_ts))
        if sim >= cfg.merge_threshold:
            keep, gone = (story, other) if story.seq < other.seq else (other, story)
        else:
            fit = self._lone_fit(story, other)
            if fit is None:
                return None
            # The story of several is the one people may have seen posted: it stays.
            gone, keep = fit
        self._absorb(keep, gone)
        return gone

    def _lone_fit(self, a: ActiveStory, b: ActiveStory) -> tuple[ActiveStory, ActiveStory] | None:
        """``(lone, grown)`` when one is a lone article that would join the other, of
        several, if it arrived now (at ``lone_merge_threshold``) and would join no other
        story sooner: an event's first report can start a story that its next, otherwise
        worded reports do not join, and the event then grows beside it. Two stories of
        several reports still need alike centroids."""
        lone, grown = (a, b) if len(a.members) < len(b.members) else (b, a)
        if len(lone.members) != 1 or len(grown.members) < 2 or lone.restored:
            return None  # a restored story's other articles may lie before the window
        item = self._docs[lone.members[0]]
        score = self._join_score(item, grown)
        if score is None or score < self._cfg.lone_merge_threshold:
            return None
        # The best home, whichever story the sweep reached first.
        rivals = self._score_candidates(item)
        beaten = any(v > score for sid, v in rivals.items() if sid not in (lone.id, grown.id))
        return None if beaten else (lone, grown)

    def _may_merge_one_outlet(self, a: ActiveStory, b: ActiveStory) -> bool:
        """Two stories of the same outlets only may merge when their titles share a name
        or a number and more besides: the rule a same-day report of one outlet must meet
        to join (see ``_score_candidates``), which a merge must not get round."""
        if not a.outlets or a.outlets.keys() != b.outlets.keys():
            return True
        return titles_agree(self._cfg, a.title_keys & b.title_keys)

    def _absorb(self, keep: ActiveStory, gone: ActiveStory) -> None:
        for art in gone.members:
            self._docs[art].story = keep.id
        self._index.move(gone.keys, gone.id, keep.id)
        keep.absorb(gone, self._cfg.corroboration_threshold)
        keep.members.sort(key=lambda a: (self._docs[a].ts, a))
        del self._stories[gone.id]
        self._stories.move_to_end(keep.id)

    def _advance(self, ts: float) -> None:
        """Move stream time forward and drop stories that went quiet for a whole window."""
        if ts <= self._now:
            return
        self._now = ts
        horizon = ts - window_s(self._cfg, self._pace.mean_gap)
        while self._stories:
            story = next(iter(self._stories.values()))
            if story.last_ts >= horizon:
                break
            self._drop(story)

    def _evict_over_capacity(self) -> None:
        while len(self._docs) > self._cfg.max_active_articles and len(self._stories) > 1:
            self._drop(next(iter(self._stories.values())))

    def _drop(self, story: ActiveStory) -> None:
        for art in story.members:
            del self._docs[art]
            self._wire.remove(art)
        self._index.remove(story.id, story.keys)
        del self._stories[story.id]
