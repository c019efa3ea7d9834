"""Commands, including every kind of wrong input: one line, a hint, never a traceback."""

from __future__ import annotations

import pytest

from bot.commands.router import Commands, Invocation, split_command
from bot.core.cards import Action, Card
from bot.core.clock import FixedClock
from bot.core.domain import Destination
from bot.summaries.extractive import ExtractiveSummarizer
from storage import SqlStorage
from tests.factories import seed_story

DM = Invocation(Destination("telegram", "42"), user_id="42", can_manage=True, is_private=True)
GROUP_MEMBER = Invocation(Destination("telegram", "-100"), user_id="7", can_manage=False)


@pytest.fixture
def commands(sqlite_store: SqlStorage, clock: FixedClock) -> Commands:
    return Commands(storage=sqlite_store, summarizer=ExtractiveSummarizer(), clock=clock)


def text(card: Card) -> str:
    return card.plain_text()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/subscribe iraq", ("subscribe", "iraq")),
        ("/subscribe@newsbot  iraq -football", ("subscribe", "iraq -football")),
        ("EXPAND k7q2 2", ("expand", "k7q2 2")),
        ("/", ("", "")),
    ],
)
def test_split_command(line: str, expected: tuple[str, str]) -> None:
    assert split_command(line) == expected


async def test_subscribe_options_are_read_and_checked(commands: Commands) -> None:
    answer = text(await commands.run(DM, '/subscribe "al asad" OR baghdad --breaking --outlets 3'))
    assert "breaking stories with at least 3 outlets" in answer
    (sub,) = await commands.storage.subscriptions_for(DM.destination)
    assert (sub.topic, sub.breaking_only, sub.min_outlets) == ('"al asad" OR baghdad', True, 3)
    assert "--outlets needs a number" in text(
        await commands.run(DM, "/subscribe iraq --outlets lots")
    )
    assert "unknown option" in text(await commands.run(DM, "/subscribe iraq --loud"))


async def test_subscribe_confirms_and_shows_matching_stories(
    commands: Commands, clock: FixedClock
) -> None:
    await seed_story(commands.storage, clock.now(), "k7q2")
    answer = text(await commands.run(DM, "/subscribe marrowby"))
    assert "Subscribed this chat to marrowby." in answer
    assert "1 current story match" in answer
    assert "k7q2" in answer
    assert "at least 2 outlets" in answer
    listed = text(await commands.run(DM, "/subscriptions"))
    assert "marrowby" in listed


async def test_subscribe_twice_updates_instead_of_duplicating(commands: Commands) -> None:
    await commands.run(DM, "/subscribe iraq")
    answer = text(await commands.run(DM, "/subscribe IRAQ --breaking"))
    assert answer.startswith("Updated the subscription")
    assert len(await commands.storage.subscriptions_for(DM.destination)) == 1


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("/subscribe", "Tell me what to follow"),
        ("/subscribe    ", "Tell me what to follow"),
        ("/subscribe " + "x" * 500, "too long"),
        ('/subscribe "al asad', "unclosed quote"),
        ("/unsubscribe", "Tell me which topic"),
        ("/unsubscribe cricket", "isn't subscribed"),
        ("/expand zz99", "I don't know story zz99"),
        ("/expand", "Which story?"),
        ("/expand ../../etc", "I don't know story"),
        ("/sources nope", "I don't know story"),
        ("/ask zz99 who?", "I don't know story"),
        ("/frobnicate", "I don't know the command /frobnicate"),
        ("/addfeed", "address"),
        ("/addfeed not a url", "doesn't look like a web address"),
        ("/removefeed https://x.example/rss", "has no such feed"),
    ],
)
async def test_wrong_input_gets_one_line_and_a_hint(
    commands: Commands, line: str, fragment: str
) -> None:
    answer = text(await commands.run(DM, line))
    assert fragment.lower() in answer.lower()
    assert "Traceback" not in answer


async def test_malformed_topic_shows_accepted_syntax(commands: Commands) -> None:
    answer = text(await commands.run(DM, '/subscribe "al asad'))
    assert "OR" in answer
    assert "-" in answer


async def test_group_members_who_are_not_admins_are_refused_politely(commands: Commands) -> None:
    answer = text(await commands.run(GROUP_MEMBER, "/subscribe iraq"))
    assert "Only this chat's admins" in answer
    assert "direct message" in answer
    assert await commands.storage.subscriptions_for(GROUP_MEMBER.destination) == []
    # Reading is open to everyone.
    assert "No story" in text(await commands.run(GROUP_MEMBER, "/latest"))


