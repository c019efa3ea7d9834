"""The chat model adapter with the real ``openai`` client against a fake server on
127.0.0.1, alone and under the LLM summariser (the summariser's own policy is tested
with a fake chat model in ``tests/bot/summaries/test_llm.py``)."""

from __future__ import annotations

import ast
import asyncio
import dataclasses
import json
import logging
import socket
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

import adapters.llm
from adapters.llm import OpenAIChatConfig, OpenAIChatModel
from bot.app.bootstrap import build_summarizer
from bot.core.clock import SystemClock
from bot.core.config import parse_config
from bot.core.domain import ChatMessage
from bot.core.errors import (
    ConfigError,
    ModelError,
    PermanentModelError,
    TransientModelError,
)
from bot.core.metrics import Metrics
from bot.eval.summaries import evaluate_summaries
from bot.summaries.extractive import ExtractiveSummarizer
from bot.summaries.grounding import number_sources
from bot.summaries.llm import LLMSummarizer
from bot.summaries.llm_config import LLMConfig
from bot.summaries.prompt import SUMMARY_SYSTEM
from tests.bot.summaries.llm_cases import ARTICLES, STORY, FakeClock, good_json, sentences
from tests.fakes.careless_model import FAITHFUL, JUNK_HEADINGS, CarelessModel
from tests.fakes.fake_openai import FakeOpenAI, Reply, error_reply

CONNECTION = {f.name for f in dataclasses.fields(OpenAIChatConfig)}


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    server = FakeOpenAI()
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def model_factory(fake: FakeOpenAI) -> AsyncIterator[Callable[..., OpenAIChatModel]]:
    made: list[OpenAIChatModel] = []

    def build(*, api_key: str | None = None, **kw: Any) -> OpenAIChatModel:
        settings: dict[str, Any] = {"timeout_s": 2.0, "max_retries": 0, **kw}
        config = OpenAIChatConfig(base_url=fake.base_url, model="fake-model", **settings)
        model = OpenAIChatModel(config, api_key=api_key)
        made.append(model)
        return model

    yield build
    for model in made:
        await model.close()


@pytest.fixture
def llm_factory(
    model_factory: Callable[..., OpenAIChatModel],
) -> Callable[..., LLMSummarizer]:
    """The summariser on the real client, ``[llm]`` settings split as bootstrap does."""

    def build(**kw: Any) -> LLMSummarizer:
        model = model_factory(**{k: v for k, v in kw.items() if k in CONNECTION})
        policy = LLMConfig(**{k: v for k, v in kw.items() if k not in CONNECTION})
        return LLMSummarizer(model, policy, fallback=ExtractiveSummarizer(), clock=FakeClock())

    return build


MESSAGES = [ChatMessage("system", "Reply in JSON."), ChatMessage("user", "Say hello.")]


async def test_complete_sends_the_messages_and_reports_usage(
    fake: FakeOpenAI, model_factory: Callable[..., OpenAIChatModel]
) -> None:
    fake.push(Reply('{"hello": "world"}'), Reply("plain", usage=False))
    model = model_factory(temperature=0.5)
    reply = await model.complete(MESSAGES, json=True, max_tokens=123)
    assert reply.text == '{"hello": "world"}'
    assert reply.prompt_tokens == len("Reply in JSON.Say hello.") // 4
    assert reply.completion_tokens == len(reply.text) // 4
    assert fake.requests[0]["messages"] == [
        {"role": "system", "content": "Reply in JSON."},
        {"role": "user", "content": "Say hello."},
    ]
    assert fake.requests[0]["max_tokens"] == 123
    assert fake.requests[0]["temperature"] == 0.5
    assert fake.requests[0]["response_format"] == {"type": "json_object"}
    plain = await model.complete(MESSAGES, json=False, max_tokens=5)
    assert (plain.text, plain.prompt_tokens, plain.completion_tokens) == ("plain", None, None)
    assert "response_format" not in fake.requests[1]
    assert model.name == "fake-model"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (error_reply(503, "down"), TransientModelError("server_error", status=503)),
        (error_reply(429, "slow down"), TransientModelError("rate_limited", status=429)),
        (error_reply(400, "bad request"), PermanentModelError("refused", status=400)),
        (error_reply(401, "no key"), PermanentModelError("refused", status=401)),
        (Reply(raw="{this is not json", status=200), PermanentModelError("bad_response")),
        (Reply(hang=True), TransientModelError("timeout")),
    ],
    ids=["5xx", "429", "400", "401", "bad-body", "hang"],
)
async def test_complete_maps_failures_onto_model_errors(
    fake: FakeOpenAI,
    model_factory: Callable[..., OpenAIChatModel],
    reply: Reply,
    expected: ModelError,
) -> None:
    fake.push(reply)
    model = model_factory(timeout_s=0.3)
    with pytest.raises(ModelError) as err:
        await model.complete(MESSAGES, json=False, max_tokens=10)
    assert type(err.value) is type(expected)
    assert (err.value.reason, err.value.status) == (expected.reason, expected.status)


