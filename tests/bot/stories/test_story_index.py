"""The inverted index that names the stories an article is scored against."""

from __future__ import annotations

from bot.stories.story_index import StoryIndex


def test_stories_are_nominated_by_the_weight_of_the_terms_they_share() -> None:
    index = StoryIndex(max_posting=3)
    for story, keys in {"a": ["quake", "turkey"], "b": ["turkey", "election"]}.items():
        for key in keys:
            index.add(story, key)
    weights = {"quake": 0.8, "turkey": 0.3, "election": 0.5}
    assert dict(index.nominate(["quake", "turkey"], weights)) == {"a": 1.1, "b": 0.3}


def test_a_term_of_too_many_stories_nominates_none_and_the_budget_bounds_the_reading() -> None:
    index = StoryIndex(max_posting=2)
    for story in ("a", "b", "c"):
        index.add(story, "news")  # in three stories: a topic, not an event
    index.add("a", "quake")
    index.add("b", "flood")
    index.add("c", "flood")
    weights = {"news": 1.0, "quake": 1.0, "flood": 1.0}
    assert dict(index.nominate(["news", "quake"], weights)) == {"a": 1.0}
    # One posting fits a budget of 1; the next would overrun it, so reading stops.
    assert dict(index.nominate(["quake", "flood"], weights, budget=1)) == {"a": 1.0}


def test_an_absorbed_story_hands_its_terms_over_and_a_dropped_one_leaves_none() -> None:
    index = StoryIndex(max_posting=5)
    index.add("old", "quake")
    index.add("new", "quake")
    index.add("new", "aftershock")
    index.move(["quake", "aftershock"], "new", "old")
    assert dict(index.nominate(["aftershock", "quake"], {"quake": 1.0, "aftershock": 1.0})) == {
        "old": 2.0
    }
    index.remove("old", ["quake", "aftershock"])
    assert not index.nominate(["quake", "aftershock"], {"quake": 1.0, "aftershock": 1.0})
