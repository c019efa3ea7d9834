"""Names of places and languages across languages (CLDR via Babel): which terms name a
place, which names count in a story of each language, and the rules that keep common
words from becoming places."""

from __future__ import annotations

from babel import Locale, localedata
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.stories.topics import StoryText, parse_topic, topic_matches
from bot.text import place_names
from bot.text.language import CANDIDATES
from bot.text.place_names import place_aliases, places_named
from bot.text.terms import stem, stems, words

LATIN_LANGUAGES = ("en", "de", "fr", "es", "it", "pt", "tr", "pl", "nl", "sv")
OTHER_SCRIPTS = ("ru", "ar", "zh", "ja", "el", "he", "fa", "ko", "uk")
LANGUAGES = CANDIDATES  # every language the detector can give a story
ENGLISH = Locale.parse("en").territories
ENGLISH_LANGUAGES = Locale.parse("en").languages
NOT_PLACES = {"ZZ", "XA", "XB"}  # unknown region, pseudo-locales
COUNTRIES = sorted(c for c in ENGLISH if len(c) == 2 and c.isalpha() and c not in NOT_PLACES)


def one_text(title: str, lang: str) -> StoryText:
    return StoryText(headline=title, titles=[title], texts=[""], languages=[lang],
                     headline_language=lang)  # fmt: skip


def matches(topic: str, title: str, lang: str, language: str | None = None) -> bool:
    return topic_matches(parse_topic(topic), one_text(title, lang), language)


def key(text: str) -> tuple[str, ...]:
    return tuple(words(text))


# ---------------------------------------------------------------- properties


@given(code=st.sampled_from(COUNTRIES), lang=st.sampled_from(LANGUAGES))
def test_a_countrys_name_in_a_storys_language_matches_the_english_topic(
    code: str, lang: str
) -> None:
    name = Locale.parse(lang).territories.get(code)
    assume(name is not None)
    assert name is not None
    # Names dropped by the plausibility rules (too short, a stop word, two places') are not
    # expected to match; every name that is kept must.
    assume(any(a.words == key(name) for a in place_aliases(code, lang)))
    assert matches(f'"{ENGLISH[code]}"', name, lang)
    assert matches(f'"{ENGLISH[code]}"', f"{name} 2026", lang)


@given(code=st.sampled_from(sorted(CANDIDATES)), lang=st.sampled_from(LANGUAGES))
def test_a_languages_name_in_a_storys_language_matches_the_english_topic(
    code: str, lang: str
) -> None:
    name = Locale.parse(lang).languages.get(code)
    assume(name is not None)
    assert name is not None
    assume(any(a.words == key(name) for a in place_aliases("lang:" + code, lang)))
    assert matches(f'"{ENGLISH_LANGUAGES[code]}"', name, lang)


@given(
    code=st.sampled_from(COUNTRIES),
    story_lang=st.sampled_from(LATIN_LANGUAGES),
    name_lang=st.sampled_from(OTHER_SCRIPTS),
)
def test_a_name_counts_only_in_a_story_of_its_own_language(
    code: str, story_lang: str, name_lang: str
) -> None:
    name = Locale.parse(name_lang).territories.get(code)
    assume(name is not None)
    assert name is not None
    assert not matches(f'"{ENGLISH[code]}"', name, story_lang)


@given(st.from_regex(r"[a-z]{3,10}", fullmatch=True))
def test_a_latin_word_names_a_place_only_as_its_english_name(word: str) -> None:
    for place in places_named((word,)):
        english = [Locale.parse("en").territories.get(place)]
        english.append(Locale.parse("en").languages.get(place.removeprefix("lang:")))
        english += [n for n, p in (("uk", "GB"), ("usa", "US"), ("britain", "GB")) if p == place]
        assert any(n and (key(n) == (word,) or stems(n) == [stem(word)]) for n in english)


@given(st.from_regex(r"[a-z]{3,10}", fullmatch=True))
def test_a_word_that_names_no_place_matches_only_as_typed(word: str) -> None:
    assume(not places_named((word,)))
    assert not matches(word, "Ирак и Сирия", "ru")
    assert not matches(word, "伊拉克总理访问北京", "zh")


# ---------------------------------------------------------------- which terms name places


def test_english_names_and_their_inflections_name_places() -> None:
    assert places_named(("iraq",)) == {"IQ"}
    assert places_named(("iraqi",)) == {"IQ"}
    assert places_named(("united", "states")) == {"US"}
    assert places_named(("uk",)) == {"GB"}
    assert places_named(("cote", "d'ivoire")) == {"CI"}  # typed without the accent
    assert places_named(("arabic",)) == {"lang:ar"}
    assert places_named(("africa",)) == {"002"}


def test_names_in_other_scripts_name_places_and_latin_ones_need_the_chats_language() -> None:
    assert places_named(("ирак",)) == {"IQ"}
    assert places_named(key("العراق")) == {"IQ"}
    assert places_named(key("伊拉克")) == {"IQ"}
    assert places_named(("türkei",)) == {"TR"}
    assert places_named(("irak",)) == set()
    assert places_named(("irak",), "de") == {"IQ"}
    assert places_named(("island",)) == set()  # German for Iceland, English for island
    assert places_named(("island",), "de") == {"IS"}


