"""The job runner: three loops (poll, process, deliver) until asked to stop.

Each loop is its own task and hands work to the next through storage: polling stores
articles, processing clusters and summarises what is stored and fills the outbox,
delivery sends what the outbox owes. None waits for another: a dead host's feeds only
hold their own poll pass, a 4,000-chat fan-out holds only delivery, and a large batch of
articles holds only processing. In-process nudges (and PostgreSQL notices from other
processes) wake the next loop early; without them it looks on its own tick.

This is one of the two places allowed to catch broadly (the other is ``__main__``): a
failed step is logged and the next one runs, so the bot never silently stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

from bot.app.ports import Leadership, OutboxGauge, Poller, PollReportLike, Wakeup
from bot.core.metrics import Metrics
from bot.delivery.digests import DigestScheduler
from bot.delivery.dispatcher import Dispatcher
from bot.stories.pipeline import CycleReport, Pipeline
from bot.stories.retention import Pruner

log = logging.getLogger("newsbot.runner")


@dataclass(frozen=True, slots=True)
class RunnerConfig:
    """TOML [runner]."""

    # The longest a loop sleeps between steps without a wake-up notice.
    tick_s: float = 1.0
    # The same where notices arrive (PostgreSQL): the database is asked far less often.
    notified_tick_s: float = 5.0
    # Stored articles the leader clusters per batch.
    cluster_batch: int = 500
    # Poll passes that may run at once: a pass held by a slow host does not stop the
    # next pass from polling the feeds that came due meanwhile (claims never overlap).
    poll_passes: int = 4
    # On SIGTERM, how long the loops may take to finish their step before it is cut.
    stop_grace_s: float = 8.0


@dataclass(slots=True)
class RunStats:
    cycles: int = 0
    failures: int = 0
    articles: int = 0
    sent: int = 0
    polls: int = 0  # poll passes finished
    batches: int = 0  # article batches processed
    dispatches: int = 0  # delivery passes finished


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
        poll_passes: int = 4,
        stop_grace_s: float = 8.0,
        digests: DigestScheduler | None = None,
    ) -> None:
        self.watcher = watcher
        self.digests = digests
        self.pipeline = pipeline
        self.dispatcher = dispatcher
        self.outbox = outbox
        self.leader = leader
        self.tick_s = tick_s
        self.wakeup = wakeup
        self.cluster_batch = cluster_batch
        self.poll_passes = poll_passes
        self.stop_grace_s = stop_grace_s
        self._restored = False
        self.stats = RunStats()
        self.metrics = metrics or Metrics()
        # Retention: the leader prunes history past [retention] when due (bounded batches).
        self.pruner: Pruner | None = None
        # The pipeline owns the clusterer's memory: one processing step at a time.
        self._process_lock = asyncio.Lock()
        # Nudges between the loops of this process (set by the loop that made the work).
        self._to_process = asyncio.Event()
        self._passes: set[asyncio.Task[None]] = set()  # poll passes in flight
        self._to_deliver = asyncio.Event()

    # ------------------------------------------------------------ one step of each loop

    async def poll_once(self) -> PollReportLike:
        """One poll pass over the feeds this process claims (every process polls: due
        feeds are claimed with leases, never polled twice)."""
        report = await self.watcher.poll_due()
        self.stats.articles += report.new_articles
        self.stats.polls += 1
        self._count_polls(report)
        if report.new_articles:
            self._to_process.set()
        return report

    async def process_once(self, stop: asyncio.Event | None = None) -> CycleReport | None:
        """Let the leader cluster and summarise what any process stored; None when this
        process does not lead."""
        async with self._process_lock:
            leading = self.leader is None or await self.leader.try_acquire()
            if not leading:
                if self._restored:
                    log.warning("runner.leadership_lost")
                    self._restored = False
                return None
            if not self._restored:
                # A new leader rebuilds the clusterer from storage before deciding.
                await self.pipeline.restore(stop=stop, batch=self.cluster_batch)
                self._restored = True
                self._to_deliver.set()
            # From storage, not a poll's report: other processes store articles too.
            report = await self.pipeline.process_stored(
                self.cluster_batch, stop=stop, on_batch=self._batch_done
            )
            if self.digests is not None and await self.digests.run_due():
                self._to_deliver.set()  # issued once, whichever process leads
            if self.pruner is not None:
                await self.pruner.maybe_prune()
            return report

    def _batch_done(self, report: CycleReport) -> None:
        """A batch is processed: count it, and let delivery send what it queued now."""
        self.stats.batches += 1
        self._count_stories(report)
        if report.deliveries_enqueued or report.updates_enqueued:
            self._to_deliver.set()

    async def deliver_once(self) -> None:
        """Send what the outbox owes (every process sends: rows are claimed with leases)."""
        sent = await self.dispatcher.dispatch_once()
        self.stats.sent += sent.sent
        self.stats.dispatches += 1
        await self._measure_outbox()

    async def cycle(self) -> None:
        """Poll, process and deliver once, in that order (the demo's last pass, tests),
        after the poll passes already in flight: what they store is processed too."""
        if self._passes:
            await asyncio.gather(*list(self._passes), return_exceptions=True)
        await self.poll_once()
        await self.process_once()
        await self.deliver_once()
        self.stats.cycles += 1

    # ------------------------------------------------------------ the loops

    async def run(self, stop: asyncio.Event) -> None:
        """Run the three loops until ``stop`` is set. A stop cuts a long delivery pass
        short (its queued rows go back to the outbox) and ends processing between
        batches; a step still running after ``stop_grace_s`` is cancelled (what it
        stored is kept, what it claimed returns when its lease ends)."""
        with steady_heap():
            await self._run(stop)

    async def _run(self, stop: asyncio.Event) -> None:
        log.info("runner.started leader_election=%s", self.leader is not None)
        loops = [
            asyncio.create_task(self._poll_loop(stop), name="runner-poll"),
            asyncio.create_task(
                self._step_loop("process", lambda: self.process_once(stop), self._to_process, stop),
                name="runner-process",
            ),
            asyncio.create_task(
                self._step_loop("deliver", self.deliver_once, self._to_deliver, stop),
                name="runner-deliver",
            ),
        ]
        relay = asyncio.create_task(self._relay_wakeups(stop), name="runner-wakeups")
        try:
            await stop.wait()
        finally:
            stop.set()
            self.dispatcher.stopping.set()
            relay.cancel()
            _, late = await asyncio.wait(loops, timeout=self.stop_grace_s)
            for task in late:
                task.cancel()
            await asyncio.gather(relay, *loops, return_exceptions=True)
            if late:
                log.warning("runner.cut loops=%s", ",".join(sorted(t.get_name() for t in late)))
            if self.leader is not None:
                await self.leader.release()
            log.info(
                "runner.stopped polls=%d batches=%d dispatches=%d failures=%d",
                self.stats.polls,
                self.stats.batches,
                self.stats.dispatches,
                self.stats.failures,
            )

    async def _poll_loop(self, stop: asyncio.Event) -> None:
        """Start a poll pass each tick while fewer than ``poll_passes`` run: a pass held
        by a slow host keeps only its own feeds waiting."""
        passes = self._passes
        idle = asyncio.Event()  # set when the last running pass ends

        def finished(task: asyncio.Task[None]) -> None:
            passes.discard(task)
            if not passes:
                idle.set()

        try:
            while not stop.is_set():
                if len(passes) < max(1, self.poll_passes):
                    idle.clear()
                    task = asyncio.create_task(self._guarded("poll", self.poll_once))
                    passes.add(task)
                    task.add_done_callback(finished)
                await _sleep(stop, idle, self.tick_s)
                if not passes and not stop.is_set():
                    # Nothing in flight: sleep until a feed is due (at most a tick).
                    try:
                        wait = max(0.05, min(self.tick_s, await self.watcher.next_due_in()))
                    except Exception:  # keep running: the next pass retries
                        log.exception("runner.schedule_failed")
                        wait = self.tick_s
                    await _sleep(stop, None, wait)
        finally:
            # Passes end on their own or are cut with the loop after the grace period.
            if passes:
                try:
                    await asyncio.gather(*passes, return_exceptions=True)
                finally:
                    for task in list(passes):
                        task.cancel()

    async def _step_loop(
        self,
        name: str,
        step: Callable[[], Awaitable[object]],
        nudge: asyncio.Event,
        stop: asyncio.Event,
    ) -> None:
        while not stop.is_set():
            nudge.clear()
            await self._guarded(name, step)
            await _sleep(stop, nudge, self.tick_s)

    async def _guarded(self, name: str, step: Callable[[], Awaitable[object]]) -> None:
        try:
            await step()
        except Exception:  # the runner must outlive any one failed step
            self.stats.failures += 1
            log.exception("runner.%s_failed failures=%d", name, self.stats.failures)

    async def _relay_wakeups(self, stop: asyncio.Event) -> None:
        """Another process stored work (PostgreSQL notices): wake processing and delivery."""
        wakeup = self.wakeup
        if wakeup is None:
            return
        while not stop.is_set():
            started = asyncio.get_running_loop().time()
            try:
                woke = await wakeup.wait(self.tick_s)
            except Exception as err:  # a broken listener must not make this a busy loop
                log.warning("runner.wakeup_failed error=%r", err)
                left = self.tick_s - (asyncio.get_running_loop().time() - started)
                await _sleep(stop, None, max(0.0, left))
                continue
            if woke:
                self._to_process.set()
                self._to_deliver.set()

    # ------------------------------------------------------------ metrics
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
            self.metrics.inc("articles_stored", report.new_articles, help="new articles")

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


# Allocations between young collections while the bot runs (CPython's default is 700).
_YOUNG_GC = 10_000
_heap_holders = 0  # runs of this process inside ``steady_heap``
_threshold_before = gc.get_threshold()


@contextlib.contextmanager
def steady_heap() -> Iterator[None]:
    """The garbage collector set for a long run with a large live heap.

    What exists when the loops start (modules, settings, the restored stories) is frozen
    out of collections, and young collections run ten times less often, so fewer objects
    reach the oldest generation. A full collection walks every tracked object: with the
    clusterer's state and a burst's rows alive it took up to 135 ms, the event loop's
    longest stalls (``bench_e2e`` loop lag p99 110-145 ms, 56-66 ms with this). Cycles
    of garbage are still collected; the settings are given back when the run ends.
    """
    global _heap_holders, _threshold_before  # noqa: PLW0603 - one setting per process
    if _heap_holders == 0:  # the first run of this process in it sets it...
        _threshold_before = gc.get_threshold()
        gc.collect()
        gc.freeze()
        gc.set_threshold(_YOUNG_GC, *_threshold_before[1:])
    _heap_holders += 1
    try:
        yield
    finally:
        _heap_holders -= 1
        if _heap_holders == 0:  # ... and the last to end gives it back
            gc.set_threshold(*_threshold_before)
            gc.unfreeze()


async def _sleep(stop: asyncio.Event, nudge: asyncio.Event | None, seconds: float) -> None:
    """Until ``stop``, ``nudge`` or ``seconds``, whichever comes first."""
    waits = [asyncio.ensure_future(stop.wait())]
    if nudge is not None:
        waits.append(asyncio.ensure_future(nudge.wait()))
    try:
        await asyncio.wait(waits, timeout=max(0.0, seconds), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waits:
            task.cancel()
        await asyncio.gather(*waits, return_exceptions=True)
