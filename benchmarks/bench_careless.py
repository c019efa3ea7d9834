"""The LLM summariser against a cooperative but careless model (not part of the tests).

    .venv/bin/python benchmarks/bench_careless.py [../shared/eval/summaries/allsides_dev.jsonl]

Starts the fake OpenAI server on 127.0.0.1 with ``tests.fakes.careless_model`` behind
it, runs ``newsbot eval summaries``'s evaluation through the real ``openai`` client, and
prints one JSON object: the evaluation (``sentences_kept``, ``sentences_dropped`` by
reason, ``fallbacks``, ``unsupported_kept``) plus what the model wrote by kind and the
share of its faithful sentences that were published. Without the file it says so and
exits 0.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from adapters.llm import OpenAIChatConfig, OpenAIChatModel
from bot.eval.summaries import evaluate_summaries
from bot.summaries.extractive import ExtractiveSummarizer
from bot.summaries.llm import LLMSummarizer
from bot.summaries.llm_config import LLMConfig

DEV = Path("../shared/eval/summaries/allsides_dev.jsonl")
ROOT = str(Path(__file__).resolve().parents[1])


class _Clock:
    def now(self) -> Any:
        from datetime import UTC, datetime  # noqa: PLC0415

        return datetime.now(UTC)


async def careless_run(lines: list[str]) -> dict[str, Any]:
    """The evaluation of ``lines`` with the careless model, and its ledger's totals."""
    # The fakes live with the tests, which are not an installed package.
    sys.path.insert(0, ROOT)
    from tests.fakes.careless_model import FAITHFUL, CarelessModel  # noqa: PLC0415
    from tests.fakes.fake_openai import FakeOpenAI  # noqa: PLC0415

    fake = FakeOpenAI()
    careless = CarelessModel()
    fake.default = careless.reply
    await fake.start()
    model = OpenAIChatModel(
        OpenAIChatConfig(base_url=fake.base_url, model="careless", max_retries=0), api_key="x"
    )
    llm = LLMSummarizer(
        model, LLMConfig(daily_token_budget=0), fallback=ExtractiveSummarizer(), clock=_Clock()
    )
    try:
        result = await evaluate_summaries(lines, llm, judge=careless.kind_of)
    finally:
        await model.close()
        await fake.close()
    written = {k: v for k, v in careless.written.items() if k != "junk_heading"}
    faithful_kept = result["published_by_kind"].get(FAITHFUL, 0)
    result["written_by_kind"] = dict(sorted(written.items()))
    result["faithful_kept_share"] = round(faithful_kept / max(1, written.get(FAITHFUL, 0)), 3)
    result["fallback_share"] = round(sum(result["fallbacks"].values()) / result["stories"], 3)
    result["headings_replaced"] = llm.stats.headings_replaced
    return result


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEV
    if not path.exists():
        print(json.dumps({"skipped": f"{path} not found"}))
        return
    lines = path.read_text(encoding="utf-8").splitlines()
    print(json.dumps(asyncio.run(careless_run(lines)), ensure_ascii=False))


if __name__ == "__main__":
    main()
