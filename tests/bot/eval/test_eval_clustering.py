"""Clustering metrics and the streaming evaluation on tiny hand-made files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.eval.clustering import evaluate_clustering, parse_published, score_clusters
from bot.stories.clustering import ClusterConfig


def test_pairwise_and_bcubed_by_hand() -> None:
    # Predicted {1,2} {3}; gold {1,2,3}: one of three gold pairs found, none wrong.
    scores = score_clusters(["a", "a", "b"], ["x", "x", "x"])
    assert scores["pairwise_precision"] == 1.0
    assert scores["pairwise_recall"] == pytest.approx(1 / 3)
    assert scores["pairwise_f1"] == pytest.approx(0.5)
    assert scores["b3_precision"] == 1.0
    assert scores["b3_recall"] == pytest.approx(5 / 9)
    assert scores["b3_f1"] == pytest.approx(2 * (5 / 9) / (1 + 5 / 9))


def test_everything_in_one_cluster_loses_precision() -> None:
    scores = score_clusters(["a"] * 4, ["x", "x", "y", "y"])
    assert scores["pairwise_precision"] == pytest.approx(2 / 6)
    assert scores["pairwise_recall"] == 1.0
    assert scores["b3_precision"] == pytest.approx(0.5)


def test_perfect_clustering_scores_one() -> None:
    scores = score_clusters(["p", "p", "q"], ["x", "x", "y"])
    assert all(v == 1.0 for v in scores.values())


def write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


QUAKE = "A magnitude 7.1 earthquake struck off Fukushima, Japan, and a tsunami advisory followed."
RATES = "The central bank raised its benchmark interest rate to fight stubborn inflation."


def rows() -> list[dict[str, object]]:
    return [
        {"published": "2024-03-01", "source": "R", "title": "Fukushima quake", "text": QUAKE,
         "gold_cluster": "q"},
        {"published": "2024-03-01", "source": "N", "title": "Quake hits Fukushima, Japan",
         "text": "Fukushima was jolted by a 7.1 earthquake; a tsunami advisory was issued.",
         "gold_cluster": "q"},
        {"published": "2024-03-01T10:00:00Z", "source": "B", "title": "Bank raises rates",
         "text": RATES, "gold_cluster": "r"},
    ]  # fmt: skip


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_streaming_evaluation_reports_every_metric(tmp_path: Path) -> None:
    result = evaluate_clustering(lines(write(tmp_path / "s.jsonl", rows())))
    assert set(result) == {
        "articles", "clusters", "pairwise_precision", "pairwise_recall", "pairwise_f1",
        "b3_precision", "b3_recall", "b3_f1", "articles_per_s", "p99_ms_per_article",
    }  # fmt: skip
    assert result["articles"] == 3
    assert result["clusters"] == 2
    assert result["pairwise_f1"] == 1.0
    assert result["articles_per_s"] > 0
    assert result["p99_ms_per_article"] >= 0
    json.dumps(result)


def test_a_config_that_never_joins_loses_recall(tmp_path: Path) -> None:
    result = evaluate_clustering(
        lines(write(tmp_path / "s.jsonl", rows())),
        ClusterConfig(join_threshold=5.0, merge_threshold=5.0),
    )
    assert result["clusters"] == 3
    assert result["pairwise_recall"] == 0.0


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text("\n" + json.dumps(rows()[0]) + "\n\n", encoding="utf-8")
    assert evaluate_clustering(lines(path))["articles"] == 1


def test_an_empty_file_gives_zero_articles(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("", encoding="utf-8")
    result = evaluate_clustering(lines(path))
    assert result["articles"] == 0
    assert result["clusters"] == 0


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 2: not valid JSON"),
        ("[1, 2]", "line 2: expected a JSON object"),
        (json.dumps({"published": "2024-03-01", "title": "t"}), "line 2: 'gold_cluster'"),
        (json.dumps({"published": "yesterday", "gold_cluster": "g"}), "line 2: 'published'"),
        (json.dumps({"gold_cluster": "g"}), "line 2: 'published'"),
        (json.dumps({"published": "2024-03-01", "gold_cluster": "g", "title": 5}), "'title'"),
    ],
)
def test_malformed_lines_name_the_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(rows()[0]) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        evaluate_clustering(lines(path))


def test_published_dates_and_times_become_aware_utc() -> None:
    assert parse_published("2021-04-22", 1) == datetime(2021, 4, 22, tzinfo=UTC)
    assert parse_published("2013-01-30T03:43:55", 1) == datetime(2013, 1, 30, 3, 43, 55, tzinfo=UTC)
    assert parse_published("2013-01-30T05:43:55+02:00", 1) == datetime(
        2013, 1, 30, 3, 43, 55, tzinfo=UTC
    )