async def test_nothing_listening_is_a_transient_connection_error() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    model = OpenAIChatModel(
        OpenAIChatConfig(base_url=f"http://127.0.0.1:{port}/v1", max_retries=0), api_key=None
    )
    with pytest.raises(TransientModelError) as err:
        await model.complete(MESSAGES, json=False, max_tokens=10)
    await model.close()
    assert err.value.reason == "connection"


async def test_success_with_json_mode(
    fake: FakeOpenAI, llm_factory: Callable[..., LLMSummarizer]
) -> None:
    fake.push(Reply(good_json()))
    llm = llm_factory()
    summary = await llm.summarize(STORY, ARTICLES)
    assert summary.written_by == "llm:fake-model"
    assert summary.story_id == "k7q2"
    assert summary.story_version == 2
    assert summary.headline == "Flooding closes the Lindale bridge"
    assert len(sentences(summary)) == 4
    assert [s.heading for s in summary.sections] == ["Bridge commuters", "Steel inspection"]
    assert summary.sources == number_sources(ARTICLES)
    assert fake.requests[0]["response_format"] == {"type": "json_object"}
    assert fake.requests[0]["model"] == "fake-model"
    assert fake.requests[0]["messages"][0] == {"role": "system", "content": SUMMARY_SYSTEM}
    assert fake.headers[0]["Authorization"] == "Bearer no-key-needed"
    assert llm.stats.calls == 1
    assert llm.stats.summaries == 1
    assert llm.stats.prompt_tokens > 0
    assert llm.stats.completion_tokens > 0
    assert not llm.stats.dropped


async def test_success_without_json_mode_is_remembered(
    fake: FakeOpenAI, llm_factory: Callable[..., LLMSummarizer]
) -> None:
    fake.default = Reply(good_json(), reject_json_mode=True)
    llm = llm_factory()
    first = await llm.summarize(STORY, ARTICLES)
    second = await llm.summarize(STORY, [ARTICLES[1], ARTICLES[0]])  # cached: no call
    third = await llm.summarize(STORY, ARTICLES[:1])
    assert first.written_by == second.written_by == "llm:fake-model"
    assert ["response_format" in r for r in fake.requests] == [True, False, False]
    assert third.written_by in {"llm:fake-model", "extractive"}
    assert llm.stats.cache_hits == 1


async def test_json_mode_off_never_asks_for_it(
    fake: FakeOpenAI, llm_factory: Callable[..., LLMSummarizer]
) -> None:
    fake.push(Reply("Here it is:\n" + good_json()))
    summary = await llm_factory(json_mode="off").summarize(STORY, ARTICLES)
    assert summary.written_by == "llm:fake-model"
    assert "response_format" not in fake.requests[0]


async def test_429_with_retry_after_is_retried(
    fake: FakeOpenAI, llm_factory: Callable[..., LLMSummarizer]
) -> None:
    fake.push(error_reply(429, "slow down", **{"retry-after": "0.2"}), Reply(good_json()))
    llm = llm_factory(max_retries=2)
    started = time.monotonic()
    summary = await llm.summarize(STORY, ARTICLES)
    assert summary.written_by == "llm:fake-model"
    assert len(fake.requests) == 2
    assert time.monotonic() - started >= 0.2


