"""What an outbox row says in its chat: the story and summary it sends (loaded once per
pass), the chat's language and the summary as translated for it, the story page link,
and a digest row's message. Reads storage and stored translations; never sends.
"""

from __future__ import annotations

from dataclasses import replace

from bot.core.cards import Card
from bot.core.domain import Delivery, Destination, Story, Summary
from bot.core.locales import DEFAULT_LANGUAGE, choose_language
from bot.delivery.ports import DispatcherStore
from bot.delivery.render import digest_card
from bot.delivery.translated import SummaryReader


class ChatMessages:
    """The contents of a dispatcher pass's messages, with the pass's caches."""

    def __init__(
        self,
        storage: DispatcherStore,
        *,
        public_url: str = "",
        default_language: str = DEFAULT_LANGUAGE,
    ) -> None:
        self.storage = storage
        self.default_language = default_language
        self.public_url = public_url.rstrip("/")  # posts link to /s/<story> when set
        # One pass sends a few stories to many chats: load each (story, summary) once.
        self._stories: dict[tuple[str, int], tuple[Story, Summary] | None] = {}
        self._languages: dict[Destination, str] = {}  # per pass, like the stories
        self.reader = SummaryReader(storage)  # translations, read once per pass

    def forget(self) -> None:
        """Start a new pass: stories, languages and translations are read afresh."""
        self._stories.clear()
        self._languages.clear()
        self.reader.forget()

    def page_url(self, story_id: str) -> str | None:
        return f"{self.public_url}/s/{story_id}" if self.public_url else None

    async def digest(self, delivery: Delivery, language: str) -> Card | None:
        """A digest row's message: the stories its digest lists, as they are now, in the
        chat's language where a translation was stored (a note names the others')."""
        issue = await self.storage.digest_issue(delivery.story_id)
        if issue is None:
            return None
        entries: list[tuple[Story, Summary | None, str | None]] = []
        notes: list[str] = []
        for story_id in issue.story_ids:
            story = await self.storage.get_story(story_id)
            if story is not None and all(story.id != e[0].id for e in entries):
                summary = await self.storage.get_summary(story.id)
                if summary is not None:
                    summary, note = await self.reader.read(summary, language)
                    notes += [note] if note and note not in notes else []
                entries.append((story, summary, self.page_url(story.id)))
        if not entries:
            return None
        card = digest_card(issue, entries)
        return replace(card, footer=(*notes, *card.footer))

    async def chat_language(self, destination: Destination) -> str:
        """The language a chat's posts are shown in (see ``choose_language``)."""
        if destination not in self._languages:
            settings = await self.storage.chat_settings(destination)
            self._languages[destination] = choose_language(
                settings.language, settings.language_hint, self.default_language
            )
        return self._languages[destination]

    async def in_chat_language(
        self, destination: Destination, summary: Summary
    ) -> tuple[Summary, str | None]:
        """The summary as the chat reads it, and the note when it is not in the chat's
        language (``bot.delivery.translated``). Never waits for a model."""
        return await self.reader.read(summary, await self.chat_language(destination))

    async def story(self, delivery: Delivery) -> tuple[Story, Summary] | None:
        key = (delivery.story_id, delivery.story_version)
        if key not in self._stories:
            story = await self.storage.get_story(delivery.story_id)
            summary = await self.storage.get_summary(story.id) if story else None
            self._stories[key] = (story, summary) if story and summary else None
        return self._stories[key]
