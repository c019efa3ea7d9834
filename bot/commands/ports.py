"""What the command handlers need from the rest of the system: their slice of storage,
and the probe that checks a feed address a person gave.

``storage.SqlStorage`` implements ``CommandStore``; ``adapters.feeds.probe`` implements
``FeedProbe``. The invariants of ``bot.core.ports`` hold: aware UTC datetimes, domain
values only. Every ``CommandStore`` method raises ``StorageError`` when the database fails;
the router turns that into a "try again later" answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.commands.lookback_ports import LookBackStore
from bot.core.domain import Article, Destination, Feed, Story, Subscription, Summary
from bot.delivery.ports import TranslationReader


class CommandStore(LookBackStore, TranslationReader, Protocol):
    """Everything the command groups (``bot.commands.feeds``, ``.stories`` and
    ``.subscriptions``, joined in ``bot.commands.router.Commands``) read and write."""

    # ------------------------------------------------------------ /addfeed /removefeed /feeds

    async def list_feeds(self) -> list[Feed]:
        """Called by ``/feeds``, ``/removefeed``, ``/addfeed`` (the scope's quota) and by
        the commands that show stories (what a chat's scope can see). Returns every feed,
        enabled or not, with its ``scopes``, in id order."""
        ...

    async def add_scoped_feed(
        self,
        url: str,
        name: str,
        *,
        scope: str,
        added_by: str,
        html_url: str | None = None,
        category: str = "",
    ) -> tuple[Feed, bool]:
        """Called by ``/addfeed`` and ``/import`` with a probed feed URL, the chat's
        ``scope`` and ``added_by`` the chat's key (``html_url`` and ``category``, the
        OPML folder, from an import). Adds the feed (or finds the one with that URL: it
        is polled once however many scopes use it) and gives it to ``scope``; returns it
        and whether the scope did not have it before."""
        ...

    async def unlink_feed(self, feed_id: int, scope: str) -> bool:
        """Called by ``/removefeed``. Takes the feed from ``scope``; a feed no scope uses
        any more is deleted. Returns False when the scope did not have it."""
        ...

    # ------------------------------------------------------------ /latest /expand /ask /mute

    async def recent_stories(self, limit: int, *, min_outlets: int = 1) -> list[Story]:
        """Called by ``/latest``, story-id completion and ``/subscribe`` (to show what
        matches). Returns up to ``limit`` stories with at least ``min_outlets`` outlets,
        newest first by ``updated_at``; merged stories are left out."""
        ...

    async def get_story(self, story_id: str) -> Story | None:
        """Called by every command that names a story. Returns it (the id is matched
        case-insensitively), following ``merged_into`` to the surviving story, so an id a
        person saw before a merge still works; None when there is none."""
        ...

    async def get_summary(self, story_id: str) -> Summary | None:
        """Called with ``get_story``. Returns the newest summary of the story, or None if
        it was never summarised (the command says it does not know the story)."""
        ...

    async def get_summary_version(self, story_id: str, version: int) -> Summary | None:
        """Called when a button names the version its post showed. Returns the summary of
        exactly that version, or None when it was never stored (or is gone)."""
        ...

    async def get_articles(self, ids: Sequence[int]) -> list[Article]:
        """Called to match stories against a topic, and by ``/ask`` for the text to answer
        from. Returns the articles with these ids in the order given; unknown ids are left
        out."""
        ...

    async def mute(self, destination: Destination, story_id: str, *, now: datetime) -> bool:
        """Called by ``/mute`` (the "Mute this story" button). The chat gets no more edits
        of the story; returns False when it was muted already."""
        ...

    # ------------------------------------------------------------ subscriptions

    async def add_subscription(
        self,
        destination: Destination,
        topic: str,
        *,
        breaking_only: bool,
        min_outlets: int,
        scope: str = "",
        only_ours: bool = False,
        ping_role: str | None = None,
    ) -> tuple[Subscription, bool]:
        """Called by ``/subscribe``. Subscribes the destination to ``topic`` (matched
        case-insensitively) with these options, un-pausing it; returns the subscription
        and whether it was new."""
        ...

    async def enqueue_deliveries(
        self, story: Story, subscriptions: Sequence[Subscription], *, now: datetime
    ) -> int:
        """Called by ``/subscribe`` for a new subscription: the newest matching story is
        posted at once. Adds one outbox row per (subscription, story), due at ``now``;
        pairs that have a row already are left alone. Returns the rows created."""
        ...

    async def remove_subscription(self, destination: Destination, topic: str) -> bool:
        """Called by ``/unsubscribe``. Returns whether the destination had the topic
        (matched case-insensitively)."""
        ...

    async def subscriptions_for(self, destination: Destination) -> list[Subscription]:
        """Called by ``/subscriptions`` and ``Commands.topics_of``. Returns the destination's
        subscriptions, paused ones too, in the order they were made."""
        ...

    async def set_paused(self, destination: Destination, paused: bool) -> int:
        """Called when an adapter sees the bot removed from or added back to a chat.
        Pauses or resumes every subscription of the destination (of every thread, when
        ``destination.thread_id`` is None); returns how many changed."""
        ...

    async def move_destination(self, old: Destination, new: Destination) -> int:
        """Called when a Telegram group becomes a supergroup and changes its id. Points
        every subscription of ``old`` at ``new``; returns how many moved."""
        ...


class FeedProbe(Protocol):
    """Checks a URL a person gave and finds its feed (autodiscovery); see ``adapters.feeds``."""

    async def probe(self, url: str) -> tuple[str, str]:
        """Called by ``/addfeed``. Returns (feed URL, feed title). Raises ``FeedError``
        subclasses with a reason in words."""
        ...


class ScopeUsageStore(Protocol):
    """LLM tokens per community and UTC day, for ``/usage`` and the per-scope budget
    (``bot.commands.usage``). Kept apart from the bot's global budget on purpose."""

    async def add_scope_usage(self, scope: str, day: str, tokens: int, cost_micro_usd: int) -> None:
        """Called after each ``/ask`` the model answered: adds its tokens and estimated
        cost (millionths of a dollar) to the scope's total of ``day`` (YYYY-MM-DD, UTC),
        atomically, so concurrent processes add up."""
        ...

    async def scope_usage(self, scope: str, since_day: str) -> list[tuple[str, int, int]]:
        """Called by ``/usage`` and before each ``/ask`` (the budget). Returns (day,
        tokens, cost in millionths of a dollar) of the scope's days from ``since_day``
        on, oldest first; days without use are absent."""
        ...


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    """One feed of an OPML file: its address, title, website and folder path
    (``"News/World"``; "" at the top)."""

    url: str
    title: str = ""
    html_url: str | None = None
    category: str = ""


class OpmlCodec(Protocol):
    """Reads and writes OPML feed lists (``adapters.feeds.opml``)."""

    max_bytes: int  # larger uploads are refused before they are read

    def read(self, data: bytes) -> list[OpmlFeed]:
        """Called by ``/import`` and ``newsbot feeds import``. Returns the file's feeds in
        order; raises ``FeedParseError`` with the reason in words for a file that is too
        big, not OPML, or hostile (entities, a DOCTYPE, too deep, too many outlines)."""
        ...

    def write(self, feeds: list[OpmlFeed], title: str) -> bytes:
        """Called by ``/export`` and ``newsbot feeds export``: an OPML 2.0 document."""
        ...
