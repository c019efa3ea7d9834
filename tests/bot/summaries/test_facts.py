"""The facts a translation must keep, in any script and locale format."""

from __future__ import annotations

import pytest

from bot.summaries.facts import (
    calendar_in,
    changed_fact,
    numbers_in,
    quotations_in,
    same_calendar,
    same_numbers,
    same_quotations,
)


@pytest.mark.parametrize(
    "translated",
    [
        "Etwa 12.000 Pendler",  # German grouping
        "Environ 12 000 navetteurs",  # French space
        "Environ 12\u202f000 navetteurs",  # narrow no-break space
        "Etwa 12'000 Pendler",  # Swiss
        "حوالي \u0661\u0662\u066c\u0660\u0660\u0660 شخص",  # Arabic-Indic digits and separator
        "约1.2万名通勤者",  # Chinese ten-thousands
        "Около 12 тыс. человек",  # Russian thousands
    ],
)
def test_a_number_in_another_locales_format_is_the_same_number(translated: str) -> None:
    assert same_numbers("About 12,000 commuters", translated)


@pytest.mark.parametrize(
    "translated",
    ["Etwa 13.000 Pendler", "Etwa 1.200 Pendler", "Pendler", "Etwa 12.000 Pendler, 3 Tage"],
)
def test_a_changed_missing_or_added_number_is_caught(translated: str) -> None:
    assert not same_numbers("About 12,000 commuters", translated)


def test_decimals_scales_and_years() -> None:
    assert same_numbers("It rose 3.5 metres in 2024", "2024 stieg er um 3,5 Meter")
    assert same_numbers("4 million in aid", "4 Millionen an Hilfe")
    assert same_numbers("12 million people", "1200万人")
    assert not same_numbers("It rose 3.5 metres", "Er stieg um 3,6 Meter")
    assert numbers_in("in 2024 12 people") == [{2024.0}, {12.0}]


def test_months_and_weekdays_meet_across_languages() -> None:
    assert same_calendar("On Tuesday, March 5", "Am Dienstag, 5. März", "en", "de")
    assert same_calendar("On Tuesday, March 5", "во вторник 5 марта", "en", "ru")
    assert same_calendar("On Tuesday, March 5", "3月5日星期二", "en", "zh")
    assert not same_calendar("On Tuesday", "Am Mittwoch", "en", "de")
    assert not same_calendar("in March", "im April", "en", "de")
    # "May" is too much an ordinary word to compare: "may" (could) is not a month.
    assert same_calendar("Officials may act", "Beamte könnten handeln", "en", "de")
    assert calendar_in("十一月", "zh") == {("month", 11): 1}


def test_quotations_in_any_marks_and_short_ones_kept_word_for_word() -> None:
    assert quotations_in('"a" \u201cb\u201d \u201ec\u201c \u00abd\u00bb \u300ce\u300d') == [
        "a", "b", "c", "d", "e",
    ]  # fmt: skip
    original = 'The mayor called it "a hard but necessary step" at "Iron Dome".'
    kept = "Sie nannte es \u201eeinen harten Schritt\u201c bei \u00abIron Dome\u00bb."
    assert same_quotations(original, kept)
    assert not same_quotations(original, "Sie nannte es hart, bei \u00abIron Dome\u00bb.")
    renamed = "\u201eEinen harten Schritt\u201c bei \u00abEisenkuppel\u00bb."
    assert not same_quotations(original, renamed)


def test_changed_fact_names_the_first_difference() -> None:
    original = "The bridge closed on Tuesday after the river rose four metres."
    good = "Die Brücke wurde am Dienstag gesperrt, nachdem der Fluss vier Meter stieg."
    assert changed_fact(original, good, "en", "de") is None
    assert changed_fact(original, good.replace("vier", "4"), "en", "de") == "number"
    assert changed_fact(original, good.replace("Dienstag", "Montag"), "en", "de") == "date"
