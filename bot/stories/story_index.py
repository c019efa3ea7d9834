"""Which active stories to compare an article with: an inverted index from a term to the
stories it is one of the most specific terms of.

An arriving article is scored exactly against a few stories only; the index names them,
by the summed weight of the terms they share with it, so the work per article stays
bounded however many stories are active. A term found in a great many stories says
"topic", not "event", and nominates none.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping


class StoryIndex:
    """Term -> ids of the active stories it indexes. Not thread-safe, as the clusterer."""

    __slots__ = ("_max_posting", "_postings")

    def __init__(self, max_posting: int) -> None:
        self._max_posting = max_posting
        self._postings: dict[str, set[str]] = {}

    def add(self, story_id: str, key: str) -> None:
        self._postings.setdefault(key, set()).add(story_id)

    def nominate(
        self, query: Iterable[str], weights: Mapping[str, float], budget: float = math.inf
    ) -> defaultdict[str, float]:
        """Stories sharing terms of ``query``, each with the summed ``weights`` of those
        terms. ``budget`` bounds the postings read: the first terms are the most
        specific, and a query of common terms must not read half the index."""
        nominated: defaultdict[str, float] = defaultdict(float)
        for key in query:
            posting = self._postings.get(key)
            if not posting or len(posting) > self._max_posting:
                continue
            budget -= len(posting)
            if budget < 0:
                break
            w = weights[key]
            for sid in posting:
                nominated[sid] += w
        return nominated

    def move(self, keys: Iterable[str], gone: str, keep: str) -> None:
        """``gone`` was absorbed into ``keep``: its terms now index ``keep``."""
        for key in keys:
            posting = self._postings[key]
            posting.discard(gone)
            posting.add(keep)

    def remove(self, story_id: str, keys: Iterable[str]) -> None:
        for key in keys:
            posting = self._postings.get(key)
            if posting is not None:
                posting.discard(story_id)
                if not posting:
                    del self._postings[key]
