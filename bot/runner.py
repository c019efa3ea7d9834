"""The job runner: runs the pipeline and the dispatcher until asked to stop.

This is one of the two places allowed to catch broadly (the other is ``__main__``): a
failed cycle is logged and the next one runs, so the bot never silently stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Protocol

from bot.delivery import Dispatcher
from bot.domain import Article
from bot.pipeline import Pipeline

log = logging.getLogger("newsbot.runner")


class PollReportLike(Protocol):
    @property
    def new_articles(self) -> list[Article]: ...


class Leadership(Protocol):
    """Who owns the singleton work (polling, clustering, summarising) across processes."""

    async def try_acquire(self) -> bool: ...

    async def release(self) -> None: ...


class Poller(Protocol):
    async def poll_due(self) -> PollReportLike: ...

    async def next_due_in(self) -> float: ...


@dataclass(slots=True)
class RunStats:
    cycles: int = 0
    failures: int = 0
    articles: int = 0
    sent: int = 0


class Runner:
    def __init__(
        self,
        *,
        watcher: Poller,
        pipeline: Pipeline,
        dispatcher: Dispatcher,
        leader: Leadership | None = None,
        tick_s: float = 1.0,
    ) -> None:
        self.watcher = watcher
        self.pipeline = pipeline
        self.dispatcher = dispatcher
        self.leader = leader
        self.tick_s = tick_s
        self._restored = False
        self.stats = RunStats()
        # The pipeline owns the clusterer's memory: one cycle at a time in a process.
        self._cycle_lock = asyncio.Lock()

    async def cycle(self) -> None:
        """One pass: poll due feeds, process what arrived, send what is owed."""
        async with self._cycle_lock:
            leading = self.leader is None or await self.leader.try_acquire()
            if leading:
                if not self._restored:
                    # A new leader rebuilds the clusterer from storage before deciding.
                    await self.pipeline.restore()
                    self._restored = True
                report = await self.watcher.poll_due()
                self.stats.articles += len(report.new_articles)
                await self.pipeline.process(report.new_articles)
            elif self._restored:
                log.warning("runner.leadership_lost")
                self._restored = False
            # Every process sends: outbox rows are claimed with leases.
            sent = await self.dispatcher.dispatch_once()
            self.stats.sent += sent.sent
            self.stats.cycles += 1

    async def run(self, stop: asyncio.Event) -> None:
        """Cycle until ``stop`` is set; the cycle in flight is finished, never cut."""
        log.info("runner.started leader_election=%s", self.leader is not None)
        while not stop.is_set():
            try:
                await self.cycle()
            except Exception:  # the runner must outlive any one failed cycle
                self.stats.failures += 1
                log.exception("runner.cycle_failed failures=%d", self.stats.failures)
            try:
                wait = max(0.05, min(self.tick_s, await self.watcher.next_due_in()))
            except Exception:  # same reason: keep running, the next cycle retries
                log.exception("runner.schedule_failed")
                wait = self.tick_s
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)
        if self.leader is not None:
            await self.leader.release()
        log.info("runner.stopped cycles=%d failures=%d", self.stats.cycles, self.stats.failures)
