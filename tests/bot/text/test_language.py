"""Language detection and writing systems: what every article is tagged with at parse."""

from __future__ import annotations

import pytest

from bot.text.language import UNKNOWN, detect_language, dominant_script

REPORTS = {
    "en": ("Storm floods the city", "Thousands left their homes on Tuesday as the river rose."),
    "de": ("Sturm überflutet die Stadt", "Tausende verließen am Dienstag ihre Häuser."),
    "fr": ("Une tempête inonde la ville", "Des milliers ont quitté leur maison mardi."),
    "es": ("Una tormenta inunda la ciudad", "Miles de personas dejaron sus casas el martes."),
    "ru": ("Шторм затопил город", "Тысячи людей покинули свои дома во вторник."),
    "ar": ("عاصفة تغمر المدينة", "غادر الآلاف منازلهم يوم الثلاثاء مع ارتفاع منسوب النهر."),
    "zh": ("暴风雨淹没城市", "周二河水上涨，数千人离开家园。"),
    "ja": ("嵐が街を浸水させる", "火曜日、川の水位が上がり、数千人が家を離れた。"),
}


@pytest.mark.parametrize("lang", sorted(REPORTS))
def test_each_language_is_detected_from_a_title_and_opening(lang: str) -> None:
    title, text = REPORTS[lang]
    assert detect_language(title, text) == lang


@pytest.mark.parametrize(
    "text",
    [
        "A storm floods the city \ud800 as thousands leave their homes",  # lone surrogate
        "A storm\x00 floods the city as thousands leave their homes",
        "\u202eA storm floods the city as thousands leave their homes",
        "storm " * 20_000,
    ],
)
def test_hostile_text_gets_a_language_not_an_error(text: str) -> None:
    assert detect_language(text, text) == "en"


def test_a_language_outside_the_candidates_is_read_as_the_nearest_candidate() -> None:
    # Catalan is a candidate; Galician is not, and is read as its nearest candidate.
    assert detect_language(
        "O temporal asolagou a cidade",
        "Miles de persoas deixaron as súas casas o martes cando o río subiu.",
    ) in ("pt", "es", "ca")


def test_too_little_text_has_no_language() -> None:
    assert detect_language("12:30", "") == UNKNOWN
    assert detect_language("", "") == UNKNOWN


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("Plain English words", "LATIN"),
        ("Zoë and Begoña in São Paulo", "LATIN"),  # accents are Latin letters too
        ("Путин met Xi in Moscow", "LATIN"),  # 11 Latin letters, 5 Cyrillic
        ("Путин и Си встретились in Moscow", "CYRILLIC"),
        ("BBC 中文网报道称习近平会见", "CJK"),
        ("2026 — 123 !!", "OTHER"),
        ("Путин Putin", "CYRILLIC"),  # a tie goes to the script seen first
        ("Putin Путин", "LATIN"),
        ("日本 ab", "CJK"),
        ("Σύριζα Syriza", "GREEK"),
    ],
)
def test_the_dominant_script_counts_letters_whatever_their_encoding(text: str, script: str) -> None:
    assert dominant_script(text) == script


def test_only_the_opening_decides_the_script() -> None:
    assert dominant_script("Storm " * 200 + "暴风雨" * 300) == "LATIN"
