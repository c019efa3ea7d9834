"""Which claimed outbox row goes next: chats in turn, each chat in order, within the limits.

Pure bookkeeping over the rows one delivery pass holds, on a monotonic time the caller
passes in; the pass (``bot.delivery.dispatcher``) does the sending and the storage calls.

Each chat has one send in flight at most, so its rows arrive in order. Chats that may
send wait in a per-platform heap keyed by when their rate windows next have room; a chat
is in its platform's heap exactly while it has queued rows and nothing in flight. A pass
therefore looks at the few chats that can go, not at every chat it holds: scanning 4,000
chats for every send made the scheduler the busiest code of a large fan-out.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import Counter, deque

from bot.core.domain import Delivery
from bot.delivery.ratelimit import RateLimiter


class SendQueue:
    def __init__(self, limiter: RateLimiter) -> None:
        self._limiter = limiter
        self._queues: dict[str, deque[Delivery]] = {}
        self._ready: dict[str, list[tuple[float, int, str]]] = {}
        self._busy: set[str] = set()
        # Equal times: first come, first served, which makes the heap a round-robin.
        self._order = itertools.count()
        self.waiting: Counter[str] = Counter()  # queued rows per platform

    def __bool__(self) -> bool:
        return bool(self._queues)

    def _make_ready(self, row: Delivery, at: float) -> None:
        heap = self._ready.setdefault(row.destination.platform, [])
        heapq.heappush(heap, (at, next(self._order), row.destination.key))

    def add(self, rows: list[Delivery]) -> None:
        """Queue claimed rows behind the ones their chats already hold."""
        for row in rows:
            key = row.destination.key
            if key not in self._queues:
                self._queues[key] = deque()
                if key not in self._busy:
                    self._make_ready(row, 0.0)
            self._queues[key].append(row)
            self.waiting[row.destination.platform] += 1

    def drain(self, platform: str | None = None) -> list[Delivery]:
        """Every queued row (of ``platform``, when given), removed (to hand back to the
        outbox); sends in flight stay."""
        if platform is None:
            rows = [row for queue in self._queues.values() for row in queue]
            self._queues.clear()
            self._ready.clear()
            self.waiting.clear()
            return rows
        keys = [k for k, q in self._queues.items() if q[0].destination.platform == platform]
        rows = [row for key in keys for row in self._queues.pop(key)]
        self._ready.pop(platform, None)
        self.waiting.pop(platform, None)
        return rows

    def start(self, now: float, room: int) -> tuple[list[Delivery], float]:
        """The rows that may be sent now (at most ``room``), already counted in the rate
        windows, and the seconds until another may (``inf``: none is queued or every
        queued chat has a send in flight)."""
        started: list[Delivery] = []
        soonest = math.inf
        for platform, heap in self._ready.items():
            platform_wait = self._limiter.platform_wait_s(platform, now)
            while heap and platform_wait <= 0 and len(started) < room:
                at, _, key = heap[0]
                if at > now:
                    soonest = min(soonest, at - now)
                    break
                heapq.heappop(heap)
                row = self._queues[key][0]
                wait = self._limiter.wait_s(row.destination, now)
                if wait > 0:
                    self._make_ready(row, now + wait)
                    platform_wait = self._limiter.platform_wait_s(platform, now)
                    continue
                self._queues[key].popleft()
                self.waiting[platform] -= 1
                if not self._queues[key]:
                    del self._queues[key]
                self._limiter.record(row.destination, now)
                self._busy.add(key)
                started.append(row)
                platform_wait = self._limiter.platform_wait_s(platform, now)
            if platform_wait > 0 and heap:
                soonest = min(soonest, platform_wait)
        return started, soonest

    def finished(self, row: Delivery, now: float, *, blocked: bool) -> list[Delivery]:
        """``row``'s send ended at ``now``. After a refusal to wait (``blocked``) the chat's
        queued rows are returned, removed: later rows must not overtake the one that waits,
        so they go back to the outbox with it."""
        key = row.destination.key
        self._busy.discard(key)
        if key not in self._queues:
            return []
        if blocked:
            held = list(self._queues.pop(key))
            self.waiting[row.destination.platform] -= len(held)
            return held
        self._make_ready(self._queues[key][0], now)
        return []
