"""Names in text: runs of capitalised words, lower-cased and stemmed (``white_hous``).

Clustering weighs them on their own (a shared name says more than a shared word), and
extractive summaries and headings in other scripts read them too. Scripts without
capitals (Arabic, Chinese) have no names here: their words and character pairs carry
them (``bot.text.terms``).
"""

from __future__ import annotations

import re

from bot.text.terms import SENTENCE_END, STOPWORDS, stem, stem_table

# Words that look capitalised only because they start a sentence or a headline.
_FUNCTION_WORDS = (
    "he she it we they i the a an this that these those but and or so in on at of for to by"
    " with from as is was are his her their its our my your"
)
_NOT_ENTITY = frozenset(_FUNCTION_WORDS.split())
# "U.S.", "U.N.": two or more dotted capitals, the first not inside a word (the boundary
# is checked after the capital, which the engine can skip to).
_ACRONYM = re.compile(r"[A-Z](?<!\w.)\.(?:[A-Z]\.)+")


def _capitals() -> str:
    """A character class of the capital letters of the Basic Multilingual Plane."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x10000):
        if chr(code).isupper():
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )


# A name token is a word token (letters and digits, one inner apostrophe) whose first
# letter is a capital; a run is such tokens separated by spaces or tabs only.
_CAPITALS = _capitals()
_NAME_TOKEN_CAPITAL = rf"[{_CAPITALS}][^\W_]*(?:['\u2019][^\W_]+)?"
# The capital comes first and the look-behinds (no letter or digit, nor one and an
# apostrophe, just before it) follow it: a pattern that opens with a character class lets
# the engine skip to the next capital, where opening with look-behinds tried every position.
_NAME_RUN = re.compile(
    rf"[{_CAPITALS}](?<![^\W_].)(?<![^\W_]['\u2019].)[^\W_]*(?:['\u2019][^\W_]+)?"
    rf"(?:[ \t]+{_NAME_TOKEN_CAPITAL})*"
)
_RUN_GAP = re.compile(r"[ \t]+")


def entities(text: str, limit: int | None = None) -> list[str]:
    """Names: runs of capitalised words (in any cased script: Latin, Cyrillic, Greek),
    lower-cased and stemmed, joined by ``_``.

    Function words at the edges are dropped ("The White House" -> ``white_hous``), and a
    common word that is capitalised only because it starts a sentence is not a name.
    Scripts without capitals (Arabic, Chinese) have no names here; their pairs of
    characters and their words carry them instead.
    """
    out: list[str] = []
    text = _ACRONYM.sub(_undot, text)
    known = stem_table(None)
    for m in _NAME_RUN.finditer(text):
        name = m.group(0)
        if " " in name or "\t" in name:
            if _emit(out, _RUN_GAP.split(name), text, m.start(), limit=limit, known=known):
                break
            continue
        # One word, as most names in running text are: ``_emit``'s rules, cut short.
        tok = name.lower()
        if tok in _NOT_ENTITY or (tok in STOPWORDS and _starts_sentence(text, m.start())):
            continue
        out.append(known.get(tok) or known.setdefault(tok, stem(tok)))
        if limit is not None and len(out) >= limit:
            break
    return out


def _emit(
    out: list[str],
    run: list[str],
    text: str,
    start: int,
    *,
    limit: int | None,
    known: dict[str, str],
) -> bool:
    """Add one name run to ``out``; True once ``limit`` names are there. ``known`` holds
    the stems already made."""
    toks = [t.lower() for t in run]
    at_start = _starts_sentence(text, start)
    while toks and (toks[0] in _NOT_ENTITY or (at_start and toks[0] in STOPWORDS)):
        toks.pop(0)
        at_start = False
    while toks and toks[-1] in _NOT_ENTITY:
        toks.pop()
    if toks:
        out.append("_".join([known.get(t) or known.setdefault(t, stem(t)) for t in toks]))
    return limit is not None and len(out) >= limit


def _undot(m: re.Match[str]) -> str:
    return m.group(0).replace(".", "")


def _starts_sentence(text: str, pos: int) -> bool:
    i = pos - 1
    while i >= 0 and text[i] in " \t\"'\u201c\u2018(":
        i -= 1
    return i < 0 or text[i] in SENTENCE_END
