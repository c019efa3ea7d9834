"""Match stories to subscriptions: topic, minimum outlets, breaking only."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from bot.core.domain import Article, Story, Subscription
from bot.core.errors import CommandError
from bot.stories.topics import (
    PreparedStory,
    StoryText,
    TopicQuery,
    parse_topic,
    prepare_story,
    topic_matches,
)


@lru_cache(maxsize=4096)
def _query(topic: str) -> TopicQuery | None:
    try:
        return parse_topic(topic)
    except CommandError:
        return None  # a stored topic that no longer parses matches nothing rather than crash


def story_text(story: Story, articles: Sequence[Article]) -> StoryText:
    return StoryText(
        headline=story.headline,
        titles=[a.title for a in articles],
        texts=[a.text for a in articles],
    )


def subscription_wants(sub: Subscription, story: Story, text: StoryText | PreparedStory) -> bool:
    if sub.paused or story.merged_into is not None:
        return False
    if story.outlet_count < sub.min_outlets:
        return False
    if sub.breaking_only and story.breaking_at is None:
        return False
    query = _query(sub.topic)
    return query is not None and topic_matches(query, text)


def match_subscriptions(
    story: Story, articles: Sequence[Article], subscriptions: Sequence[Subscription]
) -> list[Subscription]:
    """The subscriptions that should receive ``story``."""
    prepared = prepare_story(story_text(story, articles))  # stem once, test every topic
    return [sub for sub in subscriptions if subscription_wants(sub, story, prepared)]
