"""The parse process pool: keeps feedparser's CPU time and memory off the event loop (and,
through ``run_off_loop``, other CPU work such as extractive summaries).

A hostile feed can make a parser spin or allocate; in a separate process it cannot stall
the loop, an address-space limit bounds what it can allocate, and a hard deadline kills
the worker (a thread could not be killed) and starts a fresh pool.

The deadline counts the worker's time, not time queued: calls wait here, outside the
pool, so a burst of 5,000 feeds queued behind four workers does not time out while
waiting. At most four calls per worker are in the pool; a call is cut after
``timeout_s`` of its own work at the least: ``timeout_s`` after it entered the pool,
plus ``timeout_s`` for each round of calls it found ahead of it (at most ``4 x
timeout_s`` in all).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import multiprocessing
import os
import pickle
from collections import deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from bot.core.errors import FeedParseError, OffloadError


@dataclass(frozen=True)
class PoolConfig:
    """TOML [parse]."""

    workers: int = 0  # 0: one per CPU, at most 4
    timeout_s: float = 20.0
    memory_limit_mb: int = 1024  # 0: no limit


def _limit_memory(megabytes: int) -> None:
    if megabytes <= 0:
        return
    try:
        import resource  # noqa: PLC0415 - POSIX only, so imported where it is needed

        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        return


def _worker_count(configured: int) -> int:
    if configured > 0:
        return configured
    return max(1, min(4, os.cpu_count() or 1))


_FIRST, _LATER = 0, 1  # priorities: work a story waits for, then feed parsing
# What a worker's hang, crash or exhaustion raises; ``ParsePool`` reports each as a
# FeedParseError in words (``_parse_error``).
_PARSE_FAILURES = (TimeoutError, MemoryError, RecursionError)
PER_WORKER = 4  # calls in the pool per worker (see ParsePool.__init__)


class WorkerSlots:
    """One slot per worker; a waiting call of a lower ``priority`` number is served first,
    then in order of arrival. Summaries (``run_off_loop``) go before feed parses, so a
    first start's thousands of queued parses do not hold every story's summary back."""

    def __init__(self, slots: int) -> None:
        self._free = slots
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @contextlib.asynccontextmanager
    async def held(self, priority: int) -> AsyncIterator[None]:
        await self._acquire(priority)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, priority: int) -> None:
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (priority, next(self._order), granted))
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._release()  # handed a slot just as it was cancelled: pass it on
            raise

    def _release(self) -> None:
        while self._waiting:
            _, _, granted = heapq.heappop(self._waiting)
            if not granted.done():  # a cancelled waiter's future is done: skip it
                granted.set_result(None)
                return
        self._free += 1


class WorkerCrashError(RuntimeError):
    """A worker process died (killed by the memory limit or a crash in C code)."""


class ParsePool:
    """Runs picklable functions in worker processes with a per-call deadline."""

    def __init__(self, config: PoolConfig) -> None:
        self._config = config
        self._executor: ProcessPoolExecutor | None = None
        # Four calls per worker in the pool at a time, so a worker does not idle while a
        # busy event loop hands it the next: a call's trip through the executor's threads
        # took about 8 ms against 0.5 ms of parsing a small feed, and with two per worker
        # the pool, not the workers (30% busy), bounded polling. The rest wait here, off
        # the clock.
        self._free = WorkerSlots(self.slots)
        self._in_pool = 0  # calls handed to the executor and not yet done
        self._batches: dict[Callable[..., Any], Batches] = {}

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # spawn: forking a process that runs an event loop and threads is unsafe.
            self._executor = ProcessPoolExecutor(
                max_workers=_worker_count(self._config.workers),
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_limit_memory,
                initargs=(self._config.memory_limit_mb,),
            )
        return self._executor

    async def run(self, fn: Callable[..., Any], *args: Any, urgent: bool = False) -> Any:
        """``fn(*args)`` in a worker (before feed parses when ``urgent``: a story waits
        for it). A hang or crash becomes FeedParseError."""
        try:
            return await self.run_raw(fn, *args, urgent=urgent)
        except (*_PARSE_FAILURES, WorkerCrashError) as err:
            raise self._parse_error(err) from err

    async def run_batched(self, fn: Callable[..., Any], *args: Any, size: int) -> Any:
        """``run(fn, *args)``, handed to a worker together with other small calls of
        ``fn`` waiting meanwhile (``size``: the bytes the call carries)."""
        batches = self._batches.get(fn)
        if batches is None:
            batches = self._batches[fn] = Batches(self, fn)
        try:
            return await batches.run(args, size)
        except (*_PARSE_FAILURES, WorkerCrashError) as err:
            raise self._parse_error(err) from err

    def _parse_error(self, err: BaseException) -> FeedParseError:
        if isinstance(err, TimeoutError):
            return FeedParseError(
                f"parsing took longer than {self._config.timeout_s:g} s and was stopped"
            )
        if isinstance(err, WorkerCrashError):
            return FeedParseError("the parser ran out of memory or crashed")
        if isinstance(err, MemoryError):
            return FeedParseError("the parser ran out of memory")
        return FeedParseError("the feed nests too deeply to parse")

    async def run_off_loop(self, fn: Callable[..., Any], *args: Any, urgent: bool = True) -> Any:
        """``fn(*args)`` in a worker, for work other than parsing (``bot.core.ports.Offload``),
        before queued feed parses when ``urgent``: a hang or crash becomes OffloadError."""
        try:
            return await self.run_raw(fn, *args, urgent=urgent)
        except TimeoutError as err:
            raise OffloadError(f"the worker took longer than {self._config.timeout_s:g} s") from err
        except WorkerCrashError as err:
            raise OffloadError("the worker ran out of memory or crashed") from err

    async def run_raw(self, fn: Callable[..., Any], *args: Any, urgent: bool = False) -> Any:
        """``fn(*args)`` in a worker; TimeoutError after the deadline (the worker is
        killed), WorkerCrashError if the process died, else whatever ``fn`` raised."""
        loop = asyncio.get_running_loop()
        async with self._free.held(_FIRST if urgent else _LATER):
            executor = self._pool()
            # A call may wait behind those already in the pool, each cut at its own
            # deadline: it gets ``timeout_s`` of a worker's time at least, and a call
            # that finds the pool empty is cut after ``timeout_s``.
            ahead = -(-self._in_pool // _worker_count(self._config.workers))
            deadline = self._config.timeout_s * (1 + ahead)
            future = loop.run_in_executor(executor, fn, *args)
            self._in_pool += 1
            try:
                return await asyncio.wait_for(future, deadline)
            except TimeoutError:
                self._kill(executor)
                raise
            except BrokenProcessPool as err:
                self._kill(executor)
                raise WorkerCrashError(str(err)) from err
            except asyncio.CancelledError as err:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # this call was cancelled (shutdown): not the worker's doing
                # Another call's deadline killed the pool and cancelled this call's future.
                raise WorkerCrashError("the worker pool was restarted") from err
            finally:
                self._in_pool -= 1

    def _kill(self, executor: ProcessPoolExecutor) -> None:
        """Stop a pool whose worker hangs; other calls in flight fail and are retried later."""
        if self._executor is executor:
            self._executor = None
        processes = list((getattr(executor, "_processes", None) or {}).values())
        for process in processes:
            if process.is_alive():
                process.kill()
        executor.shutdown(wait=False, cancel_futures=True)

    @property
    def slots(self) -> int:
        """Calls the pool holds at once."""
        return _worker_count(self._config.workers) * PER_WORKER

    async def close(self) -> None:
        for batches in self._batches.values():
            await batches.close()
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.get_running_loop().run_in_executor(None, executor.shutdown, True)


def run_each(fn: Callable[..., Any], calls: list[tuple[Any, ...]]) -> list[tuple[bool, Any]]:
    """In a worker: ``fn`` on each call's arguments, as (True, result) or (False, error)."""
    outcomes: list[tuple[bool, Any]] = []
    for args in calls:
        try:
            outcomes.append((True, fn(*args)))
        except Exception as err:  # handed back to that call's caller
            outcomes.append((False, _picklable(err)))
    return outcomes


