"""``/ask`` answered in the chat's language, but only where that can be checked.

Grounding (``bot.summaries.grounding``) checks a sentence against the words of its
sources, so it cannot check a sentence in another language. The model is therefore asked
for each answer sentence twice: ``text`` in the sources' language, which is grounded
like any answer, and ``translation`` in the chat's language, which must state the same
numbers, dates and quotations as the grounded text (``bot.summaries.translation``'s
checks). Only when every grounded sentence's translation passes is the answer shown
translated; otherwise the chat reads the grounded originals and a note naming their
language. Citations are always the grounded sentences'. All of it is pure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from bot.core.domain import Answer, Article, ChatMessage, Sentence, Summary
from bot.core.locales import language_name
from bot.core.reading import reads_differently, translation_language
from bot.summaries.grounding import ground
from bot.summaries.prompt import parse_sentence
from bot.summaries.translation import rejected, sources_language

MAX_ANSWER_SENTENCES = 3

ANSWER_IN_LANGUAGE = """

The reader reads {language}. Give each sentence twice: "text" in the language of the
articles (it is checked against them), and "translation": the same sentence in
{language}, with every number, date, name and quotation exactly as "text" states it.
Shape: {{"found": true, "sentences": [{{"text": "...", "translation": "...", "cites": [1]}}]}}"""


def answer_languages(
    articles: Sequence[Article], chat_language: str | None
) -> tuple[str, str | None]:
    """(the sources' language, the language to translate the answer into, or None when
    the chat reads the sources' language or either is not known)."""
    source = sources_language(articles)
    if chat_language is None or not reads_differently(source, chat_language):
        return source, None
    return source, translation_language(chat_language)


def in_language(messages: list[ChatMessage], target: str) -> list[ChatMessage]:
    """The answer request, also asking for each sentence in ``target``."""
    system, *rest = messages
    name = f"{language_name(target, 'en')} ({target})"
    extra = ANSWER_IN_LANGUAGE.format(language=name)
    return [ChatMessage(system.role, system.content + extra), *rest]


def answer_pairs(data: dict[str, Any]) -> list[tuple[Sentence, str]]:
    """Each answer sentence with its translation ("" when the model gave none)."""
    raw = data.get("sentences")
    pairs: list[tuple[Sentence, str]] = []
    for item in raw if isinstance(raw, list) else []:
        sentence = parse_sentence(item)
        if sentence is None:
            continue
        translation = item.get("translation") if isinstance(item, dict) else None
        pairs.append((sentence, translation if isinstance(translation, str) else ""))
    return pairs


def checked_answer(
    pairs: Sequence[tuple[Sentence, str]], articles: Sequence[Article], source: str, target: str
) -> tuple[Answer | None, Counter[str]]:
    """The answer to show and the reasons grounding dropped sentences: translated when
    every grounded sentence's translation states its facts, else the grounded originals
    (in ``source``); None when no sentence is grounded."""
    kept: list[tuple[Sentence, str]] = []
    dropped: Counter[str] = Counter()
    for sentence, translation in pairs[:MAX_ANSWER_SENTENCES]:
        result = ground(Summary("", "", (sentence,), (), ()), articles)
        dropped.update(result.dropped)
        if result.summary.lede:
            kept.append((result.summary.lede[0], translation))
    if not kept:
        return None, dropped
    if all(rejected(g.text, t, source, target) is None for g, t in kept):
        translated = tuple(Sentence(t.strip(), g.cites) for g, t in kept)
        return Answer(translated, found=True, language=target), dropped
    return Answer(tuple(g for g, _t in kept), found=True, language=source), dropped
