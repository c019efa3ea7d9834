"""Full-text search over stored stories, on SQLite (FTS5) and PostgreSQL (tsvector + GIN)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.domain import NewArticle, Sentence, SourceRef, Story, Summary
from bot.core.errors import CommandError
from bot.stories.topics import parse_topic
from storage import SqlStorage
from storage.search import fts5_match, pg_config

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


async def put(
    store: SqlStorage,
    story_id: str,
    headline: str,
    lede: str = "",
    titles: tuple[str, ...] = (),
    *,
    hours: float = 0,
    language: str = "en",
) -> Story:
    """A summarised story whose articles carry ``titles`` (and ``language``)."""
    when = T0 + timedelta(hours=hours)
    feed = await store.upsert_feed(f"https://{story_id}.example/feed", f"Outlet {story_id}")
    articles = await store.add_articles(
        [
            NewArticle(
                feed_id=feed.id,
                outlet=f"Outlet {story_id}",
                url=f"https://{story_id}.example/{i}",
                guid=None,
                title=title,
                text=lede,
                published=when,
                fetched_at=when,
                content_hash=hashlib.sha256(f"{story_id}{i}".encode()).hexdigest(),
                language=language,
            )
            for i, title in enumerate(titles or (headline,))
        ]
    )
    story = Story(
        id=story_id,
        created_at=when,
        updated_at=when,
        article_ids=tuple(a.id for a in articles),
        outlets=(f"Outlet {story_id}", "Other"),
        headline=headline,
    )
    await store.save_story(story)
    await store.save_summary(
        Summary(
            story_id=story_id,
            headline=headline,
            lede=(Sentence(lede, (1,)),) if lede else (),
            sections=(),
            sources=tuple(
                SourceRef(i + 1, a.outlet, a.title, a.url, a.published, a.id)
                for i, a in enumerate(articles)
            ),
        )
    )
    return story


async def ids(store: SqlStorage, words: str, **options: object) -> list[str]:
    found = await store.search_stories(parse_topic(words), limit=50, **options)  # type: ignore[arg-type]
    return [s.id for s in found]


async def test_search_finds_headline_summary_and_titles_newest_first(store: SqlStorage) -> None:
    await put(store, "aa1", "Iraq opens solar plant near Karbala", hours=1)
    await put(
        store, "bb2", "Chip factory for Gellingham", "A new plant will employ 1,400.", hours=2
    )
    await put(
        store, "cc3", "Storm hits coast", titles=("Power plants shut as storm hits",), hours=3
    )
    await put(store, "dd4", "Football final tonight", hours=4)
    assert await ids(store, "plant") == ["cc3", "bb2", "aa1"]  # stems: plants ~ plant
    assert await ids(store, '"solar plant"') == ["aa1"]
    assert await ids(store, '"plant solar"') == []  # a phrase keeps its order
    assert await ids(store, "karbala OR football") == ["dd4", "aa1"]
    assert await ids(store, "plant -storm") == ["bb2", "aa1"]
    assert await ids(store, 'plant -"solar plant" -gellingham') == ["cc3"]
    assert await ids(store, "plant coast") == ["cc3"]  # every group must match
    assert await ids(store, "nothing") == []
    # Paging and a start date.
    page = await store.search_stories(parse_topic("plant"), limit=2, offset=2)
    assert [s.id for s in page] == ["aa1"]
    assert await ids(store, "plant", since=T0 + timedelta(hours=2)) == ["cc3", "bb2"]


async def test_a_new_summary_replaces_the_document_and_a_merge_removes_it(
    store: SqlStorage,
) -> None:
    story = await put(store, "ee5", "Bridge closes after cracks found", hours=1)
    await put(store, "ff6", "Bridge reopens", hours=2)
    assert await ids(store, "bridge") == ["ff6", "ee5"]
    newer = replace(story, updated_at=T0 + timedelta(hours=5), version=2)
    await store.save_story(newer)
    summary = await store.get_summary("ee5")
    assert summary is not None
    await store.save_summary(replace(summary, headline="Viaduct closes", story_version=2))
    assert await ids(store, "viaduct") == ["ee5"]
    assert await ids(store, "bridge") == ["ee5", "ff6"]  # its article's title; now newer
    await store.save_story(replace(newer, merged_into="ff6"))
    assert await ids(store, "viaduct") == []


async def test_hostile_query_text_is_only_words(store: SqlStorage) -> None:
    await put(store, "gg7", 'Quotes "and" NEAR(stars) * OR tricks', hours=1)
    assert await ids(store, "near stars") == ["gg7"]
    assert await ids(store, "NEAR(stars") == ["gg7"]  # FTS5 syntax in a word is a word
    assert await ids(store, '"near" OR drop') == ["gg7"]
    for refused in ('"unclosed', 'tricks -"*"'):
        with pytest.raises(CommandError):
            parse_topic(refused)


async def test_language_aware_stemming_on_postgresql(store: SqlStorage) -> None:
    if store.dialect != "postgresql":
        pytest.skip("SQLite's FTS5 stems English only (Porter)")
    await put(store, "hh8", "Neue Kraftwerke im Süden", language="de", hours=1)
    await put(store, "ii9", "New power stations in the south", language="en", hours=2)
    assert await ids(store, "kraftwerk") == ["hh8"]  # German stemming: Kraftwerke ~ kraftwerk
    assert await ids(store, "station") == ["ii9"]


def test_fts5_expressions_quote_every_term() -> None:
    assert fts5_match(parse_topic('"al asad" OR baghdad iraq -football')) == (
        '("al asad" OR "baghdad") AND ("iraq")',
        '("football")',
    )
    assert fts5_match(parse_topic("* -football")) == (None, '("football")')
    assert pg_config("de-AT") == "german"
    assert pg_config("und") == "simple"
