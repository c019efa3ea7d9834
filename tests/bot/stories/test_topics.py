"""Topic queries: the parser (with property tests) and matching stories."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.errors import CommandError
from bot.stories.topics import (
    MAX_QUERY_CHARS,
    StoryText,
    TopicQuery,
    parse_topic,
    prepare_story,
    topic_matches,
)


def story(
    headline: str = "", titles: tuple[str, ...] = (), texts: tuple[str, ...] = ()
) -> StoryText:
    return StoryText(headline=headline, titles=titles, texts=texts)


# ---------------------------------------------------------------- parsing


def test_words_phrases_or_and_exclusions_parse_into_a_normal_form() -> None:
    query = parse_topic('"Al  Asad" or Baghdad  -FOOTBALL')
    assert str(query) == '"al asad" OR baghdad -football'
    assert len(query.groups) == 1
    assert len(query.groups[0]) == 2
    assert [str(t) for t in query.exclusions] == ["football"]


def test_adjacent_words_are_all_required() -> None:
    query = parse_topic("iraq election")
    assert str(query) == "iraq election"
    assert len(query.groups) == 2


def test_star_means_every_story() -> None:
    query = parse_topic("*")
    assert query.everything
    assert topic_matches(query, story("Anything at all"))


def test_star_with_an_exclusion() -> None:
    query = parse_topic("* -football")
    assert topic_matches(query, story("Budget passes"))
    assert not topic_matches(query, story("Football final tonight"))


def test_options_breaking_and_outlets() -> None:
    query = parse_topic("iraq --breaking --outlets 4")
    assert query.breaking_only
    assert query.min_outlets == 4
    assert str(query) == "iraq --breaking --outlets 4"
    assert parse_topic("iraq --outlets=3").min_outlets == 3
    assert parse_topic("iraq").min_outlets == 2
    assert not parse_topic("iraq").breaking_only


def test_a_phone_long_dash_still_reads_as_an_option() -> None:
    assert parse_topic("iraq \u2014breaking").breaking_only


def test_curly_quotes_make_a_phrase() -> None:
    assert str(parse_topic("\u201cal asad\u201d")) == '"al asad"'


def test_a_quoted_exclusion() -> None:
    query = parse_topic('iraq -"premier league"')
    assert [str(t) for t in query.exclusions] == ['"premier league"']


def test_parsing_a_display_form_gives_the_same_query() -> None:
    query = parse_topic('"al asad" OR baghdad -football --breaking --outlets 3')
    assert parse_topic(str(query)) == query


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   \t ", "empty"),
        ('"al asad', "unclosed quote"),
        ("OR iraq", "OR must stand between"),
        ("iraq OR", "OR must stand between"),
        ("iraq OR OR syria", "OR must stand between"),
        ("iraq OR -syria", "exclusion cannot follow OR"),
        ("-football", "at least one word"),
        ('""', "empty phrase"),
        ("!!! ???", "no letters or digits"),
        ("iraq --outlets", "needs a number"),
        ("iraq --outlets many", "needs a number"),
        ("iraq --outlets 0", "from 1 to"),
        ("iraq --colour red", "unknown option"),
        ("iraq *", "goes alone"),
        ("x" * (MAX_QUERY_CHARS + 1), "longer than"),
        ("iraq\x00", "control characters"),
        (" ".join(f"w{i}" for i in range(25)), "at most"),
    ],
)
def test_malformed_queries_get_a_message_with_the_syntax(text: str, reason: str) -> None:
    with pytest.raises(CommandError) as info:
        parse_topic(text)
    message = str(info.value)
    assert reason in message
    assert message.startswith("I couldn't read that topic:")
    assert '"quoted phrases", OR, and -exclusions' in message
    assert "\n" not in message


QUERY_ALPHABET = st.sampled_from(
    [*"abcxyz019 \t\"'-*|()\u201c\u201d\u2014\u00e9\u4e2d", "OR", "or", "--breaking", "--outlets"]
)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=250))
def test_no_input_crashes_the_parser(text: str) -> None:
    query: TopicQuery | None = None
    message = ""
    try:
        query = parse_topic(text)
    except CommandError as err:
        message = str(err)
    if query is None:
        assert message.startswith("I couldn't read that topic:")
    else:
        assert query.everything or query.groups


@settings(max_examples=400, deadline=None)
@given(st.lists(QUERY_ALPHABET, max_size=40).map("".join))
def test_query_like_input_parses_or_fails_cleanly_and_round_trips(text: str) -> None:
    try:
        query = parse_topic(text)
    except CommandError:
        return
    assert parse_topic(str(query)) == query
    topic_matches(query, story("A headline", ("a title",), ("some text",)))


# ---------------------------------------------------------------- matching


def test_a_word_matches_inflections_in_the_headline() -> None:
    assert topic_matches(parse_topic("iraq"), story("Iraqi forces retake town"))
    assert topic_matches(parse_topic("election"), story("Elections called for June"))
    assert topic_matches(parse_topic("strike"), story("Workers striking at the port"))


def test_matching_ignores_case() -> None:
    assert topic_matches(parse_topic("IRAQ"), story("iraq news"))


def test_a_word_in_one_article_title_matches() -> None:
    s = story("Markets fall", ("Oil jumps after Iraq pipeline attack", "Stocks slide"))
    assert topic_matches(parse_topic("iraq"), s)


def test_a_passing_mention_in_one_body_does_not_drag_a_story_in() -> None:
    lead = "The central bank raised rates on Tuesday. " * 10
    texts = (
        lead + "Analysts compared it with the 2003 Iraq war shock.",
        "Rates went up by a quarter point. Markets shrugged.",
        "Borrowing costs rise again as inflation lingers.",
    )
    s = story("Central bank raises rates", ("Rates up", "Bank moves", "Costs rise"), texts)
    assert not topic_matches(parse_topic("iraq"), s)


def test_repeated_body_mentions_across_articles_match() -> None:
    texts = (
        "Iraq said the talks went well and Iraq will host the next round.",
        "Officials in Baghdad, Iraq, welcomed the agreement.",
    )
    s = story("Regional talks end with a deal", ("Talks end", "Deal reached"), texts)
    assert topic_matches(parse_topic("iraq"), s)


def test_a_single_article_story_matches_on_a_mention_in_its_lead() -> None:
    s = story("Talks end", ("Talks end",), ("Iraq hosted the talks on Monday.",))
    assert topic_matches(parse_topic("iraq"), s)


def test_phrases_must_appear_in_order() -> None:
    query = parse_topic('"al asad"')
    assert topic_matches(query, story("Rockets hit Al Asad air base"))
    assert not topic_matches(query, story("Asad and al-Maliki meet"))


def test_or_matches_either_alternative() -> None:
    query = parse_topic('"al asad" OR baghdad')
    assert topic_matches(query, story("Curfew in Baghdad"))
    assert not topic_matches(query, story("Curfew in Basra"))


def test_all_groups_are_required() -> None:
    query = parse_topic("iraq election")
    assert topic_matches(query, story("Iraq sets election date"))
    assert not topic_matches(query, story("Iraq oil output rises"))


def test_an_exclusion_in_a_title_vetoes() -> None:
    query = parse_topic("iraq -football")
    assert topic_matches(query, story("Iraq sets election date"))
    assert not topic_matches(query, story("Iraq football team wins", ("Iraq wins",)))


def test_an_exclusion_passing_in_one_body_does_not_veto() -> None:
    query = parse_topic("iraq -football")
    texts = (
        "Iraq set a date for elections. " * 12 + "Later a football match was postponed.",
        "The Iraqi parliament agreed on the election date.",
        "Iraq will vote in October.",
    )
    s = story("Iraq sets election date", ("Iraq vote", "Date set", "October vote"), texts)
    assert topic_matches(query, s)


def test_an_empty_story_matches_nothing_but_star() -> None:
    assert not topic_matches(parse_topic("iraq"), story())
    assert topic_matches(parse_topic("*"), story())


def test_a_prepared_story_matches_like_the_plain_one() -> None:
    s = story("Iraq sets election date", ("Iraq vote",), ("Iraq will vote in October.",))
    prepared = prepare_story(s)
    for text in ("iraq", "iraq -vote", '"election date"', "football", "*"):
        query = parse_topic(text)
        assert topic_matches(query, prepared) == topic_matches(query, s)


def test_huge_and_odd_story_text_is_matched_without_error() -> None:
    s = story(
        "\u0000\u202e" + "x" * 10_000,
        ("", "!!!", "\u4e2d\u6587\u6807\u9898"),
        ("iraq " * 200_000, "In Iraq today.", "\U0001f600" * 1000),
    )
    assert topic_matches(parse_topic("iraq"), s)
    assert not topic_matches(parse_topic("syria"), s)
    assert topic_matches(parse_topic("\u4e2d\u6587\u6807\u9898"), s)
