"""The send queue: chats in turn, each chat in order, within the rate windows."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from bot.core.domain import Delivery, Destination
from bot.delivery.ratelimit import PlatformLimits, Rate, RateLimiter
from bot.delivery.send_queue import SendQueue

WHEN = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def row(row_id: int, chat: str, story: str, platform: str = "telegram") -> Delivery:
    return Delivery(
        id=row_id,
        subscription_id=1,
        destination=Destination(platform, chat),
        story_id=story,
        story_version=1,
        created_at=WHEN,
    )


def limiter(per_chat_s: float = 1.0, overall: int = 1000) -> RateLimiter:
    limits = PlatformLimits(overall=(Rate(overall, 1.0),), per_chat=(Rate(1, per_chat_s),))
    return RateLimiter({"telegram": limits, "discord": limits})


def test_each_chat_has_one_send_in_flight_and_keeps_its_order() -> None:
    queue = SendQueue(limiter())
    queue.add([row(1, "a", "s1"), row(2, "a", "s2"), row(3, "b", "s1")])
    started, _ = queue.start(0.0, room=10)
    assert [r.id for r in started] == [1, 3], "one per chat, in claim order"
    assert queue.start(0.0, room=10)[0] == [], "a's next row waits for its first to end"
    assert queue.finished(started[0], 0.1, blocked=False) == []
    # Chat a's window (1 a second) has no room until 1.0: the queue says when.
    again, soonest = queue.start(0.1, room=10)
    assert again == []
    assert soonest == 0.9
    assert [r.id for r in queue.start(1.0, room=10)[0]] == [2]


def test_chats_take_turns_and_room_caps_a_start() -> None:
    queue = SendQueue(limiter(per_chat_s=0.001))
    queue.add([row(n, chat, "s1") for n, chat in enumerate("abcdef", start=1)])
    first, _ = queue.start(0.0, room=2)
    assert [r.id for r in first] == [1, 2]
    # The platform-wide window is paced: a third goes at once, the rest a moment later.
    assert [r.id for r in queue.start(0.0, room=10)[0]] == [3]
    second, _ = queue.start(1.0, room=10)
    assert [r.id for r in second] == [4, 5, 6]
    assert queue.waiting["telegram"] == 0
    assert not queue


def test_a_blocked_send_hands_its_chats_later_rows_back() -> None:
    queue = SendQueue(limiter())
    queue.add([row(1, "a", "s1"), row(2, "a", "s2"), row(3, "a", "s3"), row(4, "b", "s1")])
    started, _ = queue.start(0.0, room=10)
    held = queue.finished(started[0], 0.1, blocked=True)
    assert [r.id for r in held] == [2, 3]
    assert queue.waiting["telegram"] == 0
    assert queue.start(5.0, room=10)[0] == [], "nothing of chat a is left to overtake"


def test_drain_returns_every_queued_row_once() -> None:
    queue = SendQueue(limiter())
    queue.add([row(1, "a", "s1"), row(2, "a", "s2"), row(3, "b", "s1", "discord")])
    started, _ = queue.start(0.0, room=1)
    drained = queue.drain()
    assert sorted(r.id for r in drained + started) == [1, 2, 3]
    assert not queue
    assert queue.start(10.0, room=10) == ([], math.inf)
    # The in-flight row's end is still accepted, and hands nothing back.
    assert queue.finished(started[0], 10.0, blocked=True) == []


def test_a_full_platform_window_stops_only_that_platform() -> None:
    queue = SendQueue(limiter(per_chat_s=0.001, overall=2))
    queue.add([row(n, f"t{n}", "s1") for n in range(1, 5)])
    queue.add([row(n, f"d{n}", "s1", "discord") for n in range(5, 7)])
    started, soonest = queue.start(0.0, room=10)
    by_platform = sorted((r.destination.platform, r.id) for r in started)
    assert by_platform == [("discord", 5), ("discord", 6), ("telegram", 1), ("telegram", 2)]
    assert 0 < soonest <= 1.0
