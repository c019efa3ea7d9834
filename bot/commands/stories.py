"""Commands that read stories: latest, expand, sources, ask."""

from __future__ import annotations

import re

from bot.commands.base import (
    LATEST_COUNT,
    LATEST_HINT,
    MAX_QUESTION_CHARS,
    MAX_TOPIC_CHARS,
    CommandBase,
    Invocation,
    card,
)
from bot.core.cards import Card, Line
from bot.core.domain import Story, Summary
from bot.core.errors import CommandError
from bot.delivery.render import (
    answer_card,
    full_card,
    section_card,
    shorten,
    sources_card,
    story_line,
    story_post,
)
from bot.stories.matching import story_text
from bot.stories.topics import parse_topic, topic_matches


class StoryCommands(CommandBase):
    async def latest(self, inv: Invocation, topic: str | None = None) -> Card:
        stories = await self.storage.recent_stories(
            LATEST_COUNT if topic is None else 200, min_outlets=2
        )
        if topic:
            if len(topic) > MAX_TOPIC_CHARS:
                raise CommandError(
                    f"That topic is too long (at most {MAX_TOPIC_CHARS} characters)."
                )
            query = parse_topic(topic)
            kept = []
            for story in stories:
                articles = await self.storage.get_articles(story.article_ids)
                if topic_matches(query, story_text(story, articles)):
                    kept.append(story)
            stories = kept[:LATEST_COUNT]
        if not stories:
            about = f" about {shorten(topic, 60)}" if topic else ""
            return card(
                f"No story{about} has been reported by two or more outlets yet. Try again later."
            )
        lines: list[Line | str] = ["Latest stories (use /expand <id> or /sources <id>):"]
        lines.extend(story_line(s) for s in stories)
        return card(*lines)

    async def mute(self, inv: Invocation, story_id: str) -> Card:
        """No more updates of one story in this chat (the "Mute this story" button)."""
        self._require_manage(inv)
        story, _summary = await self._story(story_id)
        await self.storage.mute(inv.destination, story.id, now=self.clock.now())
        return card(
            f"Muted story {story.id} here: its post won't be updated any more. "
            "Other stories keep coming."
        )

    async def _story(self, story_id: str) -> tuple[Story, Summary]:
        key = story_id.strip().lower()
        if not key:
            raise CommandError("Which story? Give its id, e.g. /expand k7q2. " + LATEST_HINT)
        if not re.fullmatch(r"[a-z0-9]{2,12}", key):
            raise CommandError(f"I don't know story {shorten(story_id, 20)}. {LATEST_HINT}")
        story = await self.storage.get_story(key)
        summary = await self.storage.get_summary(story.id) if story else None
        if story is None or summary is None:
            raise CommandError(f"I don't know story {key}. {LATEST_HINT}")
        return story, summary

    def _section_number(self, summary: Summary, section: str) -> int:
        wanted = section.strip().lower()
        if wanted.isdigit():
            number = int(wanted)
            if 1 <= number <= len(summary.sections):
                return number
        else:
            for number, sec in enumerate(summary.sections, start=1):
                if wanted and wanted in sec.heading.lower():
                    return number
        names = "; ".join(f"{n}. {s.heading}" for n, s in enumerate(summary.sections, start=1))
        raise CommandError(
            f"Story {summary.story_id} has no section {shorten(section, 40)}. "
            f"Its sections: {names}."
        )

    async def _expand_text(self, inv: Invocation, args: str) -> Card:
        story_id, _, section = args.partition(" ")
        return await self.expand(inv, story_id, section or None)

    async def expand(self, inv: Invocation, story_id: str, section: str | None = None) -> Card:
        _story, summary = await self._story(story_id)
        if section is None or not section.strip():
            return full_card(summary)
        return section_card(summary, self._section_number(summary, section))

    async def sources(self, inv: Invocation, story_id: str) -> Card:
        _story, summary = await self._story(story_id.split(" ", 1)[0])
        return sources_card(summary)

    async def _ask_text(self, inv: Invocation, args: str) -> Card:
        story_id, _, question = args.partition(" ")
        return await self.ask(inv, story_id, question)

    async def ask(self, inv: Invocation, story_id: str, question: str) -> Card:
        story, summary = await self._story(story_id)
        question = question.strip()
        if not question:
            raise CommandError(
                f"What would you like to know? e.g. /ask {story.id} who was involved?"
            )
        if len(question) > MAX_QUESTION_CHARS:
            raise CommandError(f"Please keep questions under {MAX_QUESTION_CHARS} characters.")
        articles = await self.storage.get_articles(story.article_ids)
        answer = await self.summarizer.answer(story, articles, question)
        return answer_card(story, summary, question, answer)

    async def storycard(self, story_id: str) -> Card:
        """The current post of a story (console and tests)."""
        story, summary = await self._story(story_id)
        return story_post(story, summary, self.clock.now())

    async def story_choices(self, prefix: str, limit: int = 25) -> list[tuple[str, str]]:
        prefix = prefix.strip().lower()
        stories = await self.storage.recent_stories(100, min_outlets=2)
        return [
            (s.id, s.headline)
            for s in stories
            if not prefix or s.id.startswith(prefix) or prefix in s.headline.lower()
        ][:limit]
