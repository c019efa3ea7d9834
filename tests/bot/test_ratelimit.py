"""Rate windows: sends fit every window; a 429 blocks the chat for its retry_after."""

from __future__ import annotations

from bot.domain import Destination
from bot.ratelimit import PlatformLimits, Rate, RateLimitConfig, RateLimiter

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
