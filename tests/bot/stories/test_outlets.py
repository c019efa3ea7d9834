"""The name an outlet is shown under when nobody named its feed: the feed's own title."""

from __future__ import annotations

import pytest

from bot.stories.outlets import feed_outlet_name, shared_name


@pytest.mark.parametrize(
    ("title", "publisher", "shown"),
    [
        ("World news | The Guardian", "theguardian.com", "The Guardian"),
        ("Sport | The Guardian", "theguardian.com", "The Guardian"),
        ("The Hindu - News", "thehindu.com", "The Hindu"),
        ("Vox -  All", "vox.com", "Vox"),
        ("BBC News - Home", "bbc.co.uk", "BBC News"),
        ("Reuters: World News", "reuters.com", "Reuters"),
        # No part spells the domain out: the title as it is.
        ("Al Jazeera America", "aljazeera.com", "Al Jazeera America"),
        ("CNET News", "cnet.com", "CNET News"),
        ("纽约时报中文网 国际纵览", "d1dqx91p2uadmw.cloudfront.net", "纽约时报中文网 国际纵览"),
        # WordPress titles a category's feed "Site » Category".
        ("中国数字时代 \u00bb Level 2 Article", "d7fjv2bxgldcl.cloudfront.net", "中国数字时代"),
    ],
)
def test_a_feeds_title_is_cut_to_the_publishers_name(
    title: str, publisher: str, shown: str
) -> None:
    assert feed_outlet_name(title, publisher) == shown


@pytest.mark.parametrize("title", [None, "", "   ", "\x00\u202e\u200b", "\u00bb Category"])
def test_a_feed_without_a_usable_title_gives_no_name(title: str | None) -> None:
    assert feed_outlet_name(title, "example.com") == ""


def test_a_hostile_title_is_one_short_line() -> None:
    shown = feed_outlet_name("Breaking\n\tNews\u202e" + " word" * 100, "example.com")
    assert not {"\n", "\t", "\u202e"} & set(shown)
    assert len(shown) <= 61
    assert shown.startswith("Breaking News word")
    assert shown.endswith("\u2026")


def test_a_feeds_url_yields_to_the_name_it_is_known_by_now() -> None:
    # Articles stored before the feed was shown under its title carry its URL.
    names = ["https://www.theguardian.com/world/rss", "The Guardian"]
    assert shared_name(names) == "The Guardian"
    assert shared_name(["https://example.com/rss"]) == "https://example.com/rss"
    assert shared_name(["World news | The Guardian", "Sport | The Guardian"]) == "The Guardian"
