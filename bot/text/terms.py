"""Words, stems, stop words and numbers: the one tokeniser of the bot (names, runs of
capitalised words, are read in ``bot.text.entities`` on the same stems).

Clustering, topic matching, summaries and grounding all see text through these
functions, so a topic word and an article word, or a claim and its source, reduce to the
same pieces. Language-aware: Snowball stemmers (PyStemmer) and the ``stop-words`` lists
for German, French, Spanish, Russian, Arabic and more; a light English stemmer of our own
(``iraq`` must meet ``Iraqi``, which Snowball does not do); text in scripts written
without spaces (Chinese, Japanese, Korean) becomes overlapping character pairs, the
standard unit for comparing such text without a dictionary.
"""

from __future__ import annotations

import functools
import re
import unicodedata
import zlib
from collections.abc import Iterator
from typing import Protocol, cast

from bot.text.language import is_cjk_char

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
# The same on folded (lower-case) ASCII text, where the narrow class is faster to match.
_ASCII_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
SENTENCE_END = frozenset('.!?:;"\u201c\u201d\n\u3002\uff01\uff1f\u061f')

# English: the common words of the language plus the furniture of news copy.
_ENGLISH_STOPWORDS = """
    a about above after again against all also am amid among an and another any are around
    as at back be because been before being below between both but by can could did do
    does doing down during each even few first for from further get got had has have having
    he her here hers herself him himself his how however i if in into is it its itself just
    last like made make many may me might more most much must my myself new next no nor not
    now of off on once one only or other our ours ourselves out over own per said same
    saying says say she should since so some still such than that the their theirs them
    themselves then there these they this those through time to told too two under until up
    us very via was we well were what when where whether which while who whom why will with
    would year years day days week weeks month months yet you your yours yourself
    yourselves tell according mr mrs ms dr
    monday tuesday wednesday thursday friday saturday sunday
    advertisement continue reading story photo image caption video read share
"""
STOPWORDS = frozenset(_ENGLISH_STOPWORDS.split())

# ISO 639-1 code -> the names PyStemmer and stop-words use.
_SNOWBALL = {
    "de": "german", "fr": "french", "es": "spanish", "ru": "russian", "ar": "arabic",
    "it": "italian", "pt": "portuguese", "nl": "dutch", "sv": "swedish", "da": "danish",
    "no": "norwegian", "fi": "finnish", "hu": "hungarian", "ro": "romanian", "tr": "turkish",
    "id": "indonesian", "ca": "catalan", "el": "greek", "fa": "persian", "hi": "hindi",
}  # fmt: skip
_STOP_WORDS_LANGUAGE_TEXT = (
    "ar bg ca cs da de el es fa fi fr he hi hu id it ja ko nl no pl pt ro ru sk sv tr uk vi zh"
)
_STOP_WORDS_LANGUAGES = frozenset(_STOP_WORDS_LANGUAGE_TEXT.split())
_STOP_WORDS_CODES = {"no": "nb"}
# Arabic-Indic and Persian digits read as the digits they are.
_DIGITS = str.maketrans({**{0x660 + i: str(i) for i in range(10)},
                         **{0x6F0 + i: str(i) for i in range(10)}})  # fmt: skip
_QUOTE_MAP = str.maketrans(
    {
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u02bc": "'",
        "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2026": "...",
    }
)  # fmt: skip
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u3000]+")
# The comma first: a literal the engine finds fast, where a look-behind first is tried at
# every character (ten times slower on an article's text).
_THOUSANDS = re.compile(r",(?<=\d,)(?=\d{3}\b)")


_FOLD_MAP = {**_QUOTE_MAP, **_DIGITS}
# ``str.translate`` with a mapping looks up every character of a non-ASCII text, costing
# more than the rest of tokenising; the few characters it changes are found by a regex.
_FOLDED = {chr(code): value for code, value in _FOLD_MAP.items()}
_TO_FOLD = re.compile("[" + "".join(re.escape(c) for c in _FOLDED) + "]")
_ARABIC_DIGIT = re.compile("[\u0660-\u0669\u06f0-\u06f9]")


def normalise(text: str) -> str:
    """Lower-cased, NFKC, straight quotes, plain dashes, ASCII digits, single spaces, no
    thousands commas. Both a claim and its sources pass through this before any
    comparison, so "1,000" matches "1000" and a curly quote matches a straight one."""
    if len(text) <= _CACHED_UP_TO:
        return _normalise_short(text)
    return _SPACES.sub(" ", _fold(text)).strip()


