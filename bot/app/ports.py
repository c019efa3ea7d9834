"""What the run loop, the demo and the operator commands need from the parts the
composition root builds.

``storage.SqlStorage`` implements the store ports here (``OutboxGauge``, ``DemoStore``,
``OperatorStore``); ``storage.leader`` implements ``Leadership``, ``storage.notify``
implements ``Wakeup``, ``bot.feeds.watcher.Watcher`` implements ``Poller``,
``adapters.replay`` ``Replay`` and ``adapters.console`` ``Prompt``. The invariants of
``bot.core.ports`` hold; every store method raises ``StorageError`` when the database fails.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.core.domain import Delivery, Destination, Feed, Subscription

# ------------------------------------------------------------ the run loop (runner.py)


class PollReportLike(Protocol):
    """What one poll did, as the runner counts it for /metrics."""

    @property
    def new_articles(self) -> int: ...

    @property
    def polled(self) -> int: ...

    @property
    def not_modified(self) -> int: ...

    @property
    def unchanged(self) -> int: ...

    @property
    def failed(self) -> int: ...


class Poller(Protocol):
    """The polling stage as the runner drives it (``bot.feeds.watcher.Watcher``)."""

    async def poll_due(self) -> PollReportLike:
        """Called once per cycle: poll the feeds this process claims. Never raises for
        one feed's failure."""
        ...

    async def next_due_in(self) -> float:
        """Called after each cycle: seconds until a feed is due (the loop sleeps no
        longer than that)."""
        ...


class Leadership(Protocol):
    """Who owns work that must run in one process at a time across processes sharing a
    database: clustering and summarising (the leader), or a service such as Telegram's
    long polling (``bot.app.exclusive.ExclusiveService``)."""

    async def try_acquire(self) -> bool:
        """Called every cycle. Becomes the leader if nobody is; True while this process
        leads (checking, when it leads already, that its lock is still held)."""
        ...

    async def release(self) -> None:
        """Called at shutdown (and when a service fails to start). Gives leadership up;
        idempotent."""
        ...


class Wakeup(Protocol):
    """Tells the run loop that another process stored work (``storage.notify``)."""

    async def wait(self, within_s: float) -> bool:
        """Called between cycles. True when a notice came within ``within_s`` seconds,
        False when the time ran out; a broken listener may raise (the loop then sleeps
        out its tick)."""
        ...


class OutboxGauge(Protocol):
    """The outbox figures the runner publishes on /metrics after every cycle."""

    async def posted_story_ids(self) -> set[str]:
        """Called by ``newsbot eval stream``. Ids of the stories with an outbox post row
        (sent or not): the stories the bot decided to post."""
        ...

    async def count_deliveries(self) -> dict[str, int]:
        """Returns outbox rows by status (statuses without rows are absent)."""
        ...

    async def oldest_pending(self) -> datetime | None:
        """Returns when the oldest row still waiting (pending or in flight) was last
        changed; None when nothing waits."""
        ...


# ------------------------------------------------------------ the demo (demo.py)


class Replay(Protocol):
    """The demo's local feed server (``adapters.replay``)."""

    port: int

    def feed_urls(self) -> list[tuple[str, str]]:
        """(URL, outlet name) of every replayed feed."""
        ...

    def finished(self) -> bool:
        """Whether the replay has shown all its items."""
        ...


class Prompt(Protocol):
    """The console chat the demo opens after the replay (``adapters.console``)."""

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Reads commands until end of input, ``/quit`` or ``stop``."""
        ...


class DemoStore(Protocol):
    """What ``bot.app.demo`` sets up and watches in storage."""

    async def upsert_feed(
        self, url: str, name: str, *, allow_private: bool = False, added_by: str | None = None
    ) -> Feed:
        """Called once per replayed feed (on 127.0.0.1, hence ``allow_private``). Adds the
        feed, or updates the one with that URL, and returns it."""
        ...

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
        """Called once: the console chat follows every story. Returns the subscription
        and whether it was new."""
        ...

    async def list_feeds(self) -> list[Feed]:
        """Called after the replay, to poll every feed once more. Returns every feed in id
        order."""
        ...

    async def save_feed_state(self, feed: Feed) -> None:
        """Called after the replay with ``next_check_at=None``: the feed is due at once."""
        ...

    async def count_deliveries(self) -> dict[str, int]:
        """Called while the last updates drain. Returns outbox rows by status."""
        ...


# ------------------------------------------------------------ operators (cli.py)


class OperatorStore(Protocol):
    """What ``newsbot feeds`` and ``newsbot deliveries`` show and change."""

    async def list_feeds(self) -> list[Feed]:
        """Called by ``newsbot feeds``. Returns every feed, with its polling state, in id
        order."""
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
        """Called by ``newsbot feeds add`` and ``feeds import`` with a probed URL. Adds
        the feed (or finds the one with that URL) and gives it to ``scope``; returns it
        and whether the scope did not have it before."""
        ...

    async def unlink_feed(self, feed_id: int, scope: str) -> bool:
        """Called by ``newsbot feeds remove``. Takes the feed from ``scope``; a feed no
        scope uses any more is deleted. False when the scope did not have it."""
        ...

    async def set_feed_enabled(self, feed_id: int, enabled: bool) -> bool:
        """Called by ``newsbot feeds disable|enable``. A feed the operator disabled stays
        off (the config listing it again does not turn it on) until enabled here; False
        for an unknown id."""
        ...

    async def retire_config_feeds(self, urls: Sequence[str]) -> list[Feed]:
        """Called at start by the composition root with the config's feed URLs. Feeds the
        config listed before but lists no more lose the operator's scope; those no
        community uses are disabled. Returns them (with the scopes left) for the log."""
        ...

    async def count_deliveries(self) -> dict[str, int]:
        """Called by ``newsbot deliveries``. Returns outbox rows by status."""
        ...

    async def failed_deliveries(
        self, limit: int = 100, *, statuses: Sequence[str] = ("failed",)
    ) -> list[Delivery]:
        """Called by ``newsbot deliveries --failed`` (``--unconfirmed``: ``statuses`` is
        ``("unconfirmed",)``). Returns up to ``limit`` rows of ``statuses``, most recently
        changed first, each with its last error."""
        ...

    async def retry_failed(
        self,
        delivery_ids: Sequence[int] | None,
        *,
        now: datetime,
        statuses: Sequence[str] = ("failed",),
    ) -> int:
        """Called by ``newsbot deliveries --retry [ID ...]`` (with ``--unconfirmed``:
        ``statuses`` is ``("unconfirmed",)``). Puts these rows of ``statuses`` (all of them
        when ``delivery_ids`` is None) back in the queue, due at ``now`` with no attempts
        counted and no earlier request remembered; returns how many."""
        ...