def _picklable(err: Exception) -> Exception:
    """``err``, or its words in a RuntimeError if it cannot travel back: one odd
    exception must not fail the other calls of its batch."""
    try:
        pickle.dumps(err)
    except Exception:  # any failure to pickle means the same
        return RuntimeError(f"{type(err).__name__}: {err}")
    return err


class Batches:
    """Small calls of one function handed to the workers several at a time.

    A call's trip through the executor's threads costs the event loop's process about
    as much as parsing a small feed costs a worker, many times over (8 ms against
    0.5 ms measured under load): with one feed a call, the trips, not the workers,
    bounded polling. Calls waiting meanwhile go together, up to ``most`` of them and
    ``most_bytes`` of arguments (a large feed goes alone). A batch cut by its deadline
    or a crash is run again one call at a time, so only the call that hung or crashed
    fails.
    """

    def __init__(
        self, pool: ParsePool, fn: Callable[..., Any], *, most: int = 16,
        most_bytes: int = 256 * 1024,
    ) -> None:  # fmt: skip
        self._pool = pool
        self._fn = fn
        self._most = most
        self._most_bytes = most_bytes
        self._waiting: deque[tuple[tuple[Any, ...], int, asyncio.Future[Any]]] = deque()
        self._lanes: set[asyncio.Task[None]] = set()

    async def run(self, args: tuple[Any, ...], size: int) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting.append((args, size, future))
        if len(self._lanes) < self._pool.slots:
            lane = asyncio.create_task(self._lane(), name="parse-batches")
            self._lanes.add(lane)
            lane.add_done_callback(self._lanes.discard)
        return await future

    async def close(self) -> None:
        for lane in list(self._lanes):
            lane.cancel()
        await asyncio.gather(*self._lanes, return_exceptions=True)
        for _, _, future in self._waiting:
            future.cancel()
        self._waiting.clear()

    async def _lane(self) -> None:
        while batch := self._take():
            try:
                await self._run(batch)
            except asyncio.CancelledError:
                for _, _, future in batch:
                    future.cancel()
                raise

    def _take(self) -> list[tuple[tuple[Any, ...], int, asyncio.Future[Any]]]:
        batch: list[tuple[tuple[Any, ...], int, asyncio.Future[Any]]] = []
        carried = 0
        while self._waiting and len(batch) < self._most:
            args, size, future = self._waiting[0]
            if batch and carried + size > self._most_bytes:
                break
            self._waiting.popleft()
            if not future.done():  # a caller cancelled meanwhile is left out
                batch.append((args, size, future))
                carried += size
        return batch

    async def _run(self, batch: list[tuple[tuple[Any, ...], int, asyncio.Future[Any]]]) -> None:
        if len(batch) == 1:
            args, _, future = batch[0]
            try:
                result = await self._pool.run_raw(self._fn, *args)
            except Exception as err:
                _settle(future, False, err)
            else:
                _settle(future, True, result)
            return
        try:
            outcomes = await self._pool.run_raw(run_each, self._fn, [a for a, _, _ in batch])
        except Exception:
            # One of them hung or crashed its worker (or the batch could not travel):
            # each again alone, one after the other, so only that one fails (side by
            # side, the calls queued behind a hang would go down with its worker).
            for call in batch:
                await self._run([call])
            return
        for (_, _, future), (ok, value) in zip(batch, outcomes, strict=True):
            _settle(future, ok, value)


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
