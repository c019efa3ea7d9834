"""``newsbot eval clustering FILE.jsonl``: story clustering measured against gold labels.

The file is streamed line by line, in order, through the same :class:`StoryClusterer` the
bot runs; nothing is fitted on the file beforehand. Metrics: pairwise precision, recall and
F1 over article pairs (Miranda et al., EMNLP 2018) and B-cubed precision, recall and F1.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from bot.stories.clustering import ClusterConfig, ClusterDoc, StoryClusterer

# The bot's own defaults: sparse streams stretch the window by themselves (see
# ``ClusterConfig.window_articles``), so nothing is special-cased for evaluation.
EVAL_CONFIG = ClusterConfig()


def parse_published(value: object, line_no: int) -> datetime:
    """An ISO date or date-time; a date alone is midnight UTC, a naive time is UTC."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"line {line_no}: 'published' must be an ISO date or date-time")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as err:
        raise ValueError(f"line {line_no}: 'published' is not an ISO date: {value!r}") from err
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _read_rows(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(f"line {line_no}: not valid JSON ({err.msg})") from err
        if not isinstance(row, dict):
            raise ValueError(f"line {line_no}: expected a JSON object")
        yield line_no, row


def _text_field(row: Mapping[str, Any], name: str, line_no: int) -> str:
    value = row.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"line {line_no}: {name!r} must be a string")
    return value


def pair_count(n: int) -> int:
    return n * (n - 1) // 2


def score_clusters(predicted: list[str], gold: list[str]) -> dict[str, float]:
    """Pairwise and B-cubed precision/recall/F1 of ``predicted`` labels against ``gold``."""
    cells = Counter(zip(predicted, gold, strict=True))
    pred_sizes = Counter(predicted)
    gold_sizes = Counter(gold)
    together = sum(pair_count(n) for n in cells.values())
    pred_pairs = sum(pair_count(n) for n in pred_sizes.values())
    gold_pairs = sum(pair_count(n) for n in gold_sizes.values())
    # With no pairs on a side nothing was wrongly joined (or missed): a perfect score.
    p = together / pred_pairs if pred_pairs else 1.0
    r = together / gold_pairs if gold_pairs else 1.0
    n = len(predicted)
    b3p = sum(c * c / pred_sizes[pl] for (pl, _), c in cells.items()) / n if n else 1.0
    b3r = sum(c * c / gold_sizes[gl] for (_, gl), c in cells.items()) / n if n else 1.0
    return {
        "pairwise_precision": p,
        "pairwise_recall": r,
        "pairwise_f1": _f1(p, r),
        "b3_precision": b3p,
        "b3_recall": b3r,
        "b3_f1": _f1(b3p, b3r),
    }


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def evaluate_clustering(
    lines: Iterable[str], config: ClusterConfig | None = None
) -> dict[str, float | int]:
    """Stream the JSONL ``lines`` through the clusterer and score the stories it formed."""
    counter = itertools.count(1)
    clusterer = StoryClusterer(config or EVAL_CONFIG, lambda: f"s{next(counter)}")
    labels: list[str] = []
    gold: list[str] = []
    redirect: dict[str, str] = {}  # absorbed story id -> the story that absorbed it
    timings: list[float] = []
    for line_no, row in _read_rows(lines):
        label = row.get("gold_cluster")
        if not isinstance(label, str | int) or isinstance(label, bool):
            raise ValueError(f"line {line_no}: 'gold_cluster' is missing")
        doc = ClusterDoc(
            article_id=len(labels),
            outlet=_text_field(row, "source", line_no) or "unknown",
            title=_text_field(row, "title", line_no),
            text=_text_field(row, "text", line_no),
            published=parse_published(row.get("published"), line_no),
            language=_text_field(row, "lang", line_no) or "und",
            url=_text_field(row, "url", line_no),
        )
        started = time.perf_counter()
        assignment = clusterer.add(doc)
        merges = clusterer.merge_related([assignment.story_id])
        timings.append(time.perf_counter() - started)
        for gone in assignment.merged:
            redirect[gone] = assignment.story_id
        # As the pipeline does after each batch (here a batch of one article).
        for gone, survivor in merges:
            redirect[gone] = survivor
        labels.append(assignment.story_id)
        gold.append(str(label))
    final = [_resolve(label, redirect) for label in labels]
    total = sum(timings)
    result: dict[str, float | int] = {"articles": len(final), "clusters": len(set(final))}
    result.update({k: round(v, 4) for k, v in score_clusters(final, gold).items()})
    result["articles_per_s"] = round(len(final) / total, 1) if total > 0 else 0.0
    result["p99_ms_per_article"] = round(_percentile(timings, 0.99) * 1000.0, 3)
    return result


def _resolve(label: str, redirect: Mapping[str, str]) -> str:
    seen = set()
    while label in redirect and label not in seen:
        seen.add(label)
        label = redirect[label]
    return label


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
