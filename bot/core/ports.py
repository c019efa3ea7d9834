"""Ports: the small Protocols the core calls and the adapters and storage implement.

Invariants for every port: datetimes are timezone-aware UTC; values crossing a port
are the frozen dataclasses of ``bot.core.domain`` and ``bot.core.cards``; errors raised are
those of ``bot.core.errors`` (implementations wrap library errors with ``raise ... from``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from bot.core.cards import Card
from bot.core.domain import (
    Answer,
    Article,
    Delivery,
    Destination,
    Feed,
    FetchRequest,
    FetchResult,
    MessageRef,
    NewArticle,
    ParsedFeed,
    Story,
    Subscription,
    Summary,
)


class Clock(Protocol):
    """The only source of "now" for the core, so decisions are testable."""

    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...


class FeedFetcher(Protocol):
    """Fetches feed documents over the network. Implemented in ``adapters.feeds``."""

    async def fetch(self, request: FetchRequest) -> FetchResult:
        """One conditional GET. Called by the watcher for each due feed.

        Returns the result for 200 and 304. Raises ``FetchError`` for anything else
        (``UnsafeURLError`` for a refused address, ``transient`` says whether to retry).
        """
        ...

    async def close(self) -> None:
        """Release connections. Called once at shutdown."""
        ...


class FeedParser(Protocol):
    """Turns a fetched body into entries. Implemented in ``adapters.feeds``."""

    async def parse(self, body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed:
        """Parse off the event loop. Raises ``FeedParseError`` with a reason in words."""
        ...


class Summarizer(Protocol):
    """Writes a grounded summary of one story. Extractive in the core, LLM in adapters."""

    async def summarize(self, story: Story, articles: Sequence[Article]) -> Summary:
        """Called by the pipeline once per story version. Raises ``SummaryError``."""
        ...

    async def answer(self, story: Story, articles: Sequence[Article], question: str) -> Answer:
        """Answer only from the story's articles. Called by ``/ask``."""
        ...


class ArticleTextSource(Protocol):
    """Fetches an article's page and extracts its main text (``adapters.feeds``)."""

    def needs_article_text(self, feed_text: str) -> bool:
        """Whether the feed's own text is too short to summarise from."""
        ...

    async def article_text(self, url: str, *, allow_private: bool = False) -> str | None:
        """The page's main text, or None. Never raises for one page."""
        ...


class Messenger(Protocol):
    """Sends cards to one platform. Implemented by each chat adapter."""

    platform: str

    async def send(self, destination: Destination, card: Card, *, nonce: str) -> MessageRef:
        """Post a new message. ``nonce`` is deterministic per delivery so that a platform
        with idempotency keys can drop a resend. Raises ``DeliveryError`` subclasses."""
        ...

    async def edit(self, ref: MessageRef, card: Card) -> None:
        """Replace a message we posted. Raises ``DeliveryError`` subclasses."""
        ...

    async def reply(self, ref: MessageRef, card: Card, *, nonce: str) -> MessageRef:
        """Post ``card`` as a reply to (or in a thread under) ``ref``."""
        ...


class FeedStore(Protocol):
    async def upsert_feed(
        self, url: str, name: str, *, allow_private: bool = False, added_by: str | None = None
    ) -> Feed:
        """Add a feed or return the existing one with that URL (configured and user feeds)."""
        ...

    async def list_feeds(self) -> list[Feed]: ...

    async def due_feeds(self, now: datetime, limit: int) -> list[Feed]:
        """Enabled feeds whose ``next_check_at`` is unset or not after ``now``."""
        ...

    async def claim_due_feeds(self, now: datetime, limit: int, lease_s: float) -> list[Feed]:
        """Due feeds (as ``due_feeds``) taken for this process: their ``next_check_at``
        moves to ``now + lease_s`` at once, so another process sharing the database skips
        them. The poll then saves the real next check; a crashed poll's feeds come back
        when the lease ends. Returns the feeds as they were before the claim."""
        ...

    async def earliest_next_check(self) -> tuple[bool, datetime | None]:
        """(whether any feed is enabled, the earliest ``next_check_at`` among enabled
        feeds; None when one has never been checked). The run loop sleeps until then."""
        ...

    async def save_feed_state(self, feed: Feed) -> None:
        """Persist the polling state fields of ``feed`` (matched by id)."""
        ...

    async def remove_feed(self, feed_id: int) -> None: ...


class ArticleStore(Protocol):
    async def add_articles(self, articles: Sequence[NewArticle]) -> list[Article]:
        """Store the articles not seen before (same canonical URL or same feed+guid are
        duplicates) and return only the newly stored ones, with ids."""
        ...

    async def get_articles(self, ids: Sequence[int]) -> list[Article]: ...

    async def recent_articles(self, since: datetime) -> list[Article]:
        """Articles published or fetched since ``since``, oldest first (clustering restore)."""
        ...

    async def set_article_story(self, article_id: int, story_id: str) -> None: ...

    async def unclustered_articles(self, limit: int, *, after_id: int = 0) -> list[Article]:
        """Up to ``limit`` articles with no story yet and an id above ``after_id``, oldest
        first: the clustering process picks up what every process stored."""
        ...

    async def set_article_text(self, article_id: int, text: str) -> None:
        """Replace a short feed description with the article page's main text."""
        ...


