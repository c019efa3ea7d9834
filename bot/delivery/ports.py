"""What the dispatcher needs from storage: the outbox (see ``storage/outbox.py`` for the
row states) and the stories its rows show.

``storage.SqlStorage`` implements it. The invariants of ``bot.core.ports`` hold: aware UTC
datetimes, domain values only, and every method raises ``StorageError`` when the database
fails (a failure while handling one row is recorded on that row as a retry; a failed
claim fails the pass, and the runner tries again next cycle).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from bot.core.domain import ChatSettings, Delivery, Destination, Story, Summary
from bot.delivery.digest_ports import DigestReader


class SenderElection(Protocol):
    """Which process sends to each platform. One elected sender per platform keeps the
    platform's global rate limit for the bot as a whole, however many processes run
    (``storage.leader.PlatformSenders``: a PostgreSQL advisory lock per platform)."""

    async def holds(self, platform: str) -> bool:
        """Called by the dispatcher before it claims rows of ``platform`` and every few
        seconds during a pass. True while this process is the platform's sender: wins the
        role when nobody holds it (a dead sender's session, and with it the role, ends
        with its connection). Never raises: a database error reads as False."""
        ...

    async def release(self) -> None:
        """Called at shutdown: gives every role up so another process takes over now."""
        ...


class TranslationReader(Protocol):
    """Stored translations of summaries, as ``bot.delivery.translated.SummaryReader``
    reads them for everything that shows a summary to a chat (posts, digests, commands,
    the story page)."""

    async def get_translation(
        self, story_id: str, story_version: int, language: str
    ) -> Summary | None:
        """Called when a chat's language differs from the summary's. Returns that summary
        version as translated for ``language`` (``bot.summaries.translator``); None when
        none was made (chats then read the original)."""
        ...


class DispatcherStore(DigestReader, TranslationReader, Protocol):
    """Everything ``bot.delivery.dispatcher.Dispatcher`` reads and writes."""

    async def chat_settings(self, destination: Destination) -> ChatSettings:
        """Called once per chat and pass for the chat's language (see
        ``LookBackStore.chat_settings``)."""
        ...

    # ------------------------------------------------------------ taking work

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
        """Called at the start of each pass. Leases up to ``limit`` due rows (of
        ``platforms`` only, when given) to ``owner`` for ``lease_s``, oldest first, and
        returns them. A row waits behind an earlier row of its chat that another owner has
        in flight, or that waits to be retried; rows of paused subscriptions wait too.
        Expired leases are recovered first: a claimed row goes back to pending, a row left
        ``sending`` does so only on ``idempotent_platforms`` and is unconfirmed elsewhere."""
        ...

    async def take_over_deliveries(self, platform: str, *, owner: str, now: datetime) -> int:
        """Called when this process was just elected ``platform``'s sender: the previous
        sender is gone (its session, and with it the role, ended), so the leases other
        owners hold on the platform's rows end now (at ``now``) instead of after
        ``lease_s``. The next claim recovers them as it recovers any expired lease.
        Returns how many rows were affected."""
        ...

    async def release_deliveries(self, delivery_ids: Sequence[int]) -> None:
        """Called for rows a pass will not send after all (stopping, lease running out,
        platform disabled). Gives claimed rows back untouched, due as before."""
        ...

    # ------------------------------------------------------------ what a row shows

    async def get_story(self, story_id: str) -> Story | None:
        """Called once per (story, version) in a pass. Returns the story, following
        ``merged_into`` to the surviving story; None when there is none (the row fails)."""
        ...

    async def get_summary(self, story_id: str) -> Summary | None:
        """Called with ``get_story``. Returns the newest summary of the story; None when it
        was never summarised (the row fails)."""
        ...

    async def is_muted(self, destination: Destination, story_id: str) -> bool:
        """Called before an edit: whether the chat muted the story (``/mute``)."""
        ...

    # ------------------------------------------------------------ recording outcomes

    async def mark_sending(self, delivery_id: int, *, now: datetime, lease_s: float) -> None:
        """Called just before a new message (a post, a notice, or a reply standing in for
        an edit). Records ``now`` as the first request's time unless the row has one
        (``Delivery.send_started_at``) and shortens the lease to ``lease_s``. After a crash
        a row in this state may have arrived: on a platform that cannot dedupe a resend it
        becomes unconfirmed and is never sent again; elsewhere it is claimable again when
        the lease ends (the dispatcher resends only while the nonce still dedupes)."""
        ...

    async def mark_delivered(
        self, delivery_id: int, message_id: str, *, version: int | None = None
    ) -> None:
        """Called after a send or edit the platform confirmed. Records ``message_id`` and
        the story ``version`` shown (default: the row's). A row whose story got a newer
        version while this one was on its way comes back at once as a pending edit."""
        ...

    async def mark_failed(
        self, delivery_id: int, reason: str, *, retry_at: datetime | None, refused: bool = False
    ) -> None:
        """Called after a failed attempt; counts the attempt and keeps ``reason``. The row
        is due again at ``retry_at``; ``retry_at=None`` makes it final (a dead letter an
        operator can retry). ``refused``: the platform turned the request away (a 429), so
        no message exists and the row's first-request time is cleared."""
        ...

    async def mark_unconfirmed(self, delivery_id: int, reason: str) -> None:
        """Called when a send may or may not have arrived (the answer was lost). The row
        is never retried (at-most-once)."""
        ...

    async def mark_skipped(self, delivery_id: int, reason: str) -> None:
        """Called for an edit of a story the chat muted; the row is done, unsent."""
        ...

    async def set_paused(self, destination: Destination, paused: bool) -> int:
        """Called with ``paused=True`` when a platform refuses a chat for good (the bot was
        blocked or removed). Pauses every subscription of the destination (of every
        thread, when ``destination.thread_id`` is None); returns how many changed."""
        ...
