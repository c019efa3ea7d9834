"""``newsbot eval summaries``: metrics over a small JSONL written by the test."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.app.cli import read_eval_lines
from bot.core.domain import Answer, Article, Sentence, Story, Summary
from bot.core.errors import ConfigError
from bot.eval.rouge import rouge
from bot.eval.summaries import evaluate_summaries, lead_baseline, load_story, render_summary
from bot.summaries.extractive import ExtractiveSummarizer

ROWS = [
    {
        "id": "story-1",
        "date": "2021-05-03",
        "issue_headline": "Port strike",
        "articles": [
            {
                "source": "Left Daily",
                "title": "Port strike grows",
                "url": "https://left.example/1",
                "text": "Dock workers in Kessel extended their strike on Monday. "
                "The union said about 2,400 workers had joined. "
                "Shipping lines began diverting vessels to Orvik.",
            },
            {
                "source": "Right Times",
                "title": "Kessel port strike costs mount",
                "url": "https://right.example/1",
                "text": "Business groups warned that the Kessel strike costs millions a day. "
                "Shipping lines began diverting vessels to Orvik. "
                "The port authority offered a 4% raise, which the union rejected...",
            },
        ],
        "summary": "Dock workers in Kessel extended their strike as shipping lines diverted "
        "vessels to Orvik. The union rejected a 4% raise offered by the port authority.",
    },
    {
        "id": "story-2",
        "date": "2021-05-04",
        "articles": [
            {
                "source": "Wire",
                "title": "Volcano erupts",
                "url": "https://wire.example/2",
                "text": "A volcano erupted near the village of Ketta on Tuesday. "
                "Residents were evacuated by bus. Lava reached the main road by evening.",
            }
        ],
        "summary": "A volcano erupted near Ketta and residents were evacuated.",
    },
]


def write_rows(path: Path, rows: Sequence[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + "\n", encoding="utf-8")
    return path


def test_rouge_values() -> None:
    same = rouge("the cat sat on the mat", "the cat sat on the mat")
    assert (same.rouge1_f, same.rouge2_f, same.rougeL_f) == (1.0, 1.0, 1.0)
    none = rouge("dogs bark", "the cat sat")
    assert (none.rouge1_f, none.rouge2_f, none.rougeL_f) == (0.0, 0.0, 0.0)
    part = rouge("the cat was on the mat", "the cat sat on the mat")
    assert part.rouge1_f == pytest.approx(5 / 6)
    assert part.rouge2_f == pytest.approx(3 / 5)
    assert part.rougeL_f == pytest.approx(5 / 6)
    assert rouge("", "anything").rougeL_f == 0.0


def test_load_story_numbers_articles_and_dates_them() -> None:
    story, articles = load_story(ROWS[0])
    assert [a.id for a in articles] == [1, 2]
    assert story.article_ids == (1, 2)
    assert articles[0].published.isoformat() == "2021-05-03T00:00:00+00:00"
    assert story.outlets == ("Left Daily", "Right Times")
    assert lead_baseline(articles, 1) == "Dock workers in Kessel extended their strike on Monday."


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


async def test_evaluate_reports_metrics_and_writes_rendered_summaries(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "dev.jsonl", ROWS)
    rendered: list[dict[str, Any]] = []
    result = await evaluate_summaries(lines(path), ExtractiveSummarizer(), rendered=rendered)
    assert result["stories"] == 2
    for key in ("rouge1_f", "rouge2_f", "rougeL_f", "lead_rougeL_f"):
        assert 0.0 < result[key] < 1.0
    assert result["sentences_kept"] >= 3
    assert result["sentences_dropped"] == {}
    assert result["fallbacks"] == {}
    json.dumps(result)
    json.dumps(rendered, default=str)
    assert [x["id"] for x in rendered] == ["story-1", "story-2"]
    assert rendered[0]["sources"][1]["url"] == "https://right.example/1"
    assert "[1]" in rendered[0]["text"] or "[2]" in rendered[0]["text"]
    assert "rouge" in rendered[0]


class Inventor:
    """A summariser that makes things up, to show that evaluation re-checks grounding."""

    stats = None

    async def summarize(
        self, story: Story, articles: Sequence[Article], *, for_post: bool = True
    ) -> Summary:
        return Summary(
            story.id,
            "Made up",
            (Sentence("A volcano erupted near Ketta, killing 300 people.", (1,)),),
            (),
            (),
        )

    async def answer(
        self,
        story: Story,
        articles: Sequence[Article],
        question: str,
        *,
        language: str | None = None,
    ) -> Answer:
        return Answer((), found=False)


async def test_evaluation_counts_ungrounded_sentences(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "dev.jsonl", ROWS[1:])
    result = await evaluate_summaries(lines(path), Inventor())
    assert result["sentences_dropped"] == {"unsupported_number": 1}
    assert result["sentences_kept"] == 0


async def test_bad_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        await read_eval_lines(tmp_path / "missing.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n{not json\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.jsonl:2"):
        await evaluate_summaries(lines(bad), ExtractiveSummarizer(), source=str(bad))


def test_render_shows_citations_and_sources() -> None:
    story, articles = load_story(ROWS[1])
    summary = ExtractiveSummarizer().summarize_now(story, articles)
    text = render_summary(summary)
    assert text.splitlines()[0] == "Volcano erupts"
    assert "[1] Wire: Volcano erupts https://wire.example/2" in text


async def test_unsupported_kept_counts_what_the_judge_says_was_injected(tmp_path: Path) -> None:
    class Copier(Inventor):
        async def summarize(
            self, story: Story, articles: Sequence[Article], *, for_post: bool = True
        ) -> Summary:
            text = "A volcano erupted near the village of Ketta on Tuesday."
            return Summary(story.id, "Volcano", (Sentence(text, (1,)),), (), ())

    path = write_rows(tmp_path / "dev.jsonl", ROWS[1:])
    kinds = {"A volcano erupted near the village of Ketta on Tuesday.": "invented_name"}
    result = await evaluate_summaries(lines(path), Copier(), judge=kinds.get)
    assert result["sentences_kept"] == 1
    assert result["unsupported_kept"] == 1
    assert result["published_by_kind"] == {"invented_name": 1}
    plain = await evaluate_summaries(lines(path), Copier())
    assert "unsupported_kept" not in plain
