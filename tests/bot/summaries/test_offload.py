"""Extractive summaries computed in the parse workers, off the event loop: the same
summary as in-process, and a worker that hangs or dies costs nothing but time."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest

from adapters.feeds.pool import ParsePool, PoolConfig
from bot.core.domain import Article, Story
from bot.core.errors import OffloadError
from bot.summaries.extractive import ExtractiveSummarizer
from tests.factories import FLOOD

T = TypeVar("T")
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def flood() -> tuple[Story, list[Article]]:
    articles = [
        Article(
            id=n + 1,
            feed_id=n + 1,
            outlet=outlet,
            url=f"https://{n}.example/flood",
            guid=None,
            title=title,
            text=text,
            published=NOW,
            fetched_at=NOW,
            content_hash=str(n),
        )
        for n, (outlet, title, text) in enumerate(FLOOD)
    ]
    story = Story(
        id="fl00",
        created_at=NOW,
        updated_at=NOW,
        article_ids=tuple(a.id for a in articles),
        outlets=tuple(a.outlet for a in articles),
        headline=articles[0].title,
    )
    return story, articles


async def test_a_summary_from_a_worker_is_the_summary_computed_here() -> None:
    story, articles = flood()
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

    async def run_off_loop(self, fn: Callable[..., T], *args: Any) -> T:
        self.calls += 1
        raise OffloadError("the worker ran out of memory or crashed")


async def test_a_worker_that_dies_costs_the_summary_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    story, articles = flood()
    broken = BrokenWorkers()
    with caplog.at_level(logging.WARNING):
        summary = await ExtractiveSummarizer(offload=broken).summarize(story, articles)
    assert broken.calls == 1
    assert summary == ExtractiveSummarizer().summarize_now(story, articles)
    assert "summary.offload_failed story=fl00" in caplog.text


async def test_work_that_hangs_in_a_worker_is_an_offload_error_and_the_pool_recovers() -> None:
    pool = ParsePool(PoolConfig(workers=1, timeout_s=2))
    try:
        with pytest.raises(OffloadError, match="longer than"):
            await pool.run_off_loop(time.sleep, 60)
        assert await pool.run_off_loop(abs, -5) == 5
    finally:
        await pool.close()
