"""Group commit: calls that arrive while a write is under way go together in the next.

Polling makes two small writes per feed (its new articles, its state), 64 feeds at a
time, and processing a batch makes a few small reads and writes per changed story. One
transaction each spent most of its time on what every transaction pays (a connection,
BEGIN, COMMIT, on SQLite a turn at the one write lock) rather than on rows. A
``Coalescer`` lets every call wait for the write that takes it, and one write takes
everything that queued meanwhile, so the cost per call falls as load rises while a lone
call still goes at once.

A batch that fails is retried one call at a time, so a bad row (a naive datetime, a
feed deleted meanwhile) fails only its own call, as it would have alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger("newsbot.storage")

In = TypeVar("In")
Out = TypeVar("Out")


class Coalescer(Generic[In, Out]):
    """Runs ``write`` on the calls waiting, at most ``most`` at a time; ``write`` returns
    one result per call, in order, and is all-or-nothing (one transaction)."""

    def __init__(self, write: Callable[[Sequence[In]], Awaitable[list[Out]]], *, most: int) -> None:
        self._write = write
        self._most = max(1, most)
        self._waiting: list[tuple[In, asyncio.Future[Out]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def submit(self, item: In) -> Out:
        """``item``'s result once the write that took it commits; its error if it fails.
        A caller cancelled before its write starts is left out of it."""
        future: asyncio.Future[Out] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain(), name="storage-coalesce")
        return await future

    async def wait_idle(self) -> None:
        """Until the writes under way and queued are done (before the engine closes)."""
        while self._drainer is not None and not self._drainer.done():
            await asyncio.wait({self._drainer})

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch = [(item, f) for item, f in self._waiting[: self._most] if not f.done()]
                del self._waiting[: self._most]
                if batch:
                    await self._write_batch(batch)
        except BaseException:
            # Cancelled (shutdown): nobody may wait for a write that will not come.
            for _, future in self._waiting:
                future.cancel()
            self._waiting.clear()
            raise

    async def _write_batch(self, batch: Sequence[tuple[In, asyncio.Future[Out]]]) -> None:
        try:
            results = await self._write([item for item, _ in batch])
        except asyncio.CancelledError:
            for _, future in batch:
                future.cancel()
            raise
        except Exception as err:  # handed to the callers, one call at a time
            if len(batch) == 1:
                _fail(batch[0][1], err)
                return
            log.info("storage.batch_retried calls=%d error=%r", len(batch), err)
            await self._one_by_one(batch)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)

    async def _one_by_one(self, batch: Sequence[tuple[In, asyncio.Future[Out]]]) -> None:
        for item, future in batch:
            if future.done():
                continue
            try:
                (result,) = await self._write([item])
            except Exception as err:  # handed to this call's caller
                _fail(future, err)
            else:
                if not future.done():
                    future.set_result(result)


def _fail(future: asyncio.Future[Out], err: Exception) -> None:
    if not future.done():
        future.set_exception(err)
