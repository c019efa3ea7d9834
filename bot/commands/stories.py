"""Commands that read stories: latest, expand, sources, ask, and the buttons on posts.

A post is not edited at once when its story moves on (the edit is debounced, the chat
muted the story, the platform refused, or the post is simply old), so a button answers
from the version it was rendered from when it must: an expansion shows the section its
label names, found by key in today's version even if it moved, else as the post showed
it with a note that the story has moved on; Sources counts what was added since.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from bot.commands.base import (
    LATEST_COUNT,
    LATEST_HINT,
    MAX_QUESTION_CHARS,
    MAX_TOPIC_CHARS,
    CommandBase,
    Invocation,
    card,
)
from bot.commands.usage import metered, month_start, utc_day
from bot.core.cards import Action, Card, Line, section_key
from bot.core.domain import Story, Summary
from bot.core.errors import CommandError
from bot.core.reading import source_language_note
from bot.core.words import _, dollars, isolate, numeral, spoken
from bot.delivery.buttons import label_names, sources_label_count
from bot.delivery.render import (
    answer_card,
    full_card,
    section_card,
    section_gone_card,
    sources_card,
    story_line,
    story_post,
    with_note,
)
from bot.delivery.translated import SummaryReader
from bot.stories.matching import story_text, visible_outlets
from bot.stories.topics import parse_topic, topic_matches
from bot.text.sentences import shorten

# How many older versions a button from before versions were encoded searches for its label.
LEGACY_LOOKBACK = 20


def keyed_section(summary: Summary, key: str, near: int) -> int | None:
    """The number of the section whose heading has ``key``: the one at ``near`` if it has."""
    numbers = [n for n, s in enumerate(summary.sections, start=1) if section_key(s.heading) == key]
    return near if near in numbers else (numbers[0] if numbers else None)


def labelled_section(summary: Summary, label: str, near: int) -> int | None:
    """The number of the section an expand button's label names: the one at ``near`` if so."""
    numbers = [n for n, s in enumerate(summary.sections, start=1) if label_names(label, s.heading)]
    return near if near in numbers else (numbers[0] if numbers else None)


