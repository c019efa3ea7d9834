"""Test data builders: real values through the real storage, no mocks."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.domain import Article, Feed, NewArticle, Section, Sentence, SourceRef, Story, Summary
from bot.summaries.extractive import ExtractiveSummarizer

FLOOD = (
    (
        "Harbour Herald",
        "River Tessel bursts its banks in Marrowby",
        "The River Tessel burst its banks in Marrowby on Saturday after 140 millimetres of rain. "
        "Police closed all three road bridges into the town centre. "
        "Emergency crews went door to door in the Eastbank district.",
    ),
    (
        "Valley Courier",
        "Marrowby flood forces 300 from their homes",
        "About 300 people left their homes in Marrowby as the River Tessel flooded Eastbank. "
        "Inspector Carla Venn said two rest centres had opened at the Marrowby leisure centre. "
        "The Met Office warned that more rain would fall on Sunday.",
    ),
    (
        "Capital Ledger",
        "Government sends aid to flooded Marrowby",
        "The government released 4 million in emergency aid for Marrowby after the River Tessel "
        "flood. Two people died in the flooding, police confirmed. "
        "Army engineers began inspecting the three closed bridges.",
    ),
)


class SeedStore(Protocol):
    """What the builders below write through (``storage.SqlStorage`` in the tests)."""

    async def upsert_feed(
        self, url: str, name: str, *, allow_private: bool = False, added_by: str | None = None
    ) -> Feed: ...

    async def add_articles(self, articles: Sequence[NewArticle]) -> list[Article]: ...

    async def save_story(self, story: Story) -> None: ...

    async def save_summary(self, summary: Summary) -> None: ...

    async def get_story(self, story_id: str) -> Story | None: ...

    async def get_summary(self, story_id: str) -> Summary | None: ...


def new_article(
    feed_id: int, outlet: str, title: str, text: str, published: datetime, *, slug: str
) -> NewArticle:
    return NewArticle(
        feed_id=feed_id,
        outlet=outlet,
        url=f"https://{outlet.lower().replace(' ', '-')}.example/{slug}",
        guid=None,
        title=title,
        text=text,
        published=published,
        fetched_at=published,
        content_hash=hashlib.sha256((title + text).encode()).hexdigest(),
    )


async def seed_articles(
    storage: SeedStore,
    now: datetime,
    reports: Sequence[tuple[str, str, str]] = FLOOD,
    *,
    tag: str = "",
) -> list[Article]:
    stored: list[Article] = []
    for i, (outlet, title, text) in enumerate(reports):
        feed = await storage.upsert_feed(f"https://{i}.example/feed", outlet)
        when = now - timedelta(minutes=30 - 5 * i)
        stored += await storage.add_articles(
            [
                new_article(
                    feed.id,
                    outlet,
                    title,
                    text,
                    when,
                    slug=f"story{tag}-{i}-{abs(hash(title)) % 9999}",
                )
            ]
        )
    return stored


async def seed_story(
    storage: SeedStore,
    now: datetime,
    story_id: str = "k7q2",
    reports: Sequence[tuple[str, str, str]] = FLOOD,
) -> tuple[Story, Summary]:
    """A stored, summarised multi-outlet story."""
    articles = await seed_articles(storage, now, reports, tag=story_id)
    story = Story(
        id=story_id,
        created_at=articles[0].published,
        updated_at=articles[-1].published,
        article_ids=tuple(a.id for a in articles),
        outlets=tuple(dict.fromkeys(a.outlet for a in articles)),
        headline=articles[0].title,
    )
    await storage.save_story(story)
    summary = await ExtractiveSummarizer().summarize(story, articles)
    await storage.save_summary(summary)
    return story, summary


async def next_version(storage: SeedStore, story_id: str, now: datetime) -> tuple[Story, Summary]:
    """The story's next version, as a further outlet's report can make it before the post
    is edited: its sections in reverse order with the (old) first one renamed, a new section
    in front, and the new report as one more source. Returns the new story and summary."""
    story = await storage.get_story(story_id)
    summary = await storage.get_summary(story_id)
    assert story is not None
    assert summary is not None
    feed = await storage.upsert_feed("https://late.example/feed", "Late Gazette")
    (late,) = await storage.add_articles(
        [
            new_article(
                feed.id,
                "Late Gazette",
                f"Late report on {story.headline}",
                "Residents began returning home on Sunday as the water fell.",
                now,
                slug=f"late-{story_id}-{story.version + 1}",
            )
        ]
    )
    story = replace(
        story,
        version=story.version + 1,
        updated_at=now,
        article_ids=(*story.article_ids, late.id),
        outlets=(*story.outlets, "Late Gazette"),
    )
    await storage.save_story(story)
    number = max(ref.number for ref in summary.sources) + 1
    renamed = replace(summary.sections[0], heading=f"Renamed {summary.sections[0].heading}")
    returning = Section("Residents return", (Sentence("Residents began returning.", (number,)),))
    later = replace(
        summary,
        story_version=story.version,
        sections=(returning, *reversed(summary.sections[1:]), renamed),
        sources=(
            *summary.sources,
            SourceRef(number, late.outlet, late.title, late.url, late.published, late.id),
        ),
    )
    await storage.save_summary(later)
    return story, later
