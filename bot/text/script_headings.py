"""Section headings for text not written in the Latin script.

The heading rules of ``bot.text.headings`` read English: capitals mark names, word lists
tell nouns from verbs. Chinese, Japanese and Arabic have no capitals, and Russian or Greek
names need no English word list. Here a heading is what the section's sentences name
together: the longest salient piece of text that at least two of them share (a run of
characters in Chinese and Japanese, a run of words elsewhere), rarer in the rest of the
story than in the section, and not made of stop words. In scripts with capitals (Cyrillic,
Greek), a capitalised run of words (a name) is preferred. Nothing shared: no heading.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.text.language import dominant_script, is_cjk_char
from bot.text.phrases import is_known_name, lowered, name_runs, name_words
from bot.text.terms import normalise, stopwords

MAX_CJK_CHARS = 8
MAX_WORDS = 4
_CASED = ("CYRILLIC", "GREEK")
_UNSPACED = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]{2,}")
_WORD = re.compile(r"[^\W\d_]+")
# Chinese characters that open or close a cut, not a name: particles, prepositions and
# verbs of saying ("的提问", "在医院", "闭幕后", "麦卡洛克说", "反腐运动中"). The two sets
# differ: 中 and 上 open names (中国, 上海), and 和 opens 和平.
_CJK_NOT_FIRST = frozenset(
    "的了在是与及或说对将被把从向于为也都就而但并之其有不要会已曾又还等着过到给让由以据称因"
)
# A count of things ("两名警察", "三架飞机") describes; it does not name. Nor does a run
# that goes on past a name into a clause ("徐才厚因膀胱癌": because, by, with).
_CJK_COUNT = re.compile(r"[一二两三四五六七八九十百千万几数\d][名个位次起辆架座家艘枚]")
_CJK_CLAUSE = frozenset("因被把")


def _describes(piece: str) -> bool:
    return bool(_CJK_COUNT.search(piece)) or any(c in _CJK_CLAUSE for c in piece[1:])


def _counted(piece: str, texts: Sequence[str]) -> bool:
    """Whether the piece is cut through a count: "名警察" and "枪击两" of "枪击两名警察"."""
    n = len(piece)
    return any(
        _CJK_COUNT.fullmatch(t[max(0, i - 1) : i + 1])
        or _CJK_COUNT.fullmatch(t[i + n - 1 : i + n + 1])
        for t in texts
        for i in _at(t, piece)
    )


def _at(text: str, piece: str) -> list[int]:
    found, start = [], text.find(piece)
    while start >= 0:
        found.append(start)
        start = text.find(piece, start + 1)
    return found


_CJK_NOT_LAST = frozenset("的了在是和与及或说后中对将被把从向于为也都就而但并之着过到给让由以称等")


def needs_script_heading(texts: Sequence[str]) -> bool:
    """Whether these sentences are written in a script the English rules cannot read."""
    script = dominant_script(" ".join(texts))
    return script not in ("LATIN", "OTHER")


def _cjk_pieces(text: str) -> set[str]:
    pieces: set[str] = set()
    for run in _CJK_RUN.findall(text):
        # One character longer than a heading may be, to tell a cut from a whole.
        for size in range(2, min(MAX_CJK_CHARS + 1, len(run)) + 1):
            for i in range(len(run) - size + 1):
                pieces.add(run[i : i + size])
    return pieces


def _word_pieces(text: str, stop: frozenset[str]) -> set[str]:
    tokens = _WORD.findall(normalise(text))
    pieces: set[str] = set()
    for size in range(1, MAX_WORDS + 1):
        for i in range(len(tokens) - size + 1):
            gram = tokens[i : i + size]
            if gram[0] in stop or gram[-1] in stop or min(len(t) for t in gram) < 3:
                continue
            pieces.add(" ".join(gram))
    return pieces


def _display(piece: str, texts: Sequence[str]) -> str:
    """The piece as the sources wrote it (case kept), found in the first text having it."""
    for text in texts:
        match = re.search(re.escape(piece), text, re.IGNORECASE)
        if match:
            return match.group(0)
    return piece


def _taken(piece: str, avoid: set[str], unspaced: bool) -> bool:
    """Whether another heading already says this (its words, or its character pairs)."""
    if unspaced:
        return any(piece[i : i + 2] in avoid for i in range(len(piece) - 1)) or piece in avoid
    return any(part in avoid for part in piece.split())


def _stands_alone(piece: str, inside: int, counts: dict[str, int]) -> bool:
    """A run of characters that is a unit, not a cut: three or more characters (two are
    as often a verb as a name: "加入", "结束"), and no longer run shared as often contains
    it ("民政治协商会议全" is a cut of a longer name; so is "协商会")."""
    if len(piece) < 3:
        return False
    longer = (
        other
        for other, n in counts.items()
        if n >= inside and len(other) == len(piece) + 1 and piece in other and not _describes(other)
    )
    return next(longer, None) is None and len(piece) <= MAX_CJK_CHARS


def derive_script_heading(
    texts: Sequence[str],
    *,
    avoid: set[str],
    headline: str = "",
    context: Sequence[str] = (),
    language: str | None = None,
    sources: Sequence[str] = (),
) -> str:
    """A heading for a section in a non-Latin script, or "" when its sentences share none.

    ``sources`` are the outlets the story's reports credit: a section is about what they
    report, not about them ("中国军网" opens its reposts' titles and datelines)."""
    if not texts:
        return ""
    script = dominant_script(" ".join(texts))
    unspaced = script in _UNSPACED
    stop = stopwords(language)

    def pieces(text: str) -> set[str]:
        return _cjk_pieces(text) if unspaced else _word_pieces(text, stop)

    group = [pieces(t) for t in texts]
    if script in _CASED:
        name = _cased_name(texts, context, avoid, language)
        if name:
            return name
    others = [pieces(t) for t in context if t not in texts]
    said = pieces(headline) if headline else set()
    # How many of the section's sentences, and the headline, say each piece.
    counts: dict[str, int] = {}
    for found in (*group, said):
        for piece in found:
            counts[piece] = counts.get(piece, 0) + 1
    scored: list[tuple[float, str]] = []
    for piece, inside in counts.items():
        if inside < 2:
            continue
        if _taken(piece, avoid, unspaced) or any(piece in src or src in piece for src in sources):
            continue
        if unspaced and not _stands_alone(piece, inside, counts):
            continue
        if unspaced and (
            piece[0] in _CJK_NOT_FIRST
            or piece[-1] in _CJK_NOT_LAST
            or _describes(piece)
            or _counted(piece, texts)
        ):
            continue
        outside = sum(1 for found in others if piece in found)
        length = len(piece) if unspaced else 2 * len(piece.split())
        scored.append((-inside * length / (1.0 + outside), piece))
    # The best few only are read again for numbers: a unit is rarely among more of them.
    for _, best in sorted(scored)[:_MOST_READ]:
        if unspaced and all(is_cjk_char(c) is False for c in best):
            return ""
        if unspaced or not _counts_a_number(best, texts):
            return _display(best, texts)
    return ""


_MOST_READ = 8


def _inflects(word: str, avoid: set[str]) -> bool:
    """Whether ``word`` is one of ``avoid`` or that word with a case ending: "Соколова" is
    "Соколов" in the genitive, a second heading naming one man. Stemmers cut names
    unevenly ("соколов" -> "сокол", "соколова" -> "соколов"), so endings are compared."""
    return any(word == a or _endings_apart(word, a) or _endings_apart(a, word) for a in avoid)


def _endings_apart(longer: str, shorter: str) -> bool:
    return len(shorter) >= 4 and 0 < len(longer) - len(shorter) <= 2 and longer.startswith(shorter)


def _counts_a_number(piece: str, texts: Sequence[str]) -> bool:
    """Whether every mention of a piece follows a number, a word at most between, or
    comes right before one: a unit ("30 في المئة", percent) or a measure ("بنسبة 30", at a
    rate of), not what the section is about. A year counts nothing ("في 2024 أعلنت")."""
    # The number is read from its first digit only: tried at every digit of a long run,
    # the pattern made a hostile text quadratic.
    pattern = re.compile(
        r"((?<![\d.,])\d[\d.,]*\s+(?:\S+\s+)?)?" + re.escape(piece) + r"(\s+\d)?",
        re.IGNORECASE,
    )
    mentions = [m for t in texts for m in pattern.finditer(normalise(t))]
    return bool(mentions) and all(
        (m.group(1) and not _YEAR.match(m.group(1))) or m.group(2) for m in mentions
    )


_YEAR = re.compile(r"(?:1[89]|20)\d\d(?![\d.,])")


def _cased_name(
    texts: Sequence[str], context: Sequence[str], avoid: set[str], language: str | None
) -> str:
    """The first name of the section in a script with capitals, read as English names are
    read: a run of capitalised words, each of them capitalised somewhere other than at a
    sentence's start (or an acronym). A sentence's first word is capitalised whatever it
    is ("Генеральный директор", general director)."""
    known = name_words([*texts, *context])
    for text in texts:
        for run in name_runs(text, language):
            words = run.split()
            if len(words) > MAX_WORDS or any(_inflects(lowered(w), avoid) for w in words):
                continue
            if is_known_name(words, known):
                return run
    return ""


def script_heading_problems(heading: str, texts: Sequence[str] = ()) -> list[str]:
    """Why a heading in a non-Latin script is not a good one (empty: it is): too long,
    only stop words, a word repeated, or (when ``texts`` are given) not found in them."""
    problems: list[str] = []
    unspaced = dominant_script(heading) in _UNSPACED
    words = normalise(heading).split()
    if unspaced and len(heading.replace(" ", "")) > MAX_CJK_CHARS:
        problems.append("too long")
    if not unspaced and len(words) > MAX_WORDS:
        problems.append("too long")
    if len(set(words)) < len(words):
        problems.append("repeated word")
    if words and all(w in stopwords(None) for w in words):
        problems.append("only stop words")
    if texts and not any(normalise(heading) in normalise(t) for t in texts):
        problems.append("not in the sources")
    return problems
