"""``newsbot eval summaries FILE.jsonl [--out OUT.jsonl]``: ROUGE against editors' summaries.

Each line is one story ``{id, date, articles: [{source, title, text, url}], summary}``
(the format of ``../shared/eval/summaries/allsides_dev.jsonl``). The configured
summariser writes a summary of each; its prose (lede and sections) is scored against
the editors' ``summary``, beside a lead baseline (the first sentences of the first
article). Every output is also re-checked by :func:`bot.summaries.grounding.ground`, so the
sentence counts say how much of what was written survives grounding.

With ``translate_to`` (a language) and a summariser that can make other calls (the LLM
summariser), each summary is also translated as chats of that language get it
(``bot.summaries.translator``), and ``translation`` reports the share of texts shown
translated, that is, that passed the fact checks rather than falling back to the
original; stories already in that language are not counted.

With a ``judge`` (a test model's ledger: the kind it recorded for each sentence it wrote,
``"faithful"`` or what it injected), the result also counts the published sentences and
headings by kind, and ``unsupported_kept``: injected ones that reached a summary.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import Any

from bot.core.domain import Article, Story, Summary
from bot.core.errors import ConfigError
from bot.core.locales import parse_language
from bot.core.ports import Summarizer
from bot.eval.rouge import RougeScores, rouge
from bot.summaries.grounding import ground
from bot.summaries.llm import LLMSummarizer
from bot.summaries.translation import Translation, kept_share, sources_language
from bot.summaries.translator import MemoryTranslations, Translator
from bot.text.language import detect_language
from bot.text.sentences import clean_text, split_sentences

LEAD_SENTENCES = 3


def load_story(row: dict[str, Any]) -> tuple[Story, list[Article]]:
    """A Story and its Articles from one evaluation line (ids 1..n, published = date)."""
    when = datetime.fromisoformat(str(row.get("date") or "2000-01-01")).replace(tzinfo=UTC)
    articles = [
        Article(
            id=i,
            feed_id=0,
            outlet=str(a.get("source") or "unknown"),
            url=str(a.get("url") or ""),
            guid=None,
            title=str(a.get("title") or ""),
            text=str(a.get("text") or ""),
            published=when,
            fetched_at=when,
            content_hash=hashlib.sha256(str(a.get("text") or "").encode()).hexdigest(),
        )
        for i, a in enumerate(row.get("articles") or [], start=1)
    ]
    story_id = "".join(ch for ch in str(row.get("id", "s")).lower() if ch.isalnum())[-12:]
    story = Story(
        id=story_id or "s",
        created_at=when,
        updated_at=when,
        article_ids=tuple(a.id for a in articles),
        outlets=tuple(dict.fromkeys(a.outlet for a in articles)),
        headline=str(row.get("issue_headline") or ""),
    )
    return story, articles


def summary_prose(summary: Summary) -> str:
    """The lede and the sections' sentences, as a reader reads them."""
    texts = [s.text for s in summary.lede]
    texts.extend(s.text for section in summary.sections for s in section.sentences)
    return " ".join(texts)


def render_summary(summary: Summary) -> str:
    """Plain text with ``[n]`` citation markers, headings and numbered sources."""

    def cited(text: str, cites: Sequence[int]) -> str:
        return text + "".join(f"[{n}]" for n in cites)

    out = [summary.headline, " ".join(cited(s.text, s.cites) for s in summary.lede)]
    for section in summary.sections:
        out.append(f"## {section.heading}")
        out.extend(cited(s.text, s.cites) for s in section.sentences)
    if summary.events:
        out.append("## Dated events")
        out.extend(f"{e.when} | {cited(e.what.text, e.what.cites)}" for e in summary.events)
    out.append("## Sources")
    out.extend(
        f"[{r.number}] {r.outlet}: {r.title} {r.url} ({r.published:%Y-%m-%d %H:%M} UTC)"
        for r in summary.sources
    )
    return "\n".join(out)


def lead_baseline(articles: Sequence[Article], n: int = LEAD_SENTENCES) -> str:
    if not articles:
        return ""
    return " ".join(split_sentences(clean_text(articles[0].text))[:n])


def _counter(stats: object, name: str) -> Counter[str]:
    value = getattr(stats, name, None)
    return Counter(value) if isinstance(value, Counter) else Counter()


