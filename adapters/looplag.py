"""How late the asyncio event loop runs: a ticker that measures its own oversleep.

A task sleeps ``interval_s`` again and again; each wake-up later than asked is time the
loop spent on something else (a blocking call, a long CPU stretch). The monitor keeps the
lags of the last ``window_s`` seconds so an exporter can report their 99th percentile and
maximum: a single stall stays visible for a whole scrape window instead of being averaged
away.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import deque
from collections.abc import Callable

__all__ = ["LoopLagMonitor"]


class LoopLagMonitor:
    def __init__(
        self,
        *,
        interval_s: float = 0.25,
        window_s: float = 60.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if interval_s <= 0 or window_s <= 0:
            raise ValueError("interval_s and window_s must be > 0")
        self.interval_s = interval_s
        self.window_s = window_s
        # The loop's own monotonic clock by default: the one its timers are scheduled on.
        self._clock = clock
        self._lags: deque[tuple[float, float]] = deque()
        self._task: asyncio.Task[None] | None = None

    def _now(self) -> float:
        if self._clock is not None:
            return self._clock()
        return asyncio.get_running_loop().time()

    def record(self, at: float, lag_s: float) -> None:
        """Keep one measured lag (seconds, clamped at 0) taken at monotonic time ``at``."""
        self._lags.append((at, max(0.0, lag_s)))
        self._forget_before(at - self.window_s)

    def _forget_before(self, cutoff: float) -> None:
        while self._lags and self._lags[0][0] < cutoff:
            self._lags.popleft()

    def _recent(self) -> list[float]:
        if self._lags:
            # Outside the loop (a test reading it afterwards) nothing is forgotten.
            with contextlib.suppress(RuntimeError):
                self._forget_before(self._now() - self.window_s)
        return [lag for _, lag in self._lags]

    def max_s(self) -> float:
        """The worst lag over the window; 0 before any measurement."""
        return max(self._recent(), default=0.0)

    def p99_s(self) -> float:
        """The 99th percentile lag over the window (nearest rank); 0 before any measurement."""
        lags = sorted(self._recent())
        if not lags:
            return 0.0
        rank = math.ceil(0.99 * len(lags))
        return lags[rank - 1]

    def samples(self) -> int:
        return len(self._recent())

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start ticking on the running loop (idempotent)."""
        if self.running:
            return
        self._task = asyncio.get_running_loop().create_task(self._tick(), name="loop-lag")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _tick(self) -> None:
        while True:
            asked = self._now()
            await asyncio.sleep(self.interval_s)
            woke = self._now()
            self.record(woke, woke - asked - self.interval_s)
