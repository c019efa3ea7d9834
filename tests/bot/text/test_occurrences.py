"""Finding runs of tokens through a positional index."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.text.occurrences import Pattern, TokenIndex, exact

TOKENS = st.lists(st.sampled_from("abcd"), max_size=30)
PATTERNS = st.lists(st.frozensets(st.sampled_from("abcde"), min_size=1), max_size=4)


def scan(tokens: list[str], pattern: Pattern) -> list[int]:
    n = len(pattern)
    return [
        i
        for i in range(len(tokens) - n + 1)
        if n and all(tokens[i + k] in pattern[k] for k in range(n))
    ]


@given(TOKENS, PATTERNS)
def test_find_agrees_with_a_scan(tokens: list[str], pattern: list[frozenset[str]]) -> None:
    index = TokenIndex(tokens)
    assert sorted(index.find(tuple(pattern))) == scan(tokens, tuple(pattern))


@given(TOKENS, PATTERNS, st.integers(-3, 33))
def test_at_agrees_with_a_scan(tokens: list[str], pattern: list[frozenset[str]], i: int) -> None:
    expected = i in scan(tokens, tuple(pattern)) if pattern else 0 <= i <= len(tokens)
    assert TokenIndex(tokens).at(tuple(pattern), i) == expected


def test_a_phrase_is_found_where_it_stands() -> None:
    index = TokenIndex(["the", "al", "asad", "air", "base", "and", "al", "asad", "again"])
    assert sorted(index.find(exact(["al", "asad"]))) == [1, 6]
    assert index.find(exact(["asad", "al"])) == []
    assert index.find(()) == []
    assert index.find(exact(["missing"])) == []