async def test_expand_sources_and_ask_answer_from_the_story(
    commands: Commands, clock: FixedClock
) -> None:
    story, summary = await seed_story(commands.storage, clock.now(), "k7q2")
    assert summary.sections, "the seeded story must have sections to expand"
    first = summary.sections[0]
    expanded = await commands.run(DM, "/expand k7q2 1")
    assert expanded.title is not None
    assert first.heading in expanded.title
    assert "[" in text(expanded)  # citations survive
    assert "no section 9" in text(await commands.run(DM, "/expand k7q2 9"))
    sources = text(await commands.run(DM, "/sources k7q2"))
    for ref in summary.sources:
        assert ref.outlet in sources
    answer = await commands.run(DM, "/ask k7q2 how many people left their homes?")
    assert "300" in text(answer)
    assert "What would you like to know" in text(await commands.run(DM, "/ask k7q2"))
    latest = text(await commands.run(DM, "/latest"))
    assert story.id in latest


async def test_buttons_and_reply_follow_ups_reach_the_same_commands(
    commands: Commands, clock: FixedClock
) -> None:
    _story, summary = await seed_story(commands.storage, clock.now(), "k7q2")
    pressed = await commands.press(DM, Action("sources", "k7q2"))
    assert pressed.title == "Sources — story k7q2"
    expanded = await commands.press(DM, Action("expand", "k7q2", 1))
    assert expanded.title is not None
    assert summary.sections[0].heading in expanded.title
    replied = await commands.follow_up(DM, "k7q2", "expand 1")
    assert replied.title == expanded.title
    assert (await commands.follow_up(DM, "k7q2", "sources")).title == pressed.title
    unknown = await commands.press(DM, Action("expand", "zz99", 1))
    assert "I don't know story zz99" in text(unknown)


async def test_help_lists_every_command(commands: Commands) -> None:
    answer = text(await commands.run(DM, "/help"))
    for name in ("subscribe", "unsubscribe", "subscriptions", "latest", "expand", "sources", "ask"):
        assert f"/{name}" in answer


async def test_story_choices_for_autocomplete(commands: Commands, clock: FixedClock) -> None:
    await seed_story(commands.storage, clock.now(), "k7q2")
    assert [c[0] for c in await commands.story_choices("k7")] == ["k7q2"]
    assert [c[0] for c in await commands.story_choices("tessel")] == ["k7q2"]
    assert await commands.story_choices("zzz") == []


async def test_a_new_subscription_gets_only_the_latest_matching_story(
    commands: Commands, sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    for story_id in ("aa22", "bb33", "cc44"):
        await seed_story(sqlite_store, clock.now(), story_id)
    answer = text(await commands.run(DM, "/subscribe marrowby"))
    assert "3 current stories match" in answer
    assert await sqlite_store.count_deliveries() == {"pending": 1}, "no flood of old stories"
    again = text(await commands.run(DM, "/subscribe marrowby"))
    assert "posting" not in again, "re-subscribing does not post again"
    assert await sqlite_store.count_deliveries() == {"pending": 1}
    (queued,) = await sqlite_store.claim_deliveries(clock.now(), 10, owner="t", lease_s=60.0)
    assert f"posting {queued.story_id} here now" in answer


async def test_feeds_shows_each_feeds_health(commands: Commands, sqlite_store: SqlStorage) -> None:
    from dataclasses import replace  # noqa: PLC0415
    from datetime import UTC, datetime  # noqa: PLC0415

    since = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    # The chat's own feeds are listed one by one (the operator's are summed up in a line).
    own = {"scope": DM.feed_scope, "added_by": DM.destination.key}
    await sqlite_store.add_scoped_feed("https://fine.example/rss", "Fine", **own)
    down, _ = await sqlite_store.add_scoped_feed("https://down.example/rss", "Down", **own)
    gone, _ = await sqlite_store.add_scoped_feed("https://gone.example/rss", "Gone", **own)
    failing = {"consecutive_failures": 6, "failing_since": since, "last_error": "timed out"}
    await sqlite_store.save_feed_state(replace(down, health="unhealthy", **failing))
    await sqlite_store.save_feed_state(replace(gone, health="dead", **failing))
    shown = text(await commands.run(DM, "/feeds")).splitlines()
    assert "[ok]" in next(x for x in shown if "Fine" in x)
    assert "[failing]" in next(x for x in shown if "Down" in x)
    dead = next(x for x in shown if "Gone" in x)
    assert "dead" in dead
    assert "/addfeed" in dead
    assert "failing since 20 Nov 08:00 UTC" in dead
