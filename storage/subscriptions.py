"""Subscriptions (what each chat follows) and per-story mutes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.domain import Destination, Subscription
from storage.base import SqlBase, subscription_value, utc_now
from storage.models import DigestRow, MuteRow, SubscriptionRow


class SubscriptionStorage(SqlBase):
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
        key = topic.casefold()

        async def work(s: AsyncSession) -> tuple[Subscription, bool]:
            query = select(SubscriptionRow).where(
                SubscriptionRow.platform == destination.platform,
                SubscriptionRow.chat_id == destination.chat_id,
                SubscriptionRow.thread_id == (destination.thread_id or ""),
                SubscriptionRow.topic_key == key,
            )
            row = (await s.execute(query)).scalar_one_or_none()
            created = row is None
            if row is None:
                row = SubscriptionRow(
                    platform=destination.platform,
                    chat_id=destination.chat_id,
                    thread_id=destination.thread_id or "",
                    topic_key=key,
                    created_at=utc_now(),
                )
                s.add(row)
            row.topic = topic
            row.breaking_only = breaking_only
            row.min_outlets = min_outlets
            row.paused = False
            row.scope = scope
            row.only_ours = only_ours
            row.ping_role = ping_role
            await s.flush()
            return subscription_value(row), created

        result: tuple[Subscription, bool] = await self.run(work)
        return result

    async def remove_subscription(self, destination: Destination, topic: str) -> bool:
        async def work(s: AsyncSession) -> bool:
            result = await s.execute(
                delete(SubscriptionRow).where(
                    SubscriptionRow.platform == destination.platform,
                    SubscriptionRow.chat_id == destination.chat_id,
                    SubscriptionRow.thread_id == (destination.thread_id or ""),
                    SubscriptionRow.topic_key == topic.casefold(),
                )
            )
            return bool(getattr(result, "rowcount", 0))

        result: bool = await self.run(work)
        return result

    async def subscriptions_for(self, destination: Destination) -> list[Subscription]:
        async def work(s: AsyncSession) -> list[Subscription]:
            query = (
                select(SubscriptionRow)
                .where(
                    SubscriptionRow.platform == destination.platform,
                    SubscriptionRow.chat_id == destination.chat_id,
                    SubscriptionRow.thread_id == (destination.thread_id or ""),
                )
                .order_by(SubscriptionRow.id)
            )
            return [subscription_value(r) for r in (await s.execute(query)).scalars()]

        result: list[Subscription] = await self.run(work)
        return result

    async def active_subscriptions(self) -> list[Subscription]:
        async def work(s: AsyncSession) -> list[Subscription]:
            digest = select(DigestRow.subscription_id).where(
                DigestRow.subscription_id == SubscriptionRow.id
            )
            query = (
                select(SubscriptionRow)
                .where(SubscriptionRow.paused.is_(False), ~exists(digest))  # digests: no posts
                .order_by(SubscriptionRow.id)
            )
            return [subscription_value(r) for r in (await s.execute(query)).scalars()]

        result: list[Subscription] = await self.run(work)
        return result

    async def set_paused(self, destination: Destination, paused: bool) -> int:
        async def work(s: AsyncSession) -> int:
            conditions = [
                SubscriptionRow.platform == destination.platform,
                SubscriptionRow.chat_id == destination.chat_id,
                SubscriptionRow.paused.is_(not paused),
            ]
            if destination.thread_id is not None:
                conditions.append(SubscriptionRow.thread_id == destination.thread_id)
            result = await s.execute(
                update(SubscriptionRow).where(*conditions).values(paused=paused)
            )
            return int(getattr(result, "rowcount", 0))

        result: int = await self.run(work)
        return result

    async def move_destination(self, old: Destination, new: Destination) -> int:
        """Point every subscription of ``old`` at ``new`` (a Telegram group became a supergroup)."""

        async def work(s: AsyncSession) -> int:
            result = await s.execute(
                update(SubscriptionRow)
                .where(
                    SubscriptionRow.platform == old.platform,
                    SubscriptionRow.chat_id == old.chat_id,
                )
                .values(chat_id=new.chat_id)
            )
            return int(getattr(result, "rowcount", 0))

        result: int = await self.run(work)
        return result

    # ------------------------------------------------------------ mutes

    async def mute(self, destination: Destination, story_id: str, *, now: datetime) -> bool:
        """Stop updates of ``story_id`` in ``destination``; False when it was muted already."""

        async def work(s: AsyncSession) -> bool:
            statement = (
                self.insert(MuteRow)
                .values(
                    platform=destination.platform,
                    chat_id=destination.chat_id,
                    thread_id=destination.thread_id or "",
                    story_id=story_id,
                    created_at=now,
                )
                .on_conflict_do_nothing()
            )
            result = await s.execute(statement)
            return bool(getattr(result, "rowcount", 0))

        result: bool = await self.run(work)
        return result

    async def is_muted(self, destination: Destination, story_id: str) -> bool:
        async def work(s: AsyncSession) -> bool:
            query = select(MuteRow.id).where(
                MuteRow.platform == destination.platform,
                MuteRow.chat_id == destination.chat_id,
                MuteRow.thread_id == (destination.thread_id or ""),
                MuteRow.story_id == story_id,
            )
            return (await s.execute(query)).first() is not None

        result: bool = await self.run(work)
        return result
