"""What a story's web page says (``GET /s/<story>``): the whole story in one place.

The page is a view of the same values the posts are made of: the headline and lede, every
section with its citations, the key facts, the dated events as a table, the sources with
outlet and time, the versions with what changed and when, and the note on how it was
written. ``adapters.web`` renders it to HTML with a template that escapes everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.core.cards import Line
from bot.core.domain import Story, StoryVersion, Summary
from bot.core.locales import parse_language
from bot.core.reading import reads_differently
from bot.delivery.ports import TranslationReader
from bot.delivery.render import AI_NOTE, EXTRACTIVE_NOTE, cited, paragraph
from bot.delivery.translated import SummaryReader

HISTORY_LIMIT = 30
# Languages of an Accept-Language header tried for a stored translation, best first.
MAX_PAGE_LANGUAGES = 3
MAX_ACCEPT_CHARS = 500


class PageStore(TranslationReader, Protocol):
    """What the story pages read; ``storage.SqlStorage`` implements it. Every method
    raises ``StorageError`` when the database fails (the page answers 503)."""

    async def get_story(self, story_id: str) -> Story | None:
        """Called for every page. The story, following merges (see ``CommandStore``)."""
        ...

    async def get_summary(self, story_id: str) -> Summary | None:
        """Called for every page. The newest summary; None: the page is a 404."""
        ...

    async def story_versions(self, story_id: str, limit: int) -> list[StoryVersion]:
        """Called for the page's history. Up to ``limit`` stored versions of the story,
        newest first, each with when it was written and what changed."""
        ...


@dataclass(frozen=True, slots=True)
class PageSection:
    heading: str
    text: Line


@dataclass(frozen=True, slots=True)
class PageEvent:
    when: str
    what: Line


@dataclass(frozen=True, slots=True)
class PageSource:
    number: int
    outlet: str
    title: str
    url: str
    published: str


@dataclass(frozen=True, slots=True)
class PageVersion:
    version: int
    when: str
    what: str


@dataclass(frozen=True, slots=True)
class StoryPage:
    story_id: str
    version: int
    headline: str
    lead_url: str | None
    lede: Line
    sections: tuple[PageSection, ...]
    key_facts: tuple[Line, ...]
    events: tuple[PageEvent, ...]
    sources: tuple[PageSource, ...]
    versions: tuple[PageVersion, ...]
    facts: str  # "3 outlets · breaking · updated 06 Dec 10:04 UTC"
    note: str
    updated_at: datetime
    language: str = "und"  # what the summary's text is written in (BCP 47)


def page_languages(lang: str | None, accept: str) -> list[str]:
    """The languages a reader asked for, best first: ``?lang=`` alone when it names a
    language, else the ``Accept-Language`` header's (by quality, at most
    ``MAX_PAGE_LANGUAGES``). Unknown or malformed codes are left out."""
    if lang:
        chosen = parse_language(lang)
        return [chosen] if chosen else []
    weighted: list[tuple[float, int, str]] = []
    for n, item in enumerate(accept[:MAX_ACCEPT_CHARS].split(",")):
        code, _sep, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        language = parse_language(code) if code.strip() != "*" else None
        if language and 0 < quality <= 1:
            weighted.append((-quality, n, language))
    return list(dict.fromkeys(code for _q, _n, code in sorted(weighted)))[:MAX_PAGE_LANGUAGES]


async def page_summary(store: TranslationReader, summary: Summary, languages: list[str]) -> Summary:
    """The summary in the first of ``languages`` it is written in or has a stored
    translation for (``bot.delivery.translated``); else the original. The page never asks
    a model: translations are made for chats' languages by the pipeline."""
    reader = SummaryReader(store)
    for language in languages:
        shown = await reader.shown(summary, language)
        if not reads_differently(shown.language, language):
            return shown
    return summary


def stamp(when: datetime) -> str:
    return when.strftime("%d %b %Y %H:%M UTC")


def story_page(story: Story, summary: Summary, versions: Sequence[StoryVersion]) -> StoryPage:
    lead = summary.source(summary.lead) or (summary.sources[0] if summary.sources else None)
    facts = [f"{story.outlet_count} outlet{'s' if story.outlet_count != 1 else ''}"]
    if story.breaking_at is not None:
        facts.append("breaking")
    facts.append(f"updated {stamp(story.updated_at)}")
    facts.append(f"story {story.id}")
    return StoryPage(
        story_id=story.id,
        version=summary.story_version,
        headline=summary.headline or story.headline,
        lead_url=lead.url if lead else None,
        lede=paragraph(summary.lede, summary),
        sections=tuple(
            PageSection(s.heading, paragraph(s.sentences, summary)) for s in summary.sections
        ),
        key_facts=tuple(cited(fact, summary) for fact in summary.key_facts),
        events=tuple(PageEvent(e.when, cited(e.what, summary)) for e in summary.events),
        sources=tuple(
            PageSource(ref.number, ref.outlet, ref.title, ref.url, stamp(ref.published))
            for ref in summary.sources
        ),
        versions=tuple(
            PageVersion(
                v.version,
                stamp(v.created_at),
                v.what_changed.text
                if v.what_changed
                else ("First report" if v.version == 1 else v.headline),
            )
            for v in versions
        ),
        facts=" · ".join(facts),
        note=EXTRACTIVE_NOTE if summary.written_by == "extractive" else AI_NOTE,
        updated_at=story.updated_at,
        language=summary.language,
    )
