"""The deliver stage: send what the outbox owes, through each platform's Messenger.

A pass claims due rows with a lease, then sends them as fast as the platforms allow:
chats are served round-robin (one busy chat does not starve the others), each chat's
rows go one at a time in order (``bot.delivery.send_queue``), and every send fits the platform's
rate windows (``bot.delivery.ratelimit``), so a 429 is rare rather than the pacing mechanism.

Every outcome is recorded on the row: sent (with the message id), retried later
(transient errors, honouring ``retry_after``; the chat's later rows wait behind it),
unconfirmed (ambiguous: at-most-once, never resent), failed (permanent, or out of
attempts: a dead letter an operator can retry) or skipped (the chat muted the story).
A permanent refusal pauses the destination's subscriptions.
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
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, Literal

from bot.core.cards import Card, line
from bot.core.domain import Delivery, Destination, MessageRef, Story, Summary
from bot.core.errors import (
    AmbiguousDeliveryError,
    ConfigError,
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from bot.core.locales import DEFAULT_LANGUAGE, choose_language
from bot.core.metrics import Metrics
from bot.core.notices import notice_words
from bot.core.ports import Clock, Messenger
from bot.core.words import WordBook, speaking
from bot.delivery.ports import DispatcherStore, SenderElection
from bot.delivery.ratelimit import RateLimitConfig, RateLimiter
from bot.delivery.render import digest_card, story_post, update_card, with_note
from bot.delivery.send_queue import SendQueue
from bot.delivery.translated import SummaryReader

log = logging.getLogger("newsbot.delivery")

Outcome = Literal["sent", "retry", "blocked", "unconfirmed", "failed", "skipped", "waiting"]


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    """TOML section [delivery]."""

    batch_size: int = 200  # rows claimed per pass
    lease_s: float = 300.0  # a crashed sender's rows return to the queue after this
    max_attempts: int = 8
    max_in_flight: int = 50
    backoff_base_s: float = 2.0
    backoff_max_s: float = 900.0
    idempotent_platforms: tuple[str, ...] = ("discord",)  # resends dedupe by nonce
    # How long those platforms dedupe a nonce: Discord says "the past few minutes"; we
    # count on far less. A message whose first request is older is never resent blindly.
    nonce_window_s: float = 120.0
    # A row being sent returns to the queue after this when its sender died. Shorter than
    # the nonce window, so the resend still falls inside it.
    send_lease_s: float = 30.0
    # How often a pass checks this process is still each platform's elected sender.
    sender_check_s: float = 2.0

    def __post_init__(self) -> None:
        if not 0 < self.send_lease_s < self.nonce_window_s:
            raise ConfigError(
                "[delivery] send_lease_s must be positive and shorter than nonce_window_s, "
                "or a resend after a crash would no longer be deduplicated."
            )


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
        self.default_language = default_language
        self.words = words or WordBook()  # the bot's words, per chat language
        self.public_url = public_url.rstrip("/")  # posts link to /s/<story> when set
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
        # One pass sends a few stories to many chats: load each (story, summary) once.
        self._stories: dict[tuple[str, int], tuple[Story, Summary] | None] = {}
        self._languages: dict[Destination, str] = {}  # per pass, like the stories
        self.reader = SummaryReader(storage)  # translations, read once per pass
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
                self._stories.clear()
                self._languages.clear()
                self.reader.forget()
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
            await self._retry(delivery, delivery.attempts + 1, DeliveryError(repr(err)), report)
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
            digest = await self._digest(delivery, await self.chat_language(delivery.destination))
            loaded = None
        else:
            loaded = await self._story(delivery)
        if loaded is None and digest is None:
            await self.storage.mark_failed(delivery.id, "story or summary missing", retry_at=None)
            report.failed += 1
            return "failed"
        story_id = loaded[0].id if loaded else delivery.story_id
        now = self.clock.now()
        editing = delivery.kind == "edit" and bool(delivery.message_id)
        if not editing and not await self._may_send_new(delivery, report):
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
                summary, note = await self._in_chat_language(delivery.destination, summary)
                page = self._page_url(story.id)
                post = with_note(story_post(story, summary, now, living=True, page_url=page), note)
                reply = with_note(update_card(story, summary, now, page_url=page), note)
                message_id = await self._update(delivery, messenger, post, reply)
            else:
                story, summary = loaded
                summary, note = await self._in_chat_language(delivery.destination, summary)
                post = story_post(story, summary, now, page_url=self._page_url(story.id))
                post = with_note(post, note)
                if delivery.kind == "post" and delivery.ping_role:
                    # Only a story's first post pings; its edits and updates never do.
                    post = replace(post, mention_role=delivery.ping_role)
                ref = await messenger.send(
                    delivery.destination, post, nonce=delivery_nonce(delivery)
                )
                message_id = ref.message_id
        except DeliveryError as err:
            return await self._failed(delivery, err, report)
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
        if not await self._may_send_new(delivery, report):
            return "unconfirmed"
        self._take_slot(delivery)
        text = notice_words(delivery.body or "")
        try:
            ref = await messenger.send(
                delivery.destination, Card(body=(line(text),)), nonce=delivery_nonce(delivery)
            )
        except DeliveryError as err:
            return await self._failed(delivery, err, report)
        await self.storage.mark_delivered(delivery.id, ref.message_id)
        report.sent += 1
        log.info("delivery.notice id=%d dest=%s", delivery.id, delivery.destination.key)
        return "sent"

    async def _may_send_new(self, delivery: Delivery, report: DispatchReport) -> bool:
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

    async def _failed(
        self, delivery: Delivery, err: DeliveryError, report: DispatchReport
    ) -> Outcome:
        """Record a failed send or edit; the outcome says what became of the row."""
        attempt = delivery.attempts + 1
        story = delivery.story_id
        if isinstance(err, TransientDeliveryError):
            if err.retry_after:
                self.limiter.block(delivery.destination, self._monotonic() + err.retry_after)
            await self._retry(delivery, attempt, err, report)
            return "blocked"
        if isinstance(err, AmbiguousDeliveryError) and self._idempotent(delivery):
            # The nonce dedupes a resend while the window lasts; _may_send_new checks it.
            await self._retry(delivery, attempt, err, report)
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

    def _take_slot(self, delivery: Delivery) -> None:
        """Count the send from now: the storage calls before it may have taken a while, and
        the platform counts the request when it arrives, not when it was scheduled."""
        reserved = self._slots.get(delivery.id)
        if reserved is not None:
            now = self._monotonic()
            self.limiter.settle(delivery.destination, reserved, now)
            self._slots[delivery.id] = now

    def _page_url(self, story_id: str) -> str | None:
        return f"{self.public_url}/s/{story_id}" if self.public_url else None

    async def _digest(self, delivery: Delivery, language: str) -> Card | None:
        """A digest row's message: the stories its digest lists, as they are now, in the
        chat's language where a translation was stored (a note names the others')."""
        issue = await self.storage.digest_issue(delivery.story_id)
        if issue is None:
            return None
        entries: list[tuple[Story, Summary | None, str | None]] = []
        notes: list[str] = []
        for story_id in issue.story_ids:
            story = await self.storage.get_story(story_id)
            if story is not None and all(story.id != e[0].id for e in entries):
                summary = await self.storage.get_summary(story.id)
                if summary is not None:
                    summary, note = await self.reader.read(summary, language)
                    notes += [note] if note and note not in notes else []
                entries.append((story, summary, self._page_url(story.id)))
        if not entries:
            return None
        card = digest_card(issue, entries)
        return replace(card, footer=(*notes, *card.footer))

    async def chat_language(self, destination: Destination) -> str:
        """The language a chat's posts are shown in (see ``choose_language``)."""
        if destination not in self._languages:
            settings = await self.storage.chat_settings(destination)
            self._languages[destination] = choose_language(
                settings.language, settings.language_hint, self.default_language
            )
        return self._languages[destination]

    async def _in_chat_language(
        self, destination: Destination, summary: Summary
    ) -> tuple[Summary, str | None]:
        """The summary as the chat reads it, and the note when it is not in the chat's
        language (``bot.delivery.translated``). Never waits for a model."""
        return await self.reader.read(summary, await self.chat_language(destination))

    async def _story(self, delivery: Delivery) -> tuple[Story, Summary] | None:
        key = (delivery.story_id, delivery.story_version)
        if key not in self._stories:
            story = await self.storage.get_story(delivery.story_id)
            summary = await self.storage.get_summary(story.id) if story else None
            self._stories[key] = (story, summary) if story and summary else None
        return self._stories[key]

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

    def _idempotent(self, delivery: Delivery) -> bool:
        return delivery.destination.platform in self.config.idempotent_platforms

    async def _retry(
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
