"""What says an arriving article reports a story's event, rather than its topic.

Likeness of words is the start (the cosine to the story's centroid); what follows weighs
it down where experience says "same topic, another event": one shared word carrying it
all (a country, a team), a second piece of the same outlet, a feature piece.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet

from bot.stories.cluster_state import ActiveDoc, ActiveStory
from bot.stories.clustering_config import ClusterConfig
from bot.stories.clustering_features import Vector
from bot.text.language import is_cjk_char


def likeness(cfg: ClusterConfig, item: ActiveDoc, story: ActiveStory) -> float | None:
    """The article's cosine to the story, weighed by the rules above; None when it may
    not join at all. A likeness below every threshold is returned as it is, unweighed:
    it joins nothing and asks for no merge either way. Time is not counted here (see
    ``bot.stories.timing``). The dot product is ``bot.text.vectors.dot``'s, computed here
    because the shared terms are needed again for the one-word rule."""
    vec = item.vec
    common = vec.keys() & story.centroid.keys()
    shared = sum([vec[t] * story.centroid[t] for t in common])
    cos = shared / math.sqrt(story.norm2)
    # The rules below only lower a score: below every threshold they cannot matter.
    if cos < min(
        cfg.join_threshold,
        cfg.clear_join_threshold,
        cfg.lone_merge_threshold,
        cfg.merge_threshold * cfg.merge_gate,
    ):
        return cos
    if largest_word(vec, story.centroid, common) > cfg.one_word_share * shared:
        # "Pakistan" in a cricket ranking and in a fighter-jet deal: one name is a topic.
        cos *= cfg.one_word_factor
    if item.outlet in story.outlets:
        factor = _same_outlet_factor(cfg, item, story)
        if factor is None:
            return None
        cos *= factor
    if not item.news:
        # A video, gallery or quiz shares a topic's words without reporting.
        cos *= cfg.feature_factor
    if not story.reports:
        # ... and a story of such pieces alone has no event for it to be about yet.
        cos *= cfg.feature_factor
    if len(story.members) >= cfg.titled_story_size and item.title_keys.isdisjoint(story.title_keys):
        # A story of several reports has named its event in their titles; an article
        # whose title shares none of their words is at most about its topic, however
        # much of the story's wide vocabulary its body shares.
        cos *= cfg.title_miss_factor
    return cos


def chosen_story(
    cfg: ClusterConfig, scores: Mapping[str, float], outlets: Callable[[str], int]
) -> str | None:
    """The story an article joins, from its scores: the best at ``join_threshold``, or
    below it down to ``clear_join_threshold`` when that story has ``clear_story_outlets``
    outlets (wire copies count none) and scores ``clear_margin`` times any other; None
    starts a story.

    A development of an event (the analysis the next day, the toll a week later) shares
    fewer of the breaking reports' words than they share among themselves, while a
    topic's other events compete: they resemble the article too. When nothing else comes
    near, weaker likeness to a story of several reports is the event's, not a topic's.
    """
    ranked = heapq.nlargest(2, scores.items(), key=lambda kv: kv[1])
    if not ranked:
        return None
    sid, best = ranked[0]
    if best >= cfg.join_threshold:
        return sid
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if (
        best >= cfg.clear_join_threshold
        and best >= cfg.clear_margin * runner_up
        and outlets(sid) >= cfg.clear_story_outlets
    ):
        return sid
    return None


def _same_outlet_factor(cfg: ClusterConfig, item: ActiveDoc, story: ActiveStory) -> float | None:
    """An outlet rarely files two separate reports of one event; two articles of one
    outlet are more often two events of one topic (a paper's local pages, a sports desk's
    day). Its second report must say in its title what the story's titles say, with
    weight, not just share body words."""
    in_common = item.title_keys & story.title_keys
    if sum(item.vec[t] for t in in_common) < cfg.same_outlet_title_weight:
        return None
    factor = cfg.same_outlet_factor
    # On the same day, more so: a desk files many pieces of one topic a day (a country,
    # a team, a party). Then only titles that share a name or a number and more besides
    # say it is the same event.
    last = story.outlet_ts.get(item.outlet, -math.inf)
    if abs(item.ts - last) < cfg.same_day_hours * 3600.0 and not titles_agree(cfg, in_common):
        factor *= cfg.same_day_outlet_factor
    return factor


def titles_agree(cfg: ClusterConfig, in_common: set[str] | frozenset[str]) -> bool:
    """Titles whose shared terms name one event: a name or a number, and more besides
    (one shared place or party name alone says "topic"). A year is neither: it dates a
    topic ("Euro 2016", "E3 2016") as much as an event."""
    specific = [t for t in in_common if not _YEAR.fullmatch(t)]
    if len(specific) > cfg.same_day_title_terms:
        return True  # "Russia's suspended disqualification" is said in so many words
    return (
        any(t.startswith(("E:", "#")) for t in specific)
        and len(specific) >= cfg.same_day_title_terms
    )


_YEAR = re.compile(r"#(?:19|20)\d\d")


def largest_word(vec: Vector, centroid: Vector, common: AbstractSet[str]) -> float:
    """The largest part of an article's dot product with a story that one word makes
    (its stem and its name together); ``common`` are the terms they share."""
    parts: dict[str, float] = {}
    for term in common:
        part = vec[term] * centroid[term]
        if term.startswith("E:") and term[2:] in common:
            # A one-word name ("E:pakistan") and its stem ("pakistan") are one word.
            part += vec[term[2:]] * centroid[term[2:]]
        parts[term] = part
    largest = max(parts.values(), default=0.0)
    for word in _chinese_words(common):
        largest = max(largest, sum(parts[pair] for pair in word))
    return largest


# A run of more character pairs than this is a phrase, not one word: Chinese words are
# mostly of two to four characters.
_WORD_PAIRS = 3


def _chinese_words(common: AbstractSet[str]) -> list[list[str]]:
    """Shared character pairs that overlap into one short word: "阿里巴巴" (Alibaba) is
    three pairs, "阿里", "里巴", "巴巴", that always come together, so the one-word rule
    must see them as one word, as it sees a name and its stem."""
    pairs = [t for t in common if len(t) == 2 and is_cjk_char(t[0]) and is_cjk_char(t[1])]
    if len(pairs) < 2:
        return []
    starting: dict[str, list[str]] = {}
    ending: dict[str, list[str]] = {}
    for pair in pairs:
        starting.setdefault(pair[0], []).append(pair)
        ending.setdefault(pair[1], []).append(pair)
    seen: set[str] = set()
    words: list[list[str]] = []
    for pair in pairs:
        if pair in seen:
            continue
        # The pairs linked to this one either way: a run of overlapping pairs.
        run: list[str] = []
        todo = [pair]
        while todo:
            p = todo.pop()
            if p in seen:
                continue
            seen.add(p)
            run.append(p)
            todo.extend(starting.get(p[1], ()))
            todo.extend(ending.get(p[0], ()))
        if 1 < len(run) <= _WORD_PAIRS:
            words.append(run)
    return words
