"""Extractive summaries computed in the parse workers, off the event loop: the same
summary as in-process, and a worker that hangs or dies costs nothing but time."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from adapters.feeds.pool import ParsePool, PoolConfig
from bot.core.errors import OffloadError
from bot.summaries.extractive import ExtractiveSummarizer
from tests.bot.summaries.llm_cases import ARTICLES, STORY

T = TypeVar("T")


async def test_a_summary_from_a_worker_is_the_summary_computed_here() -> None:
    story, articles = STORY, ARTICLES
    pool = ParsePool(PoolConfig(workers=1, timeout_s=60))
    try:
        offloaded = await ExtractiveSummarizer(offload=pool).summarize(story, articles)
    finally:
        await pool.close()
    assert offloaded == ExtractiveSummarizer().summarize_now(story, articles)
    assert offloaded.lede


class BrokenWorkers:
    """Workers that always die: what a killed pool looks like to its caller."""

    def __init__(self) -> None:
        self.calls = 0

    async def run_off_loop(self, fn: Callable[..., T], *args: Any, urgent: bool = True) -> T:
        self.calls += 1
        raise OffloadError("the worker ran out of memory or crashed")


async def test_a_worker_that_dies_costs_the_summary_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    story, articles = STORY, ARTICLES
    broken = BrokenWorkers()
    with caplog.at_level(logging.WARNING):
        summary = await ExtractiveSummarizer(offload=broken).summarize(story, articles)
    assert broken.calls == 1
    assert summary == ExtractiveSummarizer().summarize_now(story, articles)
    assert f"summary.offload_failed story={STORY.id}" in caplog.text


async def test_work_that_hangs_in_a_worker_is_an_offload_error_and_the_pool_recovers() -> None:
    pool = ParsePool(PoolConfig(workers=1, timeout_s=2))
    try:
        with pytest.raises(OffloadError, match="longer than"):
            await pool.run_off_loop(time.sleep, 60)
        assert await pool.run_off_loop(abs, -5) == 5
    finally:
        await pool.close()


async def test_work_nobody_waits_for_takes_its_turn_behind_queued_parses() -> None:
    # One worker, its places in the pool taken; then a parse, a backlog summary and a
    # summary a post waits for queue up. The last goes first; the backlog one waits its
    # turn.
    pool = ParsePool(PoolConfig(workers=1, timeout_s=60))
    done: list[str] = []

    async def call(name: str, work: Awaitable[int]) -> None:
        await work
        done.append(name)

    try:
        busy = [asyncio.create_task(pool.run_raw(time.sleep, 0.5)) for _ in range(pool.slots)]
        await asyncio.sleep(0.1)
        waiting = [
            asyncio.create_task(call("parse", pool.run_raw(abs, -1))),
            asyncio.create_task(call("backlog", pool.run_off_loop(abs, -2, urgent=False))),
            asyncio.create_task(call("post", pool.run_off_loop(abs, -3))),
        ]
        await asyncio.gather(*busy, *waiting)
    finally:
        await pool.close()
    assert done == ["post", "parse", "backlog"]
