"""Rendering decisions: what a story post, an expansion and a source list say.

Pure functions from domain values to platform-neutral ``Card``s; each adapter turns a
Card into its own syntax. Every sentence keeps its citations as links to its sources.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime

from bot.core.cards import (
    Card,
    Field,
    Inline,
    Line,
    Link,
    Text,
    line,
)
from bot.core.domain import Answer, DigestIssue, Sentence, Story, Summary
from bot.core.words import N_, _, isolate, n_, numeral, spoken
from bot.delivery.buttons import story_buttons
from bot.text.sentences import shorten

AI_NOTE = N_("Written by AI from the linked reports. Check the sources before relying on it.")
EXTRACTIVE_NOTE = N_(
    "Sentences picked automatically from the linked reports. "
    "Check the sources before relying on it."
)


def cited(sentence: Sentence, summary: Summary) -> Line:
    """A sentence followed by its citation markers, each a link to its source."""
    parts: list[Inline] = [Text(sentence.text)]
    for number in sentence.cites:
        ref = summary.source(number)
        if ref is not None:
            # In a right-to-left chat the marker is isolated, so it stays "[1]" and stays
            # at the end of its sentence.
            parts.append(Link(isolate(f"[{number}]"), ref.url))
    return tuple(parts)


def paragraph(sentences: Sequence[Sentence], summary: Summary) -> Line:
    """Sentences run together into one paragraph, each with its citations."""
    parts: list[Inline] = []
    for i, sentence in enumerate(sentences):
        if i:
            parts.append(Text(" "))
        parts.extend(cited(sentence, summary))
    return tuple(parts)


def clock_time(when: datetime) -> str:
    return spoken().clock(when)


def story_footer(story: Story, summary: Summary, now: datetime) -> tuple[str, ...]:
    words = spoken()
    facts = [n_("%(count)s outlet", "%(count)s outlets", story.outlet_count)]
    if story.breaking_at is not None:
        facts.append(_("breaking"))
    stamp = story.updated_at
    when = words.clock(stamp) if stamp.date() == now.date() else words.moment(stamp)
    if story.version > 1:
        facts.append(_("updated %(when)s", when=when))
    else:
        facts.append(_("first reported %(when)s", when=when))
    facts.append(_("story %(story)s", story=isolate(story.id)))
    note = EXTRACTIVE_NOTE if summary.written_by == "extractive" else AI_NOTE
    return (" · ".join(facts), _(note))


def story_post(
    story: Story,
    summary: Summary,
    now: datetime,
    *,
    living: bool = False,
    page_url: str | None = None,
) -> Card:
    """The post people see in a channel for one story version; ``page_url`` is the
    story's web page when the bot serves pages ("Full story")."""
    body: list[Line] = [cited(sentence, summary) for sentence in summary.lede]
    # "What changed" belongs to an updated post, and says nothing the lede already says.
    if living and summary.what_changed is not None and summary.what_changed not in summary.lede:
        body.append((Text(_("What changed: "), "bold"), *cited(summary.what_changed, summary)))
    lead_ref = summary.source(summary.lead) or (summary.sources[0] if summary.sources else None)
    lead = lead_ref.url if lead_ref else None
    body.extend(full_story_line(page_url))
    return Card(
        title=summary.headline,
        title_url=lead,
        body=tuple(body),
        fields=tuple(Field(section.heading, ()) for section in summary.sections),
        footer=story_footer(story, summary, now),
        buttons=story_buttons(summary, living=living),
        story_id=story.id,
    )


def update_card(
    story: Story, summary: Summary, now: datetime, *, page_url: str | None = None
) -> Card:
    """A short reply under a post that can no longer be edited."""
    news = summary.what_changed or (summary.lede[0] if summary.lede else None)
    body: tuple[Line, ...] = (cited(news, summary),) if news else ()
    body += full_story_line(page_url)
    return Card(
        title=_(
            "Update on %(story)s: %(headline)s", story=isolate(story.id), headline=summary.headline
        ),
        title_url=summary.sources[-1].url if summary.sources else None,
        body=body,
        footer=story_footer(story, summary, now),
        buttons=story_buttons(summary, living=True),
        story_id=story.id,
    )


def with_note(card: Card, note: str | None) -> Card:
    """The card with ``note`` as its first line of small print."""
    return replace(card, footer=(note, *card.footer)) if note else card


def section_card(summary: Summary, number: int, *, current: Summary | None = None) -> Card:
    """One section in full (``/expand k7q2 2`` or its button).

    ``current`` is given when the section comes from an older version that a post still
    shows: the card then says the story has moved on and offers today's sections.
    """
    section = summary.sections[number - 1]
    return Card(
        title=_(
            "%(heading)s — story %(story)s",
            heading=section.heading,
            story=isolate(summary.story_id),
        ),
        body=(paragraph(section.sentences, summary),),
        footer=(moved_on_note(current),) if current is not None else (),
        buttons=story_buttons(current) if current is not None else (),
        story_id=summary.story_id,
    )


def moved_on_note(current: Summary) -> str:
    return _(
        "Story %(story)s has moved on since that post; the buttons show its sections now.",
        story=isolate(current.story_id),
    )


def section_gone_card(current: Summary) -> Card:
    """A button whose section no story version still known has: today's sections instead."""
    return Card(
        body=(
            line(
                _(
                    "That section is no longer in story %(story)s.",
                    story=isolate(current.story_id),
                )
            ),
        ),
        footer=(moved_on_note(current),),
        buttons=story_buttons(current),
        story_id=current.story_id,
    )


