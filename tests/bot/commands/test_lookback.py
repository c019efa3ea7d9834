"""/catchup, /search and /settings through the real router and storage."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.commands.catchup import parse_since
from bot.commands.paging import take_page
from bot.commands.router import Commands, Invocation
from bot.commands.settings import check_timezone
from bot.core.cards import Link
from bot.core.clock import FixedClock
from bot.core.domain import Destination, Story
from bot.core.errors import CommandError
from bot.stories.ranking import rank
from bot.summaries.extractive import ExtractiveSummarizer
from storage import SqlStorage
from tests.factories import seed_story

CHAT = Invocation(Destination("discord", "55", "9"), user_id="1", can_manage=True)
MEMBER = Invocation(Destination("discord", "55", "9"), user_id="2", can_manage=False)
FIRE = (
    (
        "Plainsview Gazette",
        "Cedar Ridge fire grows to 4,200 hectares",
        "A wildfire on Cedar Ridge has burned 4,200 hectares. 900 residents were evacuated.",
    ),
    (
        "Meridian Post",
        "Wildfire on Cedar Ridge forces 900 to leave",
        "Firefighters fought the Cedar Ridge wildfire as 900 residents left Pinecrest.",
    ),
)


@pytest.fixture
def commands(sqlite_store: SqlStorage, clock: FixedClock) -> Commands:
    return Commands(
        storage=sqlite_store,
        summarizer=ExtractiveSummarizer(),
        clock=clock,
        public_url="https://news.example/",
    )


async def test_catchup_ranks_unseen_stories_and_moves_the_mark(
    commands: Commands, clock: FixedClock
) -> None:
    flood, _ = await seed_story(commands.storage, clock.now() - timedelta(hours=2), "k7q2")
    await seed_story(commands.storage, clock.now(), "f1re", FIRE)
    # The flood has 3 outlets and is breaking: it outranks the newer 2-outlet fire.
    await commands.storage.save_story(replace(flood, breaking_at=flood.updated_at))
    card = await commands.run(CHAT, "/catchup")
    text = card.plain_text()
    assert "Catching up since" in text
    assert "2 stories" in text
    assert text.index("k7q2") < text.index("f1re")
    links = [part for line in card.body for part in line if isinstance(part, Link)]
    assert [link.url for link in links] == [
        "https://news.example/s/k7q2",
        "https://news.example/s/f1re",
    ]
    assert "Harbour Herald, Valley Courier, Capital Ledger" in text
    # Caught up: nothing new until a story moves.
    clock.advance(600)
    assert "Nothing new since" in (await commands.run(CHAT, "/catchup")).plain_text()
    # An explicit start looks back again; a topic narrows it through the search index.
    again = (await commands.run(CHAT, "/catchup wildfire 12h")).plain_text()
    assert "about wildfire" in again
    assert "f1re" in again
    assert "k7q2" not in again


async def test_catchup_pages_keep_their_window(commands: Commands, clock: FixedClock) -> None:
    for n in range(10):
        _story, _ = await seed_story(
            commands.storage, clock.now() - timedelta(minutes=n), f"s{n:02d}"
        )
    first = (await commands.run(CHAT, "/catchup 1d")).plain_text()
    assert "10 stories" in first
    assert "/catchup 1d --page 2 shows more" in first
    clock.advance(60)
    second = (await commands.run(CHAT, "/catchup 1d --page 2")).plain_text()
    assert "Page 2 (the last)." in second
    shown = {f"s{n:02d}" for n in range(10) if f"s{n:02d}" in first + second}
    assert len(shown) == 10


async def test_search_is_paged_and_refuses_what_it_cannot_do(
    commands: Commands, clock: FixedClock
) -> None:
    for n in range(10):
        await seed_story(commands.storage, clock.now() + timedelta(minutes=n), f"m{n:02d}")
    await seed_story(commands.storage, clock.now(), "f1re", FIRE)
    page = (await commands.run(CHAT, '/search "river tessel" -wildfire')).plain_text()
    assert page.startswith('Stories matching "river tessel" -wildfire, newest first:')
    assert page.index("m09") < page.index("m08")  # newest first
    assert '/search "river tessel" -wildfire --page 2 shows more.' in page
    last = (await commands.run(CHAT, '/search "river tessel" --page 2')).plain_text()
    assert "m01" in last
    assert "m00" in last
    assert "Page 2 (the last)." in last
    assert "No stored story matches" in (await commands.run(CHAT, "/search volcano")).plain_text()
    assert "Tell me what to look for" in (await commands.run(CHAT, "/search")).plain_text()
    assert "words, phrases, OR" in (await commands.run(CHAT, "/search *")).plain_text()
    assert "--page needs a number" in (await commands.run(CHAT, "/search x --page 0")).plain_text()


async def test_settings_timezone_is_validated_and_used(
    commands: Commands, clock: FixedClock
) -> None:
    assert "time zone: UTC" in (await commands.run(CHAT, "/settings")).plain_text()
    refused = (await commands.run(CHAT, "/settings timezone Mars/Olympus")).plain_text()
    assert "I don't know the time zone" in refused
    assert "admins" in (await commands.run(MEMBER, "/settings timezone UTC")).plain_text()
    answer = (await commands.run(CHAT, "/settings timezone europe/berlin")).plain_text()
    assert "now Europe/Berlin" in answer
    settings = await commands.storage.chat_settings(CHAT.destination)
    assert settings.timezone == "Europe/Berlin"


def test_since_words_start_at_local_midnight_across_dst() -> None:
    # Tuesday 27 Oct 2026 09:30 UTC; Berlin left summer time on Sunday 25 Oct.
    now = datetime(2026, 10, 27, 9, 30, tzinfo=UTC)
    assert parse_since("12h", now, "UTC") == now - timedelta(hours=12)
    assert parse_since("2d", now, "UTC") == now - timedelta(days=2)
    assert parse_since("today", now, "Europe/Berlin") == datetime(2026, 10, 26, 23, 0, tzinfo=UTC)
    # Saturday midnight in Berlin was still summer time (UTC+2).
    assert parse_since("sat", now, "Europe/Berlin") == datetime(2026, 10, 23, 22, 0, tzinfo=UTC)
    assert parse_since("monday", now, "UTC") == datetime(2026, 10, 26, tzinfo=UTC)
    assert parse_since("tuesday", now, "UTC") == datetime(2026, 10, 27, tzinfo=UTC)
    assert parse_since("iraq", now, "UTC") is None
    assert parse_since("t", now, "UTC") is None  # too short to name a day
    assert parse_since("9999d", now, "UTC") == now - timedelta(days=31)


def test_helpers() -> None:
    assert take_page("iraq --page 3") == ("iraq", 3)
    assert take_page('"a b"') == ('"a b"', 1)
    assert check_timezone("utc") == "UTC"
    with pytest.raises(CommandError):
        check_timezone("localtime")


def test_rank_weighs_outlets_breaking_and_age() -> None:
    now = datetime(2026, 1, 2, tzinfo=UTC)

    def story(sid: str, outlets: int, hours_ago: float, breaking: bool = False) -> Story:
        when = now - timedelta(hours=hours_ago)
        names = tuple(f"o{i}" for i in range(outlets))
        return Story(sid, when, when, (), names, breaking_at=when if breaking else None)

    big_old = story("old", 8, 24)  # 8 outlets a day ago: worth 2 now
    fresh = story("new", 3, 0)
    breaking = story("brk", 2, 1, breaking=True)
    assert [s.id for s in rank([big_old, fresh, breaking], now)] == ["brk", "new", "old"]
