"""The feeds a batch of stories cites, read once per batch."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from bot.core.domain import Article, Feed
from bot.stories.matching import feed_scopes
from bot.stories.ports import PipelineStore


class FeedBook:
    """The feeds a batch's stories cite, read when first needed and once per batch: a
    deployment's thousands of feeds are not read for every batch. The stories of a batch
    start together, so the feeds they ask for at once are read in one go."""

    __slots__ = ("_pending", "_storage", "_wanted", "feeds", "scopes")

    def __init__(self, storage: PipelineStore) -> None:
        self._storage = storage
        self.feeds: dict[int, Feed] = {}
        self.scopes: dict[int, frozenset[str]] = {}
        self._wanted: set[int] = set()
        self._pending: asyncio.Future[None] | None = None

    async def cover(self, articles: Sequence[Article]) -> Mapping[int, Feed]:
        """Read the feeds of ``articles`` not read yet; returns every feed read so far."""
        missing = {a.feed_id for a in articles} - self.feeds.keys()
        if missing:
            self._wanted |= missing
            if self._pending is None:
                self._pending = asyncio.ensure_future(self._read_soon())
            # Shielded: one story's cancellation must not cancel the others' read.
            await asyncio.shield(self._pending)
        return self.feeds

    async def _read_soon(self) -> None:
        await asyncio.sleep(0)  # the batch's other stories add what they need meanwhile
        wanted, self._wanted, self._pending = self._wanted, set(), None
        found = await self._storage.get_feeds(wanted)
        self.feeds.update(found)
        self.scopes.update(feed_scopes(found.values()))