class StoryStore(Protocol):
    async def save_story(self, story: Story) -> None:
        """Insert or replace a story by id."""
        ...

    async def get_story(self, story_id: str) -> Story | None:
        """The story, following ``merged_into`` to the surviving story."""
        ...

    async def recent_stories(self, limit: int, *, min_outlets: int = 1) -> list[Story]:
        """Newest first by ``updated_at``; merged stories are left out."""
        ...

    async def story_ids(self) -> set[str]:
        """Every story id ever used, so a new id never reuses an old one."""
        ...

    async def save_summary(self, summary: Summary) -> None: ...

    async def unsummarised_stories(self, min_outlets: int, limit: int) -> list[Story]:
        """Live stories with at least ``min_outlets`` outlets whose current version has no
        summary yet (left so by a process that died between clustering and summarising)."""
        ...

    async def get_summary(self, story_id: str) -> Summary | None:
        """The newest summary of the story, or None if it was never summarised."""
        ...

    async def get_summary_version(self, story_id: str, version: int) -> Summary | None:
        """The summary of one version of the story exactly as ``story_id`` (merges not
        followed), or None when that version was never summarised. Called when a button of
        an older post is pressed (``StoryCommands``), to show what that post showed."""
        ...


class SubscriptionStore(Protocol):
    async def add_subscription(
        self, destination: Destination, topic: str, *, breaking_only: bool, min_outlets: int
    ) -> tuple[Subscription, bool]:
        """Subscribe; returns the subscription and whether it was new."""
        ...

    async def remove_subscription(self, destination: Destination, topic: str) -> bool: ...

    async def subscriptions_for(self, destination: Destination) -> list[Subscription]: ...

    async def active_subscriptions(self) -> list[Subscription]: ...

    async def set_paused(self, destination: Destination, paused: bool) -> int:
        """Pause or resume every subscription of a destination; returns how many changed."""
        ...

    async def move_destination(self, old: Destination, new: Destination) -> int:
        """Point every subscription of ``old`` at ``new`` (a group that changed its id)."""
        ...

    async def mute(self, destination: Destination, story_id: str, *, now: datetime) -> bool:
        """No more updates of one story in one chat; False when already muted."""
        ...

    async def is_muted(self, destination: Destination, story_id: str) -> bool: ...


class DeliveryStore(Protocol):
    """The outbox (see ``storage/outbox.py`` for the row states)."""

    async def enqueue_deliveries(
        self, story: Story, subscriptions: Sequence[Subscription], *, now: datetime
    ) -> int:
        """One outbox row per (subscription, story), due at ``now`` (the caller's clock);
        existing pairs are left alone. Returns rows created."""
        ...

    async def enqueue_updates(self, story: Story, *, now: datetime, debounce_s: float) -> int:
        """A new story version: shown posts become edits due after ``debounce_s``; unsent
        rows show the newest version. Muted chats are skipped. Returns edits queued."""
        ...

    async def claim_deliveries(
        self,
        now: datetime,
        limit: int,
        *,
        owner: str,
        lease_s: float,
        idempotent_platforms: Collection[str] = (),
        platforms: Collection[str] | None = None,
    ) -> list[Delivery]:
        """Lease due rows (of ``platforms`` only, when given), oldest first; a row waits
        behind an earlier row of its chat that another owner has in flight, or that waits
        to be retried. Expired leases are recovered first."""
        ...

    async def mark_sending(self, delivery_id: int) -> None: ...

    async def mark_delivered(
        self, delivery_id: int, message_id: str, *, version: int | None = None
    ) -> None: ...

    async def mark_failed(
        self, delivery_id: int, reason: str, *, retry_at: datetime | None
    ) -> None:
        """Record a failed attempt; ``retry_at=None`` makes it final (dead letter)."""
        ...

    async def mark_unconfirmed(self, delivery_id: int, reason: str) -> None:
        """The send may or may not have arrived; never retried (at-most-once)."""
        ...

    async def mark_skipped(self, delivery_id: int, reason: str) -> None: ...

    async def release_deliveries(self, delivery_ids: Sequence[int]) -> None: ...

    async def pending_deliveries(self, now: datetime, limit: int) -> list[Delivery]: ...

    async def failed_deliveries(self, limit: int = 100) -> list[Delivery]: ...

    async def retry_failed(self, delivery_ids: Sequence[int] | None, *, now: datetime) -> int: ...

    async def message_refs(self, story_id: str) -> list[MessageRef]:
        """Where a story was posted."""
        ...

    async def count_deliveries(self) -> dict[str, int]: ...

    async def oldest_pending(self) -> datetime | None: ...


class Storage(FeedStore, ArticleStore, StoryStore, SubscriptionStore, DeliveryStore, Protocol):
    """Everything the core persists. One implementation per database in ``storage/``."""

    async def close(self) -> None: ...
