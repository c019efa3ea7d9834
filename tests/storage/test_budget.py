"""The shared LLM token budget on every backend: atomic reservations, settlement, and a
total that outlives the storage object (a restart) and is shared by two of them."""

from __future__ import annotations

import asyncio

from bot.summaries.extractive import ExtractiveSummarizer
from bot.summaries.llm import LLMSummarizer
from bot.summaries.llm_config import LLMConfig
from storage import SqlStorage, open_storage
from tests.bot.summaries.llm_cases import ARTICLES, STORY, FakeClock, good_json
from tests.bot.summaries.test_llm import FakeChatModel

DAY = "2026-11-24"


async def test_reservations_never_pass_the_budget_under_concurrency(store: SqlStorage) -> None:
    granted = await asyncio.gather(*(store.reserve_tokens(DAY, 100, 1_000) for _ in range(25)))
    assert sum(granted) == 10
    assert await store.tokens_used(DAY) == 1_000
    assert await store.reserve_tokens(DAY, 1, 1_000) is False
    assert await store.tokens_used("2026-11-25") == 0


async def test_settling_replaces_the_reservation_by_the_real_use(store: SqlStorage) -> None:
    assert await store.reserve_tokens(DAY, 900, 1_000)
    await store.settle_tokens(DAY, 900, 250)
    assert await store.tokens_used(DAY) == 250
    assert await store.reserve_tokens(DAY, 700, 1_000)
    await store.settle_tokens(DAY, 700, 0)  # the call failed before the model answered
    assert await store.tokens_used(DAY) == 250


async def test_the_budget_is_shared_and_survives_a_restart(database_url: str) -> None:
    first = await open_storage(database_url)
    second = await open_storage(database_url)
    try:
        assert await first.reserve_tokens(DAY, 600, 1_000)
        assert not await second.reserve_tokens(DAY, 600, 1_000)
        await first.close()
        first = await open_storage(database_url)
        assert await first.tokens_used(DAY) == 600
    finally:
        await first.close()
        await second.close()


async def test_two_summarisers_on_one_database_share_one_budget(store: SqlStorage) -> None:
    """Each summariser alone would fit its call; together the day's budget holds one."""
    config = LLMConfig(model="fake-model", daily_token_budget=1_500, max_output_tokens=500)
    models = [FakeChatModel(default=good_json()) for _ in range(2)]
    summarisers = [
        LLMSummarizer(m, config, fallback=ExtractiveSummarizer(), clock=FakeClock(), budget=store)
        for m in models
    ]
    done = await asyncio.gather(*(s.summarize(STORY, ARTICLES) for s in summarisers))
    assert sorted(d.written_by for d in done) == ["extractive", "llm:fake-model"]
    assert sum(len(m.requests) for m in models) == 1
    assert 0 < await store.tokens_used("2024-03-05") <= 1_500
