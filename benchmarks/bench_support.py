"""Measure the support threshold (``bot.summaries.support``) on the summaries dev file.

    .venv/bin/python benchmarks/bench_support.py [../shared/eval/summaries/allsides_dev.jsonl]

Positives: each sentence of the editors' summary of a story, against that story's
articles (a human paraphrase, sometimes with context no article states). Negatives: the
same sentences against the articles of another story on the same topic (the nearest
thing to a fluent, on-topic, unsupported claim). For each candidate threshold it prints
the share of positives that pass and of negatives that are stopped, per language. Without
the file it says so and exits 0.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from bot.eval.summaries import load_story
from bot.summaries.grounding import article_language
from bot.summaries.support import claim_stems, coverage, idf_of, source_text
from bot.text.sentences import split_sentences

DEV = Path("../shared/eval/summaries/allsides_dev.jsonl")
CANDIDATES = (0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)


def best_share(sentence: str, row: dict[str, Any]) -> tuple[str, float]:
    _, articles = load_story(row)
    sources = [source_text(a.title, a.text, article_language(a)) for a in articles]
    idf = idf_of(sources)
    shares = [coverage(claim_stems(sentence, s.language), s, idf) for s in sources]
    lang = sources[0].language if sources else "en"
    return lang, max(shares, default=0.0)


def measure(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by_topic: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_topic[str(row.get("topic"))].append(i)
    positives: dict[str, list[float]] = defaultdict(list)
    negatives: dict[str, list[float]] = defaultdict(list)
    for i, row in enumerate(rows):
        peers = [j for j in by_topic[str(row.get("topic"))] if j != i] or [(i + 1) % len(rows)]
        other = rows[peers[0]]
        for sentence in split_sentences(str(row.get("summary") or "")):
            lang, share = best_share(sentence, row)
            positives[lang].append(share)
            negatives[lang].append(best_share(sentence, other)[1])
    out: dict[str, Any] = {}
    for lang, pos in positives.items():
        neg = negatives[lang]
        out[lang] = {
            "positives": len(pos),
            "negatives": len(neg),
            "by_threshold": {
                str(t): {
                    "positives_pass": round(sum(p >= t for p in pos) / len(pos), 3),
                    "negatives_stopped": round(sum(n < t for n in neg) / len(neg), 3),
                }
                for t in CANDIDATES
            },
        }
    return out


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEV
    if not path.exists():
        print(json.dumps({"skipped": f"{path} not found"}))
        return
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    print(json.dumps(measure(rows), indent=1))


if __name__ == "__main__":
    main()