class StoryCommands(CommandBase):
    async def latest(self, inv: Invocation, topic: str | None = None) -> Card:
        if topic and len(topic) > MAX_TOPIC_CHARS:
            raise CommandError(
                _(
                    "That topic is too long (at most %(count)s characters).",
                    count=numeral(MAX_TOPIC_CHARS),
                )
            )
        query = parse_topic(topic) if topic else None
        kept: list[Story] = []
        scopes = await self._visible_feeds()
        # Only what this chat's scope sees: another server's own feeds stay its own.
        for story in await self.storage.recent_stories(200, min_outlets=2):
            articles = await self._visible(inv, story, scopes)
            if visible_outlets(story, articles) < 2:
                continue
            if query is None or topic_matches(query, story_text(story, articles)):
                kept.append(story)
            if len(kept) >= LATEST_COUNT:
                break
        stories = kept
        if not stories:
            if topic:
                return card(
                    _(
                        "No story about %(topic)s has been reported by two or more outlets "
                        "yet. Try again later.",
                        topic=shorten(topic, 60),
                    )
                )
            return card(
                _("No story has been reported by two or more outlets yet. Try again later.")
            )
        lines: list[Line | str] = [_("Latest stories (use /expand <id> or /sources <id>):")]
        reader = self.reader()
        notes: list[str] = []
        for story in stories:
            summary = await self.storage.get_summary(story.id)
            if summary is None:
                lines.append(story_line(story))
                continue
            shown, note = await self.in_chat_language(summary, reader)
            notes += [note] if note and note not in notes else []
            lines.append(story_line(story, headline=shown.headline))
        return replace(card(*lines), footer=tuple(notes))

    async def mute(self, inv: Invocation, story_id: str) -> Card:
        """No more updates of one story in this chat (the "Mute this story" button)."""
        self._require_manage(inv)
        story, _summary = await self._story(story_id)
        await self.storage.mute(inv.destination, story.id, now=self.clock.now())
        return card(
            _(
                "Muted story %(story)s here: its post won't be updated any more. "
                "Other stories keep coming.",
                story=isolate(story.id),
            )
        )

    async def _story(self, story_id: str) -> tuple[Story, Summary]:
        key = story_id.strip().lower()
        if not key:
            raise CommandError(
                _("Which story? Give its id, e.g. /expand k7q2. %(hint)s", hint=_(LATEST_HINT))
            )
        if not re.fullmatch(r"[a-z0-9]{2,12}", key):
            raise CommandError(
                _(
                    "I don't know story %(story)s. %(hint)s",
                    story=isolate(shorten(story_id, 20)),
                    hint=_(LATEST_HINT),
                )
            )
        story = await self.storage.get_story(key)
        summary = await self.storage.get_summary(story.id) if story else None
        if story is None or summary is None:
            raise CommandError(
                _("I don't know story %(story)s. %(hint)s", story=isolate(key), hint=_(LATEST_HINT))
            )
        return story, summary

    def _section_number(self, summary: Summary, section: str, original: Summary) -> int:
        """The section ``section`` names: its number, or words of its heading as the chat
        reads it (``summary``) or as its sources wrote it (``original``)."""
        wanted = section.strip().lower()
        if wanted.isdigit():
            number = int(wanted)
            if 1 <= number <= len(summary.sections):
                return number
        else:
            for read in (summary, original):
                for number, sec in enumerate(read.sections, start=1):
                    if wanted and wanted in sec.heading.lower() and number <= len(summary.sections):
                        return number
        names = "; ".join(f"{n}. {s.heading}" for n, s in enumerate(summary.sections, start=1))
        raise CommandError(
            _(
                "Story %(story)s has no section %(section)s. Its sections: %(names)s.",
                story=isolate(summary.story_id),
                section=shorten(section, 40),
                names=names,
            )
        )

    async def _expand_text(self, inv: Invocation, args: str) -> Card:
        story_id, _sep, section = args.partition(" ")
        return await self.expand(inv, story_id, section or None)

    async def expand(self, inv: Invocation, story_id: str, section: str | None = None) -> Card:
        _story, original = await self._story(story_id)
        summary, note = await self.in_chat_language(original)
        if section is None or not section.strip():
            return with_note(full_card(summary, page_url=self.page_url(summary.story_id)), note)
        number = self._section_number(summary, section, original)
        return with_note(section_card(summary, number), note)

    async def press_expand(self, inv: Invocation, action: Action, label: str | None) -> Card:
        """An "Expand: …" button: the section its label names (module docstring), in the
        chat's language when the story was translated for it."""
        _story, original = await self._story(action.story_id)
        reader = self.reader()
        current, note = await self.in_chat_language(original, reader)
        return with_note(await self._expanded(action, label, original, current, reader), note)

    async def _expanded(
        self,
        action: Action,
        label: str | None,
        original: Summary,
        current: Summary,
        reader: SummaryReader,
    ) -> Card:
        number = action.section
        if number is None:
            return full_card(current)
        if action.version is None:
            return await self._press_legacy_expand(action, original, current, label)
        posted: Summary | None = None
        key = action.key
        if key is None:  # version and position only: the heading is in the stored version
            posted = await self._version(action.story_id, action.version, reader)
            if posted is not None and 1 <= number <= len(posted.sections):
                key = section_key(posted.sections[number - 1].heading)
        if key is not None:
            # The post may show the headings translated or as written: either finds it.
            found = keyed_section(current, key, number) or keyed_section(original, key, number)
            if found is not None:
                return section_card(current, found)
            if posted is None:
                posted = await self._version(action.story_id, action.version, reader)
            shown = keyed_section(posted, key, number) if posted is not None else None
            if posted is not None and shown is not None:
                return section_card(posted, shown, current=current)
        return section_gone_card(current)

    async def _version(self, story_id: str, version: int, reader: SummaryReader) -> Summary | None:
        """A stored version of the story as the chat reads it (None when not stored)."""
        summary = await self.storage.get_summary_version(story_id, version)
        return await reader.shown(summary, spoken().language) if summary else None

    async def _press_legacy_expand(
        self, action: Action, original: Summary, current: Summary, label: str | None
    ) -> Card:
        """A button sent before buttons named their version (``e:k7q2:2``): its label
        says which section it meant; without a label, the position is all there is.
        Those posts were never translated: their labels are the sources' words."""
        story_id, number = action.story_id, action.section or 0
        if label is None:
            if 1 <= number <= len(current.sections):
                return section_card(current, number)
            return section_gone_card(current)
        found = labelled_section(original, label, number)
        if found is not None:
            return section_card(current, found)
        newest = current
        if current.story_id != story_id:  # merged since: the post showed the old story
            newest = await self.storage.get_summary(story_id) or current
        stop = max(0, newest.story_version - LEGACY_LOOKBACK)
        for version in range(newest.story_version - 1, stop, -1):
            older = await self.storage.get_summary_version(newest.story_id, version)
            shown = labelled_section(older, label, number) if older is not None else None
            if older is not None and shown is not None:
                return section_card(older, shown, current=current)
        return section_gone_card(current)

    async def press_sources(self, inv: Invocation, action: Action, label: str | None) -> Card:
        """A "Sources" button: the sources now, saying how many came since its post."""
        _story, original = await self._story(action.story_id)
        current, _note = await self.in_chat_language(original)
        if action.version is not None:
            posted = await self.storage.get_summary_version(action.story_id, action.version)
            if posted is not None:
                seen = {ref.url for ref in posted.sources}
                new = [ref.number for ref in current.sources if ref.url not in seen]
                return sources_card(current, added=len(new), new=new)
        shown = sources_label_count(label)
        if shown is not None:
            return sources_card(current, added=max(0, len(current.sources) - shown))
        return sources_card(current)

    async def sources(self, inv: Invocation, story_id: str) -> Card:
        _story, original = await self._story(story_id.split(" ", 1)[0])
        summary, _note = await self.in_chat_language(original)
        return sources_card(summary)

    async def _ask_text(self, inv: Invocation, args: str) -> Card:
        story_id, _sep, question = args.partition(" ")
        return await self.ask(inv, story_id, question)

    async def ask(self, inv: Invocation, story_id: str, question: str) -> Card:
        story, summary = await self._story(story_id)
        question = question.strip()
        if not question:
            raise CommandError(
                _(
                    "What would you like to know? e.g. %(example)s",
                    example=isolate(f"/ask {story.id}") + " " + _("who was involved?"),
                )
            )
        if len(question) > MAX_QUESTION_CHARS:
            raise CommandError(
                _(
                    "Please keep questions under %(count)s characters.",
                    count=numeral(MAX_QUESTION_CHARS),
                )
            )
        self._take(self._questions, inv, "questions")
        articles = await self.storage.get_articles(story.article_ids)
        now = self.clock.now()
        over = await self._over_budget(inv.feed_scope, now)
        summarizer = self.fallback if over and self.fallback is not None else self.summarizer
        with metered() as meter:
            answer = await summarizer.answer(story, articles, question, language=spoken().language)
        if meter.tokens and self.usage is not None:
            await self.usage.add_scope_usage(
                inv.feed_scope, utc_day(now), meter.tokens, meter.cost_micro_usd
            )
        answered = answer_card(story, summary, question, answer, page_url=self.page_url(story.id))
        if answer.sentences:  # answers the chat cannot read as its own say in what they are
            answered = with_note(answered, source_language_note(answer.language, spoken().language))
        if not over:
            return answered
        note = _(
            "This chat's daily AI budget (%(count)s tokens) is used up: answers are made of "
            "the sources' own sentences until 00:00 UTC.",
            count=numeral(self.limits.scope_daily_tokens),
        )
        return replace(answered, footer=(*answered.footer, note))

    async def _over_budget(self, scope: str, now: datetime) -> bool:
        limit = self.limits.scope_daily_tokens
        if limit <= 0 or self.usage is None:
            return False
        today = utc_day(now)
        used = sum(
            t for day, t, _cost in await self.usage.scope_usage(scope, today) if day == today
        )
        return used >= limit

    async def usage_report(self, inv: Invocation) -> Card:
        """``/usage``: the LLM tokens this chat's questions used today and this month."""
        now = self.clock.now()
        if self.usage is None:
            return card(_("This bot doesn't count AI use per chat."))
        rows = await self.usage.scope_usage(inv.feed_scope, month_start(now))
        today = utc_day(now)
        day_tokens = sum(t for d, t, _c in rows if d == today)
        day_cost = sum(c for d, _t, c in rows if d == today)
        month_tokens = sum(t for _d, t, _c in rows)
        month_cost = sum(c for _d, _t, c in rows)
        lines: list[Line | str] = [
            _(
                "AI use by this chat's questions, today: %(day)s tokens (about %(day_cost)s); "
                "this month: %(month)s tokens (about %(month_cost)s).",
                day=numeral(day_tokens),
                day_cost=dollars(day_cost),
                month=numeral(month_tokens),
                month_cost=dollars(month_cost),
            )
        ]
        limit = self.limits.scope_daily_tokens
        if limit > 0:
            left = max(0, limit - day_tokens)
            lines.append(
                _(
                    "Daily limit: %(limit)s tokens (%(left)s left today). When it runs out, "
                    "questions are answered from the sources' own sentences, without AI, "
                    "until 00:00 UTC.",
                    limit=numeral(limit),
                    left=numeral(left),
                )
            )
        else:
            lines.append(
                _(
                    "This chat has no daily limit of its own. When the bot's shared daily AI "
                    "budget runs out, summaries and answers are made of the sources' own "
                    "sentences until 00:00 UTC."
                )
            )
        return card(*lines)

    async def storycard(self, story_id: str) -> Card:
        """The current post of a story (console and tests)."""
        story, original = await self._story(story_id)
        summary, note = await self.in_chat_language(original)
        post = story_post(story, summary, self.clock.now(), page_url=self.page_url(story.id))
        return with_note(post, note)

    async def story_choices(self, prefix: str, limit: int = 25) -> list[tuple[str, str]]:
        prefix = prefix.strip().lower()
        stories = await self.storage.recent_stories(100, min_outlets=2)
        return [
            (s.id, s.headline)
            for s in stories
            if not prefix or s.id.startswith(prefix) or prefix in s.headline.lower()
        ][:limit]
