"""Per-chat settings (time zone) and each chat's place in ``/catchup``."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.domain import ChatSettings, Destination, Story
from storage.base import SqlBase
from storage.models import STORIES, ChatSettingsRow

CHUNK = 500  # destinations per query: far below every database's parameter limit


def _settings_value(destination: Destination, row: ChatSettingsRow | None) -> ChatSettings:
    if row is None:
        return ChatSettings(destination)
    return ChatSettings(
        destination,
        timezone=row.timezone,
        language=row.language,
        language_hint=row.language_hint,
        catchup_from=row.catchup_from,
        caught_up_at=row.caught_up_at,
    )


async def _settings_row(s: AsyncSession, destination: Destination) -> ChatSettingsRow | None:
    query = select(ChatSettingsRow).where(
        ChatSettingsRow.platform == destination.platform,
        ChatSettingsRow.chat_id == destination.chat_id,
        ChatSettingsRow.thread_id == (destination.thread_id or ""),
    )
    row: ChatSettingsRow | None = (await s.execute(query)).scalar_one_or_none()
    return row


async def _ensure_row(s: AsyncSession, destination: Destination) -> ChatSettingsRow:
    row = await _settings_row(s, destination)
    if row is None:
        row = ChatSettingsRow(
            platform=destination.platform,
            chat_id=destination.chat_id,
            thread_id=destination.thread_id or "",
            timezone="UTC",
        )
        s.add(row)
    return row


class ChatStorage(SqlBase):
    async def _stories(self, s: AsyncSession, rows: Sequence[Row[Any]]) -> list[Story]:
        raise NotImplementedError  # SqlStorage maps story rows

    async def chat_settings(self, destination: Destination) -> ChatSettings:
        async def work(s: AsyncSession) -> ChatSettings:
            return _settings_value(destination, await _settings_row(s, destination))

        result: ChatSettings = await self.run(work)
        return result

    async def set_timezone(self, destination: Destination, timezone: str) -> None:
        async def work(s: AsyncSession) -> None:
            (await _ensure_row(s, destination)).timezone = timezone

        await self.run(work)

    async def set_language(self, destination: Destination, language: str | None) -> None:
        async def work(s: AsyncSession) -> None:
            (await _ensure_row(s, destination)).language = language

        await self.run(work)

    async def note_language_hint(self, destination: Destination, hint: str) -> None:
        async def work(s: AsyncSession) -> None:
            row = await _settings_row(s, destination)
            if row is None or row.language_hint != hint:
                (await _ensure_row(s, destination)).language_hint = hint

        await self.run(work)

    async def mark_caught_up(
        self, destination: Destination, *, window_from: datetime, at: datetime
    ) -> None:
        async def work(s: AsyncSession) -> None:
            row = await _ensure_row(s, destination)
            row.catchup_from = window_from
            row.caught_up_at = at

        await self.run(work)

    async def stories_since(self, since: datetime, *, min_outlets: int, limit: int) -> list[Story]:
        async def work(s: AsyncSession) -> list[Story]:
            query = (
                select(STORIES)
                .where(STORIES.c.merged_into.is_(None), STORIES.c.outlet_count >= min_outlets)
                .where(STORIES.c.updated_at >= since)
                .order_by(STORIES.c.updated_at.desc(), STORIES.c.id)
                .limit(limit)
            )
            return await self._stories(s, list(await s.execute(query)))

        result: list[Story] = await self.run(work)
        return result

    async def chat_settings_for(
        self, destinations: Collection[Destination]
    ) -> dict[Destination, ChatSettings]:
        wanted = {d.key: d for d in destinations}
        chats = sorted({(d.platform, d.chat_id) for d in wanted.values()})

        async def work(s: AsyncSession) -> dict[Destination, ChatSettings]:
            found: dict[Destination, ChatSettings] = {}
            for start in range(0, len(chats), CHUNK):
                part = chats[start : start + CHUNK]
                query = select(ChatSettingsRow).where(
                    tuple_(ChatSettingsRow.platform, ChatSettingsRow.chat_id).in_(part)
                )
                for row in (await s.execute(query)).scalars():
                    dest = wanted.get(f"{row.platform}:{row.chat_id}:{row.thread_id}")
                    if dest is not None:
                        found[dest] = _settings_value(dest, row)
            return {d: found.get(d, ChatSettings(d)) for d in wanted.values()}

        result: dict[Destination, ChatSettings] = await self.run(work)
        return result
