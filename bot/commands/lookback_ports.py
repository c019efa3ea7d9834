"""What ``/catchup``, ``/search`` and ``/settings`` need from storage (part of
``CommandStore``; ``storage.SqlStorage`` implements it). Every method raises
``StorageError`` when the database fails."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.core.domain import ChatSettings, Destination, Digest, Story
from bot.stories.topics import TopicQuery


class LookBackStore(Protocol):
    async def search_stories(
        self, query: TopicQuery, *, limit: int, offset: int = 0, since: datetime | None = None
    ) -> list[Story]:
        """Called by ``/search`` and by ``/catchup <topic>``. Returns up to ``limit``
        summarised, unmerged stories whose headline, summary or article titles match the
        query in the database's full-text index, skipping ``offset``, newest first by
        ``updated_at``; with ``since``, only stories updated since then. Options of the
        query (``--breaking``, ``--outlets``) are not applied here."""
        ...

    async def stories_since(self, since: datetime, *, min_outlets: int, limit: int) -> list[Story]:
        """Called by ``/catchup``. Returns up to ``limit`` unmerged stories with at least
        ``min_outlets`` outlets updated at or after ``since``, newest first."""
        ...

    async def chat_settings(self, destination: Destination) -> ChatSettings:
        """Called by ``/settings`` and ``/catchup``. The chat's settings; defaults (UTC,
        never caught up) for a chat that never set any."""
        ...

    async def set_timezone(self, destination: Destination, timezone: str) -> None:
        """Called by ``/settings timezone``, with an IANA name already checked."""
        ...

    async def set_language(self, destination: Destination, language: str | None) -> None:
        """Called by ``/language``, with a BCP 47 tag already checked; None returns the
        chat to the default (its platform's locale, else ``[bot] language``)."""
        ...

    async def note_language_hint(self, destination: Destination, hint: str) -> None:
        """Called when a chat subscribes: remembers its platform's locale, so posts to a
        chat that chose no language are in the language of the person who set it up."""
        ...

    async def mark_caught_up(
        self, destination: Destination, *, window_from: datetime, at: datetime
    ) -> None:
        """Called by ``/catchup`` when it shows its first page: the next catch-up starts at
        ``at``, and later pages of this one reuse the window ``[window_from, at)``."""
        ...

    async def set_digest(
        self, subscription_id: int, schedule: str, *, next_due_at: datetime, covers_from: datetime
    ) -> None:
        """Called by ``/subscribe … --digest`` and when the chat's time zone changes. Puts
        the subscription in digest mode (its stories stop being posted one by one) due at
        ``next_due_at``; a new digest covers stories from ``covers_from``, an existing one
        keeps where it was."""
        ...

    async def clear_digest(self, subscription_id: int) -> bool:
        """Called by ``/subscribe`` without ``--digest``: stories are posted one by one
        again. Returns whether the subscription was in digest mode."""
        ...

    async def digests_for(self, destination: Destination) -> list[Digest]:
        """Called by ``/subscriptions`` and ``/settings timezone``: the destination's
        subscriptions in digest mode, in the order they were made."""
        ...
