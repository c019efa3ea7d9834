"""The deliver stage: send what the outbox owes, through each platform's Messenger.

A pass claims due rows with a lease, then sends them as fast as the platforms allow:
chats are served round-robin (one busy chat does not starve the others), each chat's
rows go one at a time in order (``bot.delivery.send_queue``), and every send fits the platform's
rate windows (``bot.delivery.ratelimit``), so a 429 is rare rather than the pacing mechanism.

Every outcome is recorded on the row (``bot.delivery.outcomes``): sent (with the message
id), retried later (transient errors, honouring ``retry_after``; the chat's later rows
wait behind it), unconfirmed (ambiguous: at-most-once, never resent), failed (permanent,
or out of attempts: a dead letter an operator can retry) or skipped (the chat muted the
story). A permanent refusal pauses the destination's subscriptions. What a row says in
its chat comes from ``bot.delivery.messages``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import replace
from typing import Any

from bot.core.cards import Card, line
from bot.core.domain import Delivery, Destination, MessageRef
from bot.core.errors import AmbiguousDeliveryError, DeliveryError, TransientDeliveryError
from bot.core.locales import DEFAULT_LANGUAGE
from bot.core.metrics import Metrics
from bot.core.notices import notice_words
from bot.core.ports import Clock, Messenger
from bot.core.words import WordBook, speaking
from bot.delivery.config import DeliveryConfig
from bot.delivery.messages import ChatMessages
from bot.delivery.outcomes import DispatchReport, Outcome, Outcomes, delivery_nonce
from bot.delivery.ports import DispatcherStore, SenderElection
from bot.delivery.ratelimit import RateLimitConfig, RateLimiter
from bot.delivery.render import story_post, update_card, with_note
from bot.delivery.send_queue import SendQueue

log = logging.getLogger("newsbot.delivery")


class Dispatcher:
    def __init__(
        self,
        *,
        storage: DispatcherStore,
        messengers: Mapping[str, Messenger],
        clock: Clock,
        config: DeliveryConfig | None = None,
        rate_limits: RateLimitConfig | None = None,
        rng: random.Random | None = None,
        metrics: Metrics | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        public_url: str = "",
        senders: SenderElection | None = None,
        default_language: str = DEFAULT_LANGUAGE,
        words: WordBook | None = None,
    ) -> None:
        self.storage = storage
        self.words = words or WordBook()  # the bot's words, per chat language
        self.messengers = messengers
        self.clock = clock
        self.config = config or DeliveryConfig()
        self.limiter = RateLimiter((rate_limits or RateLimitConfig()).limits())
        self.rng = rng or random.Random()
        self.metrics = metrics or Metrics()
        self.owner = f"dispatcher-{uuid.uuid4().hex[:12]}"
        self._monotonic = monotonic
        self._sleep = sleep
        # Two overlapping passes in one process would compete for the same chats.
        self._lock = asyncio.Lock()
        self.messages = ChatMessages(
            storage, public_url=public_url, default_language=default_language
        )
        self.outcomes = Outcomes(
            storage=storage,
            clock=clock,
            config=self.config,
            limiter=self.limiter,
            rng=self.rng,
            monotonic=monotonic,
        )
        # When each started row's send counts in the rate windows (row id -> monotonic).
        self._slots: dict[int, float] = {}
        # Set on shutdown: a pass starts nothing more, hands its queued rows back and
        # returns once the sends in flight have answered. A fan-out pass can last minutes;
        # a stop must not wait for it (a service manager kills a slow stop mid-send).
        self.stopping = asyncio.Event()
        # With several processes, only the elected sender of a platform claims its rows.
        self.senders = senders
        self._sending_for: set[str] = set()
        # Platforms another process sends to: asked again only every sender_check_s
        # (each try is a database round trip on a connection of its own).
        self._next_try: dict[str, float] = {}

    async def dispatch_once(self) -> DispatchReport:
        """Claim due rows and send them. Never raises for one bad delivery."""
        report = DispatchReport()
        if self.stopping.is_set():
            return report
        async with self._lock:
            rows = await self._claim()
            if rows:
                self.messages.forget()
                await self._schedule(rows, report)
        return report

    async def _claim(self, platforms: Collection[str] | None = None) -> list[Delivery]:
        if self.senders is not None:
            platforms = await self._elected(self.messengers if platforms is None else platforms)
            if not platforms:
                return []
        return await self.storage.claim_deliveries(
            self.clock.now(),
            self.config.batch_size,
            owner=self.owner,
            lease_s=self.config.lease_s,
            idempotent_platforms=self.config.idempotent_platforms,
            platforms=platforms,
        )

    async def _schedule(self, rows: list[Delivery], report: DispatchReport) -> None:
        queue = SendQueue(self.limiter)
        queue.add(rows)
        in_flight: dict[asyncio.Task[Outcome], Delivery] = {}
        # Rows claimed but not started by half the lease go back to the queue, so a slow
        # pass (one busy group: 20 a minute) never outlives its lease and gets its rows
        # claimed a second time by another dispatcher.
        start_by = self._monotonic() + self.config.lease_s / 2
        next_claim = 0.0
        # Claims run beside the sends: a claim over a large outbox takes a while (100+ ms
        # on PostgreSQL with 12,000 rows), and awaiting it here stalled every platform.
        claiming: asyncio.Task[list[Delivery]] | None = None
        next_check = self._monotonic() + self.config.sender_check_s
        while queue or in_flight or claiming:
            now = self._monotonic()
            if self.senders is not None and now >= next_check:
                next_check = now + self.config.sender_check_s
                await self._hand_back_lost(queue)
            if claiming is not None and claiming.done():
                more = claiming.result()
                claiming = None
                queue.add(more)
                # A short claim means the outbox has little more that may go now.
                next_claim = now + (0.0 if len(more) == self.config.batch_size else 0.5)
            if (now >= start_by or self.stopping.is_set()) and queue:
                await self.storage.release_deliveries([r.id for r in queue.drain()])
            elif claiming is None and next_claim <= now < start_by and not self.stopping.is_set():
                # Keep every platform busy: claim more for the ones running short, instead
                # of letting a pass drain to its slowest chat before the next claim. Only
                # for those: a slow platform's backlog must not stop a fast one's claims.
                short = self._short_of_rows(queue.waiting)
                if short:
                    claiming = asyncio.create_task(self._claim(short))
            started, soonest = queue.start(now, self.config.max_in_flight - len(in_flight))
            for row in started:
                self._slots[row.id] = now
                in_flight[asyncio.create_task(self._deliver(row, report))] = row
            waits: set[asyncio.Task[Any]] = set(in_flight)
            if claiming is not None:
                waits.add(claiming)
            if waits:
                timeout = None if soonest == math.inf else min(soonest, start_by - now)
                done, _ = await asyncio.wait(
                    waits,
                    timeout=max(timeout, 0.0) if timeout is not None else None,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                finished = self._monotonic()
                for task in done:
                    if task is claiming:
                        continue  # taken at the top of the next turn
                    row = in_flight.pop(task)
                    # The platform counted the request between its send and its answer: the
                    # midpoint keeps the windows on its side without holding a slot for the
                    # whole round trip (the answer end cost ~20% of the rate under load).
                    sent_at = self._slots.pop(row.id)
                    self.limiter.settle(row.destination, sent_at, (sent_at + finished) / 2)
                    held = queue.finished(row, finished, blocked=task.result() == "blocked")
                    if held:
                        await self.storage.release_deliveries([r.id for r in held])
            elif queue:
                await self._sleep(max(0.0, min(soonest, start_by - now, 0.05)))

    async def _elected(self, platforms: Collection[str]) -> tuple[str, ...]:
        """Those of ``platforms`` this process sends to now. A newly won platform first
        waits out its global window (the previous sender's last sends count there)."""
        held: list[str] = []
        now = self._monotonic()
        for platform in platforms:
            if platform not in self._sending_for and now < self._next_try.get(platform, 0.0):
                continue
            if self.senders is None or await self.senders.holds(platform):
                held.append(platform)
                if platform not in self._sending_for:
                    self._sending_for.add(platform)
                    self.limiter.pause_platform(platform, self._monotonic())
                    taken = await self.storage.take_over_deliveries(
                        platform, owner=self.owner, now=self.clock.now()
                    )
                    log.info(
                        "delivery.sender_elected platform=%s owner=%s rows_taken_over=%d",
                        platform, self.owner, taken,
                    )  # fmt: skip
            else:
                self._next_try[platform] = now + self.config.sender_check_s
                if platform in self._sending_for:
                    self._sending_for.discard(platform)
                    log.warning("delivery.sender_lost platform=%s owner=%s", platform, self.owner)
        return tuple(held)

    async def _hand_back_lost(self, queue: SendQueue) -> None:
        """Rows queued for a platform this process no longer sends to go back at once."""
        held = set(await self._elected(tuple(self._sending_for)))
        for platform in [p for p in queue.waiting if p not in held and queue.waiting[p]]:
            await self.storage.release_deliveries([r.id for r in queue.drain(platform)])

    def _short_of_rows(self, waiting: Counter[str]) -> tuple[str, ...]:
        """Platforms with fewer than half a claim queued. The rest of the outbox stays free
        for other dispatchers: a platform never holds more than about 1.5 claims."""
        return tuple(p for p in self.messengers if waiting[p] < self.config.batch_size // 2)

    async def _deliver(self, delivery: Delivery, report: DispatchReport) -> Outcome:
        try:
            outcome = await self._attempt(delivery, report)
        except Exception as err:  # one broken delivery must not stop the pass; recorded below
            log.exception("delivery.crashed id=%d dest=%s", delivery.id, delivery.destination.key)
            report.errors.append(repr(err))
            await self.outcomes.retry(
                delivery, delivery.attempts + 1, DeliveryError(repr(err)), report
            )
            outcome = "retry"
        self.metrics.inc(
            "deliveries",
            help="outbox rows handled, by platform and outcome",
            platform=delivery.destination.platform,
            outcome=outcome,
        )
        return outcome

    async def _attempt(self, delivery: Delivery, report: DispatchReport) -> Outcome:
        # Posts, updates and digests are rendered in the chat's language.
        with speaking(self.words.words(await self.chat_language(delivery.destination))):
            return await self._attempt_in_language(delivery, report)

    async def _attempt_in_language(self, delivery: Delivery, report: DispatchReport) -> Outcome:
        messenger = self.messengers.get(delivery.destination.platform)
        if messenger is None:
            # The platform's adapter is disabled; the row waits until it is enabled again.
            await self.storage.release_deliveries([delivery.id])
            report.skipped += 1
            return "waiting"
        if delivery.kind == "notice":
            return await self._send_notice(delivery, messenger, report)
        # Muting stops a story's updates; a chat cannot mute a story it was never shown.
        muted = delivery.kind == "edit" and await self.storage.is_muted(
            delivery.destination, delivery.story_id
        )
        if muted:
            await self.storage.mark_skipped(delivery.id, "muted by the chat")
            report.skipped += 1
            return "skipped"
        digest: Card | None = None
        if delivery.kind == "digest":
            digest = await self.messages.digest(
                delivery, await self.chat_language(delivery.destination)
            )
            loaded = None
        else:
            loaded = await self.messages.story(delivery)
        if loaded is None and digest is None:
            await self.storage.mark_failed(delivery.id, "story or summary missing", retry_at=None)
            report.failed += 1
            return "failed"
        story_id = loaded[0].id if loaded else delivery.story_id
        now = self.clock.now()
        editing = delivery.kind == "edit" and bool(delivery.message_id)
        if not editing and not await self.outcomes.may_send_new(delivery, report):
            return "unconfirmed"
        self._take_slot(delivery)
        try:
            if loaded is None:
                assert digest is not None  # noqa: S101 - one of the two, checked above
                ref = await messenger.send(
                    delivery.destination, digest, nonce=delivery_nonce(delivery)
                )
                message_id = ref.message_id
            elif delivery.kind == "edit" and delivery.message_id:
                story, summary = loaded
                summary, note = await self.messages.in_chat_language(delivery.destination, summary)
                page = self.messages.page_url(story.id)
                post = with_note(story_post(story, summary, now, living=True, page_url=page), note)
                reply = with_note(update_card(story, summary, now, page_url=page), note)
                message_id = await self._update(delivery, messenger, post, reply)
            else:
                story, summary = loaded
                summary, note = await self.messages.in_chat_language(delivery.destination, summary)
                post = story_post(story, summary, now, page_url=self.messages.page_url(story.id))
                post = with_note(post, note)
                if delivery.kind == "post" and delivery.ping_role:
                    # Only a story's first post pings; its edits and updates never do.
                    post = replace(post, mention_role=delivery.ping_role)
                ref = await messenger.send(
                    delivery.destination, post, nonce=delivery_nonce(delivery)
                )
                message_id = ref.message_id
        except DeliveryError as err:
            return await self.outcomes.failed(delivery, err, report)
        await self.storage.mark_delivered(delivery.id, message_id, version=delivery.story_version)
        report.sent += 1
        log.info(
            "delivery.sent id=%d kind=%s dest=%s story=%s version=%d message=%s attempt=%d",
            delivery.id, delivery.kind, delivery.destination.key, story_id,
            delivery.story_version, message_id, delivery.attempts + 1,
        )  # fmt: skip
        return "sent"

    async def _send_notice(
        self, delivery: Delivery, messenger: Messenger, report: DispatchReport
    ) -> Outcome:
        """A notice (a feed stopped answering, ...): plain text in the chat's language,
        sent once like a post."""
        if not await self.outcomes.may_send_new(delivery, report):
            return "unconfirmed"
        self._take_slot(delivery)
        text = notice_words(delivery.body or "")
        try:
            ref = await messenger.send(
                delivery.destination, Card(body=(line(text),)), nonce=delivery_nonce(delivery)
            )
        except DeliveryError as err:
            return await self.outcomes.failed(delivery, err, report)
        await self.storage.mark_delivered(delivery.id, ref.message_id)
        report.sent += 1
        log.info("delivery.notice id=%d dest=%s", delivery.id, delivery.destination.key)
        return "sent"

    def _take_slot(self, delivery: Delivery) -> None:
        """Count the send from now: the storage calls before it may have taken a while, and
        the platform counts the request when it arrives, not when it was scheduled."""
        reserved = self._slots.get(delivery.id)
        if reserved is not None:
            now = self._monotonic()
            self.limiter.settle(delivery.destination, reserved, now)
            self._slots[delivery.id] = now

    async def chat_language(self, destination: Destination) -> str:
        """The language a chat's posts are shown in (see ``choose_language``)."""
        return await self.messages.chat_language(destination)

    async def _update(
        self, delivery: Delivery, messenger: Messenger, post: Card, reply: Card
    ) -> str:
        """Edit the post in place; when it can't be edited, reply under it instead."""
        message_id = delivery.message_id or ""
        ref = MessageRef(delivery.destination, message_id)
        try:
            await messenger.edit(ref, post)
        except TransientDeliveryError:
            raise
        except AmbiguousDeliveryError as err:
            # Whether or not it landed, the same edit again is harmless: retry it.
            raise TransientDeliveryError(f"edit not confirmed: {err}") from err
        except DeliveryError as err:
            # Too old to edit, or deleted: a short reply carries the update instead. A reply
            # is a new message, so it gets the at-most-once treatment of a post.
            log.info(
                "delivery.edit_failed id=%d dest=%s reason=%r fallback=reply",
                delivery.id, delivery.destination.key, str(err),
            )  # fmt: skip
            await self.storage.mark_sending(
                delivery.id, now=self.clock.now(), lease_s=self.config.send_lease_s
            )
            await messenger.reply(ref, reply, nonce=delivery_nonce(delivery, "u"))
        return message_id
