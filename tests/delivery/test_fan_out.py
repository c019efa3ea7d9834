"""Fan-out rules of the outbox that the crash test does not reach."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.domain import Destination
from storage import SqlStorage
from tests.factories import seed_story

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
CHAT = Destination("telegram", "-1001")


async def test_a_chat_with_two_matching_topics_gets_the_story_once(store: SqlStorage) -> None:
    story, _ = await seed_story(store, NOW)
    floods, _ = await store.add_subscription(CHAT, "floods", breaking_only=False, min_outlets=2)
    town, _ = await store.add_subscription(CHAT, "marrowby", breaking_only=False, min_outlets=2)
    other, _ = await store.add_subscription(
        Destination("discord", "555"), "floods", breaking_only=False, min_outlets=2
    )
    assert await store.enqueue_deliveries(story, [floods, town, other], now=NOW) == 2
    # A later match through the other topic (a new version, a restart) adds nothing either.
    assert await store.enqueue_deliveries(story, [town], now=NOW) == 0
    assert await store.count_deliveries() == {"pending": 2}
