"""A service that runs in one process of several at a time, held by an advisory lock."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.app.ports import Leadership

log = logging.getLogger("newsbot.runner")  # its lines have always been the runner's


class ExclusiveService:
    """Runs a service in at most one process at a time: while this process holds
    ``leadership`` (its own advisory lock, not the clustering leader's) the service runs
    here; when the lock is lost the service stops, and another process starts it.

    Telegram's long polling needs this: a second ``getUpdates`` caller for one token is
    answered 409 Conflict, and the two would steal updates from each other.
    """

    def __init__(
        self,
        name: str,
        leadership: Leadership,
        *,
        start: Callable[[], Awaitable[None]],
        stop: Callable[[], Awaitable[None]],
        check_s: float = 5.0,
    ) -> None:
        self.name = name
        self.leadership = leadership
        self._start = start
        self._stop = stop
        self.check_s = check_s
        self.running = False

    async def step(self) -> bool:
        """Start or stop the service to match the lock; True while it runs here."""
        # While held, try_acquire only checks the lock's connection is alive.
        held = await self.leadership.try_acquire()
        if held and not self.running:
            try:
                await self._start()
            except Exception:  # a failed start is retried on the next step
                log.exception("service.start_failed name=%s", self.name)
                await self.leadership.release()
                return False
            self.running = True
            log.info("service.started name=%s", self.name)
        elif not held and self.running:
            log.warning("service.lost_lock name=%s", self.name)
            await self.shutdown()
        return self.running

    async def shutdown(self) -> None:
        if self.running:
            self.running = False
            try:
                await self._stop()
            finally:
                log.info("service.stopped name=%s", self.name)
        await self.leadership.release()

    async def run(self, stop: asyncio.Event) -> None:
        """Step every ``check_s`` until ``stop``, then stop the service and release."""
        try:
            while not stop.is_set():
                try:
                    await self.step()
                except Exception:  # the lock check itself failed: try again later
                    log.exception("service.step_failed name=%s", self.name)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.check_s)
        finally:
            await self.shutdown()
