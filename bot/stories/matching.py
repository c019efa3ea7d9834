"""Match stories to subscriptions: scope, topic, minimum outlets, breaking only.

A subscription sees the articles of the feeds its scope can see (the operator's, unless
``only_ours``, and its own community's). A story reaches it when the articles it can see
alone meet its topic and its minimum of outlets: a story told only by one server's
feed never reaches another server.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from bot.core.domain import OPERATOR_SCOPE, Article, Destination, Feed, Story, Subscription
from bot.core.errors import CommandError
from bot.stories.topics import (
    PreparedStory,
    StoryText,
    TopicQuery,
    parse_topic,
    prepare_story,
    topic_matches,
)
from bot.text.language import UNKNOWN


@lru_cache(maxsize=4096)
def _query(topic: str) -> TopicQuery | None:
    try:
        return parse_topic(topic)
    except CommandError:
        return None  # a stored topic that no longer parses matches nothing rather than crash


def story_text(story: Story, articles: Sequence[Article]) -> StoryText:
    """The headline is the leading report's title, so it is in that report's language
    (else the first article's)."""
    lead = next((a for a in articles if a.title == story.headline), None)
    lead = lead or (articles[0] if articles else None)
    return StoryText(
        headline=story.headline,
        titles=[a.title for a in articles],
        texts=[a.text for a in articles],
        languages=[a.language for a in articles],
        headline_language=lead.language if lead else UNKNOWN,
    )


def subscription_wants(
    sub: Subscription,
    story: Story,
    text: StoryText | PreparedStory,
    outlets: int | None = None,
    *,
    language: str | None = None,
) -> bool:
    """``outlets``: how many of the story's outlets the subscription can see (all when
    None); ``language``: the chat's (BCP 47), whose names of places its topic may use."""
    if sub.paused or story.merged_into is not None:
        return False
    if (story.outlet_count if outlets is None else outlets) < sub.min_outlets:
        return False
    if sub.breaking_only and story.breaking_at is None:
        return False
    query = _query(sub.topic)
    return query is not None and topic_matches(query, text, language)


def feed_scopes(feeds: Iterable[Feed]) -> dict[int, frozenset[str]]:
    """Feed id to the scopes that see it; a feed no scope claims (a store that does not
    track scopes) is the operator's."""
    return {feed.id: feed.scopes or frozenset({OPERATOR_SCOPE}) for feed in feeds}


def visible_articles(
    articles: Sequence[Article], sub: Subscription, feed_scopes: Mapping[int, frozenset[str]]
) -> list[Article]:
    """The articles whose feeds ``sub`` can see."""
    return [a for a in articles if sub.sees(feed_scopes.get(a.feed_id, frozenset()))]


def visible_outlets(story: Story, articles: Sequence[Article]) -> int:
    """How many of the story's (independent) outlets report in ``articles``."""
    names = {a.outlet for a in articles} | {a.publisher_key for a in articles}
    return sum(1 for outlet in story.outlets if outlet in names)


def match_subscriptions(
    story: Story,
    articles: Sequence[Article],
    subscriptions: Sequence[Subscription],
    feed_scopes: Mapping[int, frozenset[str]] | None = None,
    languages: Mapping[Destination, str] | None = None,
) -> list[Subscription]:
    """The subscriptions that should receive ``story``. ``feed_scopes`` (feed id to the
    scopes that added it) limits each subscription to what its scope sees; None: no
    limit (a single-community bot, tests). ``languages``: each chat's language, whose
    names of places its topics may use (``irak`` in a German chat)."""
    everything = prepare_story(story_text(story, articles))  # stem once, test every topic
    # Subscriptions of one scope see the same articles: prepare each set once.
    prepared: dict[tuple[int, ...], tuple[PreparedStory, int]] = {
        tuple(a.id for a in articles): (everything, story.outlet_count)
    }
    wanted: list[Subscription] = []
    for sub in subscriptions:
        seen = articles if feed_scopes is None else visible_articles(articles, sub, feed_scopes)
        if not seen:
            continue
        key = tuple(a.id for a in seen)
        if key not in prepared:
            prepared[key] = (
                prepare_story(story_text(story, seen)),
                visible_outlets(story, seen),
            )
        text, outlets = prepared[key]
        language = languages.get(sub.destination) if languages else None
        if subscription_wants(sub, story, text, outlets, language=language):
            wanted.append(sub)
    return wanted
