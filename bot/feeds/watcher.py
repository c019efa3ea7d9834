"""The polling stage: fetch every due feed once, parse what changed, store new articles.

Politeness lives in two places: the fetcher spaces requests per host, and here each host
gets its own few workers, so a host with 500 feeds waits on itself while other hosts
proceed. One bad feed only ever costs itself a failure count and a backoff.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.domain import Feed, FetchRequest, FetchResult, NewArticle, ParsedFeed
from bot.core.errors import FeedParseError, FetchError
from bot.core.ports import Clock, FeedFetcher, FeedParser
from bot.feeds.health import (
    Health,
    HealthPolicy,
    health_after_failure,
    notice_key,
    notice_of,
)
from bot.feeds.ports import WatcherStore
from bot.feeds.schedule import (
    Limits,
    Outcome,
    RetryLaterError,
    at,
    failure_interval,
    freshness_hint,
    host_of,
    parse_retry_after,
    success_interval,
)
from bot.text.mastheads import feed_outlet_name
from bot.text.urls import canonical_url, publisher_of

log = logging.getLogger("newsbot.watcher")

# Polls that may be under way per fetch slot: fetched and waiting to be parsed and stored.
_IN_HAND = 2


@dataclass(frozen=True)
class WatcherConfig:
    """TOML [watcher]."""

    interval_s: float = 300.0
    min_interval_s: float | None = None  # None: max(interval_s / 2, min(interval_s, 60))
    max_interval_s: float | None = None  # None: 6 * interval_s
    jitter: float = 0.1
    max_backoff_s: float = 6 * 3600.0
    max_retry_after_s: float = 6 * 3600.0
    # Failures in a row before a feed counts as unhealthy and its chats are told.
    unhealthy_after_failures: int = 5
    # A feed failing this long (retried at ``max_backoff_s`` meanwhile) is dead: its chats
    # are told, and it is tried once a day until it answers or is added again.
    dead_after_days: float = 7.0
    max_entries_per_feed: int = 200
    batch_size: int = 1000
    concurrency: int = 64
    per_host_concurrency: int = 2
    # Feeds one claim takes (0: ``batch_size``). A claim is polled before the next is
    # taken, so smaller claims spread a burst of due feeds over the processes sharing a
    # database, while one claim of everything due keeps a crowded host from delaying the
    # others within it. In steady state the spread comes anyway: whichever process is
    # idle claims what has just come due.
    claim_size: int = 0
    # A claimed feed is hidden from other processes this long; a process killed mid-poll
    # gives its feeds back after it. Must exceed the slowest poll of one claim.
    claim_lease_s: float = 120.0

    def health(self) -> HealthPolicy:
        return HealthPolicy(
            unhealthy_after_failures=max(1, self.unhealthy_after_failures),
            dead_after_s=self.dead_after_days * 86400.0,
        )

    def limits(self) -> Limits:
        interval = max(self.interval_s, 0.01)
        low = self.min_interval_s
        if low is None:
            low = max(interval / 2, min(interval, 60.0))
        high = self.max_interval_s if self.max_interval_s is not None else 6 * interval
        low = min(low, high)
        return Limits(
            interval_s=interval,
            min_interval_s=low,
            max_interval_s=high,
            jitter=self.jitter,
            max_backoff_s=self.max_backoff_s,
            max_retry_after_s=self.max_retry_after_s,
        )


@dataclass
class PollReport:
    # A count, not the articles: a first start's pass stores 100,000 of them, and the
    # pipeline reads what it processes from storage.
    new_articles: int = 0
    polled: int = 0
    not_modified: int = 0
    unchanged: int = 0
    failed: int = 0
    disabled: list[Feed] = field(default_factory=list)  # feeds found dead in this poll
    unhealthy: list[Feed] = field(default_factory=list)  # feeds found unhealthy in this poll


def content_hash(title: str, text: str) -> str:
    return hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def to_new_articles(feed: Feed, parsed: ParsedFeed, now: datetime) -> list[NewArticle]:
    """Entries as articles with canonical URLs; entries without a web link are skipped
    because a summary cannot cite them."""
    articles: list[NewArticle] = []
    seen: set[str] = set()
    outlets: dict[str, str] = {}  # publisher -> the name its articles are shown under
    for entry in parsed.entries:
        link = entry.url or (entry.guid if entry.guid and "://" in entry.guid else None)
        if not link:
            continue
        url = canonical_url(link)
        if url in seen:
            continue
        seen.add(url)
        published = entry.published if entry.published and entry.published <= now else now
        publisher = publisher_of(url, parsed.site_url)
        outlet = outlets.get(publisher)
        if outlet is None:
            outlet = feed.name
            # A feed nobody named (no ``name`` configured, no title when a chat added it) is
            # stored under its URL, which says nothing to a reader; its own title does.
            if feed.name == feed.url:
                outlet = feed_outlet_name(parsed.title, publisher) or feed.name
            outlets[publisher] = outlet
        articles.append(
            NewArticle(
                feed_id=feed.id,
                outlet=outlet,
                url=url,
                guid=entry.guid,
                title=entry.title,
                text=entry.text,
                published=published,
                fetched_at=now,
                content_hash=content_hash(entry.title, entry.text),
                language=entry.language,
                publisher=publisher,
            )
        )
    return articles


class Watcher:
    def __init__(
        self,
        store: WatcherStore,
        fetcher: FeedFetcher,
        parser: FeedParser,
        clock: Clock,
        config: WatcherConfig,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._fetcher = fetcher
        self._parser = parser
        self._clock = clock
        self._config = config
        self._limits = config.limits()
        self._health = config.health()
        self._rng = rng or random.Random()
        # Fetches in flight; a poll gives its slot back once its body is read, and waits
        # for a parse worker and its writes holding only an ``_in_hand`` place: those
        # waits are the CPU's and the database's, not the network's.
        self._slots = asyncio.Semaphore(max(1, config.concurrency))
        self._in_hand = asyncio.Semaphore(max(1, config.concurrency) * _IN_HAND)
        # Poll passes of one process overlap; their claims must not. SQLite has no row
        # locks (FOR UPDATE SKIP LOCKED is dropped), so two claims racing in one process
        # could take the same feed; across processes PostgreSQL's locks keep them apart.
        self._claiming = asyncio.Lock()

    async def poll_due(self) -> PollReport:
        """Claim due feeds a few at a time and poll each once; never raises for one bad
        feed. Other processes on the same database claim the rest meanwhile."""
        report = PollReport()
        budget = max(0, self._config.batch_size)
        size = self._config.claim_size or self._config.batch_size
        # Only what is due now: feeds coming due while this pass runs wait for the next,
        # so a pass ends (and a stop request is honoured) however busy the feeds are.
        now = self._clock.now()
        while budget > 0:
            # The lease runs from this claim, not from the start of the pass.
            lease_s = self._config.claim_lease_s + (self._clock.now() - now).total_seconds()
            async with self._claiming:
                claimed = await self._store.claim_due_feeds(now, min(max(1, size), budget), lease_s)
            if not claimed:
                break
            budget -= len(claimed)
            await self._poll_claimed(claimed, report)
        return report

    async def _poll_claimed(self, due: Sequence[Feed], report: PollReport) -> None:
        groups: dict[str, list[Feed]] = defaultdict(list)
        for feed in due:
            if feed.enabled:
                groups[canonical_url(feed.url)].append(feed)
        by_host: dict[str, list[list[Feed]]] = defaultdict(list)
        for same_url in groups.values():
            by_host[host_of(same_url[0].url)].append(same_url)
        workers = [
            self._host_worker(queue, report)
            for queue in by_host.values()
            for _ in range(min(len(queue), max(1, self._config.per_host_concurrency)))
        ]
        await asyncio.gather(*workers)

    async def next_due_in(self) -> float:
        """Seconds until the earliest next check of an enabled feed (0 if one is due)."""
        any_enabled, earliest = await self._store.earliest_next_check()
        if not any_enabled:
            return self._limits.interval_s
        if earliest is None:
            return 0.0
        return max(0.0, (earliest - self._clock.now()).total_seconds())

    async def _host_worker(self, queue: list[list[Feed]], report: PollReport) -> None:
        while queue:
            same_url = queue.pop()
            # A host's politeness gap is waited out before taking a poll slot: slots
            # held by sleeping polls would bound the whole pass by the gap.
            await self._fetcher.wait_turn(same_url[0].url)
            async with self._in_hand:
                try:
                    await self._poll(same_url, report)
                except Exception:
                    # Storage trouble or a bug: log it and keep polling the other feeds.
                    log.exception("feed.poll feed=%s status=crash", same_url[0].id)
                    report.failed += len(same_url)

    async def _poll(self, feeds: Sequence[Feed], report: PollReport) -> None:
        lead = feeds[0]
        started = time.perf_counter()
        request = FetchRequest(
            url=lead.url,
            etag=lead.etag,
            last_modified=lead.last_modified,
            allow_private=all(f.allow_private for f in feeds),
        )
        try:
            async with self._slots:
                result = await self._fetcher.fetch(request)
        except FetchError as err:
            await self._fail(feeds, err, report, started)
            return
        now = self._clock.now()
        report.polled += len(feeds)
        hint = freshness_hint(result.headers, None)
        if result.not_modified or result.body is None:
            report.not_modified += len(feeds)
            for feed in feeds:
                await self._succeed(feed, "same", now, hint, (), result=result)
                self._log(feed, "304", 0, started)
            return
        digest = body_hash(result.body)
        if all(feed.body_hash == digest for feed in feeds):
            report.unchanged += len(feeds)
            for feed in feeds:
                await self._succeed(feed, "same", now, hint, (), result=result)
                self._log(feed, "unchanged", 0, started)
            return
        try:
            parsed = await self._parser.parse(result.body, result.headers, result.url)
        except FeedParseError as err:
            report.polled -= len(feeds)
            await self._fail(feeds, err, report, started)
            return
        hint = freshness_hint(result.headers, parsed.ttl_s)
        published = [e.published for e in parsed.entries if e.published is not None]
        for feed in feeds:
            stored = await self._store.add_articles(to_new_articles(feed, parsed, now))
            report.new_articles += len(stored)
            outcome: Outcome = "new" if stored else "same"
            await self._succeed(
                feed, outcome, now, hint, published, result=result,
                digest=digest, new=len(stored), warning=parsed.warning,
            )  # fmt: skip
            self._log(feed, "200", len(stored), started)

    async def _succeed(
        self,
        feed: Feed,
        outcome: Outcome,
        now: datetime,
        hint: float | None,
        published: Sequence[datetime],
        *,
        result: FetchResult,
        digest: str | None = None,
        new: int = 0,
        warning: str | None = None,
    ) -> None:
        interval = success_interval(
            feed, outcome, self._limits, self._rng, now=now, published=published, hint_s=hint
        )
        if feed.health != "ok":
            log.info("feed.recovered feed=%s was=%s", feed.id, feed.health)
        await self._store.save_feed_state(
            dataclasses.replace(
                feed,
                etag=result.etag if result.etag is not None else feed.etag,
                last_modified=(
                    result.last_modified if result.last_modified is not None else feed.last_modified
                ),
                body_hash=digest or feed.body_hash,
                next_check_at=at(now, interval),
                last_checked_at=now,
                last_success_at=now,
                last_error=f"warning: {warning}" if warning else feed.last_error,
                consecutive_failures=0,
                items_seen=feed.items_seen + new,
                health="ok",
                failing_since=None,
            )
        )

    async def _fail(
        self, feeds: Sequence[Feed], err: FetchError | FeedParseError, report: PollReport,
        started: float,
    ) -> None:  # fmt: skip
        now = self._clock.now()
        reason = err.reason
        status = getattr(err, "status", None)
        retry_after = (
            parse_retry_after(err.retry_after, now) if isinstance(err, RetryLaterError) else None
        )
        for feed in feeds:
            report.failed += 1
            failures = feed.consecutive_failures + 1
            failing_since = feed.failing_since or now
            health = health_after_failure(
                feed, failures, failing_since, now, self._health, gone=status == 410
            )
            if health == "dead":
                interval = self._health.dead_retry_s
            else:
                interval = failure_interval(
                    failures, self._limits, self._rng, retry_after_s=retry_after
                )
            updated = dataclasses.replace(
                feed,
                next_check_at=at(now, interval),
                last_checked_at=now,
                last_error=reason,
                consecutive_failures=failures,
                health=health,
                failing_since=failing_since,
            )
            await self._store.save_feed_state(updated)
            if health not in (feed.health, "ok"):
                (report.disabled if health == "dead" else report.unhealthy).append(updated)
                await self._tell(updated, health, failing_since, reason, now)
            self._log(feed, f"error({status or type(err).__name__})", 0, started)

    async def _tell(
        self, feed: Feed, health: Health, failing_since: datetime, reason: str, now: datetime
    ) -> None:
        """The chats the feed served, and the one that added it, hear of it once."""
        key = notice_key(feed, health, failing_since)
        notice = notice_of(feed, health, failing_since, self._health, reason)
        told = await self._store.enqueue_feed_notice(feed, key, notice.encode(), now=now)
        log.warning(
            "feed.%s feed=%s url=%s since=%s chats_told=%d",
            health, feed.id, feed.url, failing_since.isoformat(), told,
        )  # fmt: skip

    def _log(self, feed: Feed, status: str, new: int, started: float) -> None:
        ms = (time.perf_counter() - started) * 1000
        log.info("feed.poll feed=%s status=%s new=%d ms=%.0f", feed.id, status, new, ms)
