"""Outlets count toward a story only when another outlet's report confirms theirs."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

from bot.stories.clustering import ClusterConfig, ClusterDoc, StoryClusterer
from bot.stories.corroboration import MIN_ARTICLES, SAMPLE, Corroboration, confirming

T0 = datetime(2016, 6, 14, 6, 0, tzinfo=UTC)


def test_only_directly_alike_reports_confirm_each_other() -> None:
    story = Corroboration()
    story.observe("A", {"quake": 1.0, "fukushima": 1.0}, 0.3)
    story.observe("B", {"saudi": 1.0, "fishermen": 1.0}, 0.3)  # shares nothing with A
    story.observe("C", {"quake": 1.0, "tsunami": 1.0}, 0.3)  # cosine 0.5 with A
    assert story.confirmed == {"A", "C"}
    counted = confirming(
        ("A", "B", "C"), story, language="en", threshold=0.3, articles_seen=MIN_ARTICLES
    )
    assert counted == ("A", "C")


def test_the_check_steps_aside_where_it_cannot_tell() -> None:
    story = Corroboration()
    story.observe("A", {"x": 1.0}, 0.3)
    story.observe("B", {"y": 1.0}, 0.3)
    outlets = ("A", "B")
    assert confirming(outlets, story, language="zh", threshold=0.3, articles_seen=10_000) == (
        outlets
    )
    assert confirming(outlets, story, language="en", threshold=0.3, articles_seen=5) == outlets
    assert confirming(outlets, story, language="en", threshold=0.0, articles_seen=10_000) == (
        outlets
    )
    # The outlet that started the story always counts.
    assert confirming(outlets, story, language="en", threshold=0.3, articles_seen=10_000) == ("A",)


def test_the_sample_is_bounded_and_merges_compare_both_sides() -> None:
    big = Corroboration()
    for i in range(SAMPLE * 3):
        big.observe(f"o{i}", {f"w{i}": 1.0}, 0.3)
    assert len(big.sample) == SAMPLE
    other = Corroboration()
    other.observe("late", {"w0": 1.0}, 0.3)
    big.absorb(other, 0.3)
    assert {"o0", "late"} <= big.confirmed


def _filler(rng: random.Random, n: int) -> list[tuple[str, str, str]]:
    """Unrelated reports, so that term weights see a realistic number of documents."""
    words = [f"{a}{b}{c}" for a, b, c in itertools.product("bdfgk", "aeiou", "lmnrst")]
    out = []
    for i in range(n):
        title = " ".join(rng.sample(words, 6)).capitalize()
        text = ". ".join(" ".join(rng.sample(words, 10)) for _ in range(3)) + "."
        out.append((f"Filler {i % 40}", title, text))
    return out


def test_one_topic_from_two_outlets_is_one_outlet_but_one_event_is_two() -> None:
    rng = random.Random(7)
    counter = itertools.count(1)
    clusterer = StoryClusterer(ClusterConfig(join_threshold=0.05), lambda: f"s{next(counter)}")
    docs = _filler(rng, MIN_ARTICLES)
    for i, (outlet, title, text) in enumerate(docs):
        clusterer.add(ClusterDoc(i, outlet, title, text, T0 - timedelta(hours=30 - i * 0.1)))
    topic = [
        (
            "Guardian",
            "Saudi Arabia's row with Ban Ki-moon over Yemen marks new low at the UN",
            "Saudi Arabia threatened to cut funding to UN programmes after Ban Ki-moon listed "
            "the coalition in Yemen for killing children.",
        ),
        (
            "Hindu",
            "Secure four fishermen arrested in Saudi Arabia, says Chief Minister",
            "The Chief Minister urged the Centre to secure the release of four fishermen from "
            "Ramanathapuram arrested by the Saudi Arabia coast guard.",
        ),
    ]
    event = [
        (
            "Guardian",
            "Canadian hostage Robert Hall killed by Abu Sayyaf militants, Philippines confirms",
            "The Philippines confirmed that Canadian hostage Robert Hall was killed by Abu "
            "Sayyaf militants on Jolo after a ransom deadline passed.",
        ),
        (
            "Hindu",
            "Philippine officials confirm Canadian hostage Robert Hall was killed",
            "Abu Sayyaf militants killed Canadian hostage Robert Hall on Jolo island, "
            "Philippine officials confirmed after the ransom deadline passed.",
        ),
    ]
    ids = itertools.count(10_000)
    topical = [clusterer.add(ClusterDoc(next(ids), *item, T0)) for item in topic]
    reported = [clusterer.add(ClusterDoc(next(ids), *item, T0)) for item in event]
    assert topical[0].story_id == topical[1].story_id  # joined: they share a strong name
    assert clusterer.independent_outlets(topical[0].story_id) == ("Guardian",)
    assert reported[0].story_id == reported[1].story_id
    assert clusterer.independent_outlets(reported[0].story_id) == ("Guardian", "Hindu")
