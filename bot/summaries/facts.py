"""The facts a translation must keep: numbers, dates and quotations, in any script.

A translated sentence is published only if it states the same facts as the grounded
original (``bot.summaries.translation``). These functions pull those facts out of a
sentence in a form that survives translation:

- numbers as values, whatever the digits' script (``unicodedata.digit``: Arabic-Indic,
  Devanagari or full-width 12 is 12) and the locale's grouping (``12,000``, ``12.000``,
  ``12 000``, ``12'000``, the Arabic thousands separator); an
  ambiguous ``1.000`` stands for both 1 and 1000, a scale word (million, Millionen, 万,
  млн) adds the scaled value, so "12 million" meets "1200万";
- months and weekdays as their numbers, by CLDR's names in both languages (Babel), so
  "March" meets "März", "марта" and "3月";
- quotations: how many there are, and short ones (a name in quotes) word for word.

Everything is pure; the checks err towards the original sentence: a translation that
writes a number the original spelled out ("four" → "4") falls back too.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import cache

from bot.core.locales import base_language
from bot.text.calendar_names import calendar_names

# Digits of any script, with the separators locales group or split them with.
_SEPARATORS = ",.'\u00a0\u202f\u2009 \u066b\u066c"
_DECIMAL_ONLY = "\u066b"  # Arabic decimal separator
_GROUP_ONLY = "'\u00a0\u202f\u2009 \u066c"  # never a decimal point
# A space only groups thousands ("12 000"), so "in 2024 12 people" stays two numbers.
_NUMBER = re.compile(r"\d+(?:[,.'\u066b\u066c]\d+|[\u00a0\u202f\u2009 ]\d{3}(?!\d))*")
# A scale after a number: (pattern, factor). Case-insensitive, word prefix.
_SCALES: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"\s*(?:thousand|tausend|mille|mil\b|тыс|ألف|آلاف|千)", re.I), 1_000),
    (re.compile(r"\s*万"), 10_000),
    (
        re.compile(r"\s*(?:million|mio|millón|millones|milione|млн|миллион|مليون|ملايين)", re.I),
        1_000_000,
    ),
    (re.compile(r"\s*亿"), 100_000_000),
    (
        re.compile(r"\s*(?:billion|milliard|mrd|mil millones|млрд|миллиард|مليار)", re.I),
        1_000_000_000,
    ),
)
# Chinese and Japanese write dates with digits: 3月 is a month, not a number.
_CJK_MONTH = re.compile(r"(\d{1,2})\s*月")
# Quotation marks (opening, closing ones): straight, English, German low-high, French
# guillemets single and double, Chinese and Japanese corner brackets, low single.
_QUOTE_PAIRS = (
    ('"', '"'),
    ("\u201c", "\u201d"),
    ("\u201e", "\u201c\u201d"),
    ("\u00ab", "\u00bb"),
    ("\u2039", "\u203a"),
    ("\u300c", "\u300d"),
    ("\u300e", "\u300f"),
    ("\u201a", "\u2018\u2019"),
)
_QUOTES = re.compile(
    "|".join(
        f"{re.escape(o)}\\s*([^{re.escape(c)}]{{1,200}}?)\\s*[{re.escape(c)}]"
        for o, c in _QUOTE_PAIRS
    )
)
SHORT_QUOTE_WORDS = 3  # a quotation this short is a name or a title: kept word for word


def _ascii_digits(text: str) -> str:
    """Every decimal digit of any script as 0-9 (unicodedata knows them all)."""
    out = []
    for ch in text:
        if ch.isdigit() and not ch.isascii():
            value = unicodedata.digit(ch, None)
            out.append(str(value) if value is not None else ch)
        else:
            out.append(ch)
    return "".join(out)


def _values(token: str) -> set[float]:
    """What a written number may mean: ``1.000`` is 1000 or 1.0, ``12,5`` is 12.5."""
    groups = re.split(f"[{re.escape(_SEPARATORS)}]", token)
    separators = re.findall(f"[{re.escape(_SEPARATORS)}]", token)
    if not separators:
        return {float(token)}
    values: set[float] = set()
    if all(len(g) == 3 for g in groups[1:]) and not any(s in _DECIMAL_ONLY for s in separators):
        values.add(float("".join(groups)))  # all separators group thousands
    last = separators[-1]
    if last not in _GROUP_ONLY and len(set(separators[:-1])) <= 1 and last not in separators[:-1]:
        whole = "".join(groups[:-1])
        values.add(float(f"{whole}.{groups[-1]}"))  # the last one is a decimal point
    return values or {float("".join(groups))}


def numbers_in(text: str) -> list[set[float]]:
    """Each number of ``text`` as the set of values it may mean (months of CJK dates
    are left to ``months_in``)."""
    plain = _CJK_MONTH.sub(" ", _ascii_digits(text))
    found: list[set[float]] = []
    for match in _NUMBER.finditer(plain):
        token = match.group().strip(_SEPARATORS)
        if not token:
            continue
        values = _values(token)
        rest = plain[match.end() :]
        for pattern, factor in _SCALES:
            if pattern.match(rest):
                values |= {v * factor for v in values}
                break
        found.append(values)
    return found


def same_numbers(original: str, translated: str) -> bool:
    """Whether both state the same numbers, each as often (in any order)."""
    left, right = numbers_in(original), numbers_in(translated)
    if len(left) != len(right):
        return False
    unmatched = list(right)
    for values in left:
        match = next((i for i, other in enumerate(unmatched) if values & other), None)
        if match is None:
            return False
        unmatched.pop(match)
    return True


@cache
def _calendar_words(language: str) -> tuple[dict[str, tuple[str, int]], frozenset[tuple[str, int]]]:
    """CLDR's month and weekday names of a language, lower-cased (word → (kind, number)),
    and the months or days whose wide name is too short to tell from an ordinary word
    ("May", "mai", "май"): those are not compared in either language."""
    words: dict[str, tuple[str, int]] = {}
    vague: set[tuple[str, int]] = set()
    for kind, number, width, name in calendar_names(language):
        cleaned = name.lower().rstrip(".")
        if len(cleaned) >= 4 or any(_is_cjk(ch) for ch in cleaned):
            words.setdefault(cleaned, (kind, number))
        elif width == "wide":
            vague.add((kind, number))
    return words, frozenset(vague)


def _is_cjk(ch: str) -> bool:
    return "\u2e80" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af"


def calendar_in(text: str, language: str) -> Counter[tuple[str, int]]:
    """The months and weekdays ``text`` names, by number (CJK ``3月`` included)."""
    known, _ = _calendar_words(base_language(language))
    found: Counter[tuple[str, int]] = Counter()
    lowered = text.lower()
    for word in re.findall(r"\w+", lowered):
        if word in known and not any(_is_cjk(ch) for ch in word):
            found[known[word]] += 1
    # Chinese and Japanese put no spaces between words: their names are found as written.
    # Longest first, each match blanked, so 十一月 (November) is not also 一月 (January).
    for name in sorted((n for n in known if any(_is_cjk(ch) for ch in n)), key=len, reverse=True):
        if name[0].isdigit() or name not in lowered:
            continue
        found[known[name]] += lowered.count(name)
        lowered = lowered.replace(name, " ")
    for match in _CJK_MONTH.finditer(_ascii_digits(text)):
        found["month", int(match.group(1))] += 1
    return found


def same_calendar(original: str, translated: str, source: str, target: str) -> bool:
    """Whether both name the same months and weekdays (those with a name too short to
    recognise in either language left out)."""
    vague = _calendar_words(base_language(source))[1] | _calendar_words(base_language(target))[1]
    before, after = calendar_in(original, source), calendar_in(translated, target)
    return {k: n for k, n in before.items() if k not in vague} == {
        k: n for k, n in after.items() if k not in vague
    }


def quotations_in(text: str) -> list[str]:
    """The quoted spans of ``text``, in any quotation marks."""
    return [next(g for g in m.groups() if g is not None).strip() for m in _QUOTES.finditer(text)]


def same_quotations(original: str, translated: str) -> bool:
    """As many quotations in both, and each short one (a name) kept word for word."""
    before, after = quotations_in(original), quotations_in(translated)
    if len(before) != len(after):
        return False
    return all(q in translated for q in before if len(q.split()) <= SHORT_QUOTE_WORDS)


def changed_fact(original: str, translated: str, source: str, target: str) -> str | None:
    """Why ``translated`` (in ``target``) does not state the facts of ``original`` (in
    ``source``): "number", "date" or "quotation"; None when they agree."""
    if not same_numbers(original, translated):
        return "number"
    if not same_calendar(original, translated, source, target):
        return "date"
    if not same_quotations(original, translated):
        return "quotation"
    return None