async def test_repeated_500s_fall_back_and_say_so(
    fake: FakeOpenAI, llm_factory: Callable[..., LLMSummarizer], caplog: pytest.LogCaptureFixture
) -> None:
    fake.default = error_reply(500, "boom", **{"retry-after-ms": "10"})
    llm = llm_factory(max_retries=2)
    metrics = Metrics()
    llm.publish_metrics(metrics)
    with caplog.at_level(logging.INFO, logger="newsbot.llm"):
        summary = await llm.summarize(STORY, ARTICLES)
    assert summary.written_by == "extractive"
    assert len(fake.requests) == 3
    assert llm.stats.fallbacks == {"server_error": 1}
    assert "llm.fallback reason=server_error story=k7q2" in caplog.text
    exported = {(s.name, s.labels): s.value for s in metrics.samples()}
    assert exported[("llm_fallbacks", (("reason", "server_error"),))] == 1


async def test_hang_past_the_timeout_falls_back(
    fake: FakeOpenAI, llm_factory: Callable[..., LLMSummarizer]
) -> None:
    fake.push(Reply(hang=True))
    llm = llm_factory(timeout_s=0.3)
    started = time.monotonic()
    summary = await llm.summarize(STORY, ARTICLES)
    assert time.monotonic() - started < 3
    assert summary.written_by == "extractive"
    assert llm.stats.fallbacks == {"timeout": 1}


@pytest.mark.parametrize(
    "reply",
    # What the model wrote is the policy's (tests/bot/summaries/test_llm.py); these two
    # cross the adapter: a body that is no completion, and a completion with no text.
    [Reply(raw="{this is not json", status=200), Reply("")],
    ids=["bad-http-body", "empty"],
)
async def test_malformed_output_falls_back(
    fake: FakeOpenAI, llm_factory: Callable[..., LLMSummarizer], reply: Reply
) -> None:
    fake.push(reply)
    llm = llm_factory()
    summary = await llm.summarize(STORY, ARTICLES)
    assert summary.written_by == "extractive"
    assert sum(llm.stats.fallbacks.values()) == 1


@pytest.mark.parametrize("limit", [1, 2])
async def test_concurrency_is_bounded(
    fake: FakeOpenAI, llm_factory: Callable[..., LLMSummarizer], limit: int
) -> None:
    fake.default = Reply(good_json(), delay_s=0.15)
    llm = llm_factory(max_concurrency=limit)
    stories = [[ARTICLES[0]], [ARTICLES[1]], ARTICLES]
    results = await asyncio.gather(*(llm.summarize(STORY, a) for a in stories))
    assert len(results) == 3
    assert fake.peak_in_flight == limit


async def test_api_key_is_sent_when_given(fake: FakeOpenAI) -> None:
    fake.push(Reply(good_json()))
    config = OpenAIChatConfig(base_url=fake.base_url, model="m", max_retries=0)
    model = OpenAIChatModel(config, api_key="sk-test")
    llm = LLMSummarizer(model, LLMConfig(), fallback=ExtractiveSummarizer(), clock=FakeClock())
    await llm.summarize(STORY, ARTICLES)
    await model.close()
    assert fake.headers[0]["Authorization"] == "Bearer sk-test"


async def test_answer_falls_back_to_extractive_on_error(
    fake: FakeOpenAI, llm_factory: Callable[..., LLMSummarizer]
) -> None:
    fake.push(error_reply(503, "down"))
    llm = llm_factory()
    answer = await llm.answer(STORY, ARTICLES, "How many commuters use the bridge?")
    assert answer.found
    assert "12,000" in answer.sentences[0].text
    assert llm.stats.fallbacks == {"server_error": 1}


def test_bad_json_mode_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"llm\.json_mode"):
        OpenAIChatModel(OpenAIChatConfig(json_mode="maybe"), api_key=None)


def test_the_adapter_imports_no_policy() -> None:
    """It only talks to the model: prompts, budget and grounding stay in bot.summaries."""
    tree = ast.parse(Path(adapters.llm.__file__).read_text(encoding="utf-8"))
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert {m for m in imported if m.startswith("bot.")} <= {"bot.core.domain", "bot.core.errors"}


