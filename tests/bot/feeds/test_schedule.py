"""Next-check decisions: adaptivity, clamps, backoff, and the publisher's hints."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.domain import Feed
from bot.feeds.schedule import (
    failure_interval,
    freshness_hint,
    host_of,
    parse_max_age,
    parse_retry_after,
    publish_gap,
    spread_over_hosts,
    success_interval,
)
from bot.feeds.watcher import WatcherConfig

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def feed_with_interval(seconds: float | None) -> Feed:
    if seconds is None:
        return Feed(id=1, url="https://e.com/f", name="E")
    return Feed(
        id=1,
        url="https://e.com/f",
        name="E",
        last_checked_at=NOW - timedelta(seconds=seconds),
        next_check_at=NOW,
    )


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("120", NOW) == 120
    assert parse_retry_after("Mon, 05 Jan 2026 12:10:00 GMT", NOW) == 600
    assert parse_retry_after("Mon, 05 Jan 2026 11:00:00 GMT", NOW) == 0
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after("", NOW) is None
    assert parse_retry_after(None, NOW) is None


def test_cache_control_max_age() -> None:
    assert parse_max_age("public, max-age=900") == 900
    assert parse_max_age("s-maxage=60, max-age=30") == 60
    assert parse_max_age("no-cache, max-age=900") is None
    assert parse_max_age("private") is None
    assert freshness_hint({"cache-control": "max-age=60"}, 1800) == 1800
    assert freshness_hint({}, None) is None


def test_default_limits_sit_around_the_interval() -> None:
    limits = WatcherConfig(interval_s=300).limits()
    assert limits.min_interval_s == 150
    assert limits.max_interval_s == 1800
    fast = WatcherConfig(interval_s=1, max_interval_s=2).limits()
    assert (fast.min_interval_s, fast.max_interval_s) == (1, 2)


def test_a_fast_config_really_checks_every_one_or_two_seconds() -> None:
    limits = WatcherConfig(interval_s=1, max_interval_s=2).limits()
    rng = random.Random(1)
    for outcome in ("new", "same"):
        for previous in (None, 0.5, 1, 2, 600):
            feed = feed_with_interval(previous)
            interval = success_interval(feed, outcome, limits, rng, now=NOW)
            assert 1 <= interval <= 2


def test_feeds_that_change_are_checked_sooner_than_quiet_ones() -> None:
    limits = WatcherConfig(interval_s=300, jitter=0).limits()
    rng = random.Random(1)
    feed = feed_with_interval(600)
    assert (
        success_interval(feed, "new", limits, rng, now=NOW)
        < 600
        < success_interval(feed, "same", limits, rng, now=NOW)
    )
    quiet = feed_with_interval(1800)
    assert success_interval(quiet, "same", limits, rng, now=NOW) == 1800


def test_publishing_rate_sets_the_interval_when_dates_are_known() -> None:
    limits = WatcherConfig(interval_s=300, jitter=0).limits()
    hourly = [NOW - timedelta(hours=h) for h in range(10)]
    assert publish_gap(hourly, NOW) == 3600
    assert (
        success_interval(
            feed_with_interval(300), "new", limits, random.Random(), now=NOW, published=hourly
        )
        == 1800
    )
    every_minute = [NOW - timedelta(minutes=m) for m in range(10)]
    # Clamped to the minimum however busy the feed is.
    assert (
        success_interval(
            feed_with_interval(300),
            "new",
            limits,
            random.Random(),
            now=NOW,
            published=every_minute,
        )
        == 150
    )


def test_a_burst_long_ago_does_not_read_as_a_busy_feed() -> None:
    # Fifteen items three minutes apart, the newest two days old: a site that posted a
    # batch once, not a wire service. Polling it every few minutes would only annoy it.
    burst = [NOW - timedelta(days=2, minutes=3 * i) for i in range(15)]
    gap = publish_gap(burst, NOW)
    assert gap is not None
    assert gap > 3 * 3600
    limits = WatcherConfig(interval_s=300, jitter=0).limits()
    assert (
        success_interval(
            feed_with_interval(300), "new", limits, random.Random(), now=NOW, published=burst
        )
        == limits.max_interval_s
    )
    # The same items with the newest a minute old really are a busy feed.
    busy = [NOW - timedelta(minutes=1 + 3 * i) for i in range(15)]
    assert publish_gap(busy, NOW) == pytest.approx(180, abs=5)


def test_future_dates_count_as_now_and_few_dates_tell_nothing() -> None:
    future = [NOW + timedelta(days=d) for d in range(1, 5)] + [NOW - timedelta(hours=1)]
    # The four future items collapse onto "now": two distinct times are too few.
    assert publish_gap(future, NOW) is None
    assert publish_gap([NOW, NOW - timedelta(hours=1)], NOW) is None


def test_a_quiet_poll_never_shortens_the_wait_below_the_publishing_rate() -> None:
    limits = WatcherConfig(interval_s=300, jitter=0).limits()
    daily = [NOW - timedelta(days=d, hours=5) for d in range(10)]
    # A changed body with no new items (a rebuilt timestamp, say) on a feed that posts
    # daily: the rate, not the short previous interval, sets the wait.
    assert (
        success_interval(
            feed_with_interval(150), "same", limits, random.Random(), now=NOW, published=daily
        )
        == limits.max_interval_s
    )
    # Without dates a quiet poll backs off from the previous interval.
    assert (
        success_interval(feed_with_interval(150), "same", limits, random.Random(), now=NOW) == 195
    )


def test_hints_are_a_floor_within_the_maximum() -> None:
    limits = WatcherConfig(interval_s=300, jitter=0).limits()
    feed = feed_with_interval(300)
    assert success_interval(feed, "new", limits, random.Random(), hint_s=1200, now=NOW) == 1200
    assert success_interval(feed, "new", limits, random.Random(), hint_s=86400, now=NOW) == 1800


def test_jitter_stays_within_its_fraction() -> None:
    limits = WatcherConfig(interval_s=300, jitter=0.1).limits()
    rng = random.Random(7)
    values = {
        success_interval(feed_with_interval(600), "same", limits, rng, now=NOW) for _ in range(50)
    }
    assert len(values) > 10
    assert all(780 * 0.9 <= v <= 780 * 1.1 for v in values)


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    limits = WatcherConfig(interval_s=60, max_backoff_s=3600).limits()
    rng = random.Random(3)
    steps = [failure_interval(n, limits, rng) for n in range(1, 12)]
    for n, value in enumerate(steps, start=1):
        full = min(3600, 60 * 2 ** (n - 1))
        assert max(full / 2, limits.min_interval_s) <= value <= full
    assert steps[5] > steps[0] * 4


def test_retry_after_extends_backoff_within_its_cap() -> None:
    limits = WatcherConfig(interval_s=60, max_retry_after_s=7200).limits()
    assert failure_interval(1, limits, random.Random(), retry_after_s=3000) == 3000
    assert failure_interval(1, limits, random.Random(), retry_after_s=10**9) == 7200


@pytest.mark.parametrize("failures", [0, 1, 500])
def test_backoff_never_goes_below_the_minimum(failures: int) -> None:
    limits = WatcherConfig(interval_s=10).limits()
    assert failure_interval(failures, limits, random.Random()) >= limits.min_interval_s


def test_a_claim_takes_each_hosts_most_overdue_feeds_in_turns() -> None:
    # An OPML import: ten feeds of one site, then three of another, then one more site.
    due = [(i, f"https://big.example/f{i}.xml") for i in range(10)]
    due += [(10 + i, f"https://Small.example/f{i}.xml") for i in range(3)]
    due.append((13, "https://other.example/rss"))
    assert spread_over_hosts(due, 6) == [0, 10, 13, 1, 11, 2]
    # Everything due fits: all of it, each host's feeds still most overdue first.
    assert sorted(spread_over_hosts(due, 100)) == list(range(14))
    assert spread_over_hosts(due, 100)[-7:] == [3, 4, 5, 6, 7, 8, 9]
    assert spread_over_hosts(due, 0) == []
    assert spread_over_hosts([], 5) == []


def test_a_url_that_cannot_be_read_has_no_host() -> None:
    assert host_of("https://Big.Example:8080/rss") == "big.example"
    assert host_of("http://[::1") == ""
