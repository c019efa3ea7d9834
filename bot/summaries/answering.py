"""Answers to ``/ask`` from a story's own articles, with citations.

The extractive answer is the sentences that best match the question (BM25 over the
story's sentences). It says plainly when the sources do not say: ``found`` is False
unless the best sentence covers enough of the question's meaningful words.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from bot.core.domain import Answer, Article, Sentence
from bot.summaries.grounding import ordered_articles
from bot.summaries.hygiene import neutralise
from bot.text.sentences import article_sentences, clean_title, wordlist
from bot.text.terms import content_words
from bot.text.vectors import jaccard

# Question words that say what kind of answer is wanted, not what it is about.
_QUESTION_WORDS = frozenset(
    wordlist(
        "what who whom whose when where why how which did does do is are was were will can "
        "could should would happen happened happening tell know story news about"
    )
)


def question_terms(question: str) -> list[str]:
    """The words of a question that an answer must contain."""
    return [w for w in dict.fromkeys(content_words(question)) if w not in _QUESTION_WORDS]


def _stems(tokens: Sequence[str]) -> list[str]:
    """A crude stem (first 5 letters) so "elections" meets "election" and "voted" "vote"."""
    return [t[:5] for t in tokens]


def answer_from_articles(
    articles: Sequence[Article],
    question: str,
    *,
    max_sentences: int = 3,
    min_coverage: float = 0.5,
) -> Answer:
    """The best-matching sentences of the story's articles, citing their sources.

    ``found`` is True only when the best sentence contains at least ``min_coverage`` of
    the question's meaningful words (at least one of them); otherwise the answer says
    the sources do not say, and carries the closest sentences.
    """
    terms = _stems(question_terms(question))
    units: list[tuple[str, set[int], list[str]]] = []
    for number, article in enumerate(ordered_articles(articles), start=1):
        texts = [clean_title(article.title, article.outlet), *article_sentences(article.text)]
        for text in texts[1:] or texts[:1]:
            tokens = _stems(content_words(text))
            twin = next((u for u in units if jaccard(u[2], tokens) >= 0.6), None)
            if twin is not None:
                twin[1].add(number)
            elif tokens:
                units.append((text, {number}, tokens))
    if not terms or not units:
        return Answer((), found=False)
    df: Counter[str] = Counter()
    for _, _, tokens in units:
        df.update(set(tokens))
    n = len(units)
    avg = sum(len(u[2]) for u in units) / n

    def bm25(tokens: list[str]) -> float:
        counts = Counter(tokens)
        total = 0.0
        for t in terms:
            if counts[t]:
                idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
                tf = counts[t]
                total += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len(tokens) / avg))
        return total

    ranked = sorted(((bm25(u[2]), i) for i, u in enumerate(units)), key=lambda p: (-p[0], p[1]))
    best_score, best = ranked[0]
    coverage = len(set(terms) & set(units[best][2])) / len(set(terms))
    found = best_score > 0 and coverage >= min_coverage
    picked = [i for score, i in ranked[:max_sentences] if score > 0 and score >= best_score / 2]
    if not found:
        picked = picked[:2]
    sentences = tuple(
        Sentence(neutralise(units[i][0]), tuple(sorted(units[i][1]))) for i in sorted(picked)
    )
    return Answer(sentences, found=found)