# Words and sentences come back many times per summary (every heading and check reads
# them again); long texts are not kept, so the cache stays small.
_CACHED_UP_TO = 300


@functools.lru_cache(maxsize=4096)
def _normalise_short(text: str) -> str:
    return _SPACES.sub(" ", _fold(text)).strip()


def _fold(text: str) -> str:
    """``normalise`` but for its spaces, which no word contains: what words are read from."""
    if not text.isascii():
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        text = _TO_FOLD.sub(_fold_char, text)
    return _THOUSANDS.sub("", text.lower())


def _fold_char(m: re.Match[str]) -> str:
    return _FOLDED[m.group(0)]


@functools.cache
def stopwords(lang: str | None = None) -> frozenset[str]:
    """The stop words of ``lang`` (English, ours, for None or an unknown language)."""
    if not lang or lang == "en" or lang not in _STOP_WORDS_LANGUAGES:
        return STOPWORDS
    from stop_words import get_stop_words  # noqa: PLC0415 - its lists load on first use

    # The library knows Norwegian as Bokmål ("nb"), not by the macrolanguage's "no".
    listed = get_stop_words(_STOP_WORDS_CODES.get(lang, lang))
    return STOPWORDS | frozenset(normalise(w) for w in listed)


class _Stemmer(Protocol):
    def stemWord(self, word: str) -> str: ...


@functools.cache
def _snowball(lang: str) -> _Stemmer | None:
    name = _SNOWBALL.get(lang)
    if name is None:
        return None
    import Stemmer  # noqa: PLC0415 - a C extension; loaded for languages in use only

    return cast(_Stemmer, Stemmer.Stemmer(name))


def stemmer_language(lang: str | None) -> str | None:
    """``lang`` when it has a stemmer of its own (Snowball), else None: its words are
    stemmed as every text's are (the light English stemmer for Latin script)."""
    return lang if lang in _SNOWBALL else None


# A stem costs under a microsecond, a cached one about half that: the cache keeps the
# common words only. Full (200,000 words, as a stream of names fills it) it held 32 MB
# in every process that stems: the bot's and each parse worker.
@functools.lru_cache(maxsize=16_384)
def stem(word: str, lang: str | None = None) -> str:
    """The stem of one word: Snowball for the languages it knows, else a light English
    stemmer for Latin script, else the word itself."""
    w = word.lower().replace("\u2019", "'")
    if lang and lang != "en":
        stemmer = _snowball(lang)
        if stemmer is not None:
            return stemmer.stemWord(w)
        if not w.isascii():
            return w
    return _stem_english(w)


def _stem_english(w: str) -> str:
    """Strip simple English inflections so that related word forms compare equal.

    Deliberately light (no dictionary): plural and verb endings, and the ``-i``/``-ian``
    nationality endings, because people type ``iraq`` and mean ``Iraqi`` too.
    """
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
    ("ations", "ate", 3), ("ation", "ate", 3), ("iness", "y", 3), ("nesses", "", 3),
    ("ness", "", 3), ("ies", "y", 2), ("ied", "y", 2), ("sses", "ss", 2), ("shes", "sh", 2),
    ("ches", "ch", 2), ("xes", "x", 2), ("ings", "", 3), ("ing", "", 3), ("edly", "", 3),
    ("ed", "", 3), ("ians", "ia", 3), ("ian", "ia", 3), ("ans", "a", 4), ("ers", "", 4),
    ("er", "", 4), ("ly", "", 4), ("uses", "us", 2), ("us", "us", 1), ("ss", "ss", 1),
    ("s", "", 3),
)  # fmt: skip
# Rules grouped by last letter, in table order, so a word is checked only against its own.
_SUFFIXES_BY_LAST: dict[str, tuple[tuple[str, str, int], ...]] = {
    last: tuple(rule for rule in _SUFFIXES if rule[0].endswith(last))
    for last in {rule[0][-1] for rule in _SUFFIXES}
}


