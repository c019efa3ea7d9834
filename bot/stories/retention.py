"""Retention: what the bot keeps, and the periodic prune that bounds it.

Article text and superseded summary versions are kept ``keep_days``; a story with no new
article for that long is *closed* (it left the clusterer's window long before, and
restore reads only that window). Finished outbox rows are kept ``outbox_days``, and only
once their story is closed, so a chat never gets a story twice and a living story's post
keeps being edited while it lives. The newest summary of every story stays, so ``/story``
still answers for old ids. The prune runs every ``prune_every_s`` in batches of ``batch``
rows, at most ``max_batches`` per run, so it never holds the loop or the database long.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.ports import Clock
from bot.stories.ports import RetentionStore

log = logging.getLogger("newsbot.retention")


@dataclass(frozen=True, slots=True)
class RetentionConfig:
    """TOML section [retention]."""

    keep_days: float = 30.0
    outbox_days: float = 30.0
    prune_every_s: float = 3600.0
    batch: int = 1000
    max_batches: int = 20


class Pruner:
    """Runs the prune when it is due; the runner calls ``maybe_prune`` every cycle."""

    def __init__(self, store: RetentionStore, clock: Clock, config: RetentionConfig) -> None:
        self.store = store
        self.clock = clock
        self.config = config
        self._next: datetime | None = None

    async def maybe_prune(self) -> Counter[str] | None:
        """Prune if due (the first call is due); None when it was not."""
        now = self.clock.now()
        if self._next is not None and now < self._next:
            return None
        self._next = now + timedelta(seconds=self.config.prune_every_s)
        return await self.prune(now)

    async def prune(self, now: datetime) -> Counter[str]:
        """Batches until nothing is left past the windows or ``max_batches`` ran."""
        text_before = now - timedelta(days=self.config.keep_days)
        outbox_before = now - timedelta(days=self.config.outbox_days)
        total: Counter[str] = Counter()
        for _ in range(max(1, self.config.max_batches)):
            done = await self.store.prune(
                text_before=text_before, outbox_before=outbox_before, limit=self.config.batch
            )
            total.update(done)
            if max(done.values(), default=0) < self.config.batch:
                break
        if sum(total.values()):
            log.info("retention.pruned %s", " ".join(f"{k}={v}" for k, v in sorted(total.items())))
        return total