def _mean(values: Sequence[float]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


async def evaluate_summaries(
    lines: Sequence[str],
    summarizer: Summarizer,
    *,
    source: str = "eval file",
    rendered: list[dict[str, Any]] | None = None,
    judge: Callable[[str], str | None] | None = None,
    translate_to: str | None = None,
) -> dict[str, Any]:
    """Summarise every story in the JSONL ``lines`` and return the metrics as one JSON-able
    dict; ``rendered``, when given, receives each rendered summary. ``source`` names the
    file in error messages; ``judge`` (see the module docstring) says what each published
    sentence or heading is."""
    stats = getattr(summarizer, "stats", None)
    translator = _translator(summarizer, translate_to)
    translations: list[Translation] = []
    dropped_before = _counter(stats, "dropped")
    fallbacks_before = _counter(stats, "fallbacks")
    ours: list[RougeScores] = []
    lead: list[RougeScores] = []
    kept = 0
    dropped: Counter[str] = Counter()
    published: Counter[str] = Counter()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as err:
            raise ConfigError(f"{source}:{number} is not JSON: {err.msg}") from err
        story, articles = load_story(row)
        reference = str(row.get("summary") or "")
        summary = await summarizer.summarize(story, articles)
        check = ground(summary, articles)
        kept += check.kept
        dropped.update(check.dropped)
        if judge is not None:
            published.update(_kinds(summary, judge))
        if translator is not None and translate_to is not None:
            # Eval rows carry no language: the bot's detector says, as the parser would.
            found = [replace(a, language=detect_language(a.title, a.text)) for a in articles]
            summary = replace(summary, language=sources_language(found))
            translations += await translator.translate(summary, [translate_to])
        scores = rouge(summary_prose(summary), reference)
        ours.append(scores)
        lead.append(rouge(lead_baseline(articles), reference))
        if rendered is not None:
            item = asdict(summary)
            item.update(id=row.get("id"), text=render_summary(summary), rouge=asdict(scores))
            rendered.append(item)
    dropped.update(_counter(stats, "dropped") - dropped_before)
    fallbacks = _counter(stats, "fallbacks") - fallbacks_before
    return {
        "stories": len(ours),
        "rouge1_f": _mean([s.rouge1_f for s in ours]),
        "rouge2_f": _mean([s.rouge2_f for s in ours]),
        "rougeL_f": _mean([s.rougeL_f for s in ours]),
        "lead_rouge1_f": _mean([s.rouge1_f for s in lead]),
        "lead_rouge2_f": _mean([s.rouge2_f for s in lead]),
        "lead_rougeL_f": _mean([s.rougeL_f for s in lead]),
        "sentences_kept": kept,
        "sentences_dropped": dict(sorted(dropped.items())),
        "fallbacks": dict(sorted(fallbacks.items())),
        **_judged(published, judge is not None),
        **_translated(translator, translations, translate_to),
    }


def _translator(summarizer: Summarizer, language: str | None) -> Translator | None:
    if language is None:
        return None
    if parse_language(language) is None:
        raise ConfigError(f"--translate-to {language!r} is not a language code CLDR knows.")
    if not isinstance(summarizer, LLMSummarizer):
        raise ConfigError('Translations need the LLM summariser: [summarizer] kind = "llm".')
    return Translator(summarizer, MemoryTranslations(), max_languages=1)


def _translated(
    translator: Translator | None, translations: Sequence[Translation], language: str | None
) -> dict[str, Any]:
    if translator is None:
        return {}
    stats = translator.stats
    return {
        "translation": {
            "language": language,
            "summaries": len(translations),
            "texts": sum(t.total for t in translations),
            "kept_share": kept_share(translations),
            "fallbacks": dict(sorted(stats.fallbacks.items())),
            "skipped": dict(sorted(stats.skipped.items())),
        }
    }


def _kinds(summary: Summary, judge: Callable[[str], str | None]) -> Counter[str]:
    """What the judge says each published sentence and heading is ("unknown": not its)."""
    texts = [s.text for s in summary.lede]
    texts += [s.text for section in summary.sections for s in section.sentences]
    kinds = Counter(judge(t) or "unknown" for t in texts)
    kinds.update(f"heading:{judge(s.heading) or 'unknown'}" for s in summary.sections)
    return kinds


def _judged(published: Counter[str], judged: bool) -> dict[str, Any]:
    if not judged:
        return {}
    sentences = {k: v for k, v in published.items() if not k.startswith("heading:")}
    headings = {k[8:]: v for k, v in published.items() if k.startswith("heading:")}
    return {
        "published_by_kind": dict(sorted(sentences.items())),
        "headings_by_kind": dict(sorted(headings.items())),
        "unsupported_kept": sum(
            v for k, v in sentences.items() if k not in ("faithful", "unknown")
        ),
    }
