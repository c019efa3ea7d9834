"""Digests: one message per schedule instead of a post per story.

Each runner cycle the scheduler issues the digests that are due: the subscription's
stories updated since the last digest (matched as a post would be: topic, outlets,
breaking), most important first, and the next due time from *now* in the chat's zone.
So a bot that was down over several due times issues one digest when it is back, late,
covering the whole gap, and never one per missed day; ``DigestStore.issue_digest`` makes
issuing idempotent. The outbox then delivers it like any post (``Dispatcher``).
"""

from __future__ import annotations

import logging

from bot.core.clock import as_utc
from bot.core.domain import Digest
from bot.core.ports import Clock
from bot.delivery.digest_ports import DigestStore
from bot.delivery.schedules import next_due, parse_schedule
from bot.stories.matching import story_text, subscription_wants
from bot.stories.ranking import rank

log = logging.getLogger("newsbot.digests")

DIGEST_STORIES = 10  # a digest lists at most this many stories
CANDIDATES = 500
BATCH = 100


class DigestScheduler:
    def __init__(self, store: DigestStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def run_due(self) -> int:
        """Issue every digest due now; returns how many were issued."""
        issued = 0
        for digest in await self.store.due_digests(self.clock.now(), BATCH):
            if await self._issue(digest):
                issued += 1
        return issued

    async def _issue(self, digest: Digest) -> bool:
        at = self.clock.now()
        settings = await self.store.chat_settings(digest.subscription.destination)
        following = next_due(parse_schedule(digest.schedule), at, settings.timezone)
        story_ids = await self._stories(digest)
        done = await self.store.issue_digest(
            digest, covers_until=at, story_ids=story_ids, next_due_at=as_utc(following)
        )
        log.info(
            "digest.issued sub=%d dest=%s due=%s stories=%d next=%s done=%s",
            digest.subscription.id, digest.subscription.destination.key,
            digest.next_due_at.isoformat(), len(story_ids), following.isoformat(), done,
        )  # fmt: skip
        return done

    async def _stories(self, digest: Digest) -> list[str]:
        sub = digest.subscription
        candidates = await self.store.stories_since(
            digest.covers_from, min_outlets=sub.min_outlets, limit=CANDIDATES
        )
        wanted = []
        for story in candidates:
            articles = await self.store.get_articles(story.article_ids)
            if subscription_wants(sub, story, story_text(story, articles)):
                wanted.append(story)
        return [s.id for s in rank(wanted, self.clock.now())[:DIGEST_STORIES]]
