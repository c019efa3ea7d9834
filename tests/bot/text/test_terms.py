"""The tokeniser's per-language pieces: stop words and which languages stem their own way;
its fast paths against their plain definitions."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.text import entities, terms
from bot.text.language import CANDIDATES
from bot.text.terms import content_stems, stemmer_language, stopwords


@pytest.mark.parametrize("lang", CANDIDATES)
def test_every_language_the_detector_reports_has_stop_words(lang: str) -> None:
    assert stopwords(lang) >= stopwords("en")


def test_norwegian_articles_lose_their_stop_words() -> None:
    # "no" is Norwegian to the detector and Bokmål ("nb") to the stop-word lists.
    assert "og" in stopwords("no")
    assert "og" not in content_stems("Regjeringen og Stortinget er enige", "no")


def test_languages_with_a_snowball_stemmer_stem_their_own_way() -> None:
    assert stemmer_language("de") == "de"
    assert stemmer_language("ru") == "ru"
    assert stemmer_language("en") is None
    assert stemmer_language("zh") is None
    assert stemmer_language(None) is None


# The tokeniser takes shortcuts for speed (no translation table for ASCII text, a narrow
# word pattern for it, the comma first in the thousands pattern, the capital first in the
# name pattern). Each must give what the plain definition gives.
_SAMPLES = [
    "Plain ASCII: 1,000 people, 12,5 and 3,14159; U.S. and U.N. officials met.",
    "\u201cCurly\u201d quotes \u2018here\u2019 \u2014 and dashes \u2013 \u2212 \u2026"
    " \u00abguillemets\u00bb",
    "Arabic-Indic \u0661\u0662\u0663 and Persian \u06f4\u06f5 digits,"
    " \u0661\u066c\u0660\u0660\u0660",
    "Full-width \uff21\uff22\uff23 and ligature \ufb01nance (NFKC), caf\u00e9 M\u00fcller",
    "It\u2019s O\u2019Neil\u2019s D'Arcy; l'\u00c9lys\u00e9e, abcDef Ghi, x_Y Z,"
    " 9U.S. _U.S. (U.S.A.)",
    "\u4e60\u8fd1\u5e73\u4f1a\u89c1\u5a01\u5ec9\u738b\u5b50 in Beijing,"
    " \u041c\u043e\u0441\u043a\u0432\u0430 \u0438 \u041a\u0440\u0435\u043c\u043b\u044c",
]


def _fold_by_definition(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    folded = text.translate(terms._FOLD_MAP).lower()
    return re.sub(r"(?<=\d),(?=\d{3}\b)", "", folded)


def assert_folding_matches_its_definition(text: str) -> None:
    assert terms._fold(text) == _fold_by_definition(text)
    folded = _fold_by_definition(text)
    if folded.isascii():
        assert terms.words(text) == re.findall(r"[^\W_]+(?:'[^\W_]+)*", folded)


def assert_name_patterns_match_their_definitions(text: str) -> None:
    capital = rf"[{entities._CAPITALS}][^\W_]*(?:['\u2019][^\W_]+)?"
    plain_run = rf"(?<![^\W_])(?<![^\W_]['\u2019]){capital}(?:[ \t]+{capital})*"
    undotted = re.sub(r"\b(?:[A-Z]\.){2,}", lambda m: m.group(0).replace(".", ""), text)
    assert entities._ACRONYM.sub(entities._undot, text) == undotted
    assert [m.group(0) for m in entities._NAME_RUN.finditer(undotted)] == re.findall(
        plain_run, undotted
    )


@pytest.mark.parametrize("text", _SAMPLES)
def test_folding_shortcuts_match_the_plain_definition(text: str) -> None:
    assert_folding_matches_its_definition(text)


@pytest.mark.parametrize("text", _SAMPLES)
def test_name_and_acronym_patterns_match_their_plain_definitions(text: str) -> None:
    assert_name_patterns_match_their_definitions(text)


def test_numbers_read_arabic_and_persian_digits() -> None:
    assert terms.numbers("\u0661\u0662\u0663 and \u06f4\u06f5 and 67") == ["123", "45", "67"]


# Characters the shortcuts treat apart, mixed with any text.
_TRICKY = st.sampled_from(
    [
        *"aZ9 ,.'-_&\u2019\u201c\u201d\u00ab\u00bb\u2013\u2014\u2026\u0661\u06f5\uff21\ufb01\u0301",
        *["U.S.", "1,000", "\u4e60\u8fd1", "\u041c\u043e\u0441", "\u0130", "\u00df"],
    ]
)


@given(st.lists(st.one_of(_TRICKY, st.text(max_size=3)), max_size=30).map("".join))
def test_folding_and_names_match_their_plain_definitions_on_any_text(text: str) -> None:
    assert_folding_matches_its_definition(text)
    assert_name_patterns_match_their_definitions(text)
