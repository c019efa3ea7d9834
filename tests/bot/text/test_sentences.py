"""Feed furniture and credits are not sentences of the report."""

from __future__ import annotations

import pytest

from bot.text.sentences import (
    article_sentences,
    clean_text,
    is_junk,
    split_sentences,
    title_source,
    title_sources,
)


@pytest.mark.parametrize(
    "line",
    [
        "储百亮(Chris Buckley)是《纽约时报》记者。",
        "黄安伟(Edward Wong)自北京、储百亮(Chris Buckley)自香港报道。",
        "翻译：Cindy Hao",
        "相关文章:",
        "Opinion: Gay men can't donate blood to victims.",
        "Reporting by Jane Doe; editing by Bob Smith.",
        "John Smith contributed reporting from Paris.",
        "Continue reading...",
        # Calls to the reader: a gallery's teaser said "Take a peak at Nintendo's The
        # Legend of Zelda" and became a post's "What changed".
        "Take a peak at Nintendo's The Legend of Zelda: Breath of the Wild.",
        "Check out the best moments from the show below.",
        "Watch the full video of the speech here.",
        "See more photos of the launch in our gallery.",
    ],
)
def test_credits_and_links_are_furniture(line: str) -> None:
    assert is_junk(line)


@pytest.mark.parametrize(
    "line",
    [
        "中国中央军委副主席范长龙周六下午与缅甸国防军总司令敏昂莱紧急通话。",
        "他是《人民日报》的记者，曾报道过战争，后来转行做了律师。",
        "The opinion of the court was read out on Monday.",
        "Police said the reporting of the attack had been delayed by a day.",
        "Watch manufacturers reported falling sales in Switzerland.",
        "See-through drones were shown at the fair on Monday.",
        "Take a look at the numbers and the deficit is larger, the minister said.",
    ],
)
def test_reporting_is_kept(line: str) -> None:
    assert not is_junk(line)


def test_a_chinese_byline_never_becomes_a_summary_sentence() -> None:
    text = (
        "中国中央军委副主席范长龙周六下午与缅甸国防军总司令敏昂莱就缅军机炸弹造成中方人员伤亡紧急通话。"
        "中国官方表示，另外还有九人在周五的轰炸中受伤。\n"
        "储百亮(Chris Buckley)是《纽约时报》记者。\n翻译：Cindy Hao"
    )
    sentences = article_sentences(text)
    assert len(sentences) == 2
    assert not any("Buckley" in s or "Cindy" in s for s in sentences)


@pytest.mark.parametrize(
    ("line", "report"),
    [
        ("新华社北京3月16日电 2015年3月15日，徐才厚因病去世。", "2015年3月15日,徐才厚因病去世。"),
        ("中国军网北京3月16日电 徐才厚在病榻上结束了一生。", "徐才厚在病榻上结束了一生。"),
        ("新华网北京３月１５日电（记者 张三）全国人大会议闭幕。", "全国人大会议闭幕。"),
        ("本报讯（记者 王明）北京市今天发布了空气污染预警。", "北京市今天发布了空气污染预警。"),
    ],
)
def test_a_chinese_dateline_is_not_part_of_the_report(line: str, report: str) -> None:
    # A dateline names the agency and the desk, not what happened: left in, the agency
    # became a section heading ("中国军网") and opened the lede.
    assert clean_text(line) == report


@pytest.mark.parametrize(
    "line",
    [
        "李克强3月15日电话会见了外国记者。",  # 电话: a telephone call, not a dateline
        "他在3月15日电视讲话中说经济放缓。",  # 电视: a television address
        "3月15日,徐才厚因病去世。",
    ],
)
def test_a_date_in_a_sentence_is_not_a_dateline(line: str) -> None:
    assert clean_text(line) == line.replace("，", ",")


@pytest.mark.parametrize(
    ("title", "source"),
    [
        ("中国军网 | 徐才厚在病榻上结束了可悲可耻的一生", "中国军网"),
        ("香港文汇报｜仇和:一位明星書記的高昇與落馬", "香港文汇报"),
        ("【真理部】徐才厚因膀胱癌死亡", "真理部"),
        ("今年两会,代表不再露富", ""),
        ("Trump renews call for ban on Muslim refugees | video", ""),
    ],
)
def test_a_reposts_title_names_the_outlet_it_copied(title: str, source: str) -> None:
    assert title_source(title) == source


