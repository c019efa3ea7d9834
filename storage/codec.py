"""JSON encoding of summaries, so one stored row serves every channel that gets the story."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.core.domain import DatedEvent, Section, Sentence, SourceRef, Summary
from storage.models import SummaryRow, SummaryTranslationRow

SCHEMA = 1


def _sentence(s: Sentence) -> dict[str, Any]:
    return {"t": s.text, "c": list(s.cites)}


def _unsentence(d: dict[str, Any]) -> Sentence:
    return Sentence(str(d["t"]), tuple(int(c) for c in d["c"]))


def encode_summary(summary: Summary) -> str:
    return json.dumps(
        {
            "schema": SCHEMA,
            "headline": summary.headline,
            "lede": [_sentence(s) for s in summary.lede],
            "sections": [
                {"h": sec.heading, "s": [_sentence(s) for s in sec.sentences]}
                for sec in summary.sections
            ],
            "sources": [
                {
                    "n": ref.number,
                    "outlet": ref.outlet,
                    "title": ref.title,
                    "url": ref.url,
                    "published": ref.published.isoformat(),
                    "article_id": ref.article_id,
                }
                for ref in summary.sources
            ],
            "key_facts": [_sentence(s) for s in summary.key_facts],
            "events": [{"when": e.when, "what": _sentence(e.what)} for e in summary.events],
            "what_changed": _sentence(summary.what_changed) if summary.what_changed else None,
            "lead": summary.lead,
            "language": summary.language,
        },
        ensure_ascii=False,
    )


def decode_summary(payload: str, *, story_id: str, story_version: int, written_by: str) -> Summary:
    data = json.loads(payload)
    changed = data.get("what_changed")
    return Summary(
        story_id=story_id,
        headline=str(data["headline"]),
        lede=tuple(_unsentence(s) for s in data["lede"]),
        sections=tuple(
            Section(str(sec["h"]), tuple(_unsentence(s) for s in sec["s"]))
            for sec in data["sections"]
        ),
        sources=tuple(
            SourceRef(
                number=int(ref["n"]),
                outlet=str(ref["outlet"]),
                title=str(ref["title"]),
                url=str(ref["url"]),
                published=datetime.fromisoformat(ref["published"]),
                article_id=int(ref.get("article_id", 0)),
            )
            for ref in data["sources"]
        ),
        key_facts=tuple(_unsentence(s) for s in data.get("key_facts", [])),
        events=tuple(
            DatedEvent(str(e["when"]), _unsentence(e["what"])) for e in data.get("events", [])
        ),
        written_by=written_by,
        story_version=story_version,
        what_changed=_unsentence(changed) if changed else None,
        lead=int(data.get("lead", 1)),
        language=str(data.get("language") or "und"),
    )


def summary_value(row: SummaryRow | SummaryTranslationRow) -> Summary:
    """A stored summary (or translation) row as the core's ``Summary``."""
    return decode_summary(
        row.payload,
        story_id=row.story_id,
        story_version=row.story_version,
        written_by=row.written_by,
    )
