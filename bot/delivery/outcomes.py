"""What became of a send, recorded on its outbox row: sent, retried later (with
backoff, honouring ``retry_after``), unconfirmed (ambiguous: at-most-once, never resent),
failed (permanent, or out of attempts) or refused (the chat's subscriptions pause).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from bot.core.domain import Delivery
from bot.core.errors import (
    AmbiguousDeliveryError,
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from bot.core.ports import Clock
from bot.delivery.config import DeliveryConfig
from bot.delivery.ports import DispatcherStore
from bot.delivery.ratelimit import RateLimiter

log = logging.getLogger("newsbot.delivery")

Outcome = Literal["sent", "retry", "blocked", "unconfirmed", "failed", "skipped", "waiting"]


@dataclass(slots=True)
class DispatchReport:
    sent: int = 0
    retried: int = 0
    unconfirmed: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


def delivery_nonce(delivery: Delivery, suffix: str = "") -> str:
    """Deterministic per outbox row and version, so a resend after a crash is recognised."""
    return f"nb{delivery.id}v{delivery.story_version}{suffix}"


def backoff_s(attempt: int, config: DeliveryConfig, rng: random.Random) -> float:
    """Exponential backoff with equal jitter (attempt counts from 1)."""
    ceiling = min(config.backoff_max_s, config.backoff_base_s * 2.0 ** max(0, attempt - 1))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


class Outcomes:
    """Records each send's outcome on its row, and decides whether a row may be sent anew."""

    def __init__(
        self,
        *,
        storage: DispatcherStore,
        clock: Clock,
        config: DeliveryConfig,
        limiter: RateLimiter,
        rng: random.Random,
        monotonic: Callable[[], float],
    ) -> None:
        self.storage = storage
        self.clock = clock
        self.config = config
        self.limiter = limiter
        self.rng = rng
        self._monotonic = monotonic

    async def may_send_new(self, delivery: Delivery, report: DispatchReport) -> bool:
        """Record the row as being sent, unless an earlier request of it may have arrived
        and the platform would no longer recognise a resend: then it is unconfirmed."""
        now = self.clock.now()
        started = delivery.send_started_at
        resend_by = self.config.nonce_window_s - self.config.send_lease_s
        if (
            self._idempotent(delivery)
            and started is not None
            and (now - started).total_seconds() > resend_by
        ):
            reason = (
                f"first sent at {started:%H:%M:%S} UTC and perhaps delivered; the platform no "
                "longer dedupes a resend, so it was not sent again"
            )
            await self.storage.mark_unconfirmed(delivery.id, reason)
            report.unconfirmed += 1
            log.warning("delivery.unconfirmed id=%d dest=%s reason=%r",
                        delivery.id, delivery.destination.key, reason)  # fmt: skip
            return False
        await self.storage.mark_sending(delivery.id, now=now, lease_s=self.config.send_lease_s)
        return True

    async def failed(
        self, delivery: Delivery, err: DeliveryError, report: DispatchReport
    ) -> Outcome:
        """Record a failed send or edit; the outcome says what became of the row."""
        attempt = delivery.attempts + 1
        story = delivery.story_id
        if isinstance(err, TransientDeliveryError):
            if err.retry_after:
                self.limiter.block(delivery.destination, self._monotonic() + err.retry_after)
            await self.retry(delivery, attempt, err, report)
            return "blocked"
        if isinstance(err, AmbiguousDeliveryError) and self._idempotent(delivery):
            # The nonce dedupes a resend while the window lasts; may_send_new checks it.
            await self.retry(delivery, attempt, err, report)
            return "retry"
        if isinstance(err, AmbiguousDeliveryError):
            await self.storage.mark_unconfirmed(delivery.id, str(err))
            report.unconfirmed += 1
            log.warning(
                "delivery.unconfirmed id=%d dest=%s story=%s reason=%r",
                delivery.id, delivery.destination.key, story, str(err),
            )  # fmt: skip
            return "unconfirmed"
        if isinstance(err, PermanentDeliveryError):
            await self.storage.mark_failed(delivery.id, str(err), retry_at=None)
            paused = await self.storage.set_paused(delivery.destination, True)
            report.failed += 1
            log.warning(
                "delivery.refused id=%d dest=%s story=%s paused=%d reason=%r",
                delivery.id, delivery.destination.key, story, paused, str(err),
            )  # fmt: skip
            return "failed"
        # The platform refused this message (not the chat): retrying as-is cannot help.
        await self.storage.mark_failed(delivery.id, str(err), retry_at=None)
        report.failed += 1
        log.error(
            "delivery.rejected id=%d dest=%s reason=%r",
            delivery.id, delivery.destination.key, str(err),
        )  # fmt: skip
        return "failed"

    def _idempotent(self, delivery: Delivery) -> bool:
        return delivery.destination.platform in self.config.idempotent_platforms

    async def retry(
        self, delivery: Delivery, attempt: int, err: DeliveryError, report: DispatchReport
    ) -> None:
        if attempt >= self.config.max_attempts:
            await self.storage.mark_failed(delivery.id, f"gave up: {err}", retry_at=None)
            report.failed += 1
            log.error(
                "delivery.dead id=%d dest=%s attempts=%d reason=%r",
                delivery.id, delivery.destination.key, attempt, str(err),
            )  # fmt: skip
            return
        retry_after = err.retry_after if isinstance(err, TransientDeliveryError) else None
        wait = retry_after or backoff_s(attempt, self.config, self.rng)
        retry_at = self.clock.now() + timedelta(seconds=wait)
        # A 429 turned the request away: no message exists, a resend starts afresh.
        await self.storage.mark_failed(
            delivery.id, str(err), retry_at=retry_at, refused=retry_after is not None
        )
        report.retried += 1
        log.info(
            "delivery.retry id=%d dest=%s attempt=%d wait_s=%.1f reason=%r",
            delivery.id, delivery.destination.key, attempt, wait, str(err),
        )  # fmt: skip
