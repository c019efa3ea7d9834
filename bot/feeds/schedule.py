"""When to check a feed next: adaptive interval, backoff, and the server's own hints.

Pure functions of the feed's state, the outcome of a poll and an injected clock/rng, so
every decision is testable without waiting. The previous interval is recovered from the
stored ``next_check_at - last_checked_at``, so no extra column is needed to adapt.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Literal
from urllib.parse import urlsplit

from bot.core.domain import Feed
from bot.core.errors import FetchError

Outcome = Literal["new", "same"]
_MAX_AGE = re.compile(r"(?:^|[,\s])(?:s-maxage|max-age)\s*=\s*\"?(\d{1,10})", re.IGNORECASE)


class RetryLaterError(FetchError):
    """A refusal that came with a Retry-After header (429, 503, ...).

    ``retry_after`` is the raw header value; the watcher reads it against its own clock."""

    def __init__(self, reason: str, *, status: int, retry_after: str) -> None:
        super().__init__(reason, status=status, transient=True)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limits:
    """The scheduling bounds, all in seconds (see ``WatcherConfig`` for the docs)."""

    interval_s: float
    min_interval_s: float
    max_interval_s: float
    jitter: float
    max_backoff_s: float
    max_retry_after_s: float


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def parse_max_age(cache_control: str | None) -> float | None:
    """``max-age`` (or ``s-maxage``) seconds from Cache-Control, unless it forbids caching."""
    if not cache_control:
        return None
    lowered = cache_control.lower()
    if "no-store" in lowered or "no-cache" in lowered:
        return None
    ages = [int(age) for age in _MAX_AGE.findall(cache_control)]
    return float(max(ages)) if ages else None


def freshness_hint(headers: Mapping[str, str], ttl_s: int | None) -> float | None:
    """How long the publisher says the feed stays fresh: Cache-Control max-age or RSS ttl."""
    hints = [h for h in (parse_max_age(headers.get("cache-control")), ttl_s) if h is not None]
    return float(max(hints)) if hints else None


def publish_gap(published: Iterable[datetime], now: datetime) -> float | None:
    """The mean gap between a feed's recent items, counting the silence since the newest.

    Over the newest 20 items: ``(now - oldest) / (count - 1)``. Counting the silence means
    a batch of items posted minutes apart two days ago reads as hours between items, not
    minutes, and a feed that has gone quiet drifts slower with every poll that sees it.
    Dates in the future (clock skew, scheduled posts) count as now. None with fewer than
    three dates: too little to tell a rate from chance.
    """
    times = sorted({min(t, now) for t in published}, reverse=True)[:20]
    if len(times) < 3:
        return None
    return (now - times[-1]).total_seconds() / (len(times) - 1)


def previous_interval(feed: Feed, limits: Limits) -> float:
    if feed.next_check_at is None or feed.last_checked_at is None:
        return limits.interval_s
    seconds = (feed.next_check_at - feed.last_checked_at).total_seconds()
    return seconds if seconds > 0 else limits.interval_s


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _jittered(seconds: float, limits: Limits, rng: random.Random) -> float:
    return seconds * (1.0 + rng.uniform(-limits.jitter, limits.jitter))


def success_interval(
    feed: Feed,
    outcome: Outcome,
    limits: Limits,
    rng: random.Random,
    *,
    now: datetime,
    published: Iterable[datetime] = (),
    hint_s: float | None = None,
) -> float:
    """Seconds until the next check after a successful poll.

    A feed that publishes often is checked more often; one that does not change drifts
    towards ``max_interval_s``. The publisher's freshness hint is a floor, within the max.
    """
    gap = publish_gap(published, now)
    previous = previous_interval(feed, limits)
    if outcome == "new":
        # Half the usual gap catches the next item about halfway through its wait.
        interval = gap / 2 if gap is not None else previous * 0.7
    else:
        interval = previous * 1.3
        if gap is not None:
            interval = max(interval, gap / 2)
    if hint_s is not None:
        interval = max(interval, hint_s)
    interval = _jittered(interval, limits, rng)
    return _clamp(interval, limits.min_interval_s, limits.max_interval_s)


def failure_interval(
    failures: int, limits: Limits, rng: random.Random, *, retry_after_s: float | None = None
) -> float:
    """Exponential backoff with jitter after ``failures`` consecutive failures (>= 1)."""
    base = max(limits.interval_s, limits.min_interval_s)
    ceiling = max(limits.max_backoff_s, limits.max_interval_s)
    delay = min(ceiling, base * (2 ** min(max(failures - 1, 0), 30)))
    # "Equal jitter": never sooner than half the step, so a crowd of feeds that failed
    # together (a host outage) spreads out instead of retrying in lockstep.
    delay = rng.uniform(delay / 2, delay)
    if retry_after_s is not None:
        delay = max(delay, min(retry_after_s, limits.max_retry_after_s))
    return max(delay, limits.min_interval_s)


def at(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def spread_over_hosts(due: Sequence[tuple[int, str]], limit: int) -> list[int]:
    """Up to ``limit`` of the ``due`` feeds (id, URL; most overdue first), taken in turns
    by host: each host's most overdue feed, then each one's second, and so on.

    A host is asked at most ``per_host_concurrency`` times at once and ``per_host_gap_s``
    apart, so a claim that holds ten feeds of one host takes 2.5 s at the least whatever
    else is free. Feeds added together (an OPML import, a site's sections) sit together
    in overdue order; taken as they stand, a claim covers few hosts and waits on their
    gaps while the poll slots idle.
    """
    turns: dict[str, list[int]] = {}
    for feed_id, url in due:
        turns.setdefault(host_of(url), []).append(feed_id)
    taken: list[int] = []
    depth = 0
    while len(taken) < limit and turns:
        for host in list(turns):
            ids = turns[host]
            if depth >= len(ids):
                del turns[host]
                continue
            taken.append(ids[depth])
            if len(taken) >= limit:
                break
        depth += 1
    return taken