def test_common_words_and_obscure_language_names_name_nothing() -> None:
    for word in ("man", "meta", "vai", "nama", "world", "the", "us", "new"):
        assert places_named((word,)) == set(), word
    assert places_named(()) == set()


# ---------------------------------------------------------------- which names count


def test_a_countrys_name_matches_in_each_language_with_its_inflections() -> None:
    for lang, title in (
        ("ar", "انفجار يهز العراق"),
        ("ar", "وزير الخارجية العراقي يزور طهران"),
        ("ar", "مظاهرات في بغداد والعراق يعلن الحداد"),
        ("ru", "В Ираке объявлен траур"),
        ("ru", "Иракский премьер посетил Москву"),
        ("zh", "伊拉克总理访问北京"),
        ("ja", "イラク首相が来日"),
        ("de", "Irakische Regierung kündigt Wahlen an"),
        ("fr", "Le gouvernement irakien annonce des élections"),
        ("es", "Elecciones en Irak"),
        ("he", "פיצוץ בעיראק"),
    ):
        assert matches("iraq", title, lang), (lang, title)


def test_russian_case_forms_match_but_a_whale_is_not_china() -> None:
    assert matches("china", "Экспорт Китая вырос", "ru")
    assert matches("china", "Переговоры с Китаем", "ru")
    assert matches("china", "Китайские автомобили", "ru")
    assert not matches("china", "Кита видели у берегов", "ru")
    assert not matches("china", "Китам нужен покой", "ru")


def test_a_language_name_matches_its_adjective_in_other_languages() -> None:
    assert matches("german", "Le gouvernement allemand démissionne", "fr")
    assert matches("chinese", "Chinesische Exporte steigen", "de")
    assert matches("russian", "Русский язык в школах", "ru")


def test_a_name_inside_a_longer_name_of_another_place_does_not_count() -> None:
    assert not matches("mali", "索马里海盗袭击商船", "zh")  # Somalia
    assert matches("mali", "马里政变", "zh")
    assert not matches("india", "印度尼西亚地震", "zh")  # Indonesia
    assert matches("india", "印度大选", "zh")
    assert not matches("guinea", "Élections en Guinée équatoriale", "fr")
    assert matches('"equatorial guinea"', "Élections en Guinée équatoriale", "fr")
    assert matches("guinea", "Élections en Guinée", "fr")


def test_short_stop_word_and_homograph_names_do_not_match() -> None:
    assert not matches("togo", "Для того чтобы понять", "ru")  # Togo, and "of that"
    assert not matches('"european union"', "EU", "de")  # two letters
    assert not matches("mauritius", "Maurice Dupont est élu maire", "fr")  # a first name
    assert not matches('"united kingdom"', "Anh ấy nói", "vi")  # Vietnamese "Anh": he
    assert not matches("chad", "Чад над городом", "ru")  # fumes
    assert not matches('"central america"', "中美关系紧张", "zh")  # China-US relations


def test_a_name_of_two_places_in_a_language_names_neither() -> None:
    assert all(a.words != ("congo",) for a in place_aliases("CD", "fr"))
    assert all(a.words != ("congo",) for a in place_aliases("CG", "fr"))
    assert places_named(("congo",)) >= {"CD", "CG"}


def test_the_chats_language_lets_its_names_match_everywhere() -> None:
    assert not matches("irak", "انفجار يهز العراق", "ar")
    assert matches("irak", "انفجار يهز العراق", "ar", language="de")
    assert matches("irak", "Blast shakes Iraq", "en", language="de-AT")


def test_a_text_of_unknown_language_is_matched_as_typed_only() -> None:
    assert not matches("iraq", "انفجار يهز العراق", "und")
    assert matches("العراق", "انفجار يهز العراق", "und")


def test_aliases_of_an_unknown_place_or_language_are_empty() -> None:
    assert place_aliases("IQ", "xx") == ()
    assert place_aliases("QQ", "de") == ()


# ---------------------------------------------------------------- reading CLDR


def test_reading_the_names_leaves_babels_own_locale_data_whole() -> None:
    place_names._index.cache_clear()
    localedata._cache.pop("de_AT", None)
    place_names._index()
    # de_AT's own file names a handful of places; its merged data names them all.
    assert Locale.parse("de_AT").territories["IQ"] == "Irak"


def test_norwegian_names_are_read_under_the_detectors_code() -> None:
    assert any(a.words == ("irak",) for a in place_aliases("IQ", "no"))
    assert place_aliases("IQ", "nb") == ()  # the detector never reports "nb"
    assert matches("iraq", "Eksplosjon i Irak", "no")


def test_an_english_word_is_judged_on_englishs_names_alone() -> None:
    # A section heading's word asks in English: the ~400 locale files of every
    # language are not read for it (a worker process would keep them for good).
    place_names._index.cache_clear()
    place_names._english_index.cache_clear()
    places_named.cache_clear()
    assert places_named(key("iraqi"), "en") == {"IQ"}
    assert places_named(key("philippines"), "en") == {"PH"}
    assert place_names._index.cache_info().currsize == 0
    # A name in letters English lacks, or a chat of another language, reads them all.
    assert places_named(key("Türkei"), "en") == {"TR"}
    assert place_names._index.cache_info().currsize == 1
    assert places_named(key("irak"), "de") == {"IQ"}
    # The English names are the same either way.
    english = place_names._english_index()
    place_names._english_index.cache_clear()
    assert place_names._english_index() == english
