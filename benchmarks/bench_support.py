"""Measure the support threshold (``bot.summaries.support``) on the summaries dev file.

    .venv/bin/python benchmarks/bench_support.py [../shared/eval/summaries/allsides_dev.jsonl]
    .venv/bin/python benchmarks/bench_support.py --feeds ../shared/eval/feeds/news_real

Positives: each sentence of the editors' summary of a story, against that story's
articles (a human paraphrase, sometimes with context no article states). Negatives: the
same sentences against the articles of another story on the same topic (the nearest
thing to a fluent, on-topic, unsupported claim). For each candidate threshold it prints
the share of positives that pass and of negatives that are stopped, per language.

The summaries file is English only. ``--feeds`` measures every language in a folder of
real feeds with a proxy: an item's title against its own text (a headline paraphrases
its report) as positives, its sentences against another item's text as negatives.
Without the data it says so and exits 0.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from bot.eval.summaries import load_story
from bot.summaries.grounding import article_language
from bot.summaries.support import claim_stems, coverage, idf_of, source_text
from bot.text.sentences import split_sentences

DEV = Path("../shared/eval/summaries/allsides_dev.jsonl")
CANDIDATES = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)


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
            "by_threshold": _shares(pos, neg),
        }
    return out


def _shares(pos: list[float], neg: list[float]) -> dict[str, Any]:
    return {
        str(t): {
            "positives_pass": round(sum(p >= t for p in pos) / max(1, len(pos)), 3),
            "negatives_stopped": round(sum(n < t for n in neg) / max(1, len(neg)), 3),
        }
        for t in CANDIDATES
    }


def measure_feeds(directory: Path) -> dict[str, Any]:
    """The title-against-own-text proxy per language, over every feed file in a folder."""
    import feedparser  # noqa: PLC0415 - only this mode reads feeds

    from bot.text.language import detect_language  # noqa: PLC0415
    from bot.text.sentences import article_sentences  # noqa: PLC0415

    items: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for path in sorted(directory.glob("*.xml")):
        for entry in feedparser.parse(str(path)).entries:
            content = entry.get("content") or [{}]
            text = re.sub(r"<[^>]+>", " ", content[0].get("value") or entry.get("summary", ""))
            title = str(entry.get("title", ""))
            if len(article_sentences(text, min_words=3)) >= 2:
                items[detect_language(title, text)].append((title, text))
    out: dict[str, Any] = {}
    for lang, pairs in sorted(items.items()):
        if len(pairs) < 10:
            continue
        sources = [source_text(title, text, lang) for title, text in pairs]
        bodies = [source_text("", text, lang) for _, text in pairs]
        idf = idf_of(sources)
        pos = [
            coverage(claim_stems(t, lang), b, idf) for (t, _), b in zip(pairs, bodies, strict=True)
        ]
        neg = [
            coverage(claim_stems(s, lang), sources[(i + 7) % len(pairs)], idf)
            for i, (_, text) in enumerate(pairs)
            for s in article_sentences(text, min_words=3)[:4]
        ]
        out[lang] = {"items": len(pairs), "by_threshold": _shares(pos, neg)}
    return out


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--feeds":
        folder = Path(sys.argv[2])
        found = folder.is_dir()
        print(json.dumps(measure_feeds(folder) if found else {"skipped": f"{folder}"}, indent=1))
        return
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEV
    if not path.exists():
        print(json.dumps({"skipped": f"{path} not found"}))
        return
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    print(json.dumps(measure(rows), indent=1))


if __name__ == "__main__":
    main()
