"""The tokeniser's per-language pieces: stop words and which languages stem their own way."""

from __future__ import annotations

import pytest

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
