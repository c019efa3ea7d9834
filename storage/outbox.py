"""The outbox: one row per (subscription, story), claimed with a lease, never lost.

Row states::

    pending ──claim──▶ claimed ──mark_sending──▶ sending ──▶ sent
       ▲                  │                         │  ├──▶ pending (retry later) / failed
       └── lease expired ─┘                         │  └──▶ unconfirmed (ambiguous)
                                lease expired ──────┘
                                  idempotent platform: back to pending (the nonce dedupes)
                                  otherwise: unconfirmed (at-most-once, never resent)

A living story's new version turns shown rows (sent, or unconfirmed with a message id)
back into pending *edits*; edits skip ``sending`` (the same edit twice is harmless), and a
row delivered while a newer version arrived comes back as an edit at once.

A row waits while an earlier row of the same destination is in flight or waiting for a
retry, so per-channel order holds. On PostgreSQL claims use FOR UPDATE SKIP LOCKED so
several processes share the work.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, any_, case, exists, func, or_, select, true, update
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from bot.core.domain import Delivery
from storage.base import SqlBase, destination_value, utc_now
from storage.models import DeliveryRow, SubscriptionRow

IN_FLIGHT = ("claimed", "sending")


def delivery_value(d: DeliveryRow, sub: SubscriptionRow) -> Delivery:
    return Delivery(
        id=d.id,
        subscription_id=d.subscription_id,
        destination=destination_value(sub),
        story_id=d.story_id,
        story_version=d.story_version,
        kind=d.kind,  # type: ignore[arg-type]
        status=d.status,  # type: ignore[arg-type]
        attempts=d.attempts,
        message_id=d.message_id,
        last_error=d.last_error,
        created_at=d.created_at,
        ping_role=sub.ping_role,
        send_started_at=d.send_started_at,
        body=d.body,
    )


class OutboxStorage(SqlBase):
    """Claiming and settling outbox rows (``storage.outbox_enqueue`` makes them)."""

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
        """Lease up to ``limit`` due rows (of ``platforms``, when given), oldest first,
        keeping per-destination order."""

        async def work(s: AsyncSession) -> list[Delivery]:
            await self._recover_expired(s, now, idempotent_platforms)
            d2 = aliased(DeliveryRow)
            s2 = aliased(SubscriptionRow)
            blocking = (
                select(d2.id)
                .join(s2, s2.id == d2.subscription_id)
                .where(
                    s2.platform == SubscriptionRow.platform,
                    s2.chat_id == SubscriptionRow.chat_id,
                    s2.thread_id == SubscriptionRow.thread_id,
                    d2.id < DeliveryRow.id,
                    or_(
                        # This owner's own rows in flight do not block: its send queue
                        # keeps a chat's rows in order, and taking them in one claim
                        # saves a claim per row of every chat with several stories.
                        and_(
                            d2.status.in_(IN_FLIGHT),
                            or_(d2.lease_owner.is_(None), d2.lease_owner != owner),
                        ),
                        and_(d2.status == "pending", d2.next_attempt_at > now),
                    ),
                )
            )
            query = (
                select(DeliveryRow.id)
                .join(SubscriptionRow, SubscriptionRow.id == DeliveryRow.subscription_id)
                .where(
                    DeliveryRow.status == "pending",
                    DeliveryRow.next_attempt_at <= now,
                    SubscriptionRow.paused.is_(False),
                    ~exists(blocking),
                )
                .where(self._platform_in(platforms))
                .order_by(DeliveryRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True, of=DeliveryRow)
            )
            ids = list((await s.execute(query)).scalars())
            if not ids:
                return []
            await s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id.in_(ids))
                .values(
                    status="claimed",
                    lease_owner=owner,
                    lease_until=now + timedelta(seconds=lease_s),
                )
            )
            rows = await s.execute(
                select(DeliveryRow, SubscriptionRow)
                .join(SubscriptionRow, SubscriptionRow.id == DeliveryRow.subscription_id)
                .where(DeliveryRow.id.in_(ids))
                .order_by(DeliveryRow.id)
            )
            return [delivery_value(d, sub) for d, sub in rows.tuples()]

        result: list[Delivery] = await self.run(work)
        return result

    def _platform_in(self, platforms: Collection[str] | None) -> ColumnElement[bool]:
        if platforms is None:
            return true()
        if self.dialect != "postgresql":
            return SubscriptionRow.platform.in_(tuple(platforms))
        # "= ANY(array)", not "IN (...)": PostgreSQL turns a one-value IN into "=", carries
        # the constant into the blocking subquery's join and, on fresh statistics (a fan-out
        # just enqueued), picks a nested loop that rescans every chat per row (minutes).
        return SubscriptionRow.platform == any_(array(list(platforms), type_=String()))

    async def take_over_deliveries(self, platform: str, *, owner: str, now: datetime) -> int:
        """End every lease other owners hold on ``platform``'s rows (a new elected sender
        takes over a dead one's); the next claim recovers them as after a crash."""

        async def work(s: AsyncSession) -> int:
            subs = select(SubscriptionRow.id).where(SubscriptionRow.platform == platform)
            result = await s.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.status.in_(IN_FLIGHT),
                    DeliveryRow.subscription_id.in_(subs),
                    or_(DeliveryRow.lease_owner.is_(None), DeliveryRow.lease_owner != owner),
                )
                .values(lease_until=now - timedelta(seconds=1))
            )
            return int(getattr(result, "rowcount", 0))

        result: int = await self.run(work)
        return result

    async def _recover_expired(
        self, s: AsyncSession, now: datetime, idempotent_platforms: Collection[str]
    ) -> None:
        expired = and_(DeliveryRow.lease_until.is_not(None), DeliveryRow.lease_until < now)
        await s.execute(
            update(DeliveryRow)
            .where(DeliveryRow.status == "claimed", expired)
            .values(status="pending", lease_until=None, lease_owner=None)
        )
        idempotent = select(SubscriptionRow.id).where(
            SubscriptionRow.platform.in_(tuple(idempotent_platforms))
        )
        await s.execute(
            update(DeliveryRow)
            .where(DeliveryRow.status == "sending", expired)
            .where(DeliveryRow.subscription_id.in_(idempotent))
            .values(status="pending", lease_until=None, lease_owner=None)
        )
        await s.execute(
            update(DeliveryRow)
            .where(DeliveryRow.status == "sending", expired)
            .values(
                status="unconfirmed",
                lease_until=None,
                lease_owner=None,
                last_error="the sender stopped while sending; not resent (at most once)",
                updated_at=now,
            )
        )

    async def _finish(self, delivery_id: int, values: dict[str, Any]) -> None:
        values = {**values, "lease_until": None, "lease_owner": None, "updated_at": utc_now()}

        async def work(s: AsyncSession) -> None:
            await s.execute(update(DeliveryRow).where(DeliveryRow.id == delivery_id).values(values))

        await self.run(work)

    async def mark_sending(self, delivery_id: int, *, now: datetime, lease_s: float) -> None:
        """Recorded just before the request: after a crash, a non-idempotent platform's row
        in this state may have arrived, so it is never sent again; an idempotent one is
        resent once its (short) lease ends, while its nonce still dedupes. The time of the
        first request is kept across resends."""

        async def work(s: AsyncSession) -> None:
            await s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id == delivery_id)
                .values(
                    status="sending",
                    send_started_at=func.coalesce(DeliveryRow.send_started_at, now),
                    lease_until=now + timedelta(seconds=lease_s),
                )
            )

        await self.run(work)

    async def mark_delivered(
        self, delivery_id: int, message_id: str, *, version: int | None = None
    ) -> None:
        shown = version if version is not None else DeliveryRow.story_version
        # A newer version stored while this one was on its way (enqueue_updates only bumps
        # rows in flight) comes right back as an edit, still due: otherwise the post would
        # show the older version until yet another one arrived.
        behind = DeliveryRow.story_version > shown
        values: dict[str, Any] = {
            "status": case((behind, "pending"), else_="sent"),
            "kind": case((behind, "edit"), else_=DeliveryRow.kind),
            "message_id": message_id,
            "attempts": case((behind, 0), else_=DeliveryRow.attempts + 1),
            "last_error": None,
            "shown_version": shown,
            "send_started_at": None,
        }
        await self._finish(delivery_id, values)

    async def mark_failed(
        self, delivery_id: int, reason: str, *, retry_at: datetime | None, refused: bool = False
    ) -> None:
        values: dict[str, Any] = {"attempts": DeliveryRow.attempts + 1, "last_error": reason[:2000]}
        if refused:
            values["send_started_at"] = None
        if retry_at is None:
            values["status"] = "failed"
        else:
            values["status"] = "pending"
            values["next_attempt_at"] = retry_at
        await self._finish(delivery_id, values)

    async def mark_unconfirmed(self, delivery_id: int, reason: str) -> None:
        await self._finish(
            delivery_id,
            {
                "status": "unconfirmed",
                "attempts": DeliveryRow.attempts + 1,
                "last_error": reason[:2000],
            },
        )

    async def mark_skipped(self, delivery_id: int, reason: str) -> None:
        await self._finish(delivery_id, {"status": "skipped", "last_error": reason[:2000]})

    async def release_deliveries(self, delivery_ids: Sequence[int]) -> None:
        """Give claimed rows back untouched (their destination must wait for an earlier row)."""
        if not delivery_ids:
            return

        async def work(s: AsyncSession) -> None:
            await s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id.in_(delivery_ids), DeliveryRow.status == "claimed")
                .values(status="pending", lease_until=None, lease_owner=None)
            )

        await self.run(work)
