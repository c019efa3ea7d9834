"""Outlets are publishers, shown under the name their feeds share."""

from __future__ import annotations

from bot.stories.outlets import shared_name


def test_a_feeds_url_yields_to_the_name_it_is_known_by_now() -> None:
    # Articles stored before the feed was shown under its title carry its URL.
    names = ["https://www.theguardian.com/world/rss", "The Guardian"]
    assert shared_name(names) == "The Guardian"
    assert shared_name(["https://example.com/rss"]) == "https://example.com/rss"
    assert shared_name(["World news | The Guardian", "Sport | The Guardian"]) == "The Guardian"
