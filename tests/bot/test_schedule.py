"""Next-check decisions: adaptivity, clamps, backoff, and the publisher's hints."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import Feed
from bot.schedule import (
    failure_interval,
    freshness_hint,
    parse_max_age,
    parse_retry_after,
    publish_gap,
    success_interval,
)
from bot.watcher import WatcherConfig

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
            interval = success_interval(feed_with_interval(previous), outcome, limits, rng)
            assert 1 <= interval <= 2


def test_feeds_that_change_are_checked_sooner_than_quiet_ones() -> None:
    limits = WatcherConfig(interval_s=300, jitter=0).limits()
    rng = random.Random(1)
    feed = feed_with_interval(600)
    assert (
        success_interval(feed, "new", limits, rng)
        < 600
        < success_interval(feed, "same", limits, rng)
    )
    quiet = feed_with_interval(1800)
    assert success_interval(quiet, "same", limits, rng) == 1800


def test_publishing_rate_sets_the_interval_when_dates_are_known() -> None:
    limits = WatcherConfig(interval_s=300, jitter=0).limits()
    hourly = [NOW - timedelta(hours=h) for h in range(10)]
    assert publish_gap(hourly) == 3600
    assert (
        success_interval(feed_with_interval(300), "new", limits, random.Random(), published=hourly)
        == 1800
    )
    every_minute = [NOW - timedelta(minutes=m) for m in range(10)]
    # Clamped to the minimum however busy the feed is.
    assert (
        success_interval(
            feed_with_interval(300), "new", limits, random.Random(), published=every_minute
        )
        == 150
    )


def test_hints_are_a_floor_within_the_maximum() -> None:
    limits = WatcherConfig(interval_s=300, jitter=0).limits()
    feed = feed_with_interval(300)
    assert success_interval(feed, "new", limits, random.Random(), hint_s=1200) == 1200
    assert success_interval(feed, "new", limits, random.Random(), hint_s=86400) == 1800


def test_jitter_stays_within_its_fraction() -> None:
    limits = WatcherConfig(interval_s=300, jitter=0.1).limits()
    rng = random.Random(7)
    values = {success_interval(feed_with_interval(600), "same", limits, rng) for _ in range(50)}
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
