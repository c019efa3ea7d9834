"""Rendering decisions: what a story post, an expansion and a source list say.

Pure functions from domain values to platform-neutral ``Card``s; each adapter turns a
Card into its own syntax. Every sentence keeps its citations as links to its sources.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.cards import Action, Button, Card, Field, Inline, Line, Link, Text, line
from bot.core.domain import Answer, Sentence, Story, Summary

AI_NOTE = "Written by AI from the linked reports. Check the sources before relying on it."
EXTRACTIVE_NOTE = (
    "Sentences picked automatically from the linked reports. "
    "Check the sources before relying on it."
)
BUTTON_LABEL_MAX = 32


def cited(sentence: Sentence, summary: Summary) -> Line:
    """A sentence followed by its citation markers, each a link to its source."""
    parts: list[Inline] = [Text(sentence.text)]
    for number in sentence.cites:
        ref = summary.source(number)
        if ref is not None:
            parts.append(Link(f"[{number}]", ref.url))
    return tuple(parts)


def paragraph(sentences: Sequence[Sentence], summary: Summary) -> Line:
    """Sentences run together into one paragraph, each with its citations."""
    parts: list[Inline] = []
    for i, sentence in enumerate(sentences):
        if i:
            parts.append(Text(" "))
        parts.extend(cited(sentence, summary))
    return tuple(parts)


def shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-\u2013\u2014")
    return (cut or text[: limit - 1]) + "…"


def clock_time(when: datetime) -> str:
    return when.strftime("%H:%M UTC")


def story_footer(story: Story, summary: Summary, now: datetime) -> tuple[str, ...]:
    outlets = story.outlet_count
    facts = [f"{outlets} outlet{'s' if outlets != 1 else ''}"]
    if story.breaking_at is not None:
        facts.append("breaking")
    stamp = story.updated_at
    verb = "updated" if story.version > 1 else "first reported"
    when = clock_time(stamp) if stamp.date() == now.date() else stamp.strftime("%d %b %H:%M UTC")
    facts.append(f"{verb} {when}")
    facts.append(f"story {story.id}")
    note = EXTRACTIVE_NOTE if summary.written_by == "extractive" else AI_NOTE
    return (" · ".join(facts), note)


def story_buttons(summary: Summary, *, living: bool = False) -> tuple[Button, ...]:
    buttons = [
        Button(
            shorten(f"Expand: {section.heading}", BUTTON_LABEL_MAX),
            Action("expand", summary.story_id, number),
        )
        for number, section in enumerate(summary.sections, start=1)
    ]
    buttons.append(Button(f"Sources ({len(summary.sources)})", Action("sources", summary.story_id)))
    if living:
        buttons.append(Button("Mute this story", Action("mute", summary.story_id)))
    return tuple(buttons)


def story_post(story: Story, summary: Summary, now: datetime, *, living: bool = False) -> Card:
    """The post people see in a channel for one story version."""
    body: list[Line] = [cited(sentence, summary) for sentence in summary.lede]
    # "What changed" belongs to an updated post, and says nothing the lede already says.
    if living and summary.what_changed is not None and summary.what_changed not in summary.lede:
        body.append((Text("What changed: ", "bold"), *cited(summary.what_changed, summary)))
    lead_ref = summary.source(summary.lead) or (summary.sources[0] if summary.sources else None)
    lead = lead_ref.url if lead_ref else None
    return Card(
        title=summary.headline,
        title_url=lead,
        body=tuple(body),
        fields=tuple(Field(section.heading, ()) for section in summary.sections),
        footer=story_footer(story, summary, now),
        buttons=story_buttons(summary, living=living),
        story_id=story.id,
    )


def update_card(story: Story, summary: Summary, now: datetime) -> Card:
    """A short reply under a post that can no longer be edited."""
    news = summary.what_changed or (summary.lede[0] if summary.lede else None)
    body: tuple[Line, ...] = (cited(news, summary),) if news else ()
    return Card(
        title=f"Update on {story.id}: {summary.headline}",
        title_url=summary.sources[-1].url if summary.sources else None,
        body=body,
        footer=story_footer(story, summary, now),
        buttons=story_buttons(summary, living=True),
        story_id=story.id,
    )


def section_card(summary: Summary, number: int) -> Card:
    """One section in full (``/expand k7q2 2`` or its button)."""
    section = summary.sections[number - 1]
    return Card(
        title=f"{section.heading} — story {summary.story_id}",
        body=(paragraph(section.sentences, summary),),
        story_id=summary.story_id,
    )


def full_card(summary: Summary) -> Card:
    """Every section in full (``/expand k7q2`` without a section)."""
    body: list[Line] = [paragraph(summary.lede, summary)]
    for section in summary.sections:
        body.append((Text(section.heading, "bold"),))
        body.append(paragraph(section.sentences, summary))
    if summary.key_facts:
        body.append((Text("Key facts", "bold"),))
        body.extend((Text("• "), *cited(fact, summary)) for fact in summary.key_facts)
    if summary.events:
        body.append((Text("Related dates", "bold"),))
        body.extend(
            (Text(f"{event.when} — "), *cited(event.what, summary)) for event in summary.events
        )
    return Card(
        title=f"{summary.headline} — story {summary.story_id}",
        title_url=summary.sources[0].url if summary.sources else None,
        body=tuple(body),
        story_id=summary.story_id,
    )


def sources_card(summary: Summary) -> Card:
    body = tuple(
        line(
            f"{ref.number}. {ref.outlet} — ",
            Link(f"“{shorten(ref.title, 120)}”", ref.url),
            f" · {ref.published.strftime('%d %b %H:%M UTC')}",
        )
        for ref in summary.sources
    )
    return Card(title=f"Sources — story {summary.story_id}", body=body, story_id=summary.story_id)


def answer_card(story: Story, summary: Summary, question: str, answer: Answer) -> Card:
    if answer.found:
        body: tuple[Line, ...] = (paragraph(answer.sentences, summary),)
    elif answer.sentences:
        body = (
            line("The sources don't say. The closest they come:"),
            paragraph(answer.sentences, summary),
        )
    else:
        body = (line("The sources don't say."),)
    return Card(
        title=f"“{shorten(question, 80)}” — story {story.id}",
        body=body,
        footer=("Answered only from the linked reports.",),
        story_id=story.id,
    )


def story_line(story: Story) -> Line:
    """One line per story in lists (``/latest``, ``/subscribe``)."""
    outlets = story.outlet_count
    flag = " · breaking" if story.breaking_at else ""
    return (
        Text(story.id, "code"),
        Text(f" {shorten(story.headline, 110)} · {outlets} outlet{'s' if outlets != 1 else ''}"),
        Text(f"{flag} · {clock_time(story.updated_at)}"),
    )
