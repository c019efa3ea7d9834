"""Turning article text into comparable pieces: words, stems, entities, numbers, shingles.

Shared by story clustering and topic matching so that a topic word and an article word
reduce to the same stem (``iraq`` and ``Iraqi``, ``strike`` and ``strikes``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)?", re.UNICODE)
_SENTENCE_END = frozenset('.!?:;"“”\n')

_STOPWORD_TEXT = """
    a about above after again against all also am an and any are around as at be because
    been before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers herself him himself his how i
    if in into is it its itself just me more most my myself no nor not now of off on once
    only or other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under until
    up very was we were what when where which while who whom why will with would you your
    yours yourself yourselves said says say saying told tell according new one two year
    years day days time week weeks month months may might must us mr mrs ms dr per via
    like get got make made many much even still back well since last first next another
    monday tuesday wednesday thursday friday saturday sunday
    advertisement continue reading story photo image caption video read share
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

# Words that look capitalised only because they start a sentence or a headline.
_FUNCTION_WORDS = (
    "he she it we they i the a an this that these those but and or so in on at of for to by"
    " with from as is was are his her their its our my your"
)
_NOT_ENTITY = frozenset(_FUNCTION_WORDS.split())
_NAME_WORD = r"[^\W\d_a-z][^\W_]*(?:['\u2019][^\W_]+)?"
_NAME_RUN = re.compile(rf"{_NAME_WORD}(?:[ \t]+{_NAME_WORD})*")
_ACRONYM = re.compile(r"\b(?:[A-Z]\.){2,}")


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Strip simple English inflections so that related word forms compare equal.

    Deliberately light (no dictionary): plural and verb endings, and the ``-i``/``-ian``
    nationality endings, because people type ``iraq`` and mean ``Iraqi`` too.
    """
    w = word.lower().replace("\u2019", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) <= 3 or not w.isalpha():
        return w
    for suffix, repl, min_len in _SUFFIXES_BY_LAST.get(w[-1], ()):
        if w.endswith(suffix) and len(w) - len(suffix) >= min_len:
            w = w[: len(w) - len(suffix)] + repl
            break
    if len(w) >= 5 and w.endswith("i") and w[-2] not in "aeiou":
        w = w[:-1]  # iraqi(s) -> iraq, israeli -> israel
    if len(w) >= 4 and w[-1] == w[-2] and w[-1] not in "lsz":
        w = w[:-1]  # stopp(ed) -> stop, but keep "ball", "glass"
    if len(w) > 4 and w.endswith("e"):
        w = w[:-1]  # strike/strik(ing) meet at "strik"
    return w


_SUFFIXES: tuple[tuple[str, str, int], ...] = (
    ("ations", "ate", 3),
    ("ation", "ate", 3),
    ("iness", "y", 3),
    ("nesses", "", 3),
    ("ness", "", 3),
    ("ies", "y", 2),
    ("ied", "y", 2),
    ("sses", "ss", 2),
    ("shes", "sh", 2),
    ("ches", "ch", 2),
    ("xes", "x", 2),
    ("ings", "", 3),
    ("ing", "", 3),
    ("edly", "", 3),
    ("ed", "", 3),
    ("ians", "ia", 3),
    ("ian", "ia", 3),
    ("ans", "a", 4),
    ("ers", "", 4),
    ("er", "", 4),
    ("ly", "", 4),
    ("uses", "us", 2),
    ("us", "us", 1),
    ("ss", "ss", 1),
    ("s", "", 3),
)
# Rules grouped by last letter, in table order, so a word is checked only against its own.
_SUFFIXES_BY_LAST: dict[str, tuple[tuple[str, str, int], ...]] = {
    last: tuple(rule for rule in _SUFFIXES if rule[0].endswith(last))
    for last in {rule[0][-1] for rule in _SUFFIXES}
}


def words(text: str) -> list[str]:
    """Lower-case word tokens of ``text`` (letters and digits, apostrophes kept inside)."""
    return _WORD.findall(text.lower())


def stems(text: str) -> list[str]:
    """Stems of every word, in order, stopwords included (phrases need their positions)."""
    return [stem(w) for w in words(text)]


def content_stems(text: str, limit: int | None = None) -> list[str]:
    """Stems of the words that carry meaning: no stopwords, no one-letter words."""
    # Numbers are left to ``numbers``, which weighs them on their own.
    kept = [
        w
        for w in _WORD.findall(text.lower())
        if len(w) > 1 and w not in STOPWORDS and not w.isdigit()
    ]
    if limit is not None:
        del kept[limit:]
    return [stem(w) for w in kept]


def numbers(text: str) -> list[str]:
    """Numbers that can tell events apart (counts, amounts); single digits are too common."""
    out = []
    for m in re.finditer(r"\d[\d,.]*\d|\d", text):
        raw = m.group(0).replace(",", "").rstrip(".")
        if len(raw) >= 2:
            out.append(raw)
    return out


def entities(text: str, limit: int | None = None) -> list[str]:
    """Names: runs of capitalised words, lower-cased and stemmed, joined by ``_``.

    Function words at the edges are dropped ("The White House" -> ``white_hous``), and a
    common word that is capitalised only because it starts a sentence is not a name.
    """
    out: list[str] = []
    text = _ACRONYM.sub(_undot, text)
    for m in _NAME_RUN.finditer(text):
        toks = m.group(0).lower().split()
        at_start = _starts_sentence(text, m.start())
        while toks and (toks[0] in _NOT_ENTITY or (at_start and toks[0] in STOPWORDS)):
            toks.pop(0)
            at_start = False
        while toks and toks[-1] in _NOT_ENTITY:
            toks.pop()
        if toks:
            out.append("_".join(stem(t) for t in toks))
            if limit is not None and len(out) >= limit:
                break
    return out


def _undot(m: re.Match[str]) -> str:
    return m.group(0).replace(".", "")


def _starts_sentence(text: str, pos: int) -> bool:
    i = pos - 1
    while i >= 0 and text[i] in " \t\"'\u201c\u2018(":
        i -= 1
    return i < 0 or text[i] in _SENTENCE_END


def shingles(text: str, size: int = 5, limit_words: int = 120) -> frozenset[int]:
    """Hashes of overlapping word 5-grams, to recognise copies of the same text.

    Built-in ``hash`` is salted per process, which is fine: shingles are never stored, and
    a restart recomputes them from the stored articles.
    """
    toks = words(text[: limit_words * 12])[:limit_words]
    if len(toks) < size:
        return frozenset({hash(tuple(toks))}) if toks else frozenset()
    return frozenset(map(hash, zip(*(toks[i:] for i in range(size)), strict=False)))


def iter_phrases(tokens: list[str], length: int) -> Iterator[tuple[str, ...]]:
    """Every contiguous run of ``length`` tokens."""
    for i in range(len(tokens) - length + 1):
        yield tuple(tokens[i : i + length])
