"""Where a run of tokens occurs in a text, found through a positional index.

Topic matching asks every story about every subscription's terms, and each term about
its names in several languages: scanning a 3,000-word body once per question is what
cost the time. A ``TokenIndex`` maps each token to its positions, built on the first
question and kept while the story is being matched; a run is then found from the
positions of its first token. A run is a ``Pattern``: the tokens allowed at each position
(a name with its inflected forms).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

Pattern = tuple[frozenset[str], ...]
_NONE: list[int] = []


def exact(tokens: Sequence[str]) -> Pattern:
    """The pattern of exactly these tokens."""
    return tuple(frozenset((t,)) for t in tokens)


class TokenIndex:
    """The tokens of one text, and where each stands."""

    __slots__ = ("_positions", "tokens")

    def __init__(self, tokens: Sequence[str]) -> None:
        self.tokens = tuple(tokens)
        self._positions: dict[str, list[int]] | None = None

    def _index(self) -> dict[str, list[int]]:
        if self._positions is None:
            positions: dict[str, list[int]] = defaultdict(list)
            for i, token in enumerate(self.tokens):
                positions[token].append(i)
            self._positions = dict(positions)
        return self._positions

    def find(self, pattern: Pattern) -> list[int]:
        """The positions where ``pattern`` starts, in no particular order (do not change
        the list: it may be the index's own)."""
        if not pattern:
            return []
        index = self._index()
        first, rest = pattern[0], pattern[1:]
        if not rest and len(first) == 1:
            return index.get(next(iter(first)), _NONE)  # the common case: one word
        starts: list[int] = []
        for token in first:
            for i in index.get(token, ()):
                if not rest or self.at(rest, i + 1):
                    starts.append(i)
        return starts

    def at(self, pattern: Pattern, i: int) -> bool:
        """Whether ``pattern`` stands at position ``i``."""
        if i < 0 or i + len(pattern) > len(self.tokens):
            return False
        tokens = self.tokens
        return all(tokens[i + k] in allowed for k, allowed in enumerate(pattern))
