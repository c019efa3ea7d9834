"""The deliver stage: send what the outbox owes, through each platform's Messenger.

Every outcome is recorded on the outbox row: sent (with the platform's message id),
retried later (transient errors, honouring ``retry_after``), unconfirmed (ambiguous:
at-most-once, never resent) or failed (permanent, or out of attempts). A permanent
refusal pauses the destination's subscriptions so the bot stops knocking.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from bot.domain import Delivery
from bot.errors import (
    AmbiguousDeliveryError,
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from bot.ports import Clock, Messenger, Storage
from bot.render import story_post

log = logging.getLogger("newsbot.delivery")


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    """TOML section [delivery]."""

    batch_size: int = 100
    max_attempts: int = 8
    backoff_base_s: float = 2.0
    backoff_max_s: float = 900.0


@dataclass(slots=True)
class DispatchReport:
    sent: int = 0
    retried: int = 0
    unconfirmed: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


def delivery_nonce(delivery: Delivery) -> str:
    """Deterministic per outbox row, so a resend after a crash can be recognised."""
    return f"nb{delivery.id}v{delivery.story_version}"


def backoff_s(attempt: int, config: DeliveryConfig, rng: random.Random) -> float:
    """Exponential backoff with equal jitter (attempt counts from 1)."""
    ceiling = min(config.backoff_max_s, config.backoff_base_s * 2.0 ** max(0, attempt - 1))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


class Dispatcher:
    def __init__(
        self,
        *,
        storage: Storage,
        messengers: Mapping[str, Messenger],
        clock: Clock,
        config: DeliveryConfig | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.storage = storage
        self.messengers = messengers
        self.clock = clock
        self.config = config or DeliveryConfig()
        self.rng = rng or random.Random()
        # Two overlapping passes in one process would both pick the same due rows.
        self._lock = asyncio.Lock()

    async def dispatch_once(self) -> DispatchReport:
        """Send every due outbox row once. Never raises for one bad delivery."""
        report = DispatchReport()
        async with self._lock:
            due = await self.storage.pending_deliveries(self.clock.now(), self.config.batch_size)
            for delivery in due:
                await self._deliver(delivery, report)
        return report

    async def _deliver(self, delivery: Delivery, report: DispatchReport) -> None:
        messenger = self.messengers.get(delivery.destination.platform)
        if messenger is None:
            # The platform's adapter is disabled; the row waits until it is enabled again.
            report.skipped += 1
            return
        story = await self.storage.get_story(delivery.story_id)
        summary = await self.storage.get_summary(story.id) if story else None
        if story is None or summary is None:
            await self.storage.mark_failed(delivery.id, "story or summary missing", retry_at=None)
            report.failed += 1
            return
        card = story_post(story, summary, self.clock.now())
        attempt = delivery.attempts + 1
        try:
            ref = await messenger.send(delivery.destination, card, nonce=delivery_nonce(delivery))
        except TransientDeliveryError as err:
            await self._retry(delivery, attempt, err, report)
            return
        except AmbiguousDeliveryError as err:
            await self.storage.mark_unconfirmed(delivery.id, str(err))
            report.unconfirmed += 1
            log.warning(
                "delivery.unconfirmed id=%d dest=%s story=%s reason=%r",
                delivery.id,
                delivery.destination.key,
                story.id,
                str(err),
            )
            return
        except PermanentDeliveryError as err:
            await self.storage.mark_failed(delivery.id, str(err), retry_at=None)
            paused = await self.storage.set_paused(delivery.destination, True)
            report.failed += 1
            log.warning(
                "delivery.refused id=%d dest=%s story=%s paused=%d reason=%r",
                delivery.id,
                delivery.destination.key,
                story.id,
                paused,
                str(err),
            )
            return
        except DeliveryError as err:
            await self._retry(delivery, attempt, err, report)
            return
        await self.storage.mark_delivered(delivery.id, ref.message_id)
        report.sent += 1
        log.info(
            "delivery.sent id=%d dest=%s story=%s message=%s attempt=%d",
            delivery.id,
            delivery.destination.key,
            story.id,
            ref.message_id,
            attempt,
        )

    async def _retry(
        self, delivery: Delivery, attempt: int, err: DeliveryError, report: DispatchReport
    ) -> None:
        if attempt >= self.config.max_attempts:
            await self.storage.mark_failed(delivery.id, f"gave up: {err}", retry_at=None)
            report.failed += 1
            log.error(
                "delivery.dead id=%d dest=%s attempts=%d reason=%r",
                delivery.id,
                delivery.destination.key,
                attempt,
                str(err),
            )
            return
        retry_after = err.retry_after if isinstance(err, TransientDeliveryError) else None
        wait = retry_after or backoff_s(attempt, self.config, self.rng)
        retry_at = self.clock.now() + timedelta(seconds=wait)
        await self.storage.mark_failed(delivery.id, str(err), retry_at=retry_at)
        report.retried += 1
        log.info(
            "delivery.retry id=%d dest=%s attempt=%d wait_s=%.1f reason=%r",
            delivery.id,
            delivery.destination.key,
            attempt,
            wait,
            str(err),
        )
