"""The parse process pool: keeps feedparser's CPU time and memory off the event loop (and,
through ``run_off_loop``, other CPU work such as extractive summaries).

A hostile feed can make a parser spin or allocate; in a separate process it cannot stall
the loop, an address-space limit bounds what it can allocate, and a hard deadline kills
the worker (a thread could not be killed) and starts a fresh pool.

The deadline counts the worker's time, not time queued: calls wait here, outside the
pool, so a burst of 5,000 feeds queued behind four workers does not time out while
waiting. At most two calls per worker are in the pool (one running, one ready), so a
call is cut after ``timeout_s`` of its own work at the least and ``2 x timeout_s`` after
it entered the pool at the most.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import multiprocessing
import os
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
PER_WORKER = 2  # calls in the pool per worker (see ParsePool.__init__)


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
        # Two calls per worker in the pool at a time: one running, one ready, so a worker
        # does not idle while a busy event loop hands it the next (handing over takes
        # several thread switches). The rest wait here, off the clock.
        self._free = WorkerSlots(_worker_count(config.workers) * PER_WORKER)

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
        except TimeoutError as err:
            raise FeedParseError(
                f"parsing took longer than {self._config.timeout_s:g} s and was stopped"
            ) from err
        except WorkerCrashError as err:
            raise FeedParseError("the parser ran out of memory or crashed") from err
        except MemoryError as err:
            raise FeedParseError("the parser ran out of memory") from err
        except RecursionError as err:
            raise FeedParseError("the feed nests too deeply to parse") from err

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
            future = loop.run_in_executor(executor, fn, *args)
            try:
                # A call may wait in its worker behind one other, itself cut at its own
                # deadline: each call gets ``timeout_s`` of the worker's time at least.
                return await asyncio.wait_for(future, self._config.timeout_s * PER_WORKER)
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

    def _kill(self, executor: ProcessPoolExecutor) -> None:
        """Stop a pool whose worker hangs; other calls in flight fail and are retried later."""
        if self._executor is executor:
            self._executor = None
        processes = list((getattr(executor, "_processes", None) or {}).values())
        for process in processes:
            if process.is_alive():
                process.kill()
        executor.shutdown(wait=False, cancel_futures=True)

    async def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.get_running_loop().run_in_executor(None, executor.shutdown, True)
