"""The job runner: runs the pipeline and the dispatcher until asked to stop.

This is one of the two places allowed to catch broadly (the other is ``__main__``): a
failed cycle is logged and the next one runs, so the bot never silently stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.app.ports import Leadership, OutboxGauge, Poller, PollReportLike, Wakeup
from bot.core.metrics import Metrics
from bot.delivery.dispatcher import Dispatcher
from bot.stories.pipeline import CycleReport, Pipeline
from bot.stories.retention import Pruner

log = logging.getLogger("newsbot.runner")


@dataclass(frozen=True, slots=True)
class RunnerConfig:
    """TOML [runner]."""

    # The longest the loop sleeps between cycles without a wake-up notice.
    tick_s: float = 1.0
    # The same where notices arrive (PostgreSQL): the database is asked far less often.
    notified_tick_s: float = 5.0
    # Stored articles the leader clusters per batch.
    cluster_batch: int = 500


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
        outbox: OutboxGauge,
        leader: Leadership | None = None,
        tick_s: float = 1.0,
        wakeup: Wakeup | None = None,
        cluster_batch: int = 500,
        metrics: Metrics | None = None,
    ) -> None:
        self.watcher = watcher
        self.pipeline = pipeline
        self.dispatcher = dispatcher
        self.outbox = outbox
        self.leader = leader
        self.tick_s = tick_s
        self.wakeup = wakeup
        self.cluster_batch = cluster_batch
        self._restored = False
        self.stats = RunStats()
        self.metrics = metrics or Metrics()
        # Retention: the leader prunes history past [retention] when due (bounded batches).
        self.pruner: Pruner | None = None
        # The pipeline owns the clusterer's memory: one cycle at a time in a process.
        self._cycle_lock = asyncio.Lock()

    async def cycle(self) -> None:
        """One pass: poll the feeds this process claims, let the leader cluster and
        summarise what any process stored, send what is owed."""
        async with self._cycle_lock:
            # Every process polls: due feeds are claimed with leases, never polled twice.
            report = await self.watcher.poll_due()
            self.stats.articles += len(report.new_articles)
            self._count_polls(report)
            leading = self.leader is None or await self.leader.try_acquire()
            if leading:
                if not self._restored:
                    # A new leader rebuilds the clusterer from storage before deciding.
                    await self.pipeline.restore()
                    self._restored = True
                # From storage, not this poll's report: other processes store articles too.
                stored = await self.pipeline.process_stored(self.cluster_batch)
                self._count_stories(stored)
                if self.pruner is not None:
                    await self.pruner.maybe_prune()
            elif self._restored:
                log.warning("runner.leadership_lost")
                self._restored = False
            # Every process sends: outbox rows are claimed with leases.
            sent = await self.dispatcher.dispatch_once()
            self.stats.sent += sent.sent
            self.stats.cycles += 1
            await self._measure_outbox()

    def _count_polls(self, report: PollReportLike) -> None:
        changed = report.polled - report.not_modified - report.unchanged - report.failed
        for outcome, count in (
            ("not_modified", report.not_modified),
            ("unchanged", report.unchanged),
            ("failed", report.failed),
            ("changed", changed),
        ):
            if count > 0:
                self.metrics.inc("feed_polls", count, help="feed polls by outcome", outcome=outcome)
        if report.new_articles:
            self.metrics.inc("articles_stored", len(report.new_articles), help="new articles")

    def _count_stories(self, report: CycleReport) -> None:
        for name, count in (
            ("changed", report.stories_changed),
            ("summarised", report.stories_summarised),
            ("summary_failed", report.summary_failures),
            ("breaking", report.stories_breaking),
            ("posts_queued", report.deliveries_enqueued),
            ("edits_queued", report.updates_enqueued),
        ):
            if count > 0:
                self.metrics.inc("stories", count, help="story events by kind", event=name)

    async def _measure_outbox(self) -> None:
        """Queue depth by state and the age of the oldest waiting row, for /metrics."""
        for status, rows in (await self.outbox.count_deliveries()).items():
            self.metrics.set("outbox_rows", rows, help="outbox rows by state", status=status)
        oldest = await self.outbox.oldest_pending()
        age = (self.dispatcher.clock.now() - oldest).total_seconds() if oldest else 0.0
        self.metrics.set("outbox_oldest_age_seconds", max(0.0, age), help="oldest waiting row")

    async def run(self, stop: asyncio.Event) -> None:
        """Cycle until ``stop`` is set; the cycle in flight is finished, never cut."""
        log.info("runner.started leader_election=%s", self.leader is not None)
        # A stop cuts a long delivery pass short (its queued rows go back to the outbox);
        # everything else in the cycle is short and finishes.
        stopping = asyncio.ensure_future(stop.wait())
        stopping.add_done_callback(
            lambda done: None if done.cancelled() else self.dispatcher.stopping.set()
        )
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
            await self._sleep(stop, wait)
        stopping.cancel()
        if self.leader is not None:
            await self.leader.release()
        log.info("runner.stopped cycles=%d failures=%d", self.stats.cycles, self.stats.failures)

    async def _sleep(self, stop: asyncio.Event, seconds: float) -> None:
        """Until ``stop``, a wake-up notice or ``seconds``, whichever comes first."""
        if self.wakeup is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=seconds)
            return
        started = asyncio.get_running_loop().time()
        stopping = asyncio.ensure_future(stop.wait())
        woken = asyncio.ensure_future(self.wakeup.wait(seconds))
        try:
            await asyncio.wait({stopping, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (stopping, woken):
                task.cancel()
            results = await asyncio.gather(stopping, woken, return_exceptions=True)
        failure = results[1]
        if isinstance(failure, Exception) and not stop.is_set():
            # A broken listener must not turn the loop into a busy one: sleep the tick out.
            log.warning("runner.wakeup_failed error=%r", failure)
            left = seconds - (asyncio.get_running_loop().time() - started)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=max(0.0, left))


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
