"""Mastheads: the name an outlet is shown under when nobody named its feed."""

from __future__ import annotations

import pytest

from bot.text.mastheads import feed_outlet_name


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


@pytest.mark.parametrize(
    ("title", "shown"),
    [
        # A name in guillemets is no "Site » Category" title.
        ("\u00abНовая газета\u00bb", "\u00abНовая газета\u00bb"),
        ("\u00abКоммерсантъ\u00bb. Главное", "\u00abКоммерсантъ\u00bb. Главное"),
        # Zero-width (non-)joiners belong to the words they join.
        ("همشهری\u200cآنلاین", "همشهری\u200cآنلاین"),
        (
            "\U0001f468\u200d\U0001f469\u200d\U0001f467 Family News",
            "\U0001f468\u200d\U0001f469\u200d\U0001f467 Family News",
        ),
        # Bidi marks, the word joiner and a byte-order mark are not shown.
        ("\ufeffDaily\u2060 Planet\u061c", "Daily Planet"),
    ],
)
def test_a_title_keeps_what_belongs_to_its_words(title: str, shown: str) -> None:
    assert feed_outlet_name(title, "example.com") == shown


@pytest.mark.parametrize("title", ["|", "-", ":", "\u2014", "| | | | |", "\u2026", "- " * 80])
def test_a_title_of_separators_alone_gives_no_name(title: str) -> None:
    assert feed_outlet_name(title, "example.com") == ""


def test_a_word_that_only_begins_with_the_domain_is_not_its_name() -> None:
    # news.com.au's label is "news": "Newsweek" does not spell it.
    assert feed_outlet_name("World | Newsweek", "news.com.au") == "World | Newsweek"


def test_a_long_title_is_not_cut_between_a_letter_and_its_accent() -> None:
    # 61 code points before the accents line up: the cut at 60 falls inside an "é".
    shown = feed_outlet_name("x" + "e\u0301" * 40, "example.com")
    assert shown.endswith("\u2026")
    assert shown[:-1] == "x" + "e\u0301" * 29
