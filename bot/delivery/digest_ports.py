"""What the digest scheduler (``bot.delivery.digests``) needs from storage;
``storage.SqlStorage`` implements it. Every method raises ``StorageError`` when the
database fails (the runner logs it and tries again next cycle)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.core.domain import Article, ChatSettings, Destination, Digest, DigestIssue, Story


class DigestStore(Protocol):
    async def due_digests(self, now: datetime, limit: int) -> list[Digest]:
        """Called every runner cycle. Up to ``limit`` digests of unpaused subscriptions
        due at or before ``now``, the longest overdue first."""
        ...

    async def issue_digest(
        self,
        digest: Digest,
        *,
        covers_until: datetime,
        story_ids: Sequence[str],
        next_due_at: datetime,
    ) -> bool:
        """Called for each due digest. In one transaction: records the digest listing
        ``story_ids`` (stories updated from ``digest.covers_from`` to ``covers_until``),
        adds its outbox row (none when ``story_ids`` is empty) and moves the schedule to
        ``next_due_at``, the next digest covering from ``covers_until``. Returns False,
        changing nothing, when the schedule no longer shows ``digest.next_due_at``
        (another process issued it, or the chat changed the schedule)."""
        ...

    async def stories_since(self, since: datetime, *, min_outlets: int, limit: int) -> list[Story]:
        """Called to fill a digest (see ``LookBackStore.stories_since``)."""
        ...

    async def get_articles(self, ids: Sequence[int]) -> list[Article]:
        """Called to match a digest's candidate stories against its topic (see
        ``CommandStore.get_articles``)."""
        ...

    async def chat_settings(self, destination: Destination) -> ChatSettings:
        """Called for the chat's time zone, to compute the next due time."""
        ...


class DigestReader(Protocol):
    """What the dispatcher reads to send a digest row (part of ``DispatcherStore``)."""

    async def digest_issue(self, key: str) -> DigestIssue | None:
        """Called for an outbox row of kind ``digest``: the digest its ``story_id`` names,
        or None when there is none (the row fails)."""
        ...
