"""Rate windows: sends fit every window; a 429 blocks the chat for its retry_after."""

from __future__ import annotations

import pytest

from bot.core.domain import Destination
from bot.delivery.ratelimit import PACED_BURST, PlatformLimits, Rate, RateLimitConfig, RateLimiter

GROUP = Destination("telegram", "-100")
DM = Destination("telegram", "42")


def test_per_chat_window_spaces_sends_to_one_chat() -> None:
    limiter = RateLimiter(RateLimitConfig().limits())
    assert limiter.wait_s(DM, 0.0) == 0
    limiter.record(DM, 0.0)
    assert 0.99 <= limiter.wait_s(DM, 0.0) <= 1.0
    assert limiter.wait_s(Destination("telegram", "43"), 0.0) == 0
    assert limiter.wait_s(DM, 1.0) == 0


def test_global_window_caps_all_chats_together() -> None:
    limiter = RateLimiter({"telegram": PlatformLimits(overall=(Rate(3, 1.0),))})
    for chat in range(3):
        limiter.record(Destination("telegram", str(chat)), 0.0)
    assert limiter.wait_s(Destination("telegram", "99"), 0.5) == 0.5


def test_groups_have_a_per_minute_window() -> None:
    limiter = RateLimiter(RateLimitConfig(telegram_group_per_min=2).limits())
    limiter.record(GROUP, 0.0)
    limiter.record(GROUP, 1.0)
    assert limiter.wait_s(GROUP, 2.0) == 58.0
    limiter.record(DM, 0.0)
    limiter.record(DM, 1.0)
    assert limiter.wait_s(DM, 2.0) == 0, "private chats have no per-minute window"


def test_a_rate_limit_answer_blocks_only_that_chat() -> None:
    limiter = RateLimiter(RateLimitConfig().limits())
    limiter.block(DM, until=10.0)
    assert limiter.wait_s(DM, 4.0) == 6.0
    assert limiter.wait_s(GROUP, 4.0) == 0


def test_scale_shortens_every_window() -> None:
    limiter = RateLimiter(RateLimitConfig(scale=10).limits())
    limiter.record(DM, 0.0)
    assert limiter.wait_s(DM, 0.0) <= 0.1


def test_platforms_without_limits_never_wait() -> None:
    limiter = RateLimiter(RateLimitConfig().limits())
    console = Destination("console", "local")
    for _ in range(100):
        limiter.record(console, 0.0)
    assert limiter.wait_s(console, 0.0) == 0


def test_the_platform_window_is_paced_not_filled_in_one_burst() -> None:
    limiter = RateLimiter({"discord": PlatformLimits(overall=(Rate(50, 1.0),))})
    chats = [Destination("discord", str(n)) for n in range(100)]
    # A few may go back to back; then sends are spread 20 ms apart, not 50 at once.
    for chat in chats[:PACED_BURST]:
        assert limiter.wait_s(chat, 0.0) == 0
        limiter.record(chat, 0.0)
    assert limiter.wait_s(chats[PACED_BURST], 0.0) == pytest.approx(0.02)


def test_pacing_keeps_the_full_rate_over_a_second() -> None:
    limiter = RateLimiter({"discord": PlatformLimits(overall=(Rate(50, 1.0),))})
    now, sent = 0.0, []
    for n in range(200):
        chat = Destination("discord", str(n))
        wait = limiter.wait_s(chat, now)
        # A late wake-up (as a busy event loop has) is caught up by the burst allowance.
        now += wait + (0.004 if n % 2 else 0.0)
        assert limiter.wait_s(chat, now) == 0
        limiter.record(chat, now)
        sent.append(now)
    per_second = max(sum(1 for t in sent if start <= t < start + 1.0) for start in sent)
    assert 47 <= per_second <= 50
    assert 200 / sent[-1] >= 0.9 * 50


def test_per_chat_windows_are_not_paced() -> None:
    # Discord lets a channel take 5 messages at once; only the platform-wide window paces.
    limiter = RateLimiter({"discord": PlatformLimits(per_chat=(Rate(5, 5.0),))})
    channel = Destination("discord", "7")
    for _ in range(5):
        assert limiter.wait_s(channel, 10.0) == 0
        limiter.record(channel, 10.0)
    assert limiter.wait_s(channel, 10.0) == 5.0
