"""Recognising wire copies: the same agency text published by several outlets.

Each active article is indexed by hashed word 5-grams of its title and opening text; a new
article that shares most of its shingles with an earlier one is a copy of it. Very common
shingles (boilerplate such as "continue reading the main story") are ignored by capping how
many articles one shingle may point at.
"""

from __future__ import annotations

from array import array
from collections.abc import Collection

from bot.text.terms import shingles

_MAX_POSTING = 64
_MIN_SHINGLES = 6
_RATE = 4  # a fingerprint keeps one shingle in this many
# Sampled shingles a short text must share with a sampled one to be its copy.
_MIN_SAMPLED_SHARED = 3
# A text of this many shingles (some 30 words) is fingerprinted without its title.
_ALONE = 4 * _MIN_SHINGLES


class WireIndex:
    """Shingle sets of active articles, for near-duplicate look-up.

    Kept compact, since every active article (5,000 by default) has one: an article's
    shingles as one array of 8-byte hashes rather than a set of int objects, and a
    shingle that one article holds (most of them) points at it directly, not through a
    list of one.
    """

    __slots__ = ("_by_article", "_postings", "min_overlap")

    def __init__(self, min_overlap: float) -> None:
        self.min_overlap = min_overlap
        self._by_article: dict[int, array[int]] = {}
        self._postings: dict[int, int | list[int]] = {}

    @staticmethod
    def fingerprint(title: str, text: str) -> frozenset[int]:
        """A quarter of the shingles, chosen by hash so every copy keeps the same ones.

        Sampling keeps the shared share unbiased at a quarter of the work; a short text
        keeps all its shingles so that it still has enough to compare. The text's own,
        without its title, once it is long enough to stand alone: an outlet running
        agency copy often writes its own headline, and the title's shingles (and those
        across into the text) then made up a fifth of a short copy's, sampled out of
        a "copy" share at random.
        """
        every = shingles(text[:3000])
        if len(every) < _ALONE:
            every = shingles(f"{title}\n{text[:3000]}")
        sampled = frozenset(h for h in every if h % _RATE == 0)
        return sampled if len(sampled) >= _MIN_SHINGLES else every

    def find_copy(self, prints: frozenset[int]) -> int | None:
        """The earliest active article whose text this one nearly repeats, if any."""
        if not prints:
            return None
        hits: dict[int, int] = {}
        postings = self._postings
        for sh in prints:
            held = postings.get(sh)
            if held is None:
                continue
            for art in (held,) if isinstance(held, int) else held:
                hits[art] = hits.get(art, 0) + 1
        best: int | None = None
        mine: array[int] | None = None
        sampled = _is_sample(prints)
        for art, shared in hits.items():
            other = self._by_article[art]
            # Containment over the shorter text: an outlet trimming or extending agency copy
            # is still a copy; both texts must be long enough for the overlap to mean it.
            if _is_sample(other) == sampled:
                smaller = min(len(other), len(prints))
                long_enough = smaller >= _MIN_SHINGLES
                if not long_enough and len(other) == len(prints):
                    mine = mine if mine is not None else _packed(prints)
                    long_enough = other == mine  # the very same short text
            else:
                # One text was sampled, the other (too short to sample) kept everything:
                # both are compared on the sampled shingles, the only ones both have.
                smaller = min(_sampled_size(other), _sampled_size(prints))
                long_enough = smaller >= _MIN_SAMPLED_SHARED
            is_copy = shared >= self.min_overlap * smaller and long_enough
            if is_copy and (best is None or art < best):
                best = art
        return best

    def add(self, article_id: int, prints: frozenset[int]) -> None:
        self._by_article[article_id] = _packed(prints)
        postings = self._postings
        for sh in prints:
            held = postings.get(sh)
            if held is None:
                postings[sh] = article_id
            elif isinstance(held, int):
                postings[sh] = [held, article_id]
            elif len(held) < _MAX_POSTING:
                held.append(article_id)

    def remove(self, article_id: int) -> None:
        postings = self._postings
        for sh in self._by_article.pop(article_id, ()):
            held = postings.get(sh)
            if held is None:
                continue
            if isinstance(held, int):
                if held == article_id:
                    del postings[sh]
                continue
            try:
                held.remove(article_id)
            except ValueError:
                continue
            if len(held) == 1:
                postings[sh] = held[0]


def _is_sample(prints: Collection[int]) -> bool:
    """Whether a fingerprint is a sample: only a sample has every hash a multiple of
    ``_RATE`` and at least ``_MIN_SHINGLES`` of them (a text whose whole set is so has it
    as its sample too)."""
    return len(prints) >= _MIN_SHINGLES and all(h % _RATE == 0 for h in prints)


def _sampled_size(prints: Collection[int]) -> int:
    return sum(1 for h in prints if h % _RATE == 0)


def _packed(prints: frozenset[int]) -> array[int]:
    return array("q", sorted(prints))
