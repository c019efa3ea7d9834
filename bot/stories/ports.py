"""What the story pipeline needs from storage: articles in, stories and summaries out,
and the outbox rows a story owes its subscribers.

``storage.SqlStorage`` implements it. The invariants of ``bot.core.ports`` hold: aware UTC
datetimes, domain values only, and every method raises ``StorageError`` when the database
fails (the runner logs the failed cycle; the next one picks up what is left).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from bot.core.domain import (
    Article,
    ChatSettings,
    Destination,
    Feed,
    Story,
    Subscription,
    Summary,
)


class PipelineStore(Protocol):
    """Everything ``bot.stories.pipeline.Pipeline`` and its ``Publisher`` read and write."""

    # ------------------------------------------------------------ articles

    async def unclustered_articles(self, limit: int, *, after_id: int = 0) -> list[Article]:
        """Called by ``Pipeline.process_stored``, batch after batch. Returns up to ``limit``
        articles with no story yet and an id above ``after_id``, oldest first: the
        clustering process picks up what every process stored. [] when ``limit`` <= 0."""
        ...

    async def recent_articles(self, since: datetime) -> list[Article]:
        """Called by ``Pipeline.restore`` to rebuild the clusterer. Returns the articles
        published or fetched since ``since``, in id order, clustered or not."""
        ...

    async def get_articles(self, ids: Sequence[int]) -> list[Article]:
        """Called when a story is updated or summarised. Returns the articles with these
        ids in the order given; unknown ids are left out."""
        ...

    async def set_article_text(self, article_id: int, text: str) -> None:
        """Called when an article page's main text beats a short feed description;
        replaces the stored text so later summaries start from it."""
        ...

    # ------------------------------------------------------------ stories and summaries

    async def story_ids(self, since: datetime) -> set[str]:
        """Called by ``Pipeline.restore``. Returns the ids of stories (merged ones too)
        updated at or after ``since``: the active window, not the whole history."""
        ...

    async def taken_story_ids(self, candidates: Collection[str]) -> set[str]:
        """Called before clustering with fresh id candidates. Returns those that some
        stored story (of any age) already uses, so a new id never reuses an old one."""
        ...

    async def get_story(self, story_id: str) -> Story | None:
        """Called when clustering changes a story. Returns the story (the id is matched
        case-insensitively), following ``merged_into`` to the surviving story; None when
        there is none."""
        ...

    async def save_story(self, story: Story) -> None:
        """Called for every new story version, merge and new headline. Inserts or
        replaces the story by id, and points the articles in its ``article_ids`` at it."""
        ...

    async def unsummarised_stories(self, min_outlets: int, limit: int) -> list[Story]:
        """Called by ``Publisher.publish_unsummarised`` after a restore. Returns up to
        ``limit`` live stories with at least ``min_outlets`` outlets whose current version
        has no summary yet (left so by a process that died between clustering and
        summarising), most recently updated first: news before a first start's old items,
        which may be thousands."""
        ...

    async def get_summary(self, story_id: str) -> Summary | None:
        """Called before summarising, to skip a version already summarised and to say
        what changed since the last one. Returns the newest summary of the story, or None
        if it was never summarised."""
        ...

    async def save_summary(self, summary: Summary) -> None:
        """Called once per summarised story version; replaces a summary of the same
        (story, version)."""
        ...

    # ------------------------------------------------------------ who gets what

    async def get_feeds(self, ids: Collection[int]) -> dict[int, Feed]:
        """Called for the feeds of the articles a story's summary reads, once per feed
        and batch: a feed's ``created_at`` decides whether its items are news, its
        ``allow_private`` whether its pages may be fetched, and its ``scopes`` which
        subscriptions may see its articles. Returns the feeds that exist, enabled or not,
        by id."""
        ...

    async def active_subscriptions(self) -> list[Subscription]:
        """Called once per batch, to match the changed stories against. Returns every
        subscription that is not paused and not in digest mode, in id order."""
        ...

    async def enqueue_deliveries(
        self, story: Story, subscriptions: Sequence[Subscription], *, now: datetime
    ) -> int:
        """Called for each summarised story with the subscriptions it matches. Adds one
        outbox row per (subscription, story), due at ``now`` (the caller's clock); pairs
        that have a row already are left alone. Returns the rows created."""
        ...

    async def enqueue_updates(self, story: Story, *, now: datetime, debounce_s: float) -> int:
        """Called for a story's new version (2 or later). Posts already shown become edits
        due after ``debounce_s`` (later versions meanwhile fold into the same edit); rows
        not yet sent show the newest version. Muted chats are left alone. Returns the
        edits queued."""
        ...

    # ------------------------------------------------------------ chats

    async def chat_settings_for(
        self, destinations: Collection[Destination]
    ) -> dict[Destination, ChatSettings]:
        """Called after matching, when summaries are translated, with the destinations the
        story goes to. Returns each one's settings (defaults for a chat that set none), in
        a few queries however many chats there are."""
        ...


class RetentionStore(Protocol):
    """What ``bot.stories.retention.Pruner`` prunes."""

    async def prune(
        self, *, text_before: datetime, outbox_before: datetime, limit: int
    ) -> dict[str, int]:
        """Called every ``[retention] prune_every_s``, repeatedly while there is more.
        In one transaction, at most ``limit`` rows of each kind: blanks the text of
        articles fetched before ``text_before``; deletes summary versions created before
        it that a newer version of their story superseded (the newest always stays);
        deletes finished outbox rows (sent, skipped, failed, unconfirmed) last changed
        before ``outbox_before`` whose story is closed (not updated since
        ``text_before``) or that are notices. Returns the counts by kind
        (``article_texts``, ``summaries``, ``deliveries``)."""
        ...