def full_card(summary: Summary, *, page_url: str | None = None) -> Card:
    """Every section in full (``/expand k7q2`` without a section)."""
    body: list[Line] = [paragraph(summary.lede, summary)]
    for section in summary.sections:
        body.append((Text(section.heading, "bold"),))
        body.append(paragraph(section.sentences, summary))
    if summary.key_facts:
        body.append((Text(_("Key facts"), "bold"),))
        body.extend((Text("• "), *cited(fact, summary)) for fact in summary.key_facts)
    if summary.events:
        body.append((Text(_("Related dates"), "bold"),))
        body.extend(
            (Text(f"{event.when} — "), *cited(event.what, summary)) for event in summary.events
        )
    body.extend(full_story_line(page_url))
    return Card(
        title=_(
            "%(headline)s — story %(story)s",
            headline=summary.headline,
            story=isolate(summary.story_id),
        ),
        title_url=summary.sources[0].url if summary.sources else None,
        body=tuple(body),
        story_id=summary.story_id,
    )


def sources_card(summary: Summary, *, added: int | None = None, new: Collection[int] = ()) -> Card:
    """The story's sources now; ``added`` says how many came since the post that was
    pressed, and the sources numbered in ``new`` are marked."""
    body = tuple(
        line(
            f"{ref.number}. {ref.outlet} — ",
            Link(f"“{shorten(ref.title, 120)}”", ref.url),
            f" · {spoken().moment(ref.published)}",
            *((Text(" · " + _("new"), "bold"),) if ref.number in new else ()),
        )
        for ref in summary.sources
    )
    footer: tuple[str, ...] = ()
    if added:
        footer = (
            n_(
                "%(count)s source added since that post.",
                "%(count)s sources added since that post.",
                added,
            ),
        )
    return Card(
        title=_("Sources — story %(story)s", story=isolate(summary.story_id)),
        body=body,
        footer=footer,
        story_id=summary.story_id,
    )


def answer_card(
    story: Story, summary: Summary, question: str, answer: Answer, *, page_url: str | None = None
) -> Card:
    if answer.found:
        body: tuple[Line, ...] = (paragraph(answer.sentences, summary),)
    elif answer.sentences:
        body = (
            line(_("The sources don't say. The closest they come:")),
            paragraph(answer.sentences, summary),
        )
    else:
        body = (line(_("The sources don't say.")),)
    body += full_story_line(page_url)
    return Card(
        title=_(
            "“%(question)s” — story %(story)s",
            question=shorten(question, 80),
            story=isolate(story.id),
        ),
        body=body,
        footer=(_("Answered only from the linked reports."),),
        story_id=story.id,
    )


def story_line(story: Story, *, headline: str | None = None) -> Line:
    """One line per story in lists (``/latest``, ``/subscribe``); ``headline`` is the
    summary's as the chat reads it (default: the story's own)."""
    outlets = n_("%(count)s outlet", "%(count)s outlets", story.outlet_count)
    flag = " · " + _("breaking") if story.breaking_at else ""
    return (
        Text(story.id, "code"),
        Text(f" {shorten(headline or story.headline, 110)} · {outlets}"),
        Text(f"{flag} · {clock_time(story.updated_at)}"),
    )


FULL_STORY = N_("Full story")


def outlets_text(story: Story, shown: int = 3) -> str:
    """``Reuters, AP, BBC +2``: the first outlets that reported it, and how many more."""
    names = list(story.outlets[:shown])
    more = story.outlet_count - len(names)
    return ", ".join(names) + (f" +{numeral(more)}" if more > 0 else "")


def story_link(summary: Summary, page_url: str | None) -> str | None:
    """Where a story's headline leads: its page when the bot serves pages, else the
    leading report."""
    if page_url:
        return page_url
    lead = summary.source(summary.lead) or (summary.sources[0] if summary.sources else None)
    return lead.url if lead else None


def compact_story(story: Story, summary: Summary | None, page_url: str | None) -> tuple[Line, ...]:
    """Two lines per story in ``/catchup``, ``/search`` and digests: the headline as a link,
    then one line of what happened, its outlets and its id."""
    headline = shorten(summary.headline if summary else story.headline, 110) or story.id
    url = story_link(summary, page_url) if summary else page_url
    first: Line = (Link(headline, url),) if url else (Text(headline, "bold"),)
    if story.breaking_at is not None:
        first = (*first, Text(" · " + _("breaking")))
    lede = shorten(summary.lede[0].text, 160) if summary and summary.lede else ""
    second: list[Inline] = [Text(f"{lede} — " if lede else "")]
    second.append(Text(f"{outlets_text(story)} · "))
    second.append(Text(isolate(story.id), "code"))
    return first, tuple(second)


def full_story_line(page_url: str | None) -> tuple[Line, ...]:
    """The "Full story" link under posts and answers, when pages are served."""
    return ((Link(_(FULL_STORY), page_url),),) if page_url else ()


def digest_card(
    issue: DigestIssue, entries: Sequence[tuple[Story, Summary | None, str | None]]
) -> Card:
    """One digest message: the listed stories (story, summary, page URL), most important
    first, two lines each."""
    topic = _("every story") if issue.topic == "*" else issue.topic
    body: list[Line] = []
    for story, summary, page_url in entries:
        body.extend(compact_story(story, summary, page_url))
    since = spoken().moment(issue.covers_from)
    return Card(
        title=n_(
            "Digest: %(topic)s — %(count)s story",
            "Digest: %(topic)s — %(count)s stories",
            len(entries),
            topic=shorten(topic, 60),
        ),
        body=tuple(body),
        footer=(
            _(
                "Stories updated since %(since)s, most important first · %(schedule)s",
                since=since,
                schedule=isolate(str(issue.schedule)),
            ),
        ),
    )