def test_the_sentences_of_one_quotation_stay_together() -> None:
    # Apart, the second sentence was someone's words with no quotation marks at all,
    # and could head a section as if the outlet said it.
    text = (
        "\u201cI never touched the balls,\u201d he told Argentine paper La Nacion. "
        "\u201cYou put the balls in the refrigerator beforehand. Just by comparing one and "
        "the other you can tell the cold balls from the hot.\u201d Blatter was banned in 2015."
    )
    assert split_sentences(text) == [
        "\u201cI never touched the balls,\u201d he told Argentine paper La Nacion.",
        "\u201cYou put the balls in the refrigerator beforehand. Just by comparing one and "
        "the other you can tell the cold balls from the hot.\u201d",
        "Blatter was banned in 2015.",
    ]
    straight = 'She said: "We apologise. It will not happen again." The post was removed.'
    assert split_sentences(straight)[0] == 'She said: "We apologise. It will not happen again."'


def test_a_quotation_cut_off_by_an_excerpt_is_split_as_before() -> None:
    text = "He said \u201cthis is the start. And it goes on. And on. And on without end"
    assert split_sentences(text) == [
        "He said \u201cthis is the start.",
        "And it goes on.",
        "And on.",
        "And on without end",
    ]


def test_a_storys_credited_outlets_are_listed_once_in_order() -> None:
    titles = ["新华网 | 徐才厚去世", "中国军网 | 徐才厚的一生", "新华网 | 反腐不停", "今年两会"]
    assert title_sources(titles) == ["新华网", "中国军网"]


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        # German capitalises nouns: an abbreviation before one cut the claim in half
        # ("… 3,5 Mrd." and "Euro.").
        (
            "Der Konzern machte einen Verlust von 3,5 Mrd. Euro. Der Vorstand trat zurück.",
            ["Der Konzern machte einen Verlust von 3,5 Mrd. Euro.", "Der Vorstand trat zurück."],
        ),
        (
            "Die Firma hat ca. 500 Mitarbeiter, z. B. in Berlin. Das sagte ein Sprecher.",
            ["Die Firma hat ca. 500 Mitarbeiter, z. B. in Berlin.", "Das sagte ein Sprecher."],
        ),
        (
            "Le 1er janv. 2016, Mme Dupont a annoncé la réforme. Elle entre en vigueur.",
            ["Le 1er janv. 2016, Mme Dupont a annoncé la réforme.", "Elle entre en vigueur."],
        ),
        (
            "La Sra. López dijo que no intervendrá. La reunión terminó.",
            ["La Sra. López dijo que no intervendrá.", "La reunión terminó."],
        ),
        # Initials in any alphabet; a Russian year's abbreviation still ends its sentence.
        (
            "Глава МИД В. Лавров прибыл на ул. Ленина. Переговоры начнутся завтра.",
            ["Глава МИД В. Лавров прибыл на ул. Ленина.", "Переговоры начнутся завтра."],
        ),
        (
            "Путин заявил об этом в 2015 г. В Кремле отказались комментировать.",
            ["Путин заявил об этом в 2015 г.", "В Кремле отказались комментировать."],
        ),
        (
            "The U.S. said Mr. Smith will go. J. Smith agreed.",
            ["The U.S. said Mr. Smith will go.", "J. Smith agreed."],
        ),
        # Some abbreviations count only before a number: elsewhere they are words.
        (
            "Haus Nr. 5 brannte. Die Firma sitzt in Los Angeles, CA. Der Chef kam.",
            ["Haus Nr. 5 brannte.", "Die Firma sitzt in Los Angeles, CA.", "Der Chef kam."],
        ),
        (
            "He flexed his abs. The crowd cheered. Мы помогли им. Они ушли.",
            ["He flexed his abs.", "The crowd cheered.", "Мы помогли им.", "Они ушли."],
        ),
    ],
)
def test_abbreviations_end_no_sentence_in_any_of_the_languages(
    text: str, sentences: list[str]
) -> None:
    assert split_sentences(text) == sentences
