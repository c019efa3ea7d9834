"""Making outbox rows: one post per destination for a story a chat should see, and, for
a story's new version, edits of the posts already shown (``storage.outbox`` says how rows
are claimed and settled)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.core.domain import Story, Subscription
from storage.base import SqlBase, destination_value
from storage.models import DeliveryRow, MuteRow, SubscriptionRow
from storage.outbox import IN_FLIGHT

INSERT_CHUNK = 1000  # outbox rows per INSERT statement


class OutboxEnqueue(SqlBase):
    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        # The stories a batch changed queue their edits together (``storage.coalesce``).
        self._update_writes = self.coalescer(self._enqueue_update_batch, most=500)

    async def enqueue_deliveries(
        self, story: Story, subscriptions: Sequence[Subscription], *, now: datetime
    ) -> int:
        if not subscriptions:
            return 0

        async def work(s: AsyncSession) -> int:
            # A chat with several matching topics gets the story once: one row per
            # destination, and none where another subscription of that chat already has one.
            queued = await s.execute(
                select(SubscriptionRow)
                .join(DeliveryRow, DeliveryRow.subscription_id == SubscriptionRow.id)
                .where(DeliveryRow.story_id == story.id)
            )
            seen = {destination_value(sub).key for sub in queued.scalars()}
            wanted = []
            for sub in subscriptions:
                if sub.destination.key not in seen:
                    seen.add(sub.destination.key)
                    wanted.append(sub)
            if not wanted:
                return 0
            created = 0
            # Bound each statement's parameters (PostgreSQL allows 32,767 per statement).
            for start in range(0, len(wanted), INSERT_CHUNK):
                created += await self._insert_rows(
                    s, story, wanted[start : start + INSERT_CHUNK], now
                )
            return created

        result: int = await self.run_together(work)
        return result

    async def _insert_rows(
        self, s: AsyncSession, story: Story, wanted: Sequence[Subscription], now: datetime
    ) -> int:
        statement = (
            self.insert(DeliveryRow)
            .values(
                [
                    {
                        "subscription_id": sub.id,
                        "story_id": story.id,
                        "story_version": story.version,
                        "kind": "post",
                        "status": "pending",
                        "attempts": 0,
                        "created_at": now,
                        "updated_at": now,
                        "next_attempt_at": now,
                        "shown_version": 0,
                    }
                    for sub in wanted
                ]
            )
            .on_conflict_do_nothing(index_elements=["subscription_id", "story_id"])
        )
        result = await s.execute(statement)
        return int(getattr(result, "rowcount", 0))

    async def enqueue_updates(self, story: Story, *, now: datetime, debounce_s: float) -> int:
        """A new version of ``story``: posts already shown become edits, due after the
        debounce (later versions in the meantime fold into the same edit); rows not yet
        sent simply show the newest version. Muted chats are left alone."""
        return await self._update_writes.submit((story, now, debounce_s))

    async def _enqueue_update_batch(
        self, updates: Sequence[tuple[Story, datetime, float]]
    ) -> list[int]:
        """``enqueue_updates`` for many stories in one transaction: one look finds the
        stories that have outbox rows at all (most new versions have none yet)."""

        async def work(s: AsyncSession) -> list[int]:
            ids = sorted({story.id for story, _, _ in updates})
            owed: set[str] = set()
            for start in range(0, len(ids), INSERT_CHUNK):
                query = select(DeliveryRow.story_id).where(
                    DeliveryRow.story_id.in_(ids[start : start + INSERT_CHUNK])
                )
                owed.update((await s.execute(query.distinct())).scalars())
            return [
                await _update_rows(s, story, now, debounce_s) if story.id in owed else 0
                for story, now, debounce_s in updates
            ]

        result: list[int] = await self.run(work)
        return result


async def _update_rows(s: AsyncSession, story: Story, now: datetime, debounce_s: float) -> int:
    muted = exists(
        select(MuteRow.id).where(
            MuteRow.story_id == story.id,
            MuteRow.platform == SubscriptionRow.platform,
            MuteRow.chat_id == SubscriptionRow.chat_id,
            MuteRow.thread_id == SubscriptionRow.thread_id,
        )
    )
    targets = (
        select(DeliveryRow.id)
        .join(SubscriptionRow, SubscriptionRow.id == DeliveryRow.subscription_id)
        .where(DeliveryRow.story_id == story.id, ~muted)
    )
    edits = await s.execute(
        update(DeliveryRow)
        .where(
            DeliveryRow.id.in_(targets),
            # An unconfirmed row with a message id is a shown post whose update
            # (a reply in place of an edit) may not have arrived: the post itself
            # is there, so later versions still edit it.
            DeliveryRow.status.in_(("sent", "unconfirmed")),
            DeliveryRow.message_id.is_not(None),
            DeliveryRow.shown_version < story.version,
        )
        .values(
            status="pending",
            kind="edit",
            story_version=story.version,
            attempts=0,
            next_attempt_at=now + timedelta(seconds=debounce_s),
            updated_at=now,
        )
    )
    await s.execute(
        update(DeliveryRow)
        .where(DeliveryRow.id.in_(targets), DeliveryRow.status.in_(("pending", *IN_FLIGHT)))
        .values(story_version=story.version)
    )
    return int(getattr(edits, "rowcount", 0))
