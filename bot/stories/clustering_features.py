"""Article vectors for story clustering, weighted by incrementally kept document frequencies.

Terms live in one space: word stems (title words weighted up), names (``E:`` prefix) and
numbers (``#`` prefix). Document frequencies count only the articles in the active window,
so they are updated as articles arrive and leave and never look at the future.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping

from bot.text.entities import entities
from bot.text.terms import content_stems, numbers, stem
from bot.text.vectors import dot

__all__ = [
    "DocumentFrequencies",
    "Vector",
    "count_terms",
    "dot",
    "title_terms",
    "top_terms",
    "weigh",
]

Vector = dict[str, float]


def count_terms(
    title: str,
    text: str,
    *,
    title_weight: float,
    body_words: int,
    language: str | None = None,
) -> tuple[dict[str, float], frozenset[str]]:
    """Raw weighted term counts of one article (before IDF), stemmed for its language,
    and its title's terms (stems, names and numbers) as the counts name them."""
    counts: dict[str, float] = defaultdict(float)
    title_stems = content_stems(title, language)
    title_entities = entities(title)
    title_numbers = numbers(title)
    for s in title_stems:
        counts[s] += title_weight
    body = text[: body_words * 12]  # words average under 12 characters; bounds the work
    for s in content_stems(body, language, limit=body_words):
        counts[s] += 1.0
    for e in title_entities:
        counts["E:" + e] += title_weight
    for e in entities(body, limit=body_words // 4):
        counts["E:" + e] += 1.0
    for n in title_numbers:
        counts["#" + n] += title_weight
    for n in numbers(body)[: body_words // 8]:
        counts["#" + n] += 1.0
    title_keys = frozenset(
        (
            *title_stems,
            *("E:" + e for e in _names_of_title(title, title_entities)),
            *("#" + n for n in title_numbers),
        )
    )
    return counts, title_keys


def title_terms(title: str, language: str | None = None) -> list[str]:
    """The terms of a title as ``count_terms`` names them: stems, names and numbers."""
    return [
        *content_stems(title, language),
        *("E:" + e for e in title_names(title)),
        *("#" + n for n in numbers(title)),
    ]


def title_names(title: str) -> list[str]:
    """Names in a title. A single capitalised word opening it is no name: titles start
    with a capital whatever the word ("Meeting", "Trains to be augmented")."""
    return _names_of_title(title, entities(title))


def _names_of_title(title: str, names: list[str]) -> list[str]:
    words = title.split()
    first = words[0].strip("\"'\u2018\u201c(").lower() if words else ""
    if names and "_" not in names[0] and first and names[0] == stem(first):
        return names[1:]
    return names


class DocumentFrequencies:
    """How many active articles contain each term; IDF follows from it."""

    __slots__ = ("_df", "docs")

    def __init__(self) -> None:
        self._df: dict[str, int] = {}
        self.docs = 0

    def add(self, terms: Iterable[str]) -> None:
        df = self._df
        for t in terms:
            df[t] = df.get(t, 0) + 1
        self.docs += 1

    def remove(self, terms: Iterable[str]) -> None:
        df = self._df
        for t in terms:
            left = df.get(t, 0) - 1
            if left > 0:
                df[t] = left
            else:
                df.pop(t, None)
        self.docs = max(0, self.docs - 1)

    def df(self, term: str) -> int:
        return self._df.get(term, 0)

    def df_table(self) -> Mapping[str, int]:
        return self._df

    def idf(self, term: str) -> float:
        return math.log((self.docs + 1) / (self._df.get(term, 0) + 1)) + 1.0

    def __len__(self) -> int:
        return len(self._df)


def weigh(
    counts: Mapping[str, float],
    dfs: DocumentFrequencies,
    *,
    entity_weight: float,
    number_weight: float,
    max_terms: int,
) -> Vector:
    """Sublinear TF times IDF, kind weights, the ``max_terms`` strongest kept, unit length."""
    weights: list[tuple[float, str]] = []
    df = dfs.df_table()
    docs_plus = dfs.docs + 1
    log = math.log
    for term, tf in counts.items():
        w = (1.0 + log(tf) if tf >= 1.0 else tf) * (log(docs_plus / (df.get(term, 0) + 1)) + 1.0)
        head = term[0]
        if head == "E" and term.startswith("E:"):
            w *= entity_weight
        elif head == "#":
            w *= number_weight
        weights.append((w, term))
    if len(weights) > max_terms:
        weights.sort(reverse=True)
        del weights[max_terms:]
    norm = math.sqrt(sum(w * w for w, _ in weights)) or 1.0
    return {t: w / norm for w, t in weights}


def top_terms(vec: Mapping[str, float], k: int) -> list[str]:
    """The ``k`` heaviest terms: what an article is most specifically about."""
    return [t for t, _ in sorted(vec.items(), key=lambda kv: -kv[1])[:k]]