async def test_bootstrap_wires_the_llm_section_into_model_and_policy(fake: FakeOpenAI) -> None:
    fake.push(Reply(good_json()))
    config = parse_config(
        {
            "summarizer": {"kind": "llm"},
            "llm": {
                "base_url": fake.base_url,
                "model": "m1",
                "max_retries": 0,
                "temperature": 0.7,
                "max_output_tokens": 321,
            },
        }
    )
    metrics = Metrics()
    summarizer, closers = build_summarizer(config, SystemClock(), metrics)
    summary = await summarizer.summarize(STORY, ARTICLES)
    for close in closers:
        await close()
    assert summary.written_by == "llm:m1"
    sent = fake.requests[0]
    assert (sent["model"], sent["temperature"], sent["max_tokens"]) == ("m1", 0.7, 321)
    assert {(m.name, m.value) for m in metrics.samples()} >= {("llm_calls", 1)}


RU_ARTICLES = [
    dataclasses.replace(
        ARTICLES[0],
        title="Шторм закрыл мост в Линдейле",
        text="Мост в Линдейле закрыли во вторник после того, как река поднялась на четыре метра. "
        "Около 12 000 человек ежедневно ездят по мосту, сообщили власти округа Марш. "
        "Мэр Анна Ортис назвала закрытие тяжёлым, но необходимым шагом.",
        language="ru",
    ),
    dataclasses.replace(
        ARTICLES[1],
        title="Наводнение перекрыло мост в Линдейле",
        text="Из-за наводнения мост в Линдейле пришлось закрыть во вторник. "
        "Инженеры осмотрят стальные опоры моста, на это уйдёт три дня. "
        "Мэр Анна Ортис призвала водителей пользоваться северным объездом.",
        language="ru",
    ),
]


@pytest.mark.parametrize("articles", [ARTICLES, RU_ARTICLES], ids=["english", "russian"])
async def test_careless_model_cannot_spoil_the_summary(
    fake: FakeOpenAI, llm_factory: Callable[..., LLMSummarizer], articles: list[Any]
) -> None:
    careless = CarelessModel()
    fake.default = careless.reply
    llm = llm_factory()
    summary = await llm.summarize(STORY, articles)
    assert summary.written_by == "llm:fake-model"  # not the extractive fallback
    kinds = [careless.kind_of(t) for t in sentences(summary)]
    assert kinds
    assert set(kinds) == {FAITHFUL}
    faithful = careless.written[FAITHFUL]
    assert len(kinds) >= 0.8 * faithful
    injected = set(careless.written) - {FAITHFUL, "junk_heading"}
    assert {"invented_name", "invented_toll", "reader_call", "evaluation"} <= injected
    assert sum(llm.stats.dropped.values()) >= len(injected)
    headings = [s.heading for s in summary.sections]
    assert headings
    assert not set(headings) & set(JUNK_HEADINGS)
    assert summary.headline == number_sources(articles)[summary.lead - 1].title
    answer = await llm.answer(STORY, articles, "What happened to the bridge?")
    assert answer.found
    assert answer.sentences
    assert {careless.kind_of(s.text) for s in answer.sentences} == {FAITHFUL}


def _row(story_id: str, articles: list[Any]) -> str:
    return json.dumps(
        {
            "id": story_id,
            "date": "2024-03-05",
            "articles": [
                {"source": a.outlet, "title": a.title, "text": a.text, "url": a.url}
                for a in articles
            ],
            "summary": articles[0].text,
        },
        ensure_ascii=False,
    )


async def test_eval_summaries_counts_what_the_careless_model_got_through(
    fake: FakeOpenAI, llm_factory: Callable[..., LLMSummarizer]
) -> None:
    careless = CarelessModel()
    fake.default = careless.reply
    lines = [_row("en-1", ARTICLES), _row("ru-1", RU_ARTICLES)]
    result = await evaluate_summaries(lines, llm_factory(), judge=careless.kind_of)
    assert result["stories"] == 2
    assert result["fallbacks"] == {}
    assert result["unsupported_kept"] == 0
    assert result["published_by_kind"][FAITHFUL] >= 0.8 * careless.written[FAITHFUL]
    dropped = result["sentences_dropped"]
    for reason in ("unsupported_name", "unsupported_number", "reader", "opinion"):
        assert dropped[reason] >= 2, reason
    assert dropped["foreign_link"] == 2
    assert dropped["contradiction"] >= 1
    assert "junk_heading" not in result["headings_by_kind"]
