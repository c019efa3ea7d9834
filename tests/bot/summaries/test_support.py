"""Support per sentence: each hostile kind a careless model writes, in the core (no HTTP),
and faithful sentences kept in every language the text stack knows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.domain import Article, Sentence, Summary
from bot.summaries.grounding import ground

T0 = datetime(2024, 5, 2, 8, 0, tzinfo=UTC)


def article(id_: int, title: str, text: str, lang: str = "en") -> Article:
    when = T0 + timedelta(minutes=id_)
    return Article(id_, 1, f"Outlet{id_}", f"https://o{id_}.example/a", None, title, text,
                   when, when, f"h{id_}", language=lang)  # fmt: skip


EN = [
    article(
        1,
        "Court blocks Arden dam project",
        "A federal court blocked the Arden dam project on Thursday. "
        "Judge Helen Marsh ruled that the environmental review was incomplete. "
        "The dam would have flooded 40 square miles of farmland. "
        "The water agency said it would not appeal the ruling. "
        "Construction costs had risen to 2.1 billion dollars.",
    ),
    article(
        2,
        "Arden dam halted by judge",
        "Farmers in the valley welcomed the decision. "
        "The agency had planned to start building in June.",
    ),
]


def check(text: str, cites: tuple[int, ...] = (1,), arts: list[Article] = EN) -> dict[str, int]:
    draft = Summary("s", "", (Sentence(text, cites),), (), ())
    result = ground(draft, arts)
    kept = [s.text for s in result.summary.lede]
    assert bool(kept) == (not result.dropped)
    return dict(result.dropped)


@pytest.mark.parametrize(
    "text",
    [
        "A federal court blocked the Arden dam project on Thursday.",
        "A federal court blocked the Arden dam.",  # cut short
        "Judge Helen Marsh said the environmental review was incomplete.",
        "The water agency will not appeal the ruling.",
        "Construction costs had climbed to 2.1 billion dollars.",  # one word changed
        "The dam would have flooded 40 square miles of farmland, the court heard.",
    ],
)
def test_faithful_sentences_are_kept(text: str) -> None:
    assert check(text) == {}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("The dam would have flooded 45 square miles of farmland.", "unsupported_number"),
        ("Senator Maria Delgado condemned the ruling.", "unsupported_name"),
        ("At least 12 people were killed in protests.", "unsupported_number"),
        ("The court blocked the dam, see https://tips.example/more.", "foreign_link"),
        ("@everyone share this story now.", "reader"),
        ("Share this story with your friends.", "reader"),
        ("Will the agency build the dam after all?", "question"),
        ("The decision was widely criticised.", "opinion"),
        ("Residents are furious.", "opinion"),
        ("The ruling is a disaster for the water agency.", "opinion"),
        ("A federal court did not block the Arden dam project on Thursday.", "contradiction"),
        ("The water agency said it would appeal the ruling.", "contradiction"),  # negation gone
        ("Construction costs had fallen to 2.1 billion dollars.", "contradiction"),  # antonym
        ("Protesters stormed the courthouse and burned tractors.", "unsupported_claim"),
    ],
)
def test_each_hostile_kind_is_dropped_with_its_reason(text: str, reason: str) -> None:
    assert check(text) == {reason: 1}


def test_support_comes_from_one_cited_article() -> None:
    # Article 2 says farmers welcomed it; article 1 (the one cited) does not.
    assert check("Farmers in the valley welcomed the decision.", (1,)) == {"unsupported_claim": 1}
    assert check("Farmers in the valley welcomed the decision.", (2,)) == {}


def test_headline_must_be_supported_by_the_lead_report() -> None:
    draft = Summary("s", "Dam ruling sparks outrage", (), (), ())
    assert ground(draft, EN).summary.headline == ""
    draft = Summary("s", "Federal court blocks the Arden dam", (), (), ())
    assert ground(draft, EN).summary.headline == "Federal court blocks the Arden dam"


# One faithful sentence (a cut copy), one invented claim, per language.
LANGUAGES = [
    (
        "ru",
        "Суд заблокировал строительство плотины. Судья Елена Маршова постановила, что "
        "экологическая экспертиза была неполной. Плотина затопила бы 40 квадратных миль "
        "сельхозугодий.",
        "Судья Елена Маршова постановила, что экспертиза была неполной.",
        "Сенатор Мария Дельгадо осудила решение суда.",
    ),
    (
        "de",
        "Ein Bundesgericht hat den Bau des Staudamms gestoppt. Richterin Helene Marsch "
        "entschied, dass die Umweltprüfung unvollständig war. Der Damm hätte 40 Quadratmeilen "
        "Ackerland überflutet.",
        "Richterin Helene Marsch entschied, dass die Umweltprüfung unvollständig war.",
        "Die Bauern feierten den Sieg mit einem großen Fest im Dorf.",
    ),
    (
        "fr",
        "Un tribunal fédéral a bloqué le projet de barrage. La juge Hélène Marsh a estimé que "
        "l'étude environnementale était incomplète. Le barrage aurait inondé 40 miles carrés "
        "de terres agricoles.",
        "La juge Hélène Marsh a estimé que l'étude environnementale était incomplète.",
        "Les agriculteurs ont célébré la victoire avec une grande fête au village.",
    ),
    (
        "es",
        "Un tribunal federal bloqueó el proyecto de la presa. La jueza Elena Marsh dictaminó "
        "que la evaluación ambiental estaba incompleta. La presa habría inundado 40 millas "
        "cuadradas de tierras de cultivo.",
        "La jueza Elena Marsh dictaminó que la evaluación ambiental estaba incompleta.",
        "Los agricultores celebraron la victoria con una gran fiesta en el pueblo.",
    ),
    (
        "ar",
        "أوقفت محكمة اتحادية مشروع بناء السد. وقضت القاضية هيلين مارش بأن المراجعة البيئية "
        "كانت ناقصة. وكان السد سيغمر 40 ميلا مربعا من الأراضي الزراعية.",
        "قضت القاضية هيلين مارش بأن المراجعة البيئية كانت ناقصة.",
        "احتفل المزارعون بالنصر في مهرجان كبير في القرية.",
    ),
    (
        "zh",
        "联邦法院周四叫停了大坝建设项目。法官海伦·马什裁定环境评估不完整。"
        "该大坝原本将淹没40平方英里的农田。",
        "法官海伦·马什裁定环境评估不完整。",
        "农民们在村里举行盛大庆典庆祝胜利。",
    ),
]


@pytest.mark.parametrize(("lang", "text", "faithful", "invented"), LANGUAGES)
def test_every_language_keeps_faithful_and_drops_invented(
    lang: str, text: str, faithful: str, invented: str
) -> None:
    arts = [article(1, text.split(".", maxsplit=1)[0][:60], text, lang)]
    assert check(faithful, arts=arts) == {}
    assert check(invented, arts=arts) in ({"unsupported_claim": 1}, {"unsupported_name": 1})
    number = faithful.rstrip(".。") + " 77."
    assert check(number, arts=arts) == {"unsupported_number": 1}


def test_german_nouns_are_not_names_but_names_are() -> None:
    arts = [article(1, "Staudamm", LANGUAGES[1][1], "de")]
    reworded = "Richterin Helene Marsch entschied, dass die Prüfung des Damms unvollständig war."
    assert check(reworded, arts=arts) == {}
    invented = "Richterin Helene Marsch und Senator Karl Brandt stoppten den Bau des Staudamms."
    assert check(invented, arts=arts) == {"unsupported_name": 1}


def test_russian_names_match_in_another_case_and_flips_are_caught() -> None:
    arts = [article(1, "Суд", LANGUAGES[0][1], "ru")]
    assert check("Маршова постановила, что экспертиза была неполной.", arts=arts) == {}
    assert check("Суд не заблокировал строительство плотины.", arts=arts) == {"contradiction": 1}
