"""A story, its articles and a good model reply, shared by the LLM summariser's tests
(the policy's with a fake chat model, the adapter's with the real ``openai`` client)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.core.domain import Article, Story, Summary

T0 = datetime(2024, 3, 5, 9, 0, tzinfo=UTC)
INJECTIONS = {
    p.stem: p.read_text(encoding="utf-8")
    for p in sorted((Path(__file__).parents[2] / "data" / "injection").glob("*.txt"))
}


class FakeClock:
    def __init__(self) -> None:
        self.at = T0

    def now(self) -> datetime:
        return self.at


def make_article(id_: int, outlet: str, title: str, text: str, minutes: int) -> Article:
    when = T0 + timedelta(minutes=minutes)
    return Article(
        id=id_,
        feed_id=1,
        outlet=outlet,
        url=f"https://{outlet.lower()}.example/{id_}",
        guid=None,
        title=title,
        text=text,
        published=when,
        fetched_at=when,
        content_hash=f"h{id_}-{hash(text) % 1000}",
    )


ARTICLES = [
    make_article(
        1,
        "Harbor",
        "Storm closes Lindale bridge",
        "The Lindale bridge was closed on Tuesday after the river rose four metres. "
        "About 12,000 commuters use the bridge every day, according to Marsh County. "
        'Mayor Ana Ortiz said the closure was "a hard but necessary step".',
        0,
    ),
    make_article(
        2,
        "Valley",
        "Lindale bridge shut by flooding",
        "Flooding forced the closure of the Lindale bridge on Tuesday. "
        "Engineers will inspect the steel supports, a task expected to take three days. "
        "Mayor Ana Ortiz urged drivers to use the northern bypass.",
        5,
    ),
]
STORY = Story("k7q2", T0, T0, (1, 2), ("Harbor", "Valley"), version=2)


def good_json(**overrides: Any) -> str:
    data: dict[str, Any] = {
        "headline": "Flooding closes the Lindale bridge",
        "lede": [
            {"text": "The Lindale bridge was closed on Tuesday after flooding.", "cites": [1, 2]}
        ],
        "sections": [
            {
                "heading": "Bridge commuters",
                "sentences": [
                    {"text": "About 12,000 commuters use the bridge every day.", "cites": [1]},
                    {
                        "text": "Mayor Ana Ortiz urged drivers to use the northern bypass.",
                        "cites": [2],
                    },
                ],
            },
            {
                "heading": "Steel inspection",
                "sentences": [
                    {
                        "text": "Engineers will inspect the steel supports for three days.",
                        "cites": [2],
                    }
                ],
            },
        ],
    }
    data.update(overrides)
    return json.dumps(data)


def sentences(summary: Summary) -> list[str]:
    return [s.text for s in summary.lede] + [
        s.text for sec in summary.sections for s in sec.sentences
    ]
