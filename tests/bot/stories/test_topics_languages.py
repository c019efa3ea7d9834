"""Topics across languages, through matching and the pipeline: ``/subscribe iraq`` gets
the Arabic, Russian, Chinese, German and French reports of a Baghdad bombing, and not
stories that merely contain a word that looks like a place in some language."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.clock import FixedClock
from bot.core.domain import Article, Destination, Story, Subscription
from bot.stories.matching import match_subscriptions, story_text, subscription_wants
from bot.stories.pipeline import Pipeline
from bot.stories.topics import StoryText, parse_topic, topic_matches
from bot.summaries.extractive import ExtractiveSummarizer
from storage import SqlStorage
from tests.factories import new_article

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
CHAT = Destination("telegram", "42")

# (language, [(outlet, title, text), ...]): two outlets' reports of one event.
BOMBING = {
    "ar": [
        (
            "Al Rafidain",
            "انفجار سيارة مفخخة يهز وسط بغداد ويوقع عشرات الضحايا",
            "قتل 12 شخصا على الأقل وأصيب 30 آخرون في انفجار سيارة مفخخة في سوق مزدحم وسط بغداد "
            "صباح الأحد، بحسب مصادر أمنية عراقية. وقالت وزارة الداخلية العراقية إن قوات الأمن "
            "فرضت طوقا حول موقع الانفجار. وأعلنت الحكومة الحداد في العراق ثلاثة أيام.",
        ),
        (
            "Al Sharq",
            "العراق: 12 قتيلا في تفجير سوق ببغداد",
            "أعلنت السلطات في العراق مقتل 12 شخصا وإصابة 30 في تفجير سيارة مفخخة استهدف سوقا "
            "شعبيا وسط بغداد. وقال متحدث باسم وزارة الداخلية إن التحقيقات جارية لمعرفة الجهة "
            "المسؤولة عن الانفجار في سوق بغداد.",
        ),
    ],
    "ru": [
        (
            "Vesti",
            "Взрыв в Багдаде: погибли 12 человек",
            "В центре Багдада в воскресенье взорвался заминированный автомобиль, погибли не "
            "менее 12 человек, ещё 30 ранены, сообщили в МВД Ирака. Власти Ирака объявили "
            "трёхдневный траур.",
        ),
        (
            "Kommersant",
            "В Ираке объявлен траур после теракта на рынке",
            "Иракские власти объявили траур после взрыва на рынке в центре Багдада, где "
            "погибли 12 человек. Правительство Ирака обещало найти виновных.",
        ),
    ],
    "zh": [
        (
            "Xinhua",
            "巴格达市场发生汽车炸弹爆炸 至少12人死亡",
            "伊拉克首都巴格达市中心一处市场周日发生汽车炸弹爆炸，造成至少12人死亡、30人受伤。"
            "伊拉克内政部表示，安全部队已封锁现场。",
        ),
        (
            "Zaobao",
            "伊拉克宣布全国哀悼三天",
            "伊拉克政府宣布，为巴格达市场爆炸事件的遇难者全国哀悼三天。爆炸造成12人死亡。",
        ),
    ],
    "de": [
        (
            "Tagesblatt",
            "Autobombe in Bagdad: Mindestens zwölf Tote",
            "Bei der Explosion einer Autobombe auf einem Markt in Bagdad sind am Sonntag "
            "mindestens zwölf Menschen getötet worden. Das irakische Innenministerium sprach "
            "von 30 Verletzten.",
        ),
        (
            "Rundschau",
            "Irak ruft nach Anschlag dreitägige Staatstrauer aus",
            "Nach dem Anschlag auf einen Markt in der irakischen Hauptstadt Bagdad hat die "
            "Regierung des Irak eine dreitägige Staatstrauer angeordnet.",
        ),
    ],
    "fr": [
        (
            "Le Quotidien",
            "Attentat à la voiture piégée à Bagdad : au moins 12 morts",
            "Une voiture piégée a explosé dimanche sur un marché du centre de Bagdad, tuant au "
            "moins 12 personnes, selon le ministère irakien de l'Intérieur.",
        ),
        (
            "L'Observateur",
            "L'Irak décrète trois jours de deuil national",
            "Le gouvernement irakien a décrété trois jours de deuil après l'explosion d'une "
            "voiture piégée sur un marché de Bagdad, qui a fait 12 morts.",
        ),
    ],
}

# Stories that must not reach /subscribe iraq (nor the other places' subscribers).
UNRELATED = {
    "ar": [
        ("Al Ahram", "منتخب مصر يفوز على تونس في تصفيات كأس العالم",
         "فاز منتخب مصر على تونس بهدفين دون رد في القاهرة مساء الجمعة."),
        ("Al Youm", "مصر تتأهل بعد الفوز على تونس",
         "تأهل منتخب مصر إلى الدور النهائي بعد فوزه على تونس في القاهرة."),
    ],
    "ru": [
        ("RBK", "Для того чтобы снизить цены, правительство снизит пошлины",
         "Для того чтобы снизить цены на продукты, правительство снизит пошлины на ввоз."),
        ("Izvestia", "Правительство снизит пошлины на продукты",
         "Кабмин снизит пошлины для того, чтобы сдержать рост цен."),
    ],
    "zh": [
        ("Xinhua", "索马里海盗劫持一艘商船", "索马里海盗周三在亚丁湾劫持一艘商船。"),
        ("Zaobao", "商船在亚丁湾遭索马里海盗劫持", "一艘商船在亚丁湾遭到索马里海盗劫持。"),
    ],
}  # fmt: skip


def build_story(lang: str, reports: list[tuple[str, str, str]], first_id: int) -> tuple[
    Story, list[Article]
]:  # fmt: skip
    articles = [
        Article(
            id=first_id + i,
            feed_id=i + 1,
            outlet=outlet,
            url=f"https://{i}.example/{first_id}",
            guid=None,
            title=title,
            text=text,
            published=T0,
            fetched_at=T0,
            content_hash=f"{first_id}-{i}",
            language=lang,
        )
        for i, (outlet, title, text) in enumerate(reports)
    ]
    story = Story(
        id=f"s{first_id}",
        created_at=T0,
        updated_at=T0,
        article_ids=tuple(a.id for a in articles),
        outlets=tuple(a.outlet for a in articles),
        headline=articles[0].title,
    )
    return story, articles


def subscriptions(*topics: str) -> list[Subscription]:
    return [
        Subscription(id=i + 1, destination=Destination("telegram", str(i)), topic=topic)
        for i, topic in enumerate(topics)
    ]


@pytest.mark.parametrize("lang", sorted(BOMBING))
def test_every_languages_report_of_the_bombing_reaches_the_iraq_subscribers(lang: str) -> None:
    story, articles = build_story(lang, BOMBING[lang], 100)
    subs = subscriptions("iraq", "iraqi", "ирак", "伊拉克", "egypt", "mali", "togo", "germany")
    wanted = {s.topic for s in match_subscriptions(story, articles, subs)}
    assert {"iraq", "iraqi", "ирак", "伊拉克"} <= wanted
    assert wanted.isdisjoint({"egypt", "mali", "togo", "germany"})


@pytest.mark.parametrize("lang", sorted(UNRELATED))
def test_words_that_look_like_places_do_not_reach_their_subscribers(lang: str) -> None:
    story, articles = build_story(lang, UNRELATED[lang], 200)
    subs = subscriptions("iraq", "togo", "mali", "india")
    assert match_subscriptions(story, articles, subs) == []


def test_the_egypt_story_reaches_egypt_in_arabic() -> None:
    story, articles = build_story("ar", UNRELATED["ar"], 300)
    subs = subscriptions("egypt", "tunisia", "iraq")
    assert {s.topic for s in match_subscriptions(story, articles, subs)} == {"egypt", "tunisia"}


def test_an_exclusion_by_place_vetoes_the_foreign_report_too() -> None:
    story, articles = build_story("ar", BOMBING["ar"], 400)
    subs = subscriptions("bombing OR انفجار -iraq", "انفجار")
    assert [s.topic for s in match_subscriptions(story, articles, subs)] == ["انفجار"]


def test_the_headline_is_matched_in_its_leading_reports_language() -> None:
    story, articles = build_story("ru", BOMBING["ru"], 500)
    text = story_text(replace(story, headline=articles[1].title), articles)
    assert text.headline_language == "ru"
    assert list(text.languages) == ["ru", "ru"]
    headline_only = StoryText(text.headline, [], [], [], text.headline_language)
    assert topic_matches(parse_topic("iraq"), headline_only)


def test_a_story_without_articles_has_no_headline_language() -> None:
    story, _ = build_story("ru", BOMBING["ru"], 600)
    assert story_text(story, []).headline_language == "und"


async def test_an_arabic_story_reaches_subscribe_iraq_through_the_pipeline(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    await sqlite_store.add_subscription(CHAT, "iraq", breaking_only=False, min_outlets=2)
    await sqlite_store.add_subscription(
        Destination("telegram", "43"), "egypt", breaking_only=False, min_outlets=2
    )
    stored: list[Article] = []
    for i, (outlet, title, text) in enumerate(BOMBING["ar"]):
        feed = await sqlite_store.upsert_feed(f"https://ar{i}.example/feed", outlet)
        when = clock.now() - timedelta(minutes=30 - 5 * i)
        article = replace(new_article(feed.id, outlet, title, text, when, slug=f"ar{i}"),
                          language="ar")  # fmt: skip
        stored += await sqlite_store.add_articles([article])
    pipeline = Pipeline(storage=sqlite_store, summarizer=ExtractiveSummarizer(), clock=clock)
    report = await pipeline.process(stored)
    assert report.stories_changed == 1
    assert report.deliveries_enqueued == 1
    (delivery,) = await sqlite_store.claim_deliveries(
        clock.now() + timedelta(days=1), 10, owner="t", lease_s=60.0
    )
    assert delivery.destination == CHAT


def test_a_subscription_in_the_chats_language_names_places_in_it() -> None:
    story, articles = build_story("ar", BOMBING["ar"], 700)
    (sub,) = subscriptions("irak")
    text = story_text(story, articles)
    assert not subscription_wants(sub, story, text)
    assert subscription_wants(sub, story, text, language="de")


def test_each_chats_language_names_places_for_its_own_subscriptions() -> None:
    story, articles = build_story("ar", BOMBING["ar"], 800)
    german, english = subscriptions("irak", "irak")
    languages = {german.destination: "de"}
    assert match_subscriptions(story, articles, [german, english], languages=languages) == [german]


async def test_the_pipeline_matches_a_topic_in_its_chats_language(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    berlin, london = Destination("telegram", "44"), Destination("telegram", "45")
    for chat in (berlin, london):
        await sqlite_store.add_subscription(chat, "irak", breaking_only=False, min_outlets=2)
    await sqlite_store.set_language(berlin, "de")
    stored: list[Article] = []
    for i, (outlet, title, text) in enumerate(BOMBING["ar"]):
        feed = await sqlite_store.upsert_feed(f"https://ar{i}.example/feed", outlet)
        when = clock.now() - timedelta(minutes=30 - 5 * i)
        article = replace(new_article(feed.id, outlet, title, text, when, slug=f"ar{i}"),
                          language="ar")  # fmt: skip
        stored += await sqlite_store.add_articles([article])
    pipeline = Pipeline(storage=sqlite_store, summarizer=ExtractiveSummarizer(), clock=clock)
    await pipeline.process(stored)
    (delivery,) = await sqlite_store.claim_deliveries(
        clock.now() + timedelta(days=1), 10, owner="t", lease_s=60.0
    )
    # "Irak" names Iraq in German only: the English chat's "irak" is just a word.
    assert delivery.destination == berlin
