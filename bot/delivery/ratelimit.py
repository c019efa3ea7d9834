"""Platform rate limits, used to the full without tripping them.

Each platform has windows that every send must fit into: a global one, one per chat,
and (Telegram) a slower one per group. A send is allowed when every window it belongs
to has room; otherwise ``wait_s`` says how long until it has. A 429 from the platform
blocks the chat (or the whole platform, for a global limit) for its ``retry_after``.
Pure logic over a monotonic time the caller passes in.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.core.domain import Destination


@dataclass(frozen=True, slots=True)
class Rate:
    """At most ``count`` sends in any ``per_s`` seconds."""

    count: int
    per_s: float


@dataclass(frozen=True, slots=True)
class PlatformLimits:
    overall: tuple[Rate, ...] = ()
    per_chat: tuple[Rate, ...] = ()
    per_group: tuple[Rate, ...] = ()  # chats that are groups (Telegram: negative ids)


@dataclass(frozen=True, slots=True)
class RateLimitConfig:
    """TOML section [rate_limits]; the defaults are the platforms' published limits with a
    small safety margin. ``scale`` multiplies every rate (benchmarks on a shortened clock)."""

    telegram_per_s: float = 29.0
    telegram_chat_per_s: float = 1.0
    telegram_group_per_min: float = 19.0
    discord_per_s: float = 47.0
    discord_channel_per_5s: float = 5.0
    scale: float = 1.0

    def limits(self) -> dict[str, PlatformLimits]:
        k = self.scale
        return {
            "telegram": PlatformLimits(
                overall=(Rate(int(self.telegram_per_s), 1.0 / k),),
                per_chat=(Rate(int(self.telegram_chat_per_s), 1.0 / k),),
                per_group=(Rate(int(self.telegram_group_per_min), 60.0 / k),),
            ),
            "discord": PlatformLimits(
                overall=(Rate(int(self.discord_per_s), 1.0 / k),),
                per_chat=(Rate(int(self.discord_channel_per_5s), 5.0 / k),),
            ),
        }


# A platform-wide window is paced: sends are spread evenly through it, with room for
# this many back to back. Filling a window in one burst leaves no margin for the jitter
# between when a send is counted here and when it reaches the platform: a burst that
# lands a few milliseconds late overlaps the next one and trips the global limit.
PACED_BURST = 3


@dataclass(slots=True)
class _Window:
    rate: Rate
    sent: deque[float] = field(default_factory=deque)
    blocked_until: float = 0.0
    paced: bool = False
    # Pacing (GCRA): when the next send is due if sends were spread evenly.
    due: float = 0.0

    def wait_s(self, now: float) -> float:
        while self.sent and self.sent[0] <= now - self.rate.per_s:
            self.sent.popleft()
        wait = max(0.0, self.blocked_until - now)
        if len(self.sent) >= self.rate.count:
            wait = max(wait, self.sent[0] + self.rate.per_s - now)
        if self.paced:
            spacing = self.rate.per_s / self.rate.count
            wait = max(wait, self.due - (PACED_BURST - 1) * spacing - now)
        return wait

    def record(self, now: float) -> None:
        self.sent.append(now)
        if self.paced:
            self.due = max(self.due, now) + self.rate.per_s / self.rate.count


def is_group(destination: Destination) -> bool:
    """Telegram groups and channels have negative ids; private chats positive ones."""
    return destination.platform == "telegram" and destination.chat_id.startswith("-")


class RateLimiter:
    def __init__(self, limits: Mapping[str, PlatformLimits]) -> None:
        self._limits = dict(limits)
        self._windows: dict[tuple[str, str, int], _Window] = {}
        # A fan-out asks about the same few thousand chats for every send it schedules.
        self._scoped: dict[tuple[str, str], list[_Window]] = {}

    def _scopes(self, destination: Destination) -> list[_Window]:
        cache_key = (destination.platform, destination.chat_id)
        cached = self._scoped.get(cache_key)
        if cached is not None:
            return cached
        limits = self._limits.get(destination.platform)
        if limits is None:
            return []
        windows = []
        overall = len(limits.overall)
        scoped = [("*", rate) for rate in limits.overall]
        scoped += [(destination.chat_id, rate) for rate in limits.per_chat]
        if is_group(destination):
            scoped += [(f"group:{destination.chat_id}", rate) for rate in limits.per_group]
        for index, (scope, rate) in enumerate(scoped):
            key = (destination.platform, scope, index)
            window = self._windows.get(key)
            if window is None:
                window = self._windows[key] = _Window(rate, paced=index < overall)
            windows.append(window)
        self._scoped[cache_key] = windows
        return windows

    def wait_s(self, destination: Destination, now: float) -> float:
        """Seconds until a send to ``destination`` fits every window (0: send now)."""
        wait = 0.0
        for window in self._scopes(destination):
            wait = max(wait, window.wait_s(now))
        return wait

    def record(self, destination: Destination, now: float) -> None:
        for window in self._scopes(destination):
            window.record(now)

    def block(
        self, destination: Destination, until: float, *, whole_platform: bool = False
    ) -> None:
        """After a 429: nothing more to this chat (or platform) until ``until``."""
        for window in self._scopes(destination):
            is_global = window.rate in self._limits[destination.platform].overall
            if whole_platform or not is_global:
                window.blocked_until = max(window.blocked_until, until)

    def settle(self, destination: Destination, started: float, finished: float) -> None:
        """Move a send recorded at ``started`` to ``finished`` (when its answer came): the
        platform counted it somewhere in between, so counting it at the end keeps every
        window on the safe side whatever the latency."""
        for window in self._scopes(destination):
            sent = window.sent
            for i in range(len(sent) - 1, -1, -1):
                if sent[i] == started:
                    del sent[i]
                    # Keep the deque sorted: insert before the first later entry.
                    at = len(sent)
                    while at > 0 and sent[at - 1] > finished:
                        at -= 1
                    sent.insert(at, finished)
                    break

    def platform_wait_s(self, platform: str, now: float) -> float:
        """Seconds until the platform-wide windows have room (0: some chat may go now)."""
        limits = self._limits.get(platform)
        if limits is None:
            return 0.0
        # Platform-wide windows come first in _scopes, so their keys use indexes 0..n-1.
        keys = [(platform, "*", index) for index in range(len(limits.overall))]
        return max((self._windows[k].wait_s(now) for k in keys if k in self._windows), default=0.0)

    def pause_platform(self, platform: str, now: float) -> None:
        """Send nothing to ``platform`` for its longest platform-wide window: a newly
        elected sender waits out the sends the previous one may have made, which its
        windows never saw."""
        limits = self._limits.get(platform)
        if limits is None:
            return
        for index, rate in enumerate(limits.overall):
            key = (platform, "*", index)
            window = self._windows.get(key)
            if window is None:
                window = self._windows[key] = _Window(rate, paced=True)
            window.blocked_until = max(window.blocked_until, now + rate.per_s)
