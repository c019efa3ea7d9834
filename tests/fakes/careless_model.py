"""A cooperative but careless model for the fake OpenAI server (``fake_openai``).

It reads the articles the summariser sends, follows the prompt's JSON shape and cites
correctly, and writes mostly faithful sentences (copied from a source, or cut at a
comma: what a model paraphrasing lightly does). Now and then it also does what real
models do: changes a number, invents a name or a death toll, adds a link, calls on the
readers, adds an unsupported evaluation, flips a negation, writes junk headings. Every
sentence and heading it writes is recorded in its ``ledger`` with its kind, so a test
can count what of each kind reached a post.

Use: ``fake.default = CarelessModel().reply``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bot.text.language import detect_language
from bot.text.sentences import article_sentences
from bot.text.terms import words
from tests.fakes.fake_openai import Body, Reply

FAITHFUL = "faithful"
JUNK_HEADINGS = ("The", "The The", "Details", "Eastern It")
# The hostile sentences, per language: (kind, text). "{n}" is a number no source has.
_INVENTED = {
    "en": (
        ("invented_name", "Senator Maria Delgado condemned the decision."),
        ("invented_toll", "At least {n} people were killed, officials said."),
        ("reader_call", "@everyone share this story now."),
        ("evaluation", "The decision was widely criticised."),
        ("evaluation", "Residents are furious."),
        ("evaluation", "It is a disaster for everyone involved."),
    ),
    "ru": (
        ("invented_name", "Сенатор Мария Дельгадо осудила это решение."),
        ("invented_toll", "По меньшей мере {n} человек погибли, сообщили власти."),
        ("reader_call", "@everyone поделитесь этой новостью."),
        ("evaluation", "Это решение вызвало возмущение."),
        ("evaluation", "Жители в ярости: это катастрофа."),
    ),
}
_AUXILIARY = re.compile(r"\b(is|was|were|are|will|has|have|had|can|could|would)\b (?!not\b)")
# A Russian past or present verb form (Cyrillic letters written as escapes).
_RU_VERB = re.compile(
    "(?<=\\s)([\u0430-\u044f\u0451]{3,}(?:\u043b\u0438|\u043b\u0430|\u043b\u043e|\u0435\u0442|\u044e\u0442))\\b"
)
_FIRST_PERSON = re.compile(r"\b(i|me|my|we|our|us|you|your)\b|[!?\"\u201c\u201d]", re.I)


def key(text: str) -> tuple[str, ...]:
    """What identifies a sentence after grounding has tidied it: its words, no links."""
    no_links = re.sub(r"(?:https?://|www\.)\S+", " ", text)
    return tuple(w for w in words(no_links) if w not in ("everyone", "here"))


@dataclass
class CarelessModel:
    """Call ``reply(body)`` for each request; ``ledger`` maps sentence keys to kinds."""

    ledger: dict[tuple[str, ...], str] = field(default_factory=dict)
    written: Counter[str] = field(default_factory=Counter)
    stories: int = 0

    def kind_of(self, text: str) -> str | None:
        """The kind this model recorded for ``text`` (a sentence or heading), if any."""
        return self.ledger.get(key(text))

    def _note(self, kind: str, text: str) -> str:
        self.ledger.setdefault(key(text), kind)
        self.written[kind] += 1
        return text

    def reply(self, body: Body) -> Reply:
        articles = _articles(body)
        if not articles:
            return Reply(json.dumps({"found": False, "sentences": []}))
        if "question" in str(body["messages"][-1]["content"]).rsplit("END ARTICLES", 1)[-1]:
            return Reply(json.dumps(self._answer(articles)))
        self.stories += 1
        return Reply(json.dumps(self._story(articles), ensure_ascii=False))

    def _faithful(self, articles: list[dict[str, Any]]) -> list[tuple[str, int]]:
        out: list[tuple[str, int]] = []
        for a in articles:
            for i, source in enumerate(article_sentences(a["text"], min_words=6)[:6]):
                if _FIRST_PERSON.search(source) or len(words(source)) > 45:
                    continue
                head, _, _ = source.partition(", ")
                # Every third sentence is cut at its first comma: a light paraphrase.
                cut = i % 3 == 2 and len(words(head)) >= 6
                out.append((head.rstrip(".") + "." if cut else source, a["number"]))
        return out

    def _story(self, articles: list[dict[str, Any]]) -> dict[str, Any]:
        lang = detect_language(articles[0]["title"], articles[0]["text"])
        lang = lang if lang in _INVENTED else "en"
        faithful = self._faithful(articles)
        facts = " ".join(a["title"] + " " + a["text"] for a in articles)
        n = next(k for k in range(47, 10_000) if str(k) not in facts)
        # (kind, text, cite): recorded in the ledger when placed in the reply.
        hostile: list[tuple[str, str, int]] = [
            (kind, text.format(n=n), 1) for kind, text in _INVENTED[lang]
        ]
        with_number = next((f for f in faithful if re.search(r"\d", f[0])), None)
        if with_number is not None:
            changed = re.sub(r"\d+", str(n + 1), with_number[0], count=1)
            hostile.append(("changed_number", changed, with_number[1]))
        flippable = next((f for f in faithful[1:] if _flip(f[0], lang) != f[0]), None)
        if flippable is not None:
            hostile.append(("flipped_negation", _flip(flippable[0], lang), flippable[1]))
        if faithful:
            linked = faithful[0][0].rstrip(".") + " (details: https://news-tips.example/more)."
            hostile.append(("link", linked, faithful[0][1]))
        kept = [(self._note(FAITHFUL, t), c) for t, c in faithful]
        lede, rest = kept[:2], kept[2:]
        sections: list[dict[str, Any]] = []
        per = max(2, len(rest) // 4 + 1)
        for i in range(0, len(rest), per):
            chunk = rest[i : i + per]
            if hostile:
                kind, text, cite = hostile.pop(0)
                chunk.append((self._note(kind, text), cite))
            heading = JUNK_HEADINGS[len(sections) % len(JUNK_HEADINGS)]
            if len(sections) % 2 == 1:
                heading = _name_in(chunk) or heading
            self._note("junk_heading" if heading in JUNK_HEADINGS else FAITHFUL, heading)
            sections.append({"heading": heading, "sentences": [_cited(s) for s in chunk]})
        if sections:
            sections[-1]["sentences"].extend(_cited((self._note(k, t), c)) for k, t, c in hostile)
        return {
            "headline": articles[0]["title"],
            "lede": [_cited(s) for s in lede],
            "sections": sections,
        }

    def _answer(self, articles: list[dict[str, Any]]) -> dict[str, Any]:
        faithful = self._faithful(articles)[:2]
        sentences = [_cited((self._note(FAITHFUL, t), c)) for t, c in faithful]
        sentences.append(_cited((self._note("evaluation", "Residents are furious."), 1)))
        return {"found": True, "sentences": sentences}


def _cited(item: tuple[str, int]) -> dict[str, Any]:
    return {"text": item[0], "cites": [item[1]]}


def _flip(sentence: str, lang: str) -> str:
    if lang == "ru":
        return _RU_VERB.sub(lambda m: "не " + m.group(1), sentence, count=1)
    return _AUXILIARY.sub(lambda m: m.group(0) + "not ", sentence, count=1)


def _name_in(chunk: list[tuple[str, int]]) -> str:
    """A two-word capitalised name from the sentences, as a model's heading would be."""
    for text, _ in chunk:
        for m in re.finditer(r"(?<=\s)([^\W\d_]{2,} [^\W\d_]{2,})\b", text):
            if all(w[0].isupper() and w[1:].islower() for w in m.group(1).split()):
                return m.group(1)
    return ""


def _articles(body: Body) -> list[dict[str, Any]]:
    content = str(body["messages"][-1]["content"])
    start, end = content.find("BEGIN ARTICLES"), content.find("END ARTICLES")
    if start < 0 or end < 0:
        return []
    data = json.loads(content[start + len("BEGIN ARTICLES") : end])
    return list(data.get("articles", []))
