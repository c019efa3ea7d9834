"""ROUGE-1, ROUGE-2 and ROUGE-L F1 (Lin, 2004), without stemming.

Tokens are lower-cased runs of letters and digits, as in Google's ``rouge-score``
with ``use_stemmer=False``; ROUGE-L is the sentence-agnostic LCS variant ("rougeL").
Implemented here so evaluation needs no extra dependency.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

_TOKEN = re.compile(r"[a-z0-9]+")


def rouge_tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def _ngrams(tokens: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _f1(overlap: int, candidate: int, reference: int) -> float:
    if not overlap or not candidate or not reference:
        return 0.0
    precision, recall = overlap / candidate, overlap / reference
    return 2 * precision * recall / (precision + recall)


def _lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    if len(a) < len(b):
        a, b = b, a
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


@dataclass(frozen=True)
class RougeScores:
    rouge1_f: float
    rouge2_f: float
    rougeL_f: float


def rouge(candidate: str, reference: str) -> RougeScores:
    """F1 of unigram and bigram overlap and of the longest common subsequence."""
    cand, ref = rouge_tokens(candidate), rouge_tokens(reference)
    scores = []
    for n in (1, 2):
        c, r = _ngrams(cand, n), _ngrams(ref, n)
        scores.append(_f1(sum((c & r).values()), sum(c.values()), sum(r.values())))
    lcs = _lcs_length(cand, ref)
    return RougeScores(scores[0], scores[1], _f1(lcs, len(cand), len(ref)))