def _split_cjk(token: str) -> Iterator[str]:
    """Runs of Han/Kana/Hangul become overlapping character pairs; other runs stay words."""
    run: list[str] = []
    other: list[str] = []
    for ch in token:
        if is_cjk_char(ch):
            if other:
                yield from _word_part(other)
                other = []
            run.append(ch)
        else:
            if run:
                yield from _pairs(run)
                run = []
            other.append(ch)
    if run:
        yield from _pairs(run)
    if other:
        yield from _word_part(other)


def _word_part(chars: list[str]) -> Iterator[str]:
    part = "".join(chars).strip("'")
    if part:
        yield part


def _pairs(run: list[str]) -> Iterator[str]:
    if len(run) == 1:
        yield run[0]
        return
    for i in range(len(run) - 1):
        yield run[i] + run[i + 1]


def words(text: str) -> list[str]:
    """Lower-case word tokens of ``text`` in order: letters and digits, inner apostrophes
    kept; Chinese, Japanese and Korean text as overlapping character pairs."""
    folded = _fold(text)
    if folded.isascii():
        return _ASCII_WORD.findall(folded)  # no Chinese, Japanese or Korean to split
    out: list[str] = []
    for tok in _WORD.findall(folded):
        if tok.isascii():
            out.append(tok)
        else:
            out.extend(_split_cjk(tok))
    return out


def stems(text: str, lang: str | None = None) -> list[str]:
    """Stems of every word, in order, stop words included (phrases need their positions)."""
    return [stem(w, lang) for w in words(text)]


def content_words(text: str, lang: str | None = None) -> list[str]:
    """Words that carry meaning, as written: no stop words, no one-letter words (a
    single Chinese character alone is kept only when it stands alone)."""
    stop = stopwords(lang)
    return [w.replace("'", "") for w in words(text) if w not in stop and _long_enough(w)]


def _long_enough(w: str) -> bool:
    return len(w) > 1 or (not w.isascii() and is_cjk_char(w))


def content_stems(text: str, lang: str | None = None, limit: int | None = None) -> list[str]:
    """Stems of the words that carry meaning: no stop words, no one-letter words, no
    numbers (``numbers`` weighs those on their own)."""
    stop = stopwords(lang)
    kept = [w for w in words(text) if len(w) > 1 and w not in stop and not w.isdigit()]
    if limit is not None:
        del kept[limit:]
    known = stem_table(lang)
    return [known.get(w) or known.setdefault(w, stem(w, lang)) for w in kept]


_STEM_TABLE_SIZE = 100_000


def stem_table(lang: str | None) -> dict[str, str]:
    """Word -> stem for one language: every article's words pass here, most of them
    seen before (a plain lookup is several times cheaper than ``stem``'s cache key).
    Emptied when full: a stream of names would grow it without end."""
    known = _stem_tables(lang)
    if len(known) > _STEM_TABLE_SIZE:
        known.clear()
    return known


@functools.cache
def _stem_tables(lang: str | None) -> dict[str, str]:
    return {}


_NUMBER = re.compile(r"\d[\d,.]*\d|\d")


def numbers(text: str) -> list[str]:
    """Numbers that can tell events apart (counts, amounts); single digits are too common."""
    out = []
    if _ARABIC_DIGIT.search(text):
        text = text.translate(_DIGITS)
    for m in _NUMBER.finditer(text):
        raw = m.group(0).replace(",", "").rstrip(".")
        if len(raw) >= 2 and raw.isascii():
            out.append(raw)
    return out


def shingles(text: str, size: int = 5, limit_words: int = 120) -> frozenset[int]:
    """Hashes of overlapping word 5-grams, to recognise copies of the same text.

    CRC-32, not the built-in ``hash``: that one is salted per process, and copy detection
    samples shingles by their hash, so a borderline copy was found in one start and
    missed in the next (a story posted or not depending on the process).
    """
    toks = words(text[: limit_words * 12])[:limit_words]
    if len(toks) < size:
        return frozenset({zlib.crc32(" ".join(toks).encode())}) if toks else frozenset()
    crc = zlib.crc32
    grams = zip(*(toks[i:] for i in range(size)), strict=False)
    return frozenset([crc(" ".join(gram).encode()) for gram in grams])


def iter_phrases(tokens: list[str], length: int) -> Iterator[tuple[str, ...]]:
    """Every contiguous run of ``length`` tokens."""
    for i in range(len(tokens) - length + 1):
        yield tuple(tokens[i : i + length])
