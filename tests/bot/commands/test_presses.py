"""Buttons pressed after the story moved on: each shows what its label says."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.commands.router import Commands, Invocation
from bot.core.cards import Action, Card
from bot.core.clock import FixedClock
from bot.core.domain import Destination, Summary
from bot.delivery.buttons import label_names, sources_label_count, story_buttons
from bot.summaries.extractive import ExtractiveSummarizer
from storage import SqlStorage
from tests.factories import FLOOD, next_version, seed_story

DM = Invocation(Destination("telegram", "42"), user_id="42", can_manage=True, is_private=True)
MOVED_ON = "has moved on since that post"


@pytest.fixture
def commands(sqlite_store: SqlStorage, clock: FixedClock) -> Commands:
    return Commands(storage=sqlite_store, summarizer=ExtractiveSummarizer(), clock=clock)


async def two_versions(commands: Commands, clock: FixedClock) -> tuple[Summary, Summary]:
    _story, first = await seed_story(commands.storage, clock.now())
    _story, second = await next_version(commands.storage, "k7q2", clock.now())
    return first, second


def heading(card: Card) -> str:
    assert card.title is not None
    return card.title.removesuffix(" — story k7q2")


async def test_a_versioned_button_finds_its_section_wherever_it_moved(
    commands: Commands, clock: FixedClock
) -> None:
    first, second = await two_versions(commands, clock)
    for button in story_buttons(first)[: len(first.sections)]:
        assert button.action.section is not None
        card = await commands.press(DM, button.action)
        assert heading(card) == first.sections[button.action.section - 1].heading
        renamed = heading(card) not in [s.heading for s in second.sections]
        assert (MOVED_ON in card.plain_text()) == renamed
        if renamed:  # as the post showed it, and today's sections to choose from
            assert [b.action for b in card.buttons] == [b.action for b in story_buttons(second)]


async def test_a_button_with_version_and_position_but_no_key(
    commands: Commands, clock: FixedClock
) -> None:
    first, _second = await two_versions(commands, clock)
    card = await commands.press(DM, Action("expand", "k7q2", 2, version=1))
    assert heading(card) == first.sections[1].heading
    assert MOVED_ON not in card.plain_text()


async def test_an_old_format_button_goes_by_its_label(
    commands: Commands, clock: FixedClock
) -> None:
    first, _second = await two_versions(commands, clock)
    kept, gone = first.sections[1].heading, first.sections[0].heading  # gone: renamed since
    moved = await commands.press(DM, Action("expand", "k7q2", 2), label=f"Expand: {kept}")
    assert heading(moved) == kept
    renamed = await commands.press(DM, Action("expand", "k7q2", 1), label=f"Expand: {gone}")
    assert heading(renamed) == gone
    assert MOVED_ON in renamed.plain_text()
    unknown = await commands.press(DM, Action("expand", "k7q2", 1), label="Expand: Dam")
    assert unknown.plain_text().startswith("That section is no longer in story k7q2.")
    # Without a label (the console), the position is all a button of that age says.
    assert heading(await commands.press(DM, Action("expand", "k7q2", 1))) == "Residents return"
    whole = await commands.press(DM, Action("expand", "k7q2"))
    assert whole.title is not None
    assert whole.title.startswith("River Tessel bursts")


async def test_sources_say_how_many_came_since_the_post(
    commands: Commands, clock: FixedClock
) -> None:
    await two_versions(commands, clock)
    for action, label in (
        (Action("sources", "k7q2", version=1), None),
        (Action("sources", "k7q2"), "Sources (3)"),
    ):
        card = await commands.press(DM, action, label=label)
        assert card.body
        assert len(card.body) == 4
        assert card.footer == ("1 source added since that post.",)
    marked = await commands.press(DM, Action("sources", "k7q2", version=1))
    new = [" · new" in "".join(part.text for part in row) for row in marked.body]
    assert new == [False, False, False, True]
    today = await commands.press(DM, Action("sources", "k7q2", version=2))
    assert today.footer == ()


async def test_a_button_of_a_story_merged_since_shows_the_post_s_section(
    commands: Commands, clock: FixedClock
) -> None:
    storage = commands.storage
    _story, older = await seed_story(storage, clock.now(), "zz22", FLOOD[:2])
    await seed_story(storage, clock.now(), "k7q2")
    merged = await storage.get_story("zz22")
    assert merged is not None
    await storage.save_story(replace(merged, merged_into="k7q2", article_ids=()))
    for button in story_buttons(older)[: len(older.sections)]:
        assert button.action.section is not None
        card = await commands.press(DM, button.action)
        assert card.title is not None
        assert card.title.startswith(older.sections[button.action.section - 1].heading)


def test_labels_name_headings_even_when_cut_short() -> None:
    assert label_names("Expand: Town centre", "Town centre")
    assert label_names("expand:  town CENTRE", "Town centre")
    assert label_names("Expand: Hayyaniya and…", "Hayyaniya and Shuaiba districts")
    assert not label_names("Expand: Hayyaniya and…", "Shatt")
    assert not label_names("Expand: …", "Shatt")
    assert not label_names("Expand: Town", "Town centre")
    assert sources_label_count("Sources (12)") == 12
    assert sources_label_count("Sources") is None
    assert sources_label_count(None) is None
