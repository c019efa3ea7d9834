"""Fair use through discord.py on the fake Discord, with the real OpenAI client on the
fake OpenAI server: a per-person question limit answered with when to try again, and
/usage with a server's tokens, estimated cost and daily limit."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from adapters.discord import DiscordAdapter
from adapters.llm import OpenAIChatConfig, OpenAIChatModel
from bot.commands.limits import LimitsConfig
from bot.commands.router import Commands
from bot.commands.usage import MeteredChatModel
from bot.summaries.extractive import ExtractiveSummarizer
from bot.summaries.llm import LLMSummarizer
from bot.summaries.llm_config import LLMConfig
from tests.adapters.discord.helpers import World, seed_story, wait_answered
from tests.fakes.fake_discord import TOKEN
from tests.fakes.fake_openai import FakeOpenAI, Reply

ANSWER = json.dumps(
    {
        "found": True,
        "sentences": [
            {"text": "Militias fired rockets at the Al Asad base in Iraq.", "cites": [1]}
        ],
    }
)


MODELS: list[OpenAIChatModel] = []


@pytest.fixture
async def openai(world: World) -> AsyncIterator[FakeOpenAI]:
    server = FakeOpenAI()
    await server.start()
    server.default = Reply(ANSWER)
    yield server
    for adapter in list(world.adapters):  # stop asking before the model closes
        await world.stop_adapter(adapter)
    while MODELS:
        await MODELS.pop().close()
    await server.close()


async def start(world: World, openai: FakeOpenAI, limits: LimitsConfig) -> DiscordAdapter:
    model = OpenAIChatModel(
        OpenAIChatConfig(base_url=openai.base_url, model="fake", max_retries=0, timeout_s=2.0),
        api_key=None,
    )
    MODELS.append(model)
    metered = MeteredChatModel(model, usd_per_million_input=2.0, usd_per_million_output=8.0)
    llm = LLMSummarizer(metered, LLMConfig(), fallback=ExtractiveSummarizer(), clock=world.clock)
    commands = Commands(
        storage=world.storage,
        summarizer=llm,
        clock=world.clock,
        limits=limits,
        usage=world.storage,
        fallback=ExtractiveSummarizer(),
    )
    adapter = DiscordAdapter(
        world.config(), token=TOKEN, commands=commands, on_handler_error=world.errors.append
    )
    await adapter.start()
    world.adapters.append(adapter)
    return adapter


async def ask(world: World, question: str, user_id: int = 555) -> str:
    inter = await world.fake.slash(
        world.news, "ask", {"story": "k7q2", "question": question}, user_id=user_id
    )
    await wait_answered(inter)
    assert inter.ephemeral
    embeds = inter.response.get("embeds") or [{}]
    return f"{inter.response.get('content') or ''}\n{json.dumps(embeds[0])}"


async def test_a_person_over_the_question_limit_is_told_when_to_try_again(
    world: World, openai: FakeOpenAI
) -> None:
    await seed_story(world.storage)
    await start(world, openai, LimitsConfig(questions_per_hour=2))
    assert "Militias fired rockets" in await ask(world, "Who fired?")
    assert "Militias fired rockets" in await ask(world, "Where?")
    refused = await ask(world, "And then?")
    assert "You've reached 2 questions an hour. Try again in 60 minutes." in refused
    assert len(openai.requests) == 2, "a refused question costs no tokens"
    # Someone else still may ask.
    assert "Militias fired rockets" in await ask(world, "Who fired?", user_id=777)


async def test_usage_shows_the_servers_tokens_cost_and_budget(
    world: World, openai: FakeOpenAI
) -> None:
    await seed_story(world.storage)
    await start(world, openai, LimitsConfig(scope_daily_tokens=50))
    first = await ask(world, "Who fired?")
    assert "budget" not in first
    inter = await world.fake.slash(world.news, "usage")
    await wait_answered(inter)
    report = str(inter.response["content"]).replace("\\", "")  # Markdown escapes
    (row,) = await world.storage.scope_usage(f"discord:guild:{world.guild}", "2026-01-01")
    day, tokens, cost = row
    assert day == "2026-01-10"
    assert tokens > 50, "one answer used the day's budget up"
    assert f"today: {tokens:,} tokens" in report
    assert f"(about ${cost / 1e6:.4f})" in report
    assert "Daily limit: 50 tokens (0 left today)" in report
    # Over the budget: the next answer is extractive, says so, and calls no model.
    second = await ask(world, "Who fired?")
    assert "daily AI budget (50 tokens) is used up" in second
    assert len(openai.requests) == 1
